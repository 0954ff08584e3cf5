"""A flat copy of a segment's posting lists, read as arrays straight from the memory map.

Whoosh keeps a term's postings as blocks of 128, each a zlib-compressed
pickle; reading a long posting list means unpickling every block, and at
100,000 articles that was three quarters of a query's time. The segment
writer (:mod:`.segments`) therefore writes one more part into every segment
it assembles, ``<segment>.flatpost``, holding the same postings uncompressed:

* the terms, as ``field NUL term`` keys sorted as Whoosh sorts them;
* for each term, where its postings end;
* for each posting, its segment docnum (int32), its weight (float32, as
  Whoosh stores it) and where its positions start (uint32);
* every position (int32), posting after posting.

Whoosh ignores a part it does not know, so the segment stays a Whoosh
segment; a segment without the part (written by Whoosh itself, or by an
older searchapp) is read block by block as before. A part that does not
add up is not used (and logged), never trusted.
"""

from __future__ import annotations

import json
import logging
import struct
import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from searchapp.engine.whoosh.values import flat_positions_of

PART_EXT = ".flatpost"
_MAGIC = b"SAPOST\x00\x01"
_VERSION = 1
_HEAD = struct.Struct("<8sQ")  # magic, length of the JSON table that follows
# Positional postings decoded together, one pickle for many terms.
_DECODE_BATCH = 200_000
_SECTIONS = {
    "keys": np.uint8,
    "key_ends": np.int64,
    "post_ends": np.int64,
    "docs": np.int32,
    "weights": np.float32,
    "pos_starts": np.uint32,
    "positions": np.int32,
}

log = logging.getLogger(__name__)


def _key(fieldname: str, btext: bytes) -> bytes:
    # Field names hold no NUL, so these keys sort as (fieldname, btext) pairs do.
    return fieldname.encode("utf-8") + b"\x00" + btext


