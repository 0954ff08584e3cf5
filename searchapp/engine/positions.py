"""Where a term's positions come from: encoded values to decode, or a segment's flat copy.

A :class:`~searchapp.engine.arrays.Postings` asks its source for the
positions of some of its postings, flat, with which posting each belongs to;
only phrases ask, and only at their candidates.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from searchapp.engine.whoosh import values

# A phrase needing the positions of more than one encoded posting in this
# many decodes all of the term's positions at once, and keeps them.
DECODE_ALL_SHARE = 8


class EncodedPositions:
    """Positions as Whoosh encodes them, one value per posting, decoded when asked."""

    __slots__ = ("blob", "ends", "flat", "starts", "decode")

    def __init__(self, values: list[bytes], decode) -> None:
        # Joined: a cached posting costs its bytes plus 8 instead of a Python
        # object each, until a phrase first needs many of them; then all are
        # decoded once into one flat array.
        self.blob = b"".join(values)
        self.ends: Any = np.cumsum([len(v) for v in values], dtype=np.int64)
        self.flat: Any = None
        self.starts: Any = None
        self.decode = decode

    def decoded(self) -> None:
        if self.flat is None:
            self.flat, self.starts = values.flat_positions(self.blob, self.ends, self.decode)
            self.blob, self.ends = b"", None

    def one(self, index: int) -> list[int]:
        if self.flat is None:  # one posting: not worth decoding them all
            start = int(self.ends[index - 1]) if index else 0
            return self.decode(self.blob[start : int(self.ends[index])])
        return self.flat[self.starts[index] : self.starts[index + 1]].tolist()

    def at(self, indexes):
        """The positions of the postings at ``indexes``, flat, and which of ``indexes`` each belongs to."""
        if self.flat is None and len(indexes) * DECODE_ALL_SHARE < len(self.ends):
            lists = [self.one(i) for i in indexes.tolist()]
            counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
            return flat, np.repeat(np.arange(len(indexes)), counts)
        self.decoded()
        return gathered(self.flat, self.starts[indexes], self.starts[indexes + 1])


class MappedPositions:
    """Positions read from the flat copies of the segments the postings are in.

    ``index[i]`` is where posting ``i`` is in its segment's copy, ``part[i]``
    which of ``copies`` that is (None when there is one).
    """

    __slots__ = ("copies", "part", "index")

    def __init__(self, copies: list, part, index) -> None:
        self.copies = copies
        self.part = part
        self.index = index

    def one(self, index: int) -> list[int]:
        copy = self.copies[0 if self.part is None else int(self.part[index])]
        where = int(self.index[index])
        return copy.positions[int(copy.pos_starts[where]) : int(copy.pos_starts[where + 1])].tolist()

    def at(self, indexes):
        """The positions of the postings at ``indexes``, flat, and which of ``indexes`` each belongs to."""
        where = self.index[indexes]
        if self.part is None:
            copy = self.copies[0]
            return gathered(copy.positions, copy.pos_starts[where], copy.pos_starts[where + 1])
        parts = self.part[indexes]
        begins = np.empty(len(indexes), dtype=np.int64)
        ends = np.empty(len(indexes), dtype=np.int64)
        for number, copy in enumerate(self.copies):
            mine = parts == number
            begins[mine] = copy.pos_starts[where[mine]]
            ends[mine] = copy.pos_starts[where[mine] + 1]
        counts = ends - begins
        out = np.empty(int(counts.sum()), dtype=np.int32)
        first = np.cumsum(counts) - counts
        for number, copy in enumerate(self.copies):
            mine = np.flatnonzero(parts == number)
            if len(mine):
                into = values.ranges(first[mine], counts[mine])
                out[into] = copy.positions[values.ranges(begins[mine], counts[mine])]
        return out, np.repeat(np.arange(len(indexes)), counts)


def gathered(flat, begins, ends):
    """``flat[begins[i]:ends[i]]`` for every ``i``, back to back, and the ``i`` of each."""
    counts = (ends.astype(np.int64) - begins).astype(np.int64)
    return flat[values.ranges(begins.astype(np.int64), counts)], np.repeat(np.arange(len(counts)), counts)
