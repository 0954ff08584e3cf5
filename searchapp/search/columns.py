"""Every document's facet values, read once per generation from the index's columns,
and the same as arrays for filters and counts without a Python loop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from searchapp.engine.whoosh.values import ranges
from searchapp.search.facets import COLUMN_FACETS, Facet

# Results under one in this many documents are counted from their own entries;
# more, by testing every entry against the result mask.
SPARSE_SHARE = 8


class Columns:
    """Facet values of every document, read once per index generation."""

    def __init__(self, reader) -> None:
        size = reader.doc_count_all()
        self.dates = _column(reader, "datenum", size, 0, int)
        # Each facet's values of each document (a tuple), from the index field of its name.
        self.values = {f.name: _column(reader, f.name, size, (), _reads(f)) for f in COLUMN_FACETS}
        self.stories = _column(reader, "story", size, None, _text)
        self.members: dict[str, list[int]] = {}
        for docnum, story in enumerate(self.stories):
            if story is not None:
                self.members.setdefault(story, []).append(docnum)
        codes = {story: i for i, story in enumerate(self.members)}
        self.story_codes = np.asarray([codes.get(s, -1) if s is not None else -1 for s in self.stories], dtype=np.int64)
        # The same as arrays, for filters and facet counts without a Python loop.
        self.size = size
        self.date_array = np.asarray(self.dates, dtype=np.int64)
        # The facets counted from a column of values (the year is read from the date).
        self.entries = {name: Entries(column) for name, column in self.values.items()}


class Entries:
    """Per-document value tuples flattened in document order: (doc, value code)."""

    def __init__(self, column: list) -> None:
        codes: dict[Any, int] = {}
        docs, values = [], []
        for docnum, vals in enumerate(column):
            for v in vals:
                docs.append(docnum)
                values.append(codes.setdefault(v, len(codes)))
        self.values = list(codes)
        self.codes = codes
        self.docs = np.asarray(docs, dtype=np.int64)
        self.code = np.asarray(values, dtype=np.int64)
        self.size = len(column)
        # Where each document's entries start (and, one on, end).
        self.starts = np.searchsorted(self.docs, np.arange(self.size + 1))
        self._masks: dict[Any, Any] = {}

    def mask(self, value):
        """Boolean array: which documents hold ``value``."""
        found = self._masks.get(value)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            code = self.codes.get(value)
            if code is not None:
                found[self.docs[self.code == code]] = True
            self._masks[value] = found
        return found

    def counts(self, keep) -> Counter:
        """How many documents of mask ``keep`` hold each value."""
        tally = np.bincount(self.code[self._entries_of(keep)], minlength=len(self.values))
        return Counter({self.values[i]: int(tally[i]) for i in np.flatnonzero(tally).tolist()})

    def _entries_of(self, keep):
        """The entries of the documents of mask ``keep``: an index array, or a mask of entries."""
        docs = np.flatnonzero(keep)
        if len(docs) * SPARSE_SHARE >= self.size:
            return keep[self.docs]
        # A few documents: gather their entries instead of testing every entry.
        starts = self.starts[docs]
        return ranges(starts, self.starts[docs + 1] - starts)


def _column(reader, name: str, size: int, default, convert) -> list:
    """A per-document list; segments where no document has a value give defaults."""
    values = [default] * size
    if name not in reader.schema:
        return values
    # Segment by segment: a segment where no document has the field has no
    # column at all, and the combined reader would silently skip it.
    for leaf, offset in reader.leaf_readers():
        if not leaf.has_column(name):
            continue
        for docnum, value in enumerate(leaf.column_reader(name)):
            if value:
                values[offset + docnum] = convert(value)
    return values


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _split(value) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(v for v in _text(value).split(",") if v)


def _one(value) -> tuple[str, ...]:
    text = _text(value)
    return (text,) if text else ()


def _reads(facet: Facet) -> Callable[[Any], tuple[str, ...]]:
    """How a stored value of the facet's column reads as the document's values."""
    if facet.column == "list":
        return _split
    if facet.column == "value":
        return _one
    raise ValueError(f"facet {facet.name!r} has no column kind {facet.column!r}")
