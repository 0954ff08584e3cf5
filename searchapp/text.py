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

import numpy as np

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


def fold_lower(text: str) -> str:
    """:func:`fold` then lowercase, one character for one, for long texts.

    ``str.translate`` looks every character up in a dict; a table indexed by
    code point does a whole article at once, about fifteen times faster.

    >>> fold_lower("Biển ĐÔNG")
    'bien dong'
    """
    codes = _code_points(text)
    if len(codes) and codes.max() > 0xFFFF:  # beyond the table: an emoji, another script
        return fold(text).lower()
    return _decode(_fold_lower_table()[codes])


def spaced_and_folded(text: str) -> tuple[str, str]:
    """``" ".join(text.split())`` and the :func:`fold_lower` of that, together.

    A snippet needs both for a whole article; worked out from one array of
    code points they cost about a quarter less than the string operations.

    >>> spaced_and_folded("  Biển  ĐÔNG ")
    ('Biển ĐÔNG', 'bien dong')
    """
    codes = _code_points(text)
    if not len(codes) or codes.max() > 0xFFFF:  # beyond the tables: the string operations
        spaced = " ".join(text.split())
        return spaced, fold_lower(spaced)
    space = _space_table()[codes]
    words = np.flatnonzero(~space)
    if not len(words):
        return "", ""
    # A space is kept where a run of white space follows a word, and not after the last.
    keep = ~space
    keep[1:] |= space[1:] & ~space[:-1]
    keep[words[-1] + 1 :] = False
    spaced = np.where(space, np.uint32(32), codes)[keep]
    return _decode(spaced), _decode(_fold_lower_table()[spaced])


def _code_points(text: str) -> np.ndarray:
    """The text's code points as an array (lone surrogates kept)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _decode(codes: np.ndarray) -> str:
    """The text of :func:`_code_points`."""
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1)
def _space_table() -> np.ndarray:
    """Which characters of the Basic Multilingual Plane ``str.split()`` splits on."""
    return np.array([chr(c).isspace() for c in range(0x10000)], dtype=bool)


@lru_cache(maxsize=1)
def _fold_lower_table() -> np.ndarray:
    """``fold(c).lower()`` of every character of the Basic Multilingual Plane
    (the one letter whose lower case is two characters, İ, folds to I first)."""
    folded = np.arange(0x10000, dtype=np.uint32)
    folded[list(_FOLD_TABLE)] = [ord(c) for c in _FOLD_TABLE.values()]
    lowered = _decode(folded).lower()
    table = _code_points(lowered)
    assert len(table) == 0x10000, "a folded letter's lower case is longer than one character"
    return table


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


# --------------------------------------------------------------------------
# Tone placement
# --------------------------------------------------------------------------

# The five tone marks as combining characters (NFD). Vowel marks (circumflex,
# breve, horn) are part of the vowel and never move.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aeiouy")
_MARKED_VOWELS = frozenset("ăâêôơư")
_FINALS = frozenset(["", "c", "ch", "m", "n", "ng", "nh", "p", "t"])


@lru_cache(maxsize=4096)  # a few hundred letters in all
def _split_tone(char: str) -> tuple[str, str]:
    """``(char without its tone mark, the tone mark or "")``."""
    parts = unicodedata.normalize("NFD", char)
    tone = "".join(c for c in parts if c in _TONE_MARKS)
    if not tone:
        return char, ""
    return unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS)), tone


def _tone_vowel(letters: list[str]) -> int | None:
    """Index of the vowel that carries the tone in a toneless syllable, or ``None``.

    The traditional placement: a vowel with its own mark (ê, ơ…) takes it, the
    last one for ươ; otherwise the last vowel before a final consonant, the
    middle of three vowels, the first of two (hòa, thủy, khỏe).
    """
    lower = [c.lower() for c in letters]
    vowel = [fold(c) in _VOWELS for c in lower]
    runs = [i for i in range(len(lower)) if vowel[i] and (i == 0 or not vowel[i - 1])]
    if len(runs) != 1:
        return None
    start = end = runs[0]
    while end < len(lower) and vowel[end]:
        end += 1
    # "qu" and "gi" are consonants when another vowel follows (quý, giữa).
    if end - start > 1 and start > 0 and (lower[start - 1], lower[start]) in (("q", "u"), ("g", "i")):
        start += 1
    if "".join(lower[end:]) not in _FINALS:
        return None  # not a Vietnamese syllable (a name, a typo, glued words)
    marked = [i for i in range(start, end) if lower[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]
    if end < len(lower) or end - start == 1:
        return end - 1
    return start + 1 if end - start == 3 else start


@lru_cache(maxsize=200_000)
def canonical_tone(syllable: str) -> str:
    """``syllable`` with its tone mark on the vowel of the traditional placement.

    Both placements are correct Vietnamese and both occur in the news
    (hoà/hòa, thuỷ/thủy, Uỷ/Ủy); comparing syllables in this form makes them
    one. Case and length are kept, so offsets into the original still hold.

    >>> canonical_tone("hoà"), canonical_tone("Uỷ"), canonical_tone("khoẻ")
    ('hòa', 'Ủy', 'khỏe')
    """
    if syllable.isascii() or not syllable.isalpha():
        return syllable
    letters, tones = [], []
    for char in syllable:
        base, tone = _split_tone(char)
        letters.append(base)
        if tone:
            tones.append((len(letters) - 1, tone))
    if len(tones) != 1:
        return syllable
    where = _tone_vowel(letters)
    if where is None or where == tones[0][0]:
        return syllable
    letters[where] = unicodedata.normalize("NFC", letters[where] + tones[0][1])
    return "".join(letters)


def syllable_key(syllable: str) -> str:
    """How syllables are compared: lowercased, tone placement normalized."""
    return canonical_tone(syllable.lower())


def syllable_keys(text: str) -> list[str]:
    """:func:`syllable_key` of every syllable of ``text``."""
    return [syllable_key(m.group()) for m in SYLLABLE_RE.finditer(text)]


# --------------------------------------------------------------------------
# Adjacency: which neighbouring syllables form a pair
# --------------------------------------------------------------------------

# Two syllables are neighbours (can be one word or name) unless the text
# between them ends a sentence or a clause, or breaks the line.
_BREAK_CHARS = frozenset(".,;:!?()[]{}…|\n")


@lru_cache(maxsize=4096)
def breaks(gap: str) -> bool:
    """True when ``gap``, the text between two syllables, separates them.

    A lone "." or "," joins (3.5, 1,000, U.S); spaces, hyphens, slashes and
    quotes join ("COVID-19", "3/8").

    >>> breaks(" "), breaks(". "), breaks("."), breaks(" - ")
    (False, True, False, False)
    """
    if gap in (" ", ".", ","):
        return False
    return any(c in _BREAK_CHARS for c in gap)


def split_syllables(text: str) -> tuple[list[str], list[str]]:
    """``(syllables, gaps)``: ``gaps[i]`` is the text before ``syllables[i]``.

    >>> split_syllables("Hà Nội, 3/8")
    (['Hà', 'Nội', '3', '8'], ['', ' ', ', ', '/'])
    """
    parts = _SYLLABLE_SPLIT.split(text)
    return parts[1::2], parts[0:-1:2]


_SYLLABLE_SPLIT = re.compile(f"({SYLLABLE_RE.pattern})")


def is_text(value: str) -> bool:
    """False for a string holding surrogates (an undecodable file name, a lone JSON escape)."""
    return SURROGATE_RE.search(value) is None


SURROGATE_RE = re.compile("[\ud800-\udfff]")
