"""Accent restoration: the most likely accented reading of syllables typed without marks.

Everything comes from the index's own statistics: which accented forms of a
folded syllable occur (and in how many articles), how often two neighbouring
syllables occur together (the ``pair`` field), and how often a syllable or
pair is written with capitals (the ``caps`` field). The reading is the best
path through the candidate forms (Viterbi over pair statistics, with the
single-syllable ones as back-off), with three kinds of knowledge added on top:

* names from the gazetteer and the synonym lists ("thai lan" → Thái Lan);
* capitals: a syllable typed with a capital prefers forms written with one
  ("Lao" → Lào, "lao dong" → lao động);
* a bare form that is itself common is kept unless another reading is clearly
  more likely ("Nga" stays Nga).

A syllable typed with marks is never changed.
"""

from __future__ import annotations

import math
from functools import cache

from searchapp.names import name_table
from searchapp.text import fold, has_diacritics, syllable_key

# Accented forms considered per folded syllable, the most frequent first.
MAX_FORMS = 12
# Weight of the single-syllable distribution when a pair was never seen.
BACKOFF = 0.4
# How much more likely another reading must be before a common bare form changes.
KEEP_BARE = 2.0
# Bonus (in log units) for a reading that spells a known name.
NAME_BONUS = 3.0


class Restorer:
    """Built once per index generation from the syllable list of a reader.

    Each call takes the calling thread's reader (Whoosh readers are not
    shared between threads).
    """

    def __init__(self, reader) -> None:
        self.forms = _forms_by_fold(reader)
        self.docs = max(1, reader.doc_count())

    # -- statistics

    def candidates(self, folded: str) -> list[tuple[str, int]]:
        """``(key, document frequency)`` of the accented forms of a folded syllable."""
        return self.forms.get(folded, [])

    def restore(self, typed: list[str], reader) -> list[str]:
        """Keys of the most likely reading of the typed syllables (same length)."""
        if not typed:
            return []
        lattice = [self._options(t) for t in typed]
        if all(len(options) == 1 for options in lattice):
            return [options[0] for options in lattice]
        stats = _Stats(reader, self.docs)
        capital = [t[:1].isupper() for t in typed]
        best = _viterbi(lattice, stats, capital)
        return self._with_names(typed, best, lattice, stats, capital)

    def display(self, keys: list[str], typed: list[str], reader) -> list[str]:
        """The keys as they are usually written: "thái lan" → "Thái Lan"."""
        stats = _Stats(reader, self.docs)
        out = []
        for i, (key, raw) in enumerate(zip(keys, typed, strict=True)):
            if has_diacritics(raw) or raw[:1].isupper() or raw.isupper():
                out.append(_case_like(key, raw))
                continue
            upper = stats.capital_share(key) > 0.5
            if not upper:
                # A pair written with capitals ("Biển Đông") is a name even
                # when one of its syllables alone is usually lowercase.
                left = i > 0 and stats.capital_share(f"{keys[i - 1]} {key}") > 0.5
                right = i + 1 < len(keys) and stats.capital_share(f"{key} {keys[i + 1]}") > 0.5
                upper = left or right
            out.append(key[:1].upper() + key[1:] if upper else key)
        return out

    def _options(self, typed: str) -> list[str]:
        key = syllable_key(typed)
        if has_diacritics(typed) or not typed.isalpha():
            return [key]
        forms = [k for k, _ in self.candidates(fold(key))[:MAX_FORMS]]
        if key not in forms:
            forms.append(key)
        return forms

    def _with_names(self, typed, best, lattice, stats, capital) -> list[str]:
        """Prefer a known name wherever the typed syllables spell one when folded."""
        out = list(best)
        folded = [fold(syllable_key(t)) for t in typed]
        i = 0
        table = _folded_names()
        longest = max((len(k) for k in table), default=0)
        while i < len(typed):
            for size in range(min(longest, len(typed) - i), 1, -1):
                names = table.get(tuple(folded[i : i + size]))
                if not names:
                    continue
                fits = [n for n in names if all(n[j] in lattice[i + j] for j in range(size))]
                if fits:
                    current = stats.sequence_score(out[i : i + size], capital[i : i + size])
                    name = max(fits, key=lambda n: stats.sequence_score(list(n), capital[i : i + size]))
                    if stats.sequence_score(list(name), capital[i : i + size]) + NAME_BONUS > current:
                        out[i : i + size] = list(name)
                    i += size
                    break
            else:
                i += 1
        return out


class _Stats:
    """Document frequencies read through one reader, each looked up once."""

    def __init__(self, reader, docs: int) -> None:
        self.reader = reader
        self.docs = docs
        self._df: dict[tuple[str, str], int] = {}

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

    def unigram(self, key: str, capital: bool) -> float:
        score = math.log((self.df("syl", key) + 0.1) / self.docs)
        if capital:
            score += math.log((self.df("caps", key) + 0.5) / (self.df("syl", key) + 1.0))
        return score

    def transition(self, left: str, right: str, capital: bool) -> float:
        pair = self.df("pair", f"{left} {right}")
        prior = (self.df("syl", right) + 0.1) / self.docs
        score = math.log((pair + BACKOFF * prior * 10) / (self.df("syl", left) + 10))
        if capital:
            score += math.log((self.df("caps", right) + 0.5) / (self.df("syl", right) + 1.0))
        return score

    def sequence_score(self, keys: list[str], capital: list[bool]) -> float:
        score = self.unigram(keys[0], capital[0])
        for i in range(1, len(keys)):
            score += self.transition(keys[i - 1], keys[i], capital[i])
        return score


def _viterbi(lattice: list[list[str]], stats: _Stats, capital: list[bool]) -> list[str]:
    """The best path through the candidate forms under pair statistics."""
    scores = {k: stats.unigram(k, capital[0]) + _bare_bonus(k, lattice[0]) for k in lattice[0]}
    back: list[dict[str, str]] = []
    for i in range(1, len(lattice)):
        step, links = {}, {}
        for right in lattice[i]:
            bonus = _bare_bonus(right, lattice[i])
            best_left, best = None, -math.inf
            for left, left_score in scores.items():
                value = left_score + stats.transition(left, right, capital[i])
                if value > best:
                    best_left, best = left, value
            step[right], links[right] = best + bonus, best_left
        scores = step
        back.append(links)
    last = max(scores, key=scores.get)
    path = [last]
    for links in reversed(back):
        path.append(links[path[-1]])
    return path[::-1]


def _bare_bonus(key: str, options: list[str]) -> float:
    """A form without marks that was typed as such is kept unless clearly beaten."""
    return math.log(KEEP_BARE) if len(options) > 1 and not has_diacritics(key) else 0.0


def _case_like(key: str, typed: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return key.upper()
    if typed[:1].isupper():
        return key[:1].upper() + key[1:]
    return key


def _forms_by_fold(reader) -> dict[str, list[tuple[str, int]]]:
    """Folded syllable → its indexed forms with document frequencies, most frequent first."""
    forms: dict[str, list[tuple[str, int]]] = {}
    if "syl" not in reader.schema:
        return forms
    for term, info in reader.iter_field("syl"):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        forms.setdefault(fold(text), []).append((text, info.doc_frequency()))
    for options in forms.values():
        options.sort(key=lambda pair: -pair[1])
    return forms


@cache
def _folded_names() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Folded syllables of each multi-syllable name → the names' syllable keys."""
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for keys in name_table():
        if len(keys) > 1:
            table.setdefault(tuple(fold(k) for k in keys), []).append(keys)
    return table
