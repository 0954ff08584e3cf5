"""Every document's facet values, read once per generation from the index's columns,
and the same as arrays for filters and counts without a Python loop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

import numpy as np

from searchapp.engine.segmemo import SegmentMemo, part_holding, per_segment
from searchapp.engine.whoosh.values import ranges
from searchapp.search.facets import COLUMN_FACETS, Facet


class Columns:
    """Facet values of every document, read once per index generation.

    Each segment's part is read once and kept in ``memo`` for the next
    generation that lists the segment (see :mod:`searchapp.engine.segmemo`).
    """

    def __init__(self, reader, memo: SegmentMemo | None = None, pause: Callable[[], None] | None = None) -> None:
        """``pause``, when given, is called between the steps (a few milliseconds
        each at 100,000 articles): see :meth:`Generation.__init__`."""
        pause = pause or go_on
        parts = per_segment(reader, "columns", _SegmentPart, memo)
        self.size = reader.doc_count_all()
        # Each document's date as YYYYMMDD, 0 when it has none.
        self.date_array = np.zeros(self.size, dtype=np.int64)
        for offset, part in parts:
            self.date_array[offset : offset + len(part.dates)] = part.dates
        # The facets counted from a column of values (the year is read from the date).
        self.entries = {}
        for f in COLUMN_FACETS:
            pause()
            self.entries[f.name] = Entries.joined(part.entries[f.name] for _, part in parts)
        pause()
        self.tally = Tally(self.entries, self.size)
        self._parts = parts
        self._part_starts = [offset for offset, _ in parts]
        pause()
        self._set_stories(parts)

    def warm(self) -> None:
        """Build the joint table's bitmaps now rather than in the first large
        search (a tenth of a second at 100,000 articles). A single facet's are
        left to its first large count with a value chosen: most generations
        never need them, and a generation is warmed while searches wait."""
        self.tally.warm()

    def _set_stories(self, parts) -> None:
        """Each document's story as a code (-1: none), and the documents of each
        code, with numpy: a story's reprints may sit in any segment."""
        keys = np.zeros(self.size, dtype=np.int64)
        has = np.zeros(self.size, dtype=bool)
        for offset, part in parts:
            keys[offset : offset + len(part.story_keys)] = part.story_keys
            has[offset : offset + len(part.story_keys)] = part.has_story
        self.story_codes = np.full(self.size, -1, dtype=np.int64)
        _, self.story_codes[has] = np.unique(keys[has], return_inverse=True)
        self.story_count = int(self.story_codes.max()) + 1 if has.any() else 0
        # The documents of story code c: _story_docs[_story_starts[c] : _story_starts[c + 1]], in index order.
        told = np.flatnonzero(has)
        self._story_docs = told[np.argsort(self.story_codes[told], kind="stable")]
        self._story_starts = np.searchsorted(self.story_codes[self._story_docs], np.arange(self.story_count + 1))

    def story_of(self, docnum: int) -> int:
        """The document's story code, -1 when it has none."""
        return int(self.story_codes[docnum])

    def members(self, story: int):
        """The documents of story code ``story``, in index order."""
        return self._story_docs[self._story_starts[story] : self._story_starts[story + 1]]

    def stories(self):
        """``(story id, its documents)`` of the stories told more than once, in
        the index order of their first documents."""
        sizes = np.diff(self._story_starts)
        told = np.flatnonzero(sizes > 1)
        firsts = self._story_docs[self._story_starts[told]]
        for story in told[np.argsort(firsts)].tolist():
            members = self.members(story)
            yield self.story_name(int(members[0])), members

    def story_name(self, docnum: int) -> str | None:
        """The story id of a document, as indexed."""
        offset, part = part_holding(self._parts, self._part_starts, docnum)
        return part.stories[docnum - offset]

    @cached_property
    def values(self) -> dict[str, list[tuple]]:
        """Each facet's values of each document (a tuple), in stored order."""
        return {name: entries.per_document() for name, entries in self.entries.items()}


def go_on() -> None:
    """The pause of an opening that no search waits for."""


class _SegmentPart:
    """One segment's dates, facet entries and stories."""

    def __init__(self, leaf) -> None:
        size = leaf.doc_count_all()
        self.dates = np.asarray(_column(leaf, "datenum", size, 0, int), dtype=np.int64)
        self.entries = {f.name: Entries(_column(leaf, f.name, size, (), _reads(f))) for f in COLUMN_FACETS}
        self.stories = _column(leaf, "story", size, None, _text)
        # A story is compared by a 64-bit hash of its id, kept as an array:
        # joining segments then needs no loop over their documents.
        self.has_story = np.asarray([s is not None for s in self.stories], dtype=bool)
        self.story_keys = np.asarray([hash(s) if s is not None else 0 for s in self.stories], dtype=np.int64)