class FlatCopyWriter:
    """Collects a segment's terms in Whoosh's order and writes the ``.flatpost`` part.

    Terms are gathered in plain lists and turned into arrays a batch at a time
    (per-term numpy calls cost more than the postings of most terms); each
    batch goes to one temporary file per section, so a large segment is never
    held in memory whole.
    """

    def __init__(self) -> None:
        self._spools = {name: tempfile.TemporaryFile(prefix="searchapp-flatpost-") for name in _SECTIONS}
        self._counts = dict.fromkeys(_SECTIONS, 0)
        self._last_key: bytes | None = None
        self._postings = 0
        self._positions = 0
        self._key_bytes = 0
        self._keys: list[bytes] = []
        self._key_ends: list[int] = []
        self._post_ends: list[int] = []
        self._docs: list[int] = []
        self._weights: list[float] = []
        self._pending: list[bytes] = []
        self._pending_decode: Callable | None = None

    def add_term(self, fieldname: str, btext: bytes, ids, weights, values, decode: Callable | None) -> None:
        """One term's postings, in docnum order; ``decode`` reads a value's positions
        (None for a field without positions)."""
        key = _key(fieldname, btext)
        if self._last_key is not None and key <= self._last_key:
            raise ValueError("terms must arrive in Whoosh's order, each once")
        if decode is not None and len(values) != len(ids):
            raise ValueError("a posting of a positional field has no positions")
        self._last_key = key
        if decode is not self._pending_decode:
            self._flush()
        self._keys.append(key)
        self._key_bytes += len(key)
        self._key_ends.append(self._key_bytes)
        self._postings += len(ids)
        self._post_ends.append(self._postings)
        self._docs.extend(ids)
        self._weights.extend(weights)
        if decode is None:
            return
        self._pending_decode = decode
        self._pending.extend(values)
        if len(self._docs) >= _DECODE_BATCH:
            self._flush()

    def _flush(self) -> None:
        """The gathered terms to the spools: their positions decoded in one go."""
        count = len(self._docs)
        if self._pending_decode is not None and self._pending:
            flat, starts = flat_positions_of(self._pending, self._pending_decode)
            if self._positions + len(flat) >= 1 << 32:
                raise ValueError("too many positions in one segment for the flat copy")
            self._put("pos_starts", (starts[:-1] + self._positions).astype(np.uint32))
            self._put("positions", flat)
            self._positions += len(flat)
        elif count:
            self._put("pos_starts", np.full(count, self._positions, dtype=np.uint32))
        self._put("keys", np.frombuffer(b"".join(self._keys), dtype=np.uint8))
        self._put("key_ends", np.array(self._key_ends, dtype=np.int64))
        self._put("post_ends", np.array(self._post_ends, dtype=np.int64))
        self._put("docs", np.array(self._docs, dtype=np.int32))
        self._put("weights", np.array(self._weights, dtype=np.float32))
        self._keys, self._key_ends, self._post_ends, self._docs, self._weights = [], [], [], [], []
        self._pending = []
        self._pending_decode = None

    def _put(self, name: str, array) -> None:
        self._spools[name].write(array.tobytes())
        self._counts[name] += len(array)

    def write(self, out: BinaryIO, doc_count: int) -> None:
        """Write the part to ``out`` (and close the spools)."""
        self._flush()
        self._put("pos_starts", np.array([self._positions], dtype=np.uint32))
        table: dict[str, Any] = {"version": _VERSION, "doc_count": doc_count, "sections": {}}
        # The table's length depends on the offsets it holds: lay the sections
        # out after a table long enough for any offsets, padded.
        reserve = 128 + 64 * len(_SECTIONS)
        at = _aligned(_HEAD.size + reserve)
        for name, dtype in _SECTIONS.items():
            table["sections"][name] = [at, self._counts[name]]
            at = _aligned(at + self._counts[name] * np.dtype(dtype).itemsize)
        encoded = json.dumps(table).encode("ascii")
        assert len(encoded) <= reserve
        out.write(_HEAD.pack(_MAGIC, len(encoded)) + encoded)
        written = _HEAD.size + len(encoded)
        for name in _SECTIONS:
            start = table["sections"][name][0]
            out.write(b"\x00" * (start - written))
            spool = self._spools[name]
            spool.seek(0)
            while chunk := spool.read(1 << 22):
                out.write(chunk)
            written = start + spool.tell()
            spool.close()


def _aligned(offset: int) -> int:
    return (offset + 7) // 8 * 8


