"""Plain-text primitives shared by every layer: NFC, diacritic folding, syllables.

Everything that reads user or article text goes through :func:`nfc` first, so
that one Vietnamese letter is always one code point. Folding then maps each
letter to one ASCII-ish letter, which keeps character offsets of the folded
text equal to those of the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# A syllable is a run of letters and digits. The underscore is excluded because
# pre-segmented text joins syllables with it ("Bộ_trưởng").
SYLLABLE_RE = re.compile(r"[^\W_]+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC; the first step for every input."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in "đĐ":
        # NFD does not decompose đ: it is a letter of its own, not d + mark.
        return "d" if char == "đ" else "D"
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    # Keep the 1 char -> 1 char invariant that highlighting relies on.
    return base if len(base) == 1 else char


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # Latin-1, Latin Extended-A/B and Latin Extended Additional hold every
    # Vietnamese letter; other scripts are left as they are.
    for start, end in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for code in range(start, end):
            char = chr(code)
            folded = _fold_char(char)
            if folded != char:
                table[code] = folded
    return table


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Remove tone and vowel marks and map đ/Đ to d/D, one character for one.

    >>> fold("Biển Đông")
    'Bien Dong'
    """
    return text.translate(_FOLD_TABLE)


def has_diacritics(text: str) -> bool:
    """True when folding would change ``text`` (it carries Vietnamese marks)."""
    return fold(text) != text


def iter_syllables(text: str) -> Iterator[re.Match[str]]:
    """Yield a match for every syllable (letters/digits run) of ``text``."""
    return SYLLABLE_RE.finditer(text)


def syllables(text: str) -> list[str]:
    """Lowercased syllables of ``text``.

    >>> syllables("Bộ trưởng Ngoại_giao, 3/8")
    ['bộ', 'trưởng', 'ngoại', 'giao', '3', '8']
    """
    return [m.group().lower() for m in SYLLABLE_RE.finditer(text)]


def folded_syllables(text: str) -> list[str]:
    """Lowercased, diacritic-folded syllables of ``text``."""
    return syllables(fold(text))
