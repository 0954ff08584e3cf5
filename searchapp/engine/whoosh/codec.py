"""Whoosh's files read in bulk: posting blocks, field lengths, deletions, tables of contents.

Whoosh's public matchers hand out one posting per Python call; the engine
wants a term's whole posting list as arrays. These functions read the
``whoosh3`` codec's blocks and columns directly, falling back to the public
API where a segment is not in that format. They also encode posting values
the way ``whoosh.formats`` does, for the indexer's one-pass analysis.
"""

from __future__ import annotations

import io
import operator
import pickle
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from itertools import accumulate, chain
from pickle import dumps
from typing import Any, TypeVar

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.formats import Positions
from whoosh.index import TOC
from whoosh.matching import FilterMatcher
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

T = TypeVar("T")

# Reads of a table of contents that a commit may replace meanwhile.
OPEN_ATTEMPTS = 3


def retrying(read: Callable[[], T]) -> T:
    """``read()``, tried again (up to :data:`OPEN_ATTEMPTS` in all) while it
    raises :class:`FileNotFoundError`: an incremental commit replaced the
    table of contents just listed."""
    for _ in range(OPEN_ATTEMPTS - 1):
        try:
            return read()
        except FileNotFoundError:
            time.sleep(0.01)
    return read()


def latest_toc(ix) -> TOC:
    """The newest table of contents of ``ix``."""
    return retrying(lambda: TOC.read(ix.storage, ix.indexname))


def open_reader(ix, toc: TOC):
    """A reader of exactly the segments ``toc`` lists (not whatever is newest).

    :raises OSError: when a commit since removed one of its files.
    """
    return ix._reader(ix.storage, toc.schema, list(toc.segments), toc.generation)


# -- reading


def deleted_docs(leaf) -> list[int]:
    """The deleted document numbers of one segment's reader."""
    perdoc: Any = getattr(leaf, "_perdoc", None)
    if hasattr(perdoc, "deleted_docs"):
        return list(perdoc.deleted_docs())
    return [d for d in range(leaf.doc_count_all()) if leaf.is_deleted(d)]


_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


def field_lengths(leaf, field: str) -> np.ndarray | None:
    """Every document's length in ``field`` in one segment, or None where the
    segment stores none (Whoosh's default length, 1, for every document)."""
    count = leaf.doc_count_all()
    perdoc: Any = getattr(leaf, "_perdoc", None)
    if not hasattr(perdoc, "_cached_reader"):
        return np.array([leaf.doc_field_length(d, field, 1) or 0 for d in range(count)], dtype=np.int64)
    column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if column is None:
        return None
    return _LENGTHS[np.fromiter(iter(column), dtype=np.int64, count=count)]


def posting_blocks(
    leaf, field: str, btext: bytes, positional: bool, wanted=None
) -> Iterator[tuple[Any, Any, list | None]]:
    """A term's postings in one segment, a block at a time:
    ``(docnums, term frequencies, encoded values or None)`` as numpy arrays
    (the values a list of bytes, only when ``positional``).

    :param wanted: sorted segment docnums; when given, blocks that cannot
        hold one of them are skipped (they may still be yielded otherwise).
    """
    m = leaf.postings(field, btext)
    if isinstance(m, FilterMatcher):  # deletions: the wrapped matcher's blocks, filtered later
        m = m.child
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        yield from _w3_blocks(m, positional, wanted)
        return
    docs, tfs, values = [], [], []
    while m.is_active():
        docs.append(m.id())
        tfs.append(m.weight())
        if positional:
            values.append(m.value())
        m.next()
    yield np.asarray(docs, dtype=np.int64), np.asarray(tfs, dtype=np.float64), (values if positional else None)


def _w3_blocks(m, positional: bool, wanted=None) -> Iterator[tuple[Any, Any, list | None]]:
    """The blocks of a Whoosh 3 posting list, read straight from the posting file.

    The same bytes as ``W3LeafMatcher._goto`` and ``_read_data`` read (block
    length, pickled block info, pickled and maybe compressed data), parsed
    from one copy of each block rather than through the file object's many
    small reads. A block whose documents (those after the last block's
    greatest, up to its own greatest) hold none of ``wanted`` is not decoded.
    """
    postfile = m._postfile
    data_at, next_at, last, count, maxid, compression = (
        m._dataoffset,
        m._nextoffset,
        m._lastblock,
        m._blocklength,
        m._maxid,
        m._compression,
    )
    after = -1  # the greatest docnum of the blocks before
    while True:
        if wanted is None or _any_between(wanted, after, maxid):
            yield _block(postfile.get(data_at, next_at - data_at), count, compression, positional)
        if last:
            return
        after = maxid
        length = _INT.unpack(postfile.get(next_at, _INT.size))[0]
        last = length < 0
        block = io.BytesIO(postfile.get(next_at + _INT.size, abs(length)))
        count, maxid, _, compression, _, _ = pickle.load(block)
        data_at = next_at + _INT.size + block.tell()
        next_at = next_at + _INT.size + abs(length)


