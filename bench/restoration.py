"""Scoring accent restoration, and the simple restorer it is compared with.

A query typed without accents ("quan he Viet Nam") has to be read back with
them before it can be matched precisely. :func:`score` says how close a
restored query is to what the person meant. :class:`SyllableBigrams` is the
reference: the most likely accented syllables under pair counts of the pool's
own text, with no knowledge of words, names or the index. An engine that
cannot beat it is not worth its extra machinery.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from matching import RUN_SEPARATOR, SYLLABLE, canonical_syllable, fold

# How many pair observations the unigram estimate is worth (the smoothing
# toward it). Of 1, 2, 10 and 100 it reads the dev plain queries best, so the
# reference is as strong as this simple model gets, not a straw man.
BACKOFF_WEIGHT = 10.0


def comparable(query: str) -> str:
    """The query as restorations are compared: case, tone placement and spacing ignored.

    >>> comparable("  Hoà  bình Biển-Đông ") == comparable("hòa bình biển-đông")
    True
    """
    text = SYLLABLE.sub(lambda m: canonical_syllable(m[0]), query)
    return " ".join(text.split())


@dataclass
class Score:
    exact: int = 0
    queries: int = 0
    right_syllables: int = 0
    syllables: int = 0

    def add(self, restored: str, wanted: str) -> bool:
        """Count one restored query; return whether it was exactly right."""
        got = [canonical_syllable(m[0]) for m in SYLLABLE.finditer(restored)]
        want = [canonical_syllable(m[0]) for m in SYLLABLE.finditer(wanted)]
        exact = comparable(restored) == comparable(wanted)
        self.exact += exact
        self.queries += 1
        # A restorer keeps the syllable count, so position i is the same syllable.
        self.right_syllables += sum(g == w for g, w in zip(got, want, strict=False))
        self.syllables += len(want)
        return exact

    @property
    def exact_share(self) -> float:
        return self.exact / self.queries if self.queries else 0.0

    @property
    def syllable_share(self) -> float:
        return self.right_syllables / self.syllables if self.syllables else 0.0


class SyllableBigrams:
    """Restores accents from counts of accented syllables and adjacent pairs.

    :param phrase_texts: strings as made by ``matching.phrase_text``, so the
        pairs never cross a sentence or clause break.
    """

    def __init__(self, phrase_texts: Iterable[str]) -> None:
        self.unigrams: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        for text in phrase_texts:
            for run in text.split(RUN_SEPARATOR):
                words = run.split()
                self.unigrams.update(words)
                self.pairs.update(zip(words, words[1:], strict=False))
        self.forms: dict[str, list[str]] = defaultdict(list)
        for word in self.unigrams:
            self.forms[fold(word)].append(word)
        self.total = sum(self.unigrams.values())
        self.vocabulary = len(self.unigrams)

    def unigram(self, word: str) -> float:
        """Add-one estimate of a syllable's probability."""
        return (self.unigrams[word] + 1) / (self.total + self.vocabulary)

    def pair_log(self, previous: str, word: str) -> float:
        """log P(word | previous): pair counts, backed off toward the unigram."""
        seen = self.pairs[(previous, word)] + BACKOFF_WEIGHT * self.unigram(word)
        return math.log(seen / (self.unigrams[previous] + BACKOFF_WEIGHT))

    def candidates(self, plain: str) -> list[str]:
        # A syllable the pool never spells (a foreign name) stays as typed.
        return self.forms.get(fold(plain), [plain])

    def best_reading(self, plain_syllables: list[str]) -> list[str]:
        """Viterbi: the accented sequence with the highest sum of pair log-probabilities."""
        if not plain_syllables:
            return []
        # best[form] = (log-probability of the best path ending in form, that path)
        best = {f: (math.log(self.unigram(f)), [f]) for f in self.candidates(plain_syllables[0])}
        for plain in plain_syllables[1:]:
            step = {}
            for form in self.candidates(plain):
                logp, path = max(
                    ((lp + self.pair_log(prev, form), p) for prev, (lp, p) in best.items()),
                    key=lambda pair: pair[0],
                )
                step[form] = (logp, path + [form])
            best = step
        return max(best.values(), key=lambda pair: pair[0])[1]

    def restore(self, query: str) -> str:
        """The query with accents put back, its case and punctuation kept."""
        matches = list(SYLLABLE.finditer(query))
        reading = self.best_reading([m[0].lower() for m in matches])
        pieces, last = [], 0
        for match, form in zip(matches, reading, strict=True):
            pieces.append(query[last : match.start()])
            pieces.append(_same_case(match[0], form))
            last = match.end()
        pieces.append(query[last:])
        return "".join(pieces)


def _same_case(typed: str, form: str) -> str:
    if len(typed) > 1 and typed.isupper():
        return form.upper()
    if typed[:1].isupper():
        return form[:1].upper() + form[1:]
    return form