class FlatCopy:
    """A segment's ``.flatpost`` part, as numpy views over the buffer it is read from.

    :raises ValueError: when the part is not whole or does not add up.
    """

    def __init__(self, buffer, doc_count: int) -> None:
        if len(buffer) < _HEAD.size:
            raise ValueError("shorter than its header")
        magic, length = _HEAD.unpack_from(buffer, 0)
        if magic != _MAGIC:
            raise ValueError("not a flat posting copy")
        table = json.loads(bytes(buffer[_HEAD.size : _HEAD.size + length]))
        if table.get("version") != _VERSION or table.get("doc_count") != doc_count:
            raise ValueError("written for another version or segment")
        for name, dtype in _SECTIONS.items():
            start, count = table["sections"][name]
            if start + count * np.dtype(dtype).itemsize > len(buffer):
                raise ValueError(f"section {name} runs past the end")
            setattr(self, name, np.frombuffer(buffer, dtype=dtype, count=count, offset=start))
        self.keys: Any
        self.key_ends: Any
        self.post_ends: Any
        self.docs: Any
        self.weights: Any
        self.pos_starts: Any
        self.positions: Any
        self._keys = memoryview(self.keys)
        self.doc_count = doc_count
        self._check()

    def _check(self) -> None:
        terms = len(self.key_ends)
        if len(self.post_ends) != terms or (terms and self.key_ends[-1] != len(self.keys)):
            raise ValueError("term table does not match its keys")
        postings = int(self.post_ends[-1]) if terms else 0
        if postings != len(self.docs) or len(self.weights) != postings or len(self.pos_starts) != postings + 1:
            raise ValueError("posting sections do not match the term table")
        if int(self.pos_starts[-1]) != len(self.positions):
            raise ValueError("position starts do not match the positions")

    def _key_at(self, i: int) -> bytes:
        start = int(self.key_ends[i - 1]) if i else 0
        return bytes(self._keys[start : int(self.key_ends[i])])

    def find(self, fieldname: str, btext: bytes) -> tuple[int, int] | None:
        """Where the term's postings are (first, past last), or None if it has none
        here (or ones that cannot be right)."""
        key = _key(fieldname, btext)
        lo = self._first_at_least(key)
        if lo == len(self.key_ends) or self._key_at(lo) != key:
            return None
        first = int(self.post_ends[lo - 1]) if lo else 0
        span = first, int(self.post_ends[lo])
        return span if self._sound(*span) else None

    def terms_of_documents(self, fieldname: str) -> list[str | None]:
        """For a field that gives each document at most one term (an id): each
        document's term, None where it has none.

        The field's terms are one run of the sorted keys; each one's postings
        name its documents, so this reads no stored document.
        """
        first = self._first_at_least(_key(fieldname, b""))
        last = self._first_at_least(fieldname.encode("utf-8") + b"\x01")
        found: list[str | None] = [None] * self.doc_count
        if first == last:
            return found
        key_start = int(self.key_ends[first - 1]) if first else 0
        keys = bytes(self._keys[key_start : int(self.key_ends[last - 1])])
        key_ends = (self.key_ends[first:last] - key_start).tolist()
        post_ends = self.post_ends[max(0, first - 1) : last].tolist()
        if not first:
            post_ends.insert(0, 0)
        docs = self.docs[post_ends[0] : post_ends[-1]].tolist()
        skip = len(fieldname.encode("utf-8")) + 1
        base, start = post_ends[0], 0
        for i, end in enumerate(key_ends):
            text = keys[start + skip : end].decode("utf-8")
            for doc in docs[post_ends[i] - base : post_ends[i + 1] - base]:
                found[doc] = text
            start = end
        return found

    def _first_at_least(self, key: bytes) -> int:
        """The index of the first term key not below ``key``."""
        lo, hi = 0, len(self.key_ends)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key_at(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _sound(self, first: int, last: int) -> bool:
        """Whether a term's postings stay inside the segment and its positions
        inside the copy: a cheap check at each read (the postings are sorted),
        so junk is read from the blocks instead of failing a search."""
        if not 0 <= first <= last <= len(self.docs):
            return False
        if first < last and not (0 <= self.docs[first] <= self.docs[last - 1] < self.doc_count):
            return False
        return bool(self.pos_starts[first] <= self.pos_starts[last] <= len(self.positions))


def open_flat_copy(leaf) -> FlatCopy | None:
    """The flat copy of one segment reader's postings, or None where it has none
    (or one that does not add up: that is logged, and the blocks are read)."""
    segment = getattr(leaf, "_segment", None)
    storage = getattr(leaf, "_storage", None)
    if segment is None or storage is None:
        return None
    name = segment.make_filename(PART_EXT)
    try:
        if not storage.file_exists(name):
            return None
        part = storage.open_file(name)
        buffer = getattr(part, "_buf", None)
        if buffer is None:  # not memory-mapped: read it once
            buffer = part.read()
        return FlatCopy(buffer, leaf.doc_count_all())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("segment %s: its flat posting copy is not used (%s); reindex --full rewrites it", name, exc)
        return None


def segment_name(leaf) -> str:
    """The name of the segment a segment reader reads (the key of its flat copy)."""
    segment = getattr(leaf, "_segment", None)
    return segment.segment_id() if segment is not None else f"reader-{id(leaf)}"