def _any_between(wanted, after: int, upto: int) -> bool:
    """Whether the sorted ``wanted`` holds a docnum in ``(after, upto]``."""
    i = int(np.searchsorted(wanted, after, side="right"))
    return i < len(wanted) and wanted[i] <= upto


def _block(raw: bytes, count: int, compression: int, positional: bool) -> tuple[Any, Any, list | None]:
    ids, weights, vals = pickle.loads(zlib.decompress(raw) if compression else raw)
    if weights is None:
        tf = np.ones(count, dtype=np.float64)
    elif isinstance(weights, float):
        tf = np.full(count, weights, dtype=np.float64)
    else:
        tf = np.asarray(weights, dtype=np.float64)
    return np.cumsum(np.asarray(ids, dtype=np.int64)), tf, (list(vals) if positional else None)


_INT = struct.Struct("!i")


def bm25_field_b(weighting) -> dict[str, float]:
    """The per-field ``B`` of a :class:`whoosh.scoring.BM25F`."""
    return dict(weighting._field_B)


# -- posting values


def _decode_pickled(value: bytes) -> list[int]:
    """``whoosh.formats.Positions.decode_positions``: the count, then pickled deltas."""
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(pickle.loads(value[4:])))


def position_decoder(fmt) -> Callable[[bytes], list[int]]:
    """Decoding a posting value of format ``fmt`` into its positions."""
    return _decode_pickled if type(fmt) is Positions else fmt.decode_positions


_PROTO_2 = b"\x80\x02"


def flat_positions(blob: bytes, ends, decode: Callable[[bytes], list[int]]) -> tuple[Any, Any]:
    """Every posting's positions in one int32 array, and where each posting's start (one more at the end).

    ``blob`` holds the encoded values back to back, ``ends`` where each ends.
    Values of Whoosh's ``Positions`` format are one pickled list of deltas
    each: their pickles are stitched into a single list of lists, so one
    ``pickle.loads`` decodes them all instead of one call per posting.
    """
    if ends is None or not len(ends):
        return np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
    begins = np.concatenate(([0], ends[:-1]))
    if decode is not _decode_pickled:
        lists = [decode(blob[b:e]) for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]
        flat, starts = _flattened(lists)
        return flat.astype(np.int32), starts
    deltas, starts = _flattened(pickle.loads(_stitched(blob, begins, ends)))
    # Positions are the running sum of the deltas within each posting.
    running = np.cumsum(deltas)
    before = np.concatenate(([0], running[starts[1:-1] - 1]))
    return (running - np.repeat(before, np.diff(starts))).astype(np.int32), starts


def _flattened(lists: list[list[int]]) -> tuple[Any, Any]:
    """The lists back to back in one array, and where each starts (one more at the end)."""
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    starts = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(starts[-1])), starts


def _stitched(blob: bytes, begins, ends) -> bytes:
    """One pickle of the list of every value's list: each value without its
    count, protocol header and stop, between one list's mark and appends."""
    raw = np.frombuffer(blob, dtype=np.uint8)
    keep = np.ones(len(raw), dtype=bool)
    at = begins[:, None] + np.arange(4)
    keep[at.ravel()] = False
    header = (raw[begins + 4] == _PROTO_2[0]) & (raw[begins + 5] == _PROTO_2[1])
    keep[begins[header] + 4] = False
    keep[begins[header] + 5] = False
    stop = raw[ends - 1] == ord(".")
    keep[ends[stop] - 1] = False
    return _PROTO_2 + b"](" + raw[keep].tobytes() + b"e."


_SINGLE_POSITION: dict[int, bytes] = {}
_FREQUENCY: dict[int, bytes] = {}


def encode_positions(poslist: list[int]) -> bytes:
    """``whoosh.formats.Positions.encode``: the count, then pickled position deltas."""
    # Most pair terms occur once in a text: their encoding depends only on the
    # position, so it is made once per position.
    if len(poslist) == 1 and poslist[0] < 1 << 16:
        value = _SINGLE_POSITION.get(poslist[0])
        if value is None:
            value = _SINGLE_POSITION[poslist[0]] = pack_uint(1) + dumps(poslist, 2)
        return value
    deltas = list(map(operator.sub, poslist, [0, *poslist[:-1]]))
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def encode_frequency(freq: int) -> bytes:
    """``whoosh.formats.Frequency.encode`` of a term frequency."""
    value = _FREQUENCY.get(freq)
    if value is None:
        value = _FREQUENCY[freq] = pack_uint(freq)
    return value
