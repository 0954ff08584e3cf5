"""Vietnamese analysis for Whoosh: syllables, folded syllables and pyvi words.

Three token streams are indexed, all with character offsets into the original
text:

* ``syllable_analyzer()``: lowercased syllables, accents kept ("biển", "đông");
* ``fold_analyzer()``: the same syllables with diacritics folded ("bien", "dong");
* ``word_analyzer()``: pyvi's multi-syllable words ("biển_đông"), the unit a
  reader means when typing "Biển Đông", used as a proximity signal.

Whoosh pickles analyzers into the index, so the classes here are part of the
on-disk format: they hold no model and import pyvi lazily.
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh.analysis import Filter, LowercaseFilter, Token, Tokenizer

from searchapp.analysis.segmentation import compound_spans, segment, word_tokens
from searchapp.text import SYLLABLE_RE, breaks, canonical_tone, fold, nfc, syllable_key


class _BaseTokenizer(Tokenizer):
    """Shared token plumbing following ``RegexTokenizer.__call__``."""

    def _items(self, value: str) -> Iterable[tuple[str, int, int]]:
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        value = nfc(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, (text, start, end) in enumerate(self._items(value)):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class SyllableTokenizer(_BaseTokenizer):
    """Yields every syllable (run of letters and digits) with its offsets.

    >>> [t.text for t in SyllableTokenizer()("Hà Nội, 3/8")]
    ['Hà', 'Nội', '3', '8']
    """

    def _items(self, value):
        for match in SYLLABLE_RE.finditer(value):
            yield match.group(), match.start(), match.end()


class VietnameseTokenizer(_BaseTokenizer):
    """Yields pyvi words with exact character offsets into the original text.

    :param compounds_only: yield only words of two or more syllables (the
        syllable fields already hold the single ones).

    >>> [t.text for t in VietnameseTokenizer()("Thủ tướng Nhật Bản")]
    ['Thủ_tướng', 'Nhật_Bản']
    """

    def __init__(self, compounds_only: bool = False) -> None:
        self.compounds_only = compounds_only

    def __eq__(self, other):
        return type(other) is type(self) and other.compounds_only == self.compounds_only

    def _items(self, value):
        spans = compound_spans(value) if self.compounds_only else segment(value)
        yield from word_tokens(value, spans)


class FoldFilter(Filter):
    """Removes Vietnamese diacritics, one character for one (đ → d)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


class ToneFilter(Filter):
    """Puts every syllable's tone mark in one place (hoà → hòa), joined words too."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = _tone_key(token.text)
            yield token


def _tone_key(text: str) -> str:
    if "_" in text:
        return "_".join(canonical_tone(part) for part in text.split("_"))
    return canonical_tone(text)


class PairTokenizer(_BaseTokenizer):
    """Yields each pair of neighbouring syllables as one term ("biển đông").

    The fields index pairs without positions: a pair is one term lookup, and a
    longer phrase is checked on the syllable positions. No pair spans a
    sentence or clause break
    (:func:`searchapp.text.breaks`). Terms are syllable keys, or folded with
    ``folded``.

    >>> [t.text for t in PairTokenizer()("Biển Đông. Hoà bình")]
    ['biển đông', 'hòa bình']
    """

    def __init__(self, folded: bool = False) -> None:
        self.folded = folded

    def __eq__(self, other):
        return type(other) is type(self) and other.folded == self.folded

    def __call__(self, value, positions=False, chars=False, start_pos=0, start_char=0, tokenize=True, **kwargs):
        value = nfc(value)
        matches = list(SYLLABLE_RE.finditer(value))
        keys = [syllable_key(m.group()) for m in matches]
        if self.folded:
            keys = [fold(k) for k in keys]
        token = Token(positions, chars, **kwargs)
        for i in range(1, len(matches)):
            if breaks(value[matches[i - 1].end() : matches[i].start()]):
                continue
            token.text = f"{keys[i - 1]} {keys[i]}"
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + i - 1
            if chars:
                token.startchar = start_char + matches[i - 1].start()
                token.endchar = start_char + matches[i].end()
            yield token


class CapsTokenizer(_BaseTokenizer):
    """Yields the keys of syllables and pairs written with capitals.

    Restoring accents and showing names needs to know that "Thái Lan" and
    "Nga" are written with capitals: a capitalised syllable (not the first of
    a sentence) and a pair of capitalised syllables are recorded.
    """

    def _items(self, value):
        matches = list(SYLLABLE_RE.finditer(value))
        previous_upper = False
        for i, match in enumerate(matches):
            text = match.group()
            upper = text[0].isupper()
            if upper and i and not breaks(value[matches[i - 1].end() : match.start()]):
                yield syllable_key(text), match.start(), match.end()
                if previous_upper:
                    pair = f"{syllable_key(matches[i - 1].group())} {syllable_key(text)}"
                    yield pair, matches[i - 1].start(), match.end()
            previous_upper = upper


def syllable_analyzer():
    """Lowercased syllables with accents kept, tone placement normalized."""
    return SyllableTokenizer() | LowercaseFilter() | ToneFilter()


def fold_analyzer():
    """Lowercased, diacritic-folded syllables: "Biển Đông" → bien, dong."""
    return SyllableTokenizer() | LowercaseFilter() | FoldFilter()


def word_analyzer():
    """Lowercased multi-syllable pyvi words: "Nhật Bản" → nhật_bản."""
    return VietnameseTokenizer(compounds_only=True) | LowercaseFilter() | ToneFilter()


def folded_word_analyzer():
    """pyvi words found on the accented text, then folded: "Nhật Bản" → nhat_ban."""
    return VietnameseTokenizer(compounds_only=True) | LowercaseFilter() | FoldFilter()


def pair_analyzer():
    """Neighbouring syllable pairs, accents kept: "Biển Đông" → "biển đông"."""
    return PairTokenizer()


def caps_analyzer():
    """Capitalised syllables and pairs, as keys: "ở Thái Lan" → thái, lan, "thái lan"."""
    return CapsTokenizer()
