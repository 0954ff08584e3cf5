"""One generation's posting lists and field lengths as numpy arrays, read once and cached.

A term's postings over the whole index are read block by block through the
one door to Whoosh's files (:mod:`searchapp.engine.whoosh.codec`) and scored
at once with Whoosh's BM25F arithmetic; :mod:`searchapp.engine.postings`
evaluates queries over them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import chain
from typing import Any

import numpy as np

from searchapp.engine.scored import EMPTY_DOCS, EMPTY_SCORES
from searchapp.engine.whoosh import codec

# Posting lists kept per generation, counted in postings.
POSTINGS_CACHE = 4_000_000
# A posting list at least this many times longer than the documents it is
# wanted at is read only where they are (see Engine.postings_among).
_PARTIAL_SHARE = 4
_MISSING = object()
# A phrase needing the positions of more than one posting in this many
# decodes all of the term's positions at once, and keeps them.
_DECODE_ALL_SHARE = 8


class Postings:
    """One term's postings over the whole index: global docnums, BM25F scores."""

    __slots__ = ("docs", "scores", "blob", "ends", "flat", "starts", "decode", "field", "text", "size")

    def __init__(self, docs, scores, values: list[bytes] | None, decode, field: str, text: str) -> None:
        self.docs = docs
        self.scores = scores
        # Encoded positions, one bytes object per posting, joined (a cached
        # posting costs its bytes plus 8 instead of a Python object each) until
        # a phrase first needs them; then decoded once, for every posting, into
        # one flat array of positions.
        self.blob = b"".join(values) if values is not None else b""
        self.ends: Any = np.cumsum([len(v) for v in values], dtype=np.int64) if values is not None else None
        self.flat: Any = None
        self.starts: Any = None
        self.decode = decode
        self.field = field
        self.text = text
        self.size = len(docs)

    def among(self, within) -> Postings:
        """These postings at the documents ``within`` (sorted docnums) only."""
        inside = np.isin(self.docs, within, assume_unique=True)
        if inside.all():
            return self
        return _Part(self, np.flatnonzero(inside))

    def _decoded(self) -> None:
        if self.flat is None:
            self.flat, self.starts = codec.flat_positions(self.blob, self.ends, self.decode)
            self.blob, self.ends = b"", None

    def _value(self, index: int) -> bytes:
        start = int(self.ends[index - 1]) if index else 0
        return self.blob[start : int(self.ends[index])]

    def positions(self, index: int) -> list[int]:
        if self.flat is None:  # one posting: not worth decoding them all
            return self.decode(self._value(index))
        return self.flat[self.starts[index] : self.starts[index + 1]].tolist()

    def positions_at(self, indexes):
        """The positions of the postings at ``indexes``, flat, and which of ``indexes`` each belongs to.

        A few postings are decoded one by one; for many, every posting of the
        term is decoded at once and kept.
        """
        if self.flat is None and len(indexes) * _DECODE_ALL_SHARE < self.size:
            lists = [self.decode(self._value(i)) for i in indexes.tolist()]
            counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
            return flat, np.repeat(np.arange(len(indexes)), counts)
        self._decoded()
        starts = self.starts[indexes]
        counts = self.starts[indexes + 1] - starts
        owner = np.repeat(np.arange(len(indexes)), counts)
        first = np.cumsum(counts) - counts
        at = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first - starts, counts)
        return self.flat[at], owner


class _Part(Postings):
    """Some of a term's postings; their positions are read from the whole list."""

    __slots__ = ("whole", "index")

    def __init__(self, whole: Postings, index) -> None:
        super().__init__(whole.docs[index], whole.scores[index], None, whole.decode, whole.field, whole.text)
        self.whole = whole
        self.index = index

    def positions(self, index: int) -> list[int]:
        return self.whole.positions(int(self.index[index]))

    def positions_at(self, indexes):
        return self.whole.positions_at(self.index[indexes])


