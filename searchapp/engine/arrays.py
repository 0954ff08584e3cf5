"""One generation's posting lists and field lengths as numpy arrays, read once and cached.

A term's postings over the whole index are read block by block through the
one door to Whoosh's files (:mod:`searchapp.engine.whoosh.codec`) and scored
at once with Whoosh's BM25F arithmetic; :mod:`searchapp.engine.postings`
evaluates queries over them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from searchapp.engine.positions import EncodedPositions, MappedPositions
from searchapp.engine.scored import EMPTY_DOCS, EMPTY_SCORES, member
from searchapp.engine.segmemo import SegmentMemo
from searchapp.engine.whoosh import codec, flatcopy, values

# Posting lists kept per generation, counted in postings (about 21 bytes each).
# Read from a segment's flat copy a list costs a slice and its scores, so the
# cache only spares recomputing the common words' scores: at 100,000 articles
# 1 million kept answered the benchmark mix as fast as 4 million, in 60 MB less.
POSTINGS_CACHE = 1_000_000
# A posting list at least this many times longer than the documents it is
# wanted at is read only where they are (see Engine.postings_among).
_PARTIAL_SHARE = 4
# Term statistics kept per generation, at most.
_FREQUENCIES_KEPT = 100_000
_MISSING = object()


class Postings:
    """One term's postings over the whole index: global docnums, BM25F scores,
    and where their positions come from (None for a field without positions)."""

    __slots__ = ("docs", "scores", "source", "field", "text", "size")

    def __init__(self, docs, scores, source: EncodedPositions | MappedPositions | None, field: str, text: str) -> None:
        self.docs = docs
        self.scores = scores
        self.source = source
        self.field = field
        self.text = text
        self.size = len(docs)

    def among(self, within) -> Postings:
        """These postings at the documents ``within`` (sorted docnums) only."""
        inside = member(self.docs, within)
        if inside.all():
            return self
        return _Part(self, np.flatnonzero(inside))

    def positions(self, index: int) -> list[int]:
        assert self.source is not None
        return self.source.one(index)

    def positions_at(self, indexes):
        """The positions of the postings at ``indexes``, flat, and which of ``indexes`` each belongs to."""
        assert self.source is not None
        return self.source.at(indexes)


class _Part(Postings):
    """Some of a term's postings; their positions are read from the whole list."""

    __slots__ = ("whole", "index")

    def __init__(self, whole: Postings, index) -> None:
        super().__init__(whole.docs[index], whole.scores[index], None, whole.field, whole.text)
        self.whole = whole
        self.index = index

    def positions(self, index: int) -> list[int]:
        return self.whole.positions(int(self.index[index]))

    def positions_at(self, indexes):
        return self.whole.positions_at(self.index[indexes])


