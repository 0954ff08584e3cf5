"""Scored document sets: sorted docnums with their scores, and what queries do with them.

Every operation keeps the docnums sorted and adds scores in the order
Whoosh's matchers add them, so that scores are Whoosh's to the last bit.
"""

from __future__ import annotations

import math

import numpy as np

EMPTY_DOCS = np.zeros(0, dtype=np.int64)
EMPTY_SCORES = np.zeros(0, dtype=np.float64)


class Scored:
    """Documents (sorted docnums) with their scores."""

    __slots__ = ("docs", "scores")

    def __init__(self, docs, scores) -> None:
        self.docs = docs
        self.scores = scores


def tree_sum(parts: list):
    """Sum like Whoosh's binary tree of intersection matchers (halves, left first)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return tree_sum(parts[:half]) + tree_sum(parts[half:])


def member(values, of):
    """Boolean mask: which of the sorted unique ``values`` are in the sorted unique ``of``."""
    if not len(of) or not len(values):
        return np.zeros(len(values), dtype=bool)
    if _by_table(len(values), len(of)):
        table = np.zeros(max(int(values[-1]), int(of[-1])) + 1, dtype=bool)
        table[of] = True
        return table[values]
    pos = np.searchsorted(of, values)
    pos[pos >= len(of)] = 0
    return of[pos] == values


def _by_table(looked_up: int, among: int) -> bool:
    """Whether ``looked_up`` values are found among ``among`` sorted docnums
    faster by marking those in a table indexed by docnum than by binary
    search. Marking one costs about 0.7 of one step of the search, looking
    one up in the table about half (measured on random docnums of 100,000
    from 10 to 90,000 on each side; a table of every docnum is cheap to
    allocate). numpy's sort-based ``isin`` is slower than the table at every size.
    """
    return 1.4 * among + looked_up < 2 * looked_up * math.log2(among + 1)


def index_in(of, values):
    """Where each of ``values`` (every one of them in the sorted unique ``of``) stands in ``of``."""
    if len(values) and _by_table(len(values), 2 * len(of)):  # writing a position costs about two marks
        table = np.empty(int(of[-1]) + 1, dtype=np.int32)  # only the positions written are read
        table[of] = np.arange(len(of), dtype=np.int32)
        return table[values]
    return np.searchsorted(of, values)


def intersect(a, b):
    """The values of both sorted unique arrays, sorted: what ``np.intersect1d``
    gives, without sorting the two together."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    return a[member(a, b)]


def covers(held, within) -> bool:
    """Whether the sorted docnums ``held`` include every one of ``within``."""
    if held is within:
        return True
    return len(within) <= len(held) and bool(member(within, held).all())


def intersection(subs: list[Scored]) -> Scored:
    """Documents in every one of ``subs`` (rarest first), scores summed."""
    docs = subs[0].docs
    for s in subs[1:]:
        if not len(docs):
            break
        docs = intersect(docs, s.docs)
    scores = np.zeros(len(docs), dtype=np.float64)
    for s in subs:
        if len(docs):
            scores += s.scores[index_in(s.docs, docs)]
    return Scored(docs, scores)


def restrict(result: Scored, within) -> Scored:
    """The part of ``result`` among ``within`` (sorted docnums)."""
    if not len(result.docs) or not len(within):
        return Scored(EMPTY_DOCS, EMPTY_SCORES)
    inside = member(result.docs, within)
    return Scored(result.docs[inside], result.scores[inside])


def sorted_unique(values):
    """The distinct values of a 1-D array, sorted: ``np.unique`` without its
    checks for masked arrays, whose first use imports ``numpy.ma`` (a
    twentieth of a second of every command-line search)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def union(subs: list[Scored]) -> Scored:
    subs = [s for s in subs if len(s.docs)]
    if not subs:
        return Scored(EMPTY_DOCS, EMPTY_SCORES)
    if len(subs) == 1:
        return Scored(subs[0].docs, subs[0].scores)
    docs = sorted_unique(np.concatenate([s.docs for s in subs]))
    scores = np.zeros(len(docs), dtype=np.float64)
    for s in subs:
        scores[index_in(docs, s.docs)] += s.scores
    return Scored(docs, scores)


def scores_at(result: Scored, docs):
    """Scores of ``result`` at ``docs`` (0 where it does not match), and the match mask."""
    if not len(result.docs):
        return np.zeros(len(docs), dtype=np.float64), np.zeros(len(docs), dtype=bool)
    if len(docs) and _by_table(len(docs), 2 * len(result.docs)):
        # ``docs`` need not be sorted, nor held: a table of every docnum up to the largest.
        table = np.full(max(int(result.docs[-1]), int(docs.max())) + 1, -1, dtype=np.int32)
        table[result.docs] = np.arange(len(result.docs), dtype=np.int32)
        pos = table[docs]
        hit = pos >= 0
        return np.where(hit, result.scores[pos], 0.0), hit
    pos = np.searchsorted(result.docs, docs)
    pos[pos >= len(result.docs)] = 0
    hit = result.docs[pos] == docs
    return np.where(hit, result.scores[pos], 0.0), hit


def top_k(docs, scores, k: int):
    """Indices of the ``k`` best (score descending, docnum ascending)."""
    if len(docs) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        sel = np.flatnonzero(scores >= scores[part].min())
    else:
        sel = np.arange(len(docs))
    return sel[np.lexsort((docs[sel], -scores[sel]))][:k]
