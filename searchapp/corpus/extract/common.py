"""What every extractor shares: its data files, one spelling per syllable, the body's lines."""

from __future__ import annotations

import tomllib
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from searchapp.text import fold, syllables


@cache
def load(name: str) -> dict[str, Any]:
    resource = files("searchapp") / "data" / name
    return tomllib.loads(resource.read_text(encoding="utf-8"))


# Old-style tone placement ("hoà", "thuỷ") and new style ("hòa", "thủy") are
# both in common use; one canonical form lets one spelling match both.
def _build_tone_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for first, second_marked, first_marked, second in (
        ("o", "àáảãạ", "òóỏõọ", "a"),
        ("o", "èéẻẽẹ", "òóỏõọ", "e"),
        ("u", "ỳýỷỹỵ", "ùúủũụ", "y"),
    ):
        for old, new in zip(second_marked, first_marked, strict=True):
            pairs[first + old] = new + second
    return pairs


_TONE_PAIRS = _build_tone_pairs()


def canonical_tone(syllable: str) -> str:
    """Move the tone of a final "oa/oe/uy" to the first vowel: "hoà" -> "hòa"."""
    if len(syllable) < 2 or syllable[-2:].lower() not in _TONE_PAIRS:
        return syllable
    if len(syllable) >= 3 and syllable[-3] in "qQ":
        return syllable  # "quý": the u belongs to the consonant
    moved = _TONE_PAIRS[syllable[-2:].lower()]
    return syllable[:-2] + (moved.upper() if syllable[-2:].isupper() else moved)


# The same function, remembered: text has a small vocabulary of syllables.
canonical_tone_cached = lru_cache(maxsize=1 << 17)(canonical_tone)


def lookup_key(name: str, *, keep_marks: bool = False) -> str:
    """Case-, spacing- and (unless kept) accent-insensitive key: "Nhật Bản" -> "nhatban"."""
    text = name if keep_marks else fold(name)
    return "".join(canonical_tone(s) for s in syllables(text))


def body_lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip()]
