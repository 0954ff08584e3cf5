"""Accent restoration: the most likely accented reading of syllables typed without marks.

Everything comes from the index's own statistics: which accented forms of a
folded syllable occur (and in how many articles), how often two neighbouring
syllables occur together (the ``pair`` field), and how often a syllable or
pair is written with capitals (the ``caps`` field). The reading is the best
path through the candidate forms (Viterbi over pair statistics, with the
single-syllable ones as back-off), with three kinds of knowledge added on top:

* words and names: a pair or triple that is a word of pyvi's dictionary or
  part of a name from the gazetteer and the synonym lists ("thai lan" →
  Thái Lan, "cuu chien binh" → cựu chiến binh) is preferred;
* capitals: a syllable typed with a capital prefers forms written with one
  ("Lao" → Lào, "lao dong" → lao động);
* a bare form that is itself common is kept unless another reading is clearly
  more likely ("Nga" stays Nga).

A syllable typed with marks is never changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache

import numpy as np

from searchapp.analysis.segmentation import dictionary_words
from searchapp.engine.segmemo import SegmentMemo, per_segment
from searchapp.engine.whoosh import codec
from searchapp.search.names import name_table
from searchapp.text import fold, has_diacritics, syllable_key

# Accented forms considered per folded syllable, the most frequent first.
MAX_FORMS = 12
# Syllables read together by the path search, at most: each costs up to
# MAX_FORMS ** 3 steps, so past this a pasted wall of text keeps the most
# frequent form of each further syllable instead.
MAX_SEQUENCE = 24
# How many articles of a syllable it takes before its pairs are trusted as
# much as the next syllable's own frequency.
SMOOTHING = 2.0
# Extra weight of a pair that the index also holds as a pyvi word.
WORD_WEIGHT = 0.5
# Weight of the three-syllable evidence against the pair alone.
TRIGRAM = 0.6
# How much more likely another reading must be before a common bare form changes.
KEEP_BARE = 3.0
# Bonus (in log units) for a pair or triple of syllables that is a word of
# pyvi's dictionary ("tuyển dụng", "cựu chiến binh") or part of a known name.
DICTIONARY_BONUS = math.log(3)


class Restorer:
    """Built once per index generation from the syllable list of a reader.

    Each call takes the calling thread's reader (Whoosh readers are not
    shared between threads).
    """

    def __init__(self, reader, memo: SegmentMemo | None = None) -> None:
        # Each segment's forms by folded syllable, merged for a syllable when
        # a query first asks: a new generation merges nothing up front.
        self._segments = [part for _, part in _segment_forms(reader, memo)]
        self._merged: dict[str, list[tuple[str, int]]] = {}
        # Term statistics count deleted articles until segments merge, so
        # the total they are divided by must count them too.
        self.docs = max(1, reader.doc_count_all())

    # -- statistics

    def candidates(self, folded: str) -> list[tuple[str, int]]:
        """``(key, document frequency)`` of the accented forms of a folded syllable, most frequent first."""
        found = self._merged.get(folded)
        if found is None:
            found = self._merged[folded] = _merge_forms(part.get(folded, ()) for part in self._segments)
        return found

    def folded_syllables(self) -> set[str]:
        """Every folded syllable the index holds."""
        return {folded for part in self._segments for folded in part}

    def restore(self, typed: list[str], reader, docs_of=None) -> list[str]:
        """Keys of the most likely reading of the typed syllables (same length).

        :param docs_of: ``(field, term) -> sorted docnums``; when given, three
            syllables in a row are scored by the articles that hold both of
            their pairs ("cựu chiến" and "chiến binh"), the longer context a
            reader uses.
        """
        if not typed:
            return []
        if len(typed) > MAX_SEQUENCE:
            rest = [self._options(t)[0] for t in typed[MAX_SEQUENCE:]]
            return self.restore(typed[:MAX_SEQUENCE], reader, docs_of) + rest
        lattice = [self._options(t) for t in typed]
        if all(len(options) == 1 for options in lattice):
            return [options[0] for options in lattice]
        stats = _Stats(reader, self.docs, docs_of)
        # Capitals typed somewhere say the user writes names with them, so a
        # syllable typed in lowercase is probably not a name.
        uses_capitals = any(t[:1].isupper() for t in typed)
        case = [_Case(t[:1].isupper(), uses_capitals) for t in typed]
        return _viterbi(lattice, stats, case)

    def display(self, keys: list[str], typed: list[str], reader) -> list[str]:
        """The keys as they are usually written: "thái lan" → "Thái Lan".

        A syllable typed with marks or capitals keeps the case it was typed
        in. Otherwise a syllable takes
        the case of a name it is part of ("Biển Đông"), or of a word it is
        part of ("hòa bình" stays lowercase although "Bình" is a common
        name); otherwise its own usual case.
        """
        stats = _Stats(reader, self.docs)
        out = []
        for i, (key, raw) in enumerate(zip(keys, typed, strict=True)):
            if has_diacritics(raw) or raw[:1].isupper():
                out.append(case_like(key, raw))
                continue
            pairs = [f"{keys[j]} {keys[j + 1]}" for j in (i - 1, i) if 0 <= j and j + 1 < len(keys)]
            pairs = [p for p in pairs if stats.df("pair", p)]
            if any(stats.capital_share(p) > 0.5 for p in pairs):
                upper = True  # part of a name: "Biển Đông"
            elif any(p in _dictionary()[0] for p in pairs):
                upper = False  # part of a word: "hòa bình"
            else:
                upper = stats.capital_share(key) > 0.5
            out.append(key[:1].upper() + key[1:] if upper else key)
        return out

    def _options(self, typed: str) -> list[str]:
        key = syllable_key(typed)
        if has_diacritics(typed) or not typed.isalpha():
            return [key]
        forms = [k for k, _ in self.candidates(fold(key))[:MAX_FORMS]]
        # As typed only when nothing else is known: a form no article holds
        # is no reading at all.
        return forms or [key]


class _Case:
    """What the typed case says about a syllable."""

    __slots__ = ("upper", "informative")

    def __init__(self, upper: bool, informative: bool) -> None:
        self.upper = upper
        self.informative = informative


class _Stats:
    """Document frequencies read through one reader, each looked up once."""

    def __init__(self, reader, docs: int, docs_of=None) -> None:
        self.reader = reader
        self.docs = docs
        self.docs_of = docs_of
        self._df: dict[tuple[str, str], int] = {}
        self._both: dict[tuple[str, str, str], tuple[int, int]] = {}

    def df(self, field: str, term: str) -> int:
        found = self._df.get((field, term))
        if found is None:
            try:
                found = self.reader.doc_frequency(field, term)
            except (KeyError, ValueError):
                found = 0
            self._df[(field, term)] = found
        return found

    def capital_share(self, key: str) -> float:
        field = "pair" if " " in key else "syl"
        total = self.df(field, key)
        return self.df("caps", key) / total if total else 0.0

    def case_score(self, key: str, case: _Case) -> float:
        """How well the typed case fits how ``key`` is usually written."""
        if not case.informative:
            return 0.0
        share = (self.df("caps", key) + 0.5) / (self.df("syl", key) + 1.0)
        return math.log(min(share, 1.0)) if case.upper else math.log(max(1.0 - share, 0.05))

    def start(self, key: str, case: _Case) -> float:
        return math.log((self.df("syl", key) + 0.5) / self.docs) + self.case_score(key, case)

    def bigram(self, left: str, right: str) -> float:
        """log P(right | left): the pair's share of ``left``'s articles, mixed
        with ``right``'s own share; the pair counts more as ``left`` is seen
        in more articles.

        A pair the index also holds as a pyvi word ("tuyển dụng") counts
        extra: a word is what a reader types.
        """
        pair = self.df("pair", f"{left} {right}")
        seen = self.df("syl", left)
        weight = seen / (seen + SMOOTHING)
        prior = (self.df("syl", right) + 0.5) / self.docs
        score = math.log(weight * pair / max(seen, 1) + (1 - weight) * prior + 1e-9)
        if pair:
            score += WORD_WEIGHT * math.log1p(self.df("words", f"{left}_{right}"))
        if f"{left} {right}" in _dictionary()[0]:
            score += DICTIONARY_BONUS
        return score

    def trigram(self, first: str, left: str, right: str) -> float:
        """log P(right | first left): pairs seen together in articles, then the pair alone."""
        plain = self.bigram(left, right)
        bonus = DICTIONARY_BONUS if f"{first} {left} {right}" in _dictionary()[1] else 0.0
        head = self.df("pair", f"{first} {left}")
        if self.docs_of is None or not head or not self.df("pair", f"{left} {right}"):
            return plain + bonus
        key = (first, left, right)
        found = self._both.get(key)
        if found is None:
            a = self.docs_of("pair", f"{first} {left}")
            b = self.docs_of("pair", f"{left} {right}")
            # Both counted over live articles only.
            found = self._both[key] = (len(np.intersect1d(a, b, assume_unique=True)), len(a))
        both, head_docs = found
        if not head_docs:
            return plain + bonus
        return math.log(TRIGRAM * both / head_docs + (1 - TRIGRAM) * math.exp(plain)) + bonus


def _viterbi(lattice: list[list[str]], stats: _Stats, case: list[_Case]) -> list[str]:
    """The best path through the candidate forms, scored over three syllables at a time.

    States are the last two syllables; the score of a step is
    :meth:`_Stats.trigram` (or the bigram for the second syllable).
    """
    alone = len(lattice) == 1
    first: dict[tuple[str | None, str], float] = {
        (None, k): stats.start(k, case[0]) + _bare_bonus(k, lattice[0], case[0], alone) for k in lattice[0]
    }
    scores: dict[tuple[str | None, str], float] = first
    back: list[dict[tuple[str | None, str], tuple[str | None, str]]] = []
    for i in range(1, len(lattice)):
        step: dict[tuple[str | None, str], float] = {}
        links: dict[tuple[str | None, str], tuple[str | None, str]] = {}
        for right in lattice[i]:
            local = stats.case_score(right, case[i])
            for state, value in scores.items():
                before, left = state
                if before is None:
                    value += stats.bigram(left, right)
                else:
                    value += stats.trigram(before, left, right)
                new = (left, right)
                if value + local > step.get(new, -math.inf):
                    step[new] = value + local
                    links[new] = state
        scores = step
        back.append(links)
    state = max(scores, key=lambda s: scores[s])
    path = [state[1]]
    for links in reversed(back):
        state = links[state]
        path.append(state[1])
    return path[::-1]


def _bare_bonus(key: str, options: list[str], case: _Case, alone: bool) -> float:
    """A one-syllable query typed without marks is kept as typed when that
    form is common ("anh", "nga"), unless clearly beaten.

    Not with more syllables, where the neighbours tell the reading, and not
    for a syllable typed with a capital, where the capitals the index has
    seen tell it ("Lao" is Lào, the country, more often than "lao").
    """
    if not alone or case.upper or len(options) < 2 or has_diacritics(key):
        return 0.0
    return math.log(KEEP_BARE)


def case_like(key: str, typed: str) -> str:
    """``key`` in the case ``typed`` was written in ("ASEN" → "ASEAN", "Bien" → "Biển")."""
    if typed.isupper() and len(typed) > 1:
        return key.upper()
    if typed[:1].isupper():
        return key[:1].upper() + key[1:]
    return key


def _segment_forms(reader, memo: SegmentMemo | None) -> list[tuple[int, dict[str, list[tuple[str, int]]]]]:
    """Each segment's syllables grouped by their folded form, with their document counts."""
    return per_segment(reader, "forms:syl", _forms_of_segment, memo)


def _forms_of_segment(leaf) -> dict[str, list[tuple[str, int]]]:
    forms: dict[str, list[tuple[str, int]]] = {}
    for text, count in codec.term_frequencies(leaf, "syl").items():
        forms.setdefault(fold(text), []).append((text, count))
    return forms


def _merge_forms(parts: Iterable[Iterable[tuple[str, int]]]) -> list[tuple[str, int]]:
    """The forms of one folded syllable over all segments, counts summed, most
    frequent first (equal counts in the index's term order: UTF-8 bytes sort as
    code points)."""
    counts: dict[str, int] = {}
    for part in parts:
        for text, count in part:
            counts[text] = counts.get(text, 0) + count
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


@cache
def _dictionary() -> tuple[frozenset[str], frozenset[str]]:
    """Known two- and three-syllable words: pyvi's dictionary and every pair
    and triple inside a known name, as syllable keys joined by spaces."""
    words, phrases = dictionary_words()
    pairs, triples = set(words), set(phrases)
    for name in name_table():
        pairs.update(" ".join(name[i : i + 2]) for i in range(len(name) - 1))
        triples.update(" ".join(name[i : i + 3]) for i in range(len(name) - 2))
    return frozenset(pairs), frozenset(triples)
