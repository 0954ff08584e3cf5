"""What is read from each index segment, kept for the next generation that lists it.

Opening a generation reads every document's facet values and every syllable's
document frequency. Read from the whole index each time, that was seconds of
Python at 100,000 articles after every reindex, while requests waited for
the same core. A segment never changes once written, and an incremental
reindex adds a small one beside the big ones (or merges some): the next
generation reads only the segments it has not seen.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from typing import Any, TypeVar

from searchapp.engine.whoosh import codec

T = TypeVar("T")


class SegmentMemo:
    """Per-segment parts read by :meth:`each`, keyed by what they are and the segment's id."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def each(self, reader, kind: str, read: Callable[[Any], T]) -> list[tuple[int, T]]:
        """``(first docnum, read(leaf))`` for each segment of ``reader``, read once per segment.

        Parts of this ``kind`` from segments the reader no longer lists are
        let go: the generations that used them hold what they built from them.
        """
        found: list[tuple[int, T]] = []
        listed = set()
        for segment_id, leaf, offset in codec.segments(reader):
            if segment_id is None:  # no segment to keep it for
                found.append((offset, read(leaf)))
                continue
            key = (kind, segment_id)
            listed.add(key)
            with self._lock:
                part = self._parts.get(key)
            if part is None:
                part = read(leaf)
                with self._lock:
                    self._parts[key] = part
            found.append((offset, part))
        with self._lock:
            for key in [k for k in self._parts if k[0] == kind and k not in listed]:
                del self._parts[key]
        return found


class Frequencies:
    """Document frequencies of one generation's terms, summed over its segments
    as Whoosh's are (deleted documents included).

    Whoosh looks a frequency up in every segment's term index each time it is
    asked, and a query asks for the same ones again and again (accent
    restoration, scoring, the plan). A segment never changes, so what it
    answered is kept in the memo for every generation that lists it: after an
    incremental reindex only the new segment is asked, not the whole index
    again on the new generation's first searches (a third of the first one's
    time at 100,000 articles).
    """

    # Entries kept per generation and per segment; past this many a store is
    # emptied and filled again (about 150 bytes an entry).
    KEPT = 50_000

    def __init__(self, memo: SegmentMemo) -> None:
        self.memo = memo
        self.known: dict[tuple[str, Any], int] = {}

    def answer(self, reader) -> None:
        """Make ``reader.doc_frequency`` answer from what this generation and its segments know."""
        parts: list[tuple[int, dict]] = self.memo.each(reader, "doc frequencies", lambda leaf: {})
        leaves = [leaf for _, leaf, _ in codec.segments(reader)]
        # Each segment's own lookup, taken before the reader's is replaced
        # (a reader of one segment is its own leaf).
        asks = [(leaf.doc_frequency, part) for leaf, (_, part) in zip(leaves, parts, strict=True)]
        known = self.known

        def doc_frequency(fieldname: str, text) -> int:
            key = (fieldname, text)
            found = known.get(key)
            if found is None:
                found = sum(_asked(ask, part, key) for ask, part in asks)
                _keep(known, key, found, self.KEPT)
            return found

        reader.doc_frequency = doc_frequency


def _asked(ask: Callable[[str, Any], int], part: dict, key: tuple[str, Any]) -> int:
    found = part.get(key)
    if found is None:
        found = ask(*key)
        _keep(part, key, found, Frequencies.KEPT)
    return found


def _keep(store: dict, key, value, most: int) -> None:
    if len(store) >= most:
        store.clear()
    store[key] = value


def per_segment(reader, kind: str, read: Callable[[Any], T], memo: SegmentMemo | None) -> list[tuple[int, T]]:
    """``(first docnum, read(leaf))`` for each segment of ``reader``: kept in
    ``memo`` under ``kind`` when there is one, read afresh when there is none."""
    if memo is not None:
        return memo.each(reader, kind, read)
    return [(offset, read(leaf)) for _, leaf, offset in codec.segments(reader)]


def part_holding(parts: list[tuple[int, T]], starts: list[int], docnum: int) -> tuple[int, T]:
    """The ``(first docnum, part)`` of :func:`per_segment`'s ``parts`` whose
    segment holds ``docnum``; ``starts`` are their first docnums."""
    return parts[bisect_right(starts, docnum) - 1]


def term_frequencies(reader, field: str, memo: SegmentMemo | None = None) -> dict[str, int]:
    """Every term of ``field`` with the number of its documents, summed over the
    segments as Whoosh's term statistics are (deleted documents included).

    Read segment by segment: Whoosh's merged term list looks every term up in
    every segment. With ``memo``, a segment is read once for every generation.
    """

    def read(leaf) -> dict[str, int]:
        return codec.term_frequencies(leaf, field)

    parts = per_segment(reader, f"frequencies:{field}", read, memo)
    if len(parts) == 1:
        return dict(parts[0][1])
    total: dict[str, int] = {}
    for _, part in parts:
        for term, count in part.items():
            total[term] = total.get(term, 0) + count
    return total
