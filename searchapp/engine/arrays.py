"""One generation's posting lists and field lengths as numpy arrays, read once and cached.

A term's postings over the whole index are read block by block through the
one door to Whoosh's files (:mod:`searchapp.engine.whoosh.codec`) and scored
at once with Whoosh's BM25F arithmetic; :mod:`searchapp.engine.postings`
evaluates queries over them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from searchapp.engine.scored import EMPTY_DOCS, EMPTY_SCORES
from searchapp.engine.whoosh import codec

# Posting lists kept per generation, counted in postings.
POSTINGS_CACHE = 4_000_000


class Postings:
    """One term's postings over the whole index: global docnums, BM25F scores."""

    __slots__ = ("docs", "scores", "blob", "ends", "decode", "field", "text", "size")

    def __init__(self, docs, scores, values: list[bytes] | None, decode, field: str, text: str) -> None:
        self.docs = docs
        self.scores = scores
        # Encoded positions, one bytes object per posting, joined: a cached
        # posting costs its bytes plus 8 instead of a Python object each.
        self.blob = b"".join(values) if values is not None else b""
        self.ends: Any = np.cumsum([len(v) for v in values], dtype=np.int64) if values is not None else None
        self.decode = decode
        self.field = field
        self.text = text
        self.size = len(docs)

    def positions(self, index: int) -> list[int]:
        start = int(self.ends[index - 1]) if index else 0
        return self.decode(self.blob[start : int(self.ends[index])])


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
        self._cached = 0
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

    def postings(self, searcher, field: str, text: str) -> Postings | None:
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        found = self._read(searcher, field, text)
        with self._lock:
            self._cache[key] = found
            self._cached += found.size if found else 1
            while self._cached > POSTINGS_CACHE and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached -= old.size if old else 1
        return found

    def _read(self, searcher, field: str, text: str) -> Postings | None:
        if field not in self.schema:
            return None
        fieldobj = self.schema[field]
        try:
            btext = fieldobj.to_bytes(text)
        except ValueError:
            return None
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
            for ids, tf, vals in codec.posting_blocks(leaf, field, btext, positional):
                id_parts.append(ids + offset)
                weight_parts.append(tf)
                if vals is not None:
                    values.extend(vals)
        docs = np.concatenate(id_parts) if id_parts else EMPTY_DOCS
        tf = np.concatenate(weight_parts) if weight_parts else EMPTY_SCORES
        if self.has_deletions and len(docs):
            keep = self.live[docs]
            if not keep.all():
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