class Engine:
    """Per-generation posting and length arrays, shared by threads."""

    def __init__(self, reader, weighting, memo: SegmentMemo | None = None) -> None:
        self.size = reader.doc_count_all()
        # Field lengths are read once per segment, for every generation that lists it.
        self.memo = memo if memo is not None else SegmentMemo()
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
        self._copies: dict[str, flatcopy.FlatCopy | None] = {}
        self._cached_count = 0
        # Term statistics by (field, text): a lookup in every segment each.
        self._frequencies: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        # Each document's term of a one-term-per-document field (an id), by field.
        self._unique: dict[str, list[str | None]] = {}
        self._unique_lock = threading.Lock()

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
            read = partial(codec.field_lengths, field=field)
            for offset, lengths in self.memo.each(searcher.reader(), f"lengths:{field}", read):
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

    def recent_terms(self, most: int) -> list[tuple[str, str]]:
        """``(field, text)`` of up to ``most`` cached posting lists, the most recently used first."""
        with self._lock:
            return list(itertools.islice(reversed(self._cache), most))

    def autowarm(self, searcher, terms, pause: Callable[[], None], seconds: float) -> None:
        """Read the posting lists of ``terms`` into the cache, in order, calling
        ``pause`` before each, until ``seconds`` have been spent reading."""
        spent = 0.0
        for field, text in terms:
            if spent >= seconds:
                return
            pause()
            began = time.perf_counter()
            self.postings(searcher, field, text)
            spent += time.perf_counter() - began

    def count(self, searcher, field: str, text: str) -> int:
        """How many articles hold the term by the index's statistics, deleted
        ones included, without reading its postings.

        It orders terms rarest first and decides whether a list is read
        whole, and it must give the same answer whether or not the postings
        are cached: counting only live articles meant reading every posting
        list whole as soon as the index held one deletion.
        """
        key = (field, text)
        found = self._frequencies.get(key)
        if found is None:
            btext = self._term_bytes(field, text)
            found = searcher.reader().doc_frequency(field, btext) if btext is not None else 0
            if len(self._frequencies) >= _FREQUENCIES_KEPT:  # a server asked for everything, once each
                self._frequencies.clear()
            self._frequencies[key] = found
        return found

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
        # The calling thread's own reader: a reader's files keep one read
        # position, so two threads reading through one reader corrupt each other.
        leaves = [(leaf, offset) for leaf, offset in searcher.reader().leaf_readers() if (field, btext) in leaf]
        if not leaves:
            return None
        positional = self.schema[field].format.supports("positions")
        read = self._read_mapped(leaves, field, btext, within, positional)
        if read is None:
            read = self._read_blocks(leaves, field, btext, within, positional)
        docs, tf, source = read
        return Postings(docs, self._scores(searcher, field, btext, docs, tf), source, field, text)

    def _live_among(self, docs, within=None):
        """Which of ``docs`` are live (and in ``within`` when given), or None when all are."""
        keep = self.live[docs] if self.has_deletions and len(docs) else None
        if within is not None and len(docs):
            inside = member(docs, within)
            keep = inside if keep is None else keep & inside
        return None if keep is None or keep.all() else keep

    def _scores(self, searcher, field: str, btext: bytes, docs, tf):
        """BM25F exactly as whoosh.scoring.bm25, from the top-level statistics."""
        idf = searcher.idf(field, btext)
        avgfl = searcher.avg_field_length(field) or 1
        B = self.field_B.get(field, self.B)
        K1 = self.K1
        fl = self.lengths(searcher, field)[docs]
        return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))

    def unique_terms(self, searcher, field: str, docs: list[int]) -> list[str]:
        """The term each of ``docs`` has in ``field``, a field with one term per
        document (an id): read for all documents at once from the segments' flat
        copies, where reading it from a stored document costs a whole article."""
        table = self._unique.get(field)
        if table is None:
            with self._unique_lock:
                table = self._unique.get(field)
                if table is None:
                    table = self._unique[field] = self._unique_table(searcher, field)
        return [table[d] or searcher.stored_fields(d)[field] for d in docs]

    def _unique_table(self, searcher, field: str) -> list[str | None]:
        def read(leaf):
            copy = self._flat_copy(leaf)
            return copy.terms_of_documents(field) if copy is not None else None

        table: list[str | None] = [None] * self.size
        for offset, terms in self.memo.each(searcher.reader(), f"terms:{field}", read):
            if terms is not None:
                table[offset : offset + len(terms)] = terms
        return table

    def _flat_copy(self, leaf) -> flatcopy.FlatCopy | None:
        name = flatcopy.segment_name(leaf)
        if name not in self._copies:
            with self._lock:
                if name not in self._copies:
                    self._copies[name] = flatcopy.open_flat_copy(leaf)
        return self._copies[name]

    def _read_mapped(self, leaves, field: str, btext: bytes, within, positional: bool):
        """The term's postings from the segments' flat copies (live, and in
        ``within`` when given), or None where a segment has none (or one
        without the term Whoosh says it holds)."""
        copies = [self._flat_copy(leaf) for leaf, _ in leaves]
        docs, tfs, parts, indexes = [], [], [], []
        for number, ((leaf, offset), copy) in enumerate(zip(leaves, copies, strict=True)):
            span = copy.find(field, btext) if copy is not None else None
            if copy is None or span is None:
                return None
            if within is None:
                index: Any = np.arange(*span, dtype=np.int32)
                at: Any = slice(*span)  # a slice reads the arrays in place; an index array gathers
            else:
                lo, hi = np.searchsorted(within, [offset, offset + leaf.doc_count_all()])
                index = at = _found_at(copy.docs, span, within[lo:hi] - offset)
            docs.append(copy.docs[at].astype(np.int64) + offset)
            tfs.append(copy.weights[at].astype(np.float64))
            parts.append(np.full(len(index), number, dtype=np.int8))
            indexes.append(index)
        if not docs:
            return EMPTY_DOCS, EMPTY_SCORES, None
        all_docs, all_tfs, index = np.concatenate(docs), np.concatenate(tfs), np.concatenate(indexes)
        part = np.concatenate(parts) if len(copies) > 1 else None
        keep = self._live_among(all_docs)  # the copies read only the documents wanted
        if keep is not None:
            all_docs, all_tfs, index = all_docs[keep], all_tfs[keep], index[keep]
            part = part[keep] if part is not None else None
        return all_docs, all_tfs, (MappedPositions(copies, part, index) if positional else None)

    def _read_blocks(self, leaves, field: str, btext: bytes, within, positional: bool):
        """The term's postings decoded from Whoosh's posting blocks (live, and in
        ``within`` when given); positions decoded when a phrase asks."""
        id_parts, weight_parts, encoded = [], [], []
        for leaf, offset in leaves:
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
                    encoded.extend(vals)
        docs = np.concatenate(id_parts) if id_parts else EMPTY_DOCS
        tf = np.concatenate(weight_parts) if weight_parts else EMPTY_SCORES
        # Skipped blocks aside, a block holds documents not wanted too.
        keep = self._live_among(docs, within)
        if keep is not None:
            docs, tf = docs[keep], tf[keep]
            encoded = [v for v, k in zip(encoded, keep.tolist(), strict=True) if k] if positional else encoded
        decode = values.position_decoder(self.schema[field].format) if positional else None
        return docs, tf, (EncodedPositions(encoded, decode) if positional else None)


def _found_at(docs, span: tuple[int, int], wanted):
    """Where in ``docs`` (within ``span``, sorted) the sorted ``wanted`` docnums are."""
    first, last = span
    at = np.searchsorted(docs[first:last], wanted)
    ok = at < last - first
    at, wanted = at[ok], wanted[ok]
    return (first + at[docs[first:last][at] == wanted]).astype(np.int32)