# A value held by at least one document in this many is counted from a bitmap
# of its documents (a bit each) instead of entry by entry: at 100,000 articles
# about 70 values, nine entries in ten.
DENSE_SHARE = 32
# The bitmaps are used once the documents counted (a result set, or for most of
# the index the others) are at least one in this many: below it, gathering
# their entries costs less than reading every bitmap.
BITMAP_SHARE = 25


class _EntryTable:
    """Value codes of entries in document order, and how to count them over a
    set of documents; shared by one facet's :class:`Entries` and the joint
    :class:`Tally`."""

    def _index(self, docs, code, width: int, size: int, starts=None) -> None:
        """``docs`` (sorted) and ``code`` of every entry, ``width`` codes, ``size``
        documents; ``starts``, where each document's entries start, when known."""
        self.code = code
        # Where each document's entries start (and, one on, end), and how many it has.
        self.starts = np.searchsorted(docs, np.arange(size + 1)) if starts is None else starts
        self.lengths = np.diff(self.starts)
        self.everything = np.bincount(code, minlength=width)

    def warm(self) -> None:
        self._split  # noqa: B018 - built and kept

    @cached_property
    def _split(self) -> _DenseSplit:
        # Built on first use: the per-segment tables that are only joined never need it.
        return _DenseSplit(self.code, self.starts, self.lengths, self.everything)

    def _tally(self, keep, docs):
        """How many entries of each code the documents ``docs`` (mask ``keep``) hold."""
        counted = min(len(docs), len(keep) - len(docs))
        split = self._split if counted * BITMAP_SHARE >= len(keep) else None
        if split is None or not len(split.dense):
            return _gathered(keep, docs, self.code, self.starts, self.lengths, self.everything)
        tally = _gathered(keep, docs, split.code, split.starts, split.lengths, split.everything)
        tally[split.dense] = split.dense_counts(keep)
        return tally


class _DenseSplit:
    """The values many documents hold, as bitmaps, and the entries of the others."""

    def __init__(self, code, starts, lengths, everything) -> None:
        size = len(starts) - 1
        docs = np.repeat(np.arange(size, dtype=np.int64), lengths)
        dense = np.flatnonzero(everything * DENSE_SHARE >= max(size, 1))
        bits = _bitmaps(dense, code, docs, len(everything), size)
        # A value some document holds twice counts twice: it stays with the entries.
        once = np.bitwise_count(bits).sum(axis=1) == everything[dense]
        self.dense, self.bits = dense[once], bits[once]
        sparse = np.ones(len(everything), dtype=bool)
        sparse[self.dense] = False
        kept = sparse[code]
        self.code = code[kept]
        self.starts = np.searchsorted(docs[kept], np.arange(size + 1))
        self.lengths = np.diff(self.starts)
        self.everything = np.where(sparse, everything, 0)

    def dense_counts(self, keep):
        """How many documents of mask ``keep`` hold each dense value."""
        packed = np.zeros(self.bits.shape[1] * 8, dtype=np.uint8)
        mask = np.packbits(keep, bitorder="little")
        packed[: len(mask)] = mask
        return np.bitwise_count(self.bits & packed.view(np.uint64)).sum(axis=1)


