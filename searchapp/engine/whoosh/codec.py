"""Whoosh's files read in bulk: posting blocks, field lengths, deletions, tables of contents.

Whoosh's public matchers hand out one posting per Python call; the engine
wants a term's whole posting list as arrays. These functions read the
``whoosh3`` codec's blocks and columns directly, falling back to the public
API where a segment is not in that format. Posting values (positions) are
encoded and decoded in :mod:`.values`.
"""

from __future__ import annotations

import io
import pickle
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import NumericColumn
from whoosh.index import TOC
from whoosh.matching import FilterMatcher
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


def segments(reader) -> list[tuple[str | None, Any, int]]:
    """``(segment id, leaf reader, first docnum)`` of each segment of ``reader``.

    A segment's files never change once written (deletions are kept apart),
    and its id is drawn at random when it is written: what is read from a
    segment holds for as long as a generation lists that id. A reader of no
    segment (an index without documents) has no id.
    """
    found: list[tuple[str | None, Any, int]] = []
    for leaf, offset in reader.leaf_readers():
        segment = leaf.segment()
        found.append((segment.segment_id() if segment is not None else None, leaf, offset))
    return found


def term_frequencies(leaf, field: str) -> dict[str, int]:
    """Every term of ``field`` in one segment with the number of its documents
    (deleted ones too, as Whoosh's term statistics count them)."""
    if field not in leaf.schema:
        return {}
    return {_text(term): info.doc_frequency() for term, info in leaf.iter_field(field)}


def _text(term) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


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
    return _LENGTHS[_byte_column(column, count)]


def _byte_column(column, count: int) -> np.ndarray:
    """A column of one unsigned byte per document as an array, read in one piece
    (Whoosh hands out one value per Python call); documents past the column's
    end get its default."""
    if isinstance(column, NumericColumn.Reader) and column._typecode == "B" and column._count <= count:
        found = np.full(count, column._default, dtype=np.int64)
        raw = column._dbfile.get(column._basepos, column._count)
        found[: column._count] = np.frombuffer(raw, dtype=np.uint8)
        return found
    return np.fromiter(iter(column), dtype=np.int64, count=count)


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
