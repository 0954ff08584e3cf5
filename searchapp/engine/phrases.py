"""Whether a document's word positions make a phrase: Whoosh's own rule, on plain lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from searchapp.engine.arrays import Postings

from bisect import bisect_left


def phrase_at(lists: list[list[int]], slop: int) -> bool:
    """Whoosh's SpanNear2 (ordered, mindist 1) on one document's positions."""
    if slop == 1:
        found = set(lists[0])
        for shift, positions in enumerate(lists[1:], start=1):
            found &= {p - shift for p in positions}
            if not found:
                return False
        return bool(found)
    if len(lists) == 2:
        b = lists[1]
        for a in lists[0]:
            j = bisect_left(b, a + 1)
            if j < len(b) and b[j] - a <= slop:
                return True
        return False
    aspans = [(p, p) for p in lists[0]]
    for positions in lists[1:]:
        if not aspans:
            return False
        bspans = [(p, p) for p in positions]
        starts = [s for s, _ in bspans]
        spans = set()
        for a_start, a_end in aspans:
            j = bisect_left(starts, a_start)
            while j < len(bspans):
                b_start, b_end = bspans[j]
                j += 1
                if b_end < a_start - slop or a_start > b_start:
                    continue
                if b_start > a_end + slop:
                    break
                if (b_start <= a_start <= b_end) or (b_start <= a_end <= b_end):
                    dist = 0
                elif a_end < b_start:
                    dist = b_start - a_end
                else:
                    dist = a_start - b_end
                if 1 <= dist <= slop:
                    spans.add((min(a_start, b_start), max(a_end, b_end)))
        aspans = sorted(spans)
    return bool(aspans)


def consecutive(plist: list[Postings], where: list, count: int):
    """Which of ``count`` documents hold the words at consecutive positions.

    ``where[i]`` indexes the postings of word ``i`` at each document. A
    document matches when some position ``p`` of the first word has word
    ``i`` at ``p + i`` for every ``i``: the set test of :func:`phrase_at`,
    on every document at once, as (document, start) keys.
    """
    keys = None
    for shift, (p, at) in enumerate(zip(plist, where, strict=True)):
        positions, owner = p.positions_at(at)
        start = positions.astype(np.int64) - shift
        ok = start >= 0
        found = (owner[ok].astype(np.int64) << 32) | start[ok]
        keys = found if keys is None else np.intersect1d(keys, found, assume_unique=True)
        if not len(keys):
            break
    out = np.zeros(count, dtype=bool)
    if keys is not None and len(keys):
        out[keys >> 32] = True
    return out


def near_pair(plist: list[Postings], where: list, count: int, slop: int):
    """Which of ``count`` documents have the second word 1 to ``slop`` positions
    after the first: the two-word case of :func:`phrase_at`, on every document at once.

    For each position of the first word, the first position of the second
    word after it (as (document, position) keys) decides.
    """
    first, first_owner = plist[0].positions_at(where[0])
    second, second_owner = plist[1].positions_at(where[1])
    keys = (second_owner.astype(np.int64) << 32) | second.astype(np.int64)
    wanted = (first_owner.astype(np.int64) << 32) | (first.astype(np.int64) + 1)
    at = np.searchsorted(keys, wanted)
    inside = at < len(keys)
    at, wanted, owner = at[inside], wanted[inside], first_owner[inside]
    found = keys[at]
    near = ((found >> 32) == owner) & (found - wanted < slop)
    out = np.zeros(count, dtype=bool)
    out[owner[near]] = True
    return out