def _bitmaps(dense, code, docs, width: int, size: int):
    """One row of bits per value of ``dense``: bit ``d`` set when document ``d`` holds it."""
    row = np.full(width, -1, dtype=np.int64)
    row[dense] = np.arange(len(dense))
    held = row[code] >= 0
    words = -(-size // 64)
    table = np.zeros((len(dense), words * 64), dtype=bool)
    table[row[code[held]], docs[held]] = True
    return np.packbits(table, axis=1, bitorder="little").view(np.uint64)


def _gathered(keep, docs, code, starts, lengths, everything):
    """How many entries of each code the documents ``docs`` (mask ``keep``) hold,
    from the entries themselves.

    Only the documents' own entries are gathered; when they are most of the
    index, the others' are, and subtracted from ``everything`` (faster at
    every share than testing each entry against the mask).
    """
    if 2 * len(docs) > len(keep):
        others = np.flatnonzero(~keep)
        return everything - np.bincount(code[ranges(starts[others], lengths[others])], minlength=len(everything))
    return np.bincount(code[ranges(starts[docs], lengths[docs])], minlength=len(everything))


class Entries(_EntryTable):
    """Per-document value tuples flattened in document order: (doc, value code)."""

    def __init__(self, column: list) -> None:
        codes: dict[Any, int] = {}
        docs, values = [], []
        for docnum, vals in enumerate(column):
            for v in vals:
                docs.append(docnum)
                values.append(codes.setdefault(v, len(codes)))
        self._set(np.asarray(docs, dtype=np.int64), np.asarray(values, dtype=np.int64), codes, len(column))

    @classmethod
    def joined(cls, parts: Iterable[Entries]) -> Entries:
        """The entries of consecutive segments' documents as those of one index;
        value codes stay in first-met order."""
        codes: dict[Any, int] = {}
        docs, values, starts = [], [], []
        size = entry = 0
        for part in parts:
            recode = np.asarray([codes.setdefault(v, len(codes)) for v in part.values], dtype=np.int64)
            docs.append(part.docs + size)
            values.append(recode[part.code])
            # Where each document's entries start: the parts' own, shifted.
            starts.append(part.starts[:-1] + entry)
            size += part.size
            entry += len(part.code)
        joined = cls.__new__(cls)
        empty = np.zeros(0, dtype=np.int64)
        at = np.concatenate([empty, *starts, np.asarray([entry], dtype=np.int64)])
        joined._set(np.concatenate([empty, *docs]), np.concatenate([empty, *values]), codes, size, at)
        return joined

    def _set(self, docs, code, codes: dict[Any, int], size: int, starts=None) -> None:
        self.values = list(codes)
        self.codes = codes
        self.docs = docs
        self.size = size
        self._index(docs, code, len(codes), size, starts)
        self._masks: dict[Any, Any] = {}

    def per_document(self) -> list[tuple]:
        """Each document's values, in stored order."""
        names = [self.values[c] for c in self.code.tolist()]
        bounds = self.starts.tolist()
        return [tuple(names[bounds[d] : bounds[d + 1]]) for d in range(self.size)]

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
        return _named(self._tally(keep, np.flatnonzero(keep)), self.values)


class Tally(_EntryTable):
    """The entries of several facets in one array, in document order: the
    facets of one result set are then counted in one pass over its documents'
    entries instead of one pass for each facet."""

    def __init__(self, entries: dict[str, Entries], size: int) -> None:
        self.names = list(entries)
        self.values = [entries[name].values for name in self.names]
        bounds = np.cumsum([0] + [len(values) for values in self.values])
        self.bounds = bounds.tolist()
        # Each document's entries, facet after facet, put in place from the
        # per-document counts: a sort of every entry (a fifth of a second at
        # 100,000 articles, holding the interpreter while a new generation
        # opens beside the searches) gave the same order.
        per_document = np.zeros(size, dtype=np.int64)
        for name in self.names:
            per_document += entries[name].lengths[:size]
        starts = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(per_document, out=starts[1:])
        code = np.empty(int(starts[-1]), dtype=np.int64)
        free = starts[:-1].copy()  # where each document's next facet's entries go
        for name, bound in zip(self.names, self.bounds, strict=False):
            part = entries[name]
            within = np.arange(len(part.docs), dtype=np.int64) - part.starts[part.docs]
            code[free[part.docs] + within] = part.code + bound
            free += part.lengths[:size]
        self._index(None, code, self.bounds[-1], size, starts)

    def counts(self, keep, docs) -> dict[str, Counter]:
        """Each facet's :meth:`Entries.counts` over mask ``keep``, whose documents are ``docs``."""
        tally = self._tally(keep, docs)
        return {
            name: _named(tally[self.bounds[i] : self.bounds[i + 1]], values)
            for i, (name, values) in enumerate(zip(self.names, self.values, strict=True))
        }


def _named(tally, values: list) -> Counter:
    return Counter({values[i]: int(tally[i]) for i in np.flatnonzero(tally).tolist()})


def _column(leaf, name: str, size: int, default, convert) -> list:
    """One segment's per-document list; defaults where the segment has no such column."""
    values = [default] * size
    # A segment where no document has the field has no column at all.
    if name not in leaf.schema or not leaf.has_column(name):
        return values
    for docnum, value in enumerate(leaf.column_reader(name)):
        if value:
            values[docnum] = convert(value)
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
