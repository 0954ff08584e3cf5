"""pyvi's word segmentation, with character offsets into the original text.

pyvi gives words as "Hà_Nội" strings; the spans are recovered by segmenting
pyvi's own syllable units line by line. The model is loaded once, lazily
(its CRF pickle is slow to read), and lines are cached.
"""

from __future__ import annotations

import codecs
import pickle
import re
import string
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

from searchapp.text import SYLLABLE_RE, syllable_key

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


@cache
def pyvi_model():
    """pyvi's segmentation model: its word lists and its CRF tagger.

    pyvi keeps the model as a pickled sklearn-crfsuite estimator, and
    importing pyvi imports scikit-learn (over a second, most of an
    incremental reindex of one article). The pickle is read here without
    scikit-learn: only the crfsuite model bytes inside it are kept and
    opened with pycrfsuite, which is what the estimator does. The word lists
    are read as pyvi reads them. Falls back to pyvi itself if that fails.
    """
    try:
        return _LightPyvi()
    except Exception:  # noqa: BLE001 - any surprise in the pickle: use pyvi as it is
        return _PyviAdapter()


class _Stub:
    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {})


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in ("sklearn", "sklearn_crfsuite"):
            return _Stub
        return super().find_class(module, name)


class _LightPyvi:
    def __init__(self) -> None:
        import importlib.util

        import pycrfsuite

        spec = importlib.util.find_spec("pyvi")
        assert spec is not None and spec.submodule_search_locations  # pyvi is a package
        folder = Path(spec.submodule_search_locations[0])
        self.bi_grams, self.tri_grams = set(), set()
        with codecs.open(str(folder / "models" / "words.txt"), "r", encoding="utf-8") as fin:
            for token in fin.read().split("\n"):
                tmp = token.split(" ")
                if len(tmp) == 2:
                    self.bi_grams.add(token)
                elif len(tmp) == 3:
                    self.tri_grams.add(token)
        with open(folder / "models" / "pyvi3.pkl", "rb") as fh:
            estimator = _ModelUnpickler(fh).load()
        # The tagger reads the model from this buffer without a copy: keep it alive.
        self._data = estimator.modelfile.__dict__["__FILE_RESOURCE_DATA__"]
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open_inmemory(self._data)

    def tag(self, features: list[dict]) -> list[str]:
        return self.tagger.tag(features)


class _PyviAdapter:
    def __init__(self) -> None:
        import warnings

        with warnings.catch_warnings():
            # pyvi's source has invalid escape sequences; harmless, but noisy.
            warnings.simplefilter("ignore")
            from pyvi.ViTokenizer import ViTokenizer
        self.bi_grams, self.tri_grams = ViTokenizer.bi_grams, ViTokenizer.tri_grams
        self._model = ViTokenizer.model

    def tag(self, features: list[dict]) -> list[str]:
        return list(self._model.predict([features])[0])


def _word2features(sent: list[str], i: int, bi_grams, tri_grams) -> dict:
    """``pyvi.ViTokenizer.word2features`` (prediction mode), line for line."""
    word = sent[i]
    features = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    if i > 0:
        word1 = sent[i - 1]
        features.update(
            {
                "-1:word.lower()": word1.lower(),
                "-1:word.istitle()": word1.istitle(),
                "-1:word.isupper()": word1.isupper(),
                "-1:word.bi_gram()": " ".join([word1, word]).lower() in bi_grams,
            }
        )
        if i > 1:
            word2 = sent[i - 2]
            features.update({"-2:word.tri_gram()": " ".join([word2, word1, word]).lower() in tri_grams})
    if i < len(sent) - 1:
        word1 = sent[i + 1]
        features.update(
            {
                "+1:word.lower()": word1.lower(),
                "+1:word.istitle()": word1.istitle(),
                "+1:word.isupper()": word1.isupper(),
                "+1:word.bi_gram()": " ".join([word, word1]).lower() in bi_grams,
            }
        )
        if i < len(sent) - 2:
            word2 = sent[i + 2]
            features.update({"+2:word.tri_gram()": " ".join([word, word1, word2]).lower() in tri_grams})
    return features


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


