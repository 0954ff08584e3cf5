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

import re
import string
from collections.abc import Iterable, Iterator, Sequence
from functools import cache

from whoosh.analysis import LowercaseFilter, Token, Tokenizer
from whoosh.analysis.filters import Filter

from searchapp.text import SYLLABLE_RE, fold, nfc

# pyvi's own syllable pattern (pyvi 0.1.1, ViTokenizer.sylabelize), rebuilt so
# that we get match offsets; the model was trained on exactly these units.
_PYVI_PATTERN = re.compile(
    "("
    + "|".join(
        [
            r"[A-ZĐ]+\.",
            r"Tp\.",
            r"Mr\.",
            r"Mrs\.",
            r"Ms\.",
            r"Dr\.",
            r"ThS\.",
            r"==>",
            r"->",
            r"\.\.\.",
            r">>",
            "\n",
            r"\w+://[^\s]+",
            r"([a-zA-Z0-9_.+-]+@([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)",
            r"\d+([\.,_]\d+)+",
            r"[^\w\s]",
            r"\w+",
        ]
    )
    + ")",
    re.UNICODE,
)
_PUNCTUATION = frozenset(string.punctuation)

# Lines are segmented one at a time: pyvi slows down quadratically on long
# strings, and a line break is a word boundary anyway.
_LINE_RE = re.compile(r"[^\n]+")

Span = tuple[int, int]

# Compound-word spans computed ahead of time (in worker processes) by the
# indexer, keyed by the exact text; the tokenizer looks here before running
# the model.
_PRECOMPUTED: dict[str, list[Span]] = {}


@cache
def _pyvi_model():
    import warnings

    with warnings.catch_warnings():
        # pyvi's source has invalid escape sequences; harmless, but noisy.
        warnings.simplefilter("ignore")
        from pyvi.ViTokenizer import ViTokenizer
    return ViTokenizer


def _join_label(prev: str, cur: str, label: str) -> bool:
    """pyvi's rule for gluing syllable ``cur`` onto the word before it."""
    return (
        label == "I_W"
        and cur not in _PUNCTUATION
        and prev not in _PUNCTUATION
        and not cur[0].isdigit()
        and not prev[0].isdigit()
        and not (cur[0].istitle() and not prev[0].istitle())
    )


def _segment_line(model, line: str, offset: int) -> list[Span]:
    units = [m for m in _PYVI_PATTERN.finditer(line)]
    if not units:
        return []
    texts = [m.group(0) for m in units]
    labels = model.model.predict([model.sent2features(texts, False)])[0]
    spans: list[Span] = []
    start, end = units[0].span()
    for i in range(1, len(units)):
        if _join_label(texts[i - 1], texts[i], labels[i]):
            end = units[i].end()
        else:
            spans.append((start + offset, end + offset))
            start, end = units[i].span()
    spans.append((start + offset, end + offset))
    return spans


def segment(text: str) -> list[Span]:
    """Character spans of pyvi's words in ``text`` (NFC expected).

    Punctuation units are included as their own spans; callers skip them.

    >>> t = "Bộ trưởng Ngoại giao"
    >>> [t[a:b] for a, b in segment(t)]
    ['Bộ trưởng', 'Ngoại giao']
    """
    model = _pyvi_model()
    spans: list[Span] = []
    for line in _LINE_RE.finditer(text):
        spans.extend(_segment_line(model, line.group(), line.start()))
    return spans


def compound_spans(text: str) -> list[Span]:
    """Spans of the words of two or more syllables (what the index keeps)."""
    cached = _PRECOMPUTED.get(text)
    if cached is not None:
        return cached
    return [(a, b) for a, b in segment(text) if len(SYLLABLE_RE.findall(text, a, b)) > 1]


def remember_compounds(text: str, spans: list[Span]) -> None:
    """Store spans computed elsewhere so that the tokenizer skips the model."""
    _PRECOMPUTED[text] = spans


def forget_compounds() -> None:
    """Drop precomputed spans (after a batch has been written)."""
    _PRECOMPUTED.clear()


def word_tokens(text: str, spans: Sequence[Span]) -> Iterator[tuple[str, int, int]]:
    """``(word, start, end)`` for each word span holding letters or digits.

    A word's text joins its syllables with ``_`` as pyvi does ("Nhật_Bản").
    """
    for start, end in spans:
        parts = SYLLABLE_RE.findall(text, start, end)
        if parts:
            yield "_".join(parts), start, end


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


def syllable_analyzer():
    """Lowercased syllables with accents kept."""
    return SyllableTokenizer() | LowercaseFilter()


def fold_analyzer():
    """Lowercased, diacritic-folded syllables: "Biển Đông" → bien, dong."""
    return SyllableTokenizer() | LowercaseFilter() | FoldFilter()


def word_analyzer():
    """Lowercased multi-syllable pyvi words: "Nhật Bản" → nhật_bản."""
    return VietnameseTokenizer(compounds_only=True) | LowercaseFilter()


def folded_word_analyzer():
    """pyvi words found on the accented text, then folded: "Nhật Bản" → nhat_ban."""
    return VietnameseTokenizer(compounds_only=True) | LowercaseFilter() | FoldFilter()