class Engine:
    """Per-generation posting and length arrays, shared by threads."""

    def __init__(self, reader, weighting) -> None:
        self.size = reader.doc_count_all()
        self.schema = reader.schema
        self.live = np.ones(self.size, dtype=bool)
        for leaf, offset in reader.leaf_readers():
            if leaf.has_deletions():
                self.live[[offset + d for d in codec.deleted_docs(leaf)]] = False
        self.has_deletions = not bool(self.live.all())
        self.B = weighting.B
        self.K1 = weighting.K1
        self.field_B = codec.bm25_field_b(weighting)
        self._lengths: dict[str, Any] = {}
        self._cache: OrderedDict = OrderedDict()
        self._cached_count = 0
        self._lock = threading.Lock()

    # -- per-field and per-term arrays

    def lengths(self, searcher, field: str):
        """Field lengths of every document, read once (under the lock: the
        reader's files are read through its own position)."""
        found = self._lengths.get(field)
        if found is not None:
            return found
        with self._lock:
            return self._read_lengths(searcher, field)

    def _read_lengths(self, searcher, field: str):
        found = self._lengths.get(field)
        if found is None:
            found = np.ones(self.size, dtype=np.int64)  # Whoosh's default length: 1
            for leaf, offset in searcher.reader().leaf_readers():
                lengths = codec.field_lengths(leaf, field)
                if lengths is not None:
                    found[offset : offset + len(lengths)] = lengths
            self._lengths[field] = found
        return found

    def _cached(self, key):
        with self._lock:
            found = self._cache.get(key, _MISSING)
            if found is not _MISSING:
                self._cache.move_to_end(key)
            return found

    def postings(self, searcher, field: str, text: str) -> Postings | None:
        key = (field, text)
        found = self._cached(key)
        if found is not _MISSING:
            return found
        found = self._read(searcher, field, text)
        with self._lock:
            self._cache[key] = found
            self._cached_count += found.size if found else 1
            while self._cached_count > POSTINGS_CACHE and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_count -= old.size if old else 1
        return found

    def count(self, searcher, field: str, text: str) -> int:
        """How many live articles hold the term, without reading its postings where it can."""
        found = self._cached((field, text))
        if found is not _MISSING:
            return found.size if found else 0
        if self.has_deletions:  # the term statistics count deleted articles too
            found = self.postings(searcher, field, text)
            return found.size if found else 0
        btext = self._term_bytes(field, text)
        return searcher.reader().doc_frequency(field, btext) if btext is not None else 0

    def postings_among(self, searcher, field: str, text: str, within) -> Postings | None:
        """The term's postings at the documents ``within`` (sorted docnums) only.

        A long posting list wanted at a few documents is read a block at a time
        and only the blocks that can hold one of them are decoded; it is not
        kept. Otherwise the whole list is read (and kept) and cut.
        """
        found = self._cached((field, text))
        if found is _MISSING and len(within) * _PARTIAL_SHARE < self.count(searcher, field, text):
            return self._read(searcher, field, text, within)
        if found is _MISSING:
            found = self.postings(searcher, field, text)
        return found.among(within) if found is not None else None

    def _term_bytes(self, field: str, text: str) -> bytes | None:
        if field not in self.schema:
            return None
        try:
            return self.schema[field].to_bytes(text)
        except ValueError:
            return None

    def _read(self, searcher, field: str, text: str, within=None) -> Postings | None:
        btext = self._term_bytes(field, text)
        if btext is None:
            return None
        fieldobj = self.schema[field]
        reader = searcher.reader()
        if (field, btext) not in reader:
            return None
        positional = fieldobj.format.supports("positions")
        id_parts, weight_parts, values = [], [], []
        # The calling thread's own reader: a reader's files keep one read
        # position, so two threads reading through one reader corrupt each other.
        for leaf, offset in reader.leaf_readers():
            if (field, btext) not in leaf:
                continue
            wanted = None
            if within is not None:
                lo, hi = np.searchsorted(within, [offset, offset + leaf.doc_count_all()])
                if lo == hi:
                    continue
                wanted = within[lo:hi] - offset
            for ids, tf, vals in codec.posting_blocks(leaf, field, btext, positional, wanted):
                id_parts.append(ids + offset)
                weight_parts.append(tf)
                if vals is not None:
                    values.extend(vals)
        docs = np.concatenate(id_parts) if id_parts else EMPTY_DOCS
        tf = np.concatenate(weight_parts) if weight_parts else EMPTY_SCORES
        keep = None
        if self.has_deletions and len(docs):
            keep = self.live[docs]
        if within is not None and len(docs):
            inside = np.isin(docs, within, assume_unique=True)
            keep = inside if keep is None else keep & inside
        if keep is not None and not keep.all():
            docs, tf = docs[keep], tf[keep]
            values = [v for v, k in zip(values, keep.tolist(), strict=True) if k] if positional else values
        # BM25F exactly as whoosh.scoring.bm25, from the top-level statistics.
        idf = searcher.idf(field, btext)
        avgfl = searcher.avg_field_length(field) or 1
        B = self.field_B.get(field, self.B)
        K1 = self.K1
        fl = self.lengths(searcher, field)[docs]
        scores = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        decode = codec.position_decoder(fieldobj.format) if positional else None
        return Postings(docs, scores, values if positional else None, decode, field, text)