def _features(model, texts: list[str]) -> list[dict]:
    """``model.sent2features(texts, False)``, built faster with the same dicts.

    Every word's lowercase form, case flags and the n-gram lookups are
    computed once per line instead of up to five times; the dicts have the
    same keys in the same order (tests compare them with pyvi's own).
    """
    n = len(texts)
    bi_grams, tri_grams = model.bi_grams, model.tri_grams
    if n < 5:
        return [_word2features(texts, i, bi_grams, tri_grams) for i in range(n)]
    low = [w.lower() for w in texts]
    upper = [w.isupper() for w in texts]
    title = [w.istitle() for w in texts]
    digit = [w.isdigit() for w in texts]
    # bi[k]: words k, k+1; tri[k]: words k, k+1, k+2 (lowercased after joining, as pyvi does).
    bi = [" ".join([texts[k], texts[k + 1]]).lower() in bi_grams for k in range(n - 1)]
    tri = [" ".join([texts[k], texts[k + 1], texts[k + 2]]).lower() in tri_grams for k in range(n - 2)]
    out = [_word2features(texts, 0, bi_grams, tri_grams), _word2features(texts, 1, bi_grams, tri_grams)]
    for i in range(2, n - 2):
        out.append(
            {
                "bias": 1.0,
                "word.lower()": low[i],
                "word.isupper()": upper[i],
                "word.istitle()": title[i],
                "word.isdigit()": digit[i],
                "-1:word.lower()": low[i - 1],
                "-1:word.istitle()": title[i - 1],
                "-1:word.isupper()": upper[i - 1],
                "-1:word.bi_gram()": bi[i - 1],
                "-2:word.tri_gram()": tri[i - 2],
                "+1:word.lower()": low[i + 1],
                "+1:word.istitle()": title[i + 1],
                "+1:word.isupper()": upper[i + 1],
                "+1:word.bi_gram()": bi[i],
                "+2:word.tri_gram()": tri[i],
            }
        )
    out.append(_word2features(texts, n - 2, bi_grams, tri_grams))
    out.append(_word2features(texts, n - 1, bi_grams, tri_grams))
    return out


# Segmentation of a line depends on the line alone, and lines repeat (the
# title is repeated in the searchable text; captions and boilerplate recur):
# spans relative to the line start, kept for a bounded number of lines.
_LINE_CACHE: dict[str, tuple[Span, ...]] = {}
_LINE_CACHE_MAX = 50_000


def _segment_line(model, line: str, offset: int) -> list[Span]:
    cached = _LINE_CACHE.get(line)
    if cached is None:
        cached = _LINE_CACHE[line] = tuple(_segment_line_uncached(model, line))
        if len(_LINE_CACHE) > _LINE_CACHE_MAX:
            _LINE_CACHE.clear()
    if not offset:
        return list(cached)
    return [(a + offset, b + offset) for a, b in cached]


def _segment_line_uncached(model, line: str) -> list[Span]:
    units = [m for m in _PYVI_PATTERN.finditer(line)]
    if not units:
        return []
    texts = [m.group(0) for m in units]
    labels = model.tag(_features(model, texts))
    spans: list[Span] = []
    start, end = units[0].span()
    for i in range(1, len(units)):
        if _join_label(texts[i - 1], texts[i], labels[i]):
            end = units[i].end()
        else:
            spans.append((start, end))
            start, end = units[i].span()
    spans.append((start, end))
    return spans


# A tone mark on the second vowel of oa, oe, uy ("hoà", "khoẻ", "thuỷ"): the
# only placement that differs from the traditional one in pyvi's dictionary.
_NEWER_PLACEMENT = re.compile("o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ]", re.IGNORECASE)


@cache
def dictionary_words() -> tuple[frozenset[str], frozenset[str]]:
    """pyvi's two- and three-syllable words, as syllable keys joined by spaces."""
    model = pyvi_model()

    def keys(words) -> frozenset[str]:
        # pyvi writes its words in lower case, mostly with the traditional tone
        # placement already: only the others need keying (a few hundred of
        # 24,000), which saves a command-line search a quarter of a second.
        # Their unkeyed forms stay in the set; no keyed lookup can match them.
        odd = (word for word in words if not word.islower() or _NEWER_PLACEMENT.search(word))
        return frozenset(words) | {" ".join(syllable_key(part) for part in word.split(" ")) for word in odd}

    return keys(model.bi_grams), keys(model.tri_grams)


def segment(text: str) -> list[Span]:
    """Character spans of pyvi's words in ``text`` (NFC expected).

    Punctuation units are included as their own spans; callers skip them.

    >>> t = "Bộ trưởng Ngoại giao"
    >>> [t[a:b] for a, b in segment(t)]
    ['Bộ trưởng', 'Ngoại giao']
    """
    model = pyvi_model()
    spans: list[Span] = []
    for line in _LINE_RE.finditer(text):
        spans.extend(_segment_line(model, line.group(), line.start()))
    return spans


def compound_spans(text: str) -> list[Span]:
    """Spans of the words of two or more syllables (what the index keeps)."""
    return [(a, b) for a, b in segment(text) if len(SYLLABLE_RE.findall(text, a, b)) > 1]


def word_tokens(text: str, spans: Sequence[Span]) -> Iterator[tuple[str, int, int]]:
    """``(word, start, end)`` for each word span holding letters or digits.

    A word's text joins its syllables with ``_`` as pyvi does ("Nhật_Bản").
    """
    for start, end in spans:
        parts = SYLLABLE_RE.findall(text, start, end)
        if parts:
            yield "_".join(parts), start, end
