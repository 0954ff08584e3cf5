"""Posting values as Whoosh's ``Positions`` format writes them: encoded for the
indexer, decoded in bulk for phrases and for the flat posting copy.

A value is the number of positions (4 bytes, big-endian), then a protocol-2
pickle of the list of deltas between positions. Unpickling makes a Python
list and an int object per position; :func:`flat_positions` instead reads the
pickles' bytes with numpy, all postings at once, and leaves only values of an
unexpected shape to ``pickle``.
"""

from __future__ import annotations

import operator
import pickle
from collections.abc import Callable
from itertools import accumulate, chain
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.formats import Positions
from whoosh.system import pack_uint

_PROTO_2 = b"\x80\x02"
# The opcodes of a pickled list of small non-negative ints (pickle protocol 2):
# a list of one is EMPTY_LIST, BINPUT 0, the item, APPEND; a longer one puts
# its items between MARK and APPENDS, a thousand at a time.
_HEAD_ONE = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)
_HEAD_MANY = np.frombuffer(b"\x80\x02]q\x00(", dtype=np.uint8)
_BININT1, _BININT2, _BININT = ord("K"), ord("M"), ord("J")
_BATCH = 1000  # pickle's batch of appends: longer lists are left to pickle


def _decode_pickled(value: bytes) -> list[int]:
    """``whoosh.formats.Positions.decode_positions``: the count, then pickled deltas."""
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(pickle.loads(value[4:])))


def position_decoder(fmt) -> Callable[[bytes], list[int]]:
    """Decoding a posting value of format ``fmt`` into its positions."""
    return _decode_pickled if type(fmt) is Positions else fmt.decode_positions


def flat_positions(blob: bytes, ends, decode: Callable[[bytes], list[int]]) -> tuple[Any, Any]:
    """Every posting's positions in one int32 array, and where each posting's start (one more at the end).

    ``blob`` holds the encoded values back to back, ``ends`` where each ends.
    """
    if ends is None or not len(ends):
        return np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    begins = np.concatenate(([0], ends[:-1]))
    if decode is not _decode_pickled:
        lists = [decode(blob[b:e]) for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]
        flat, starts = _flattened(lists)
        return flat.astype(np.int32), starts
    raw = np.frombuffer(blob, dtype=np.uint8)
    counts = _counts(raw, begins)
    deltas, read = _parsed(raw, begins, ends, counts)
    others = np.flatnonzero(~read)
    if len(others):  # an unexpected shape: pickle reads those
        lists = pickle.loads(_stitched(blob, begins[others], ends[others]))
        counts[others] = [len(one) for one in lists]
    starts = np.zeros(len(begins) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    flat = np.empty(int(starts[-1]), dtype=np.int64)
    mine = np.flatnonzero(read)
    flat[ranges(starts[mine], counts[mine])] = deltas
    if len(others):
        flat[ranges(starts[others], counts[others])] = np.fromiter(chain.from_iterable(lists), dtype=np.int64)
    # Positions are the running sum of the deltas within each posting.
    running = np.concatenate(([0], np.cumsum(flat)))
    before = running[starts[:-1]]
    running = running[1:]
    return (running - np.repeat(before, np.diff(starts))).astype(np.int32), starts


def _counts(raw, begins):
    """The number of positions each value says it holds (its first four bytes)."""
    at = begins[:, None] + np.arange(4)
    return (raw[at].astype(np.int64) << np.array([24, 16, 8, 0])).sum(axis=1)


def _parsed(raw, begins, ends, counts):
    """The deltas of every value of the expected shape, back to back, and which values those are.

    All values are read item by item in step: the first item of every value,
    then the second of those that have one, and so on; the opcode of each item
    says how many bytes its number takes.
    """
    padded = np.concatenate((raw, np.zeros(8, dtype=np.uint8)))
    many = counts > 1
    first = begins + 4 + np.where(many, len(_HEAD_MANY), len(_HEAD_ONE))
    ok = (counts >= 1) & (counts <= _BATCH) & (first < ends)
    ok &= _starts_with(padded, begins + 4, _HEAD_ONE)
    ok &= ~many | (padded[begins + 4 + len(_HEAD_ONE)] == ord("("))
    deltas = np.zeros(int(counts[ok].sum()), dtype=np.int64)
    out_at = np.cumsum(np.where(ok, counts, 0)) - np.where(ok, counts, 0)
    cursor = first.copy()
    active = np.flatnonzero(ok)
    step = 0
    while len(active):
        at = cursor[active]
        op = padded[at]
        b = [padded[at + i].astype(np.int64) for i in range(1, 5)]
        small, medium, large = op == _BININT1, op == _BININT2, op == _BININT
        number = np.where(small, b[0], np.where(medium, b[0] | b[1] << 8, b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24))
        ok[active[~(small | medium | large)]] = False
        ok[active[large & (b[3] >= 128)]] = False  # negative: not a delta
        deltas[out_at[active] + step] = number
        cursor[active] = at + np.where(small, 2, np.where(medium, 3, 5))
        step += 1
        active = active[(counts[active] > step) & ok[active]]
    # What follows the last item must close the list and the pickle.
    closing = np.where(many, ord("e"), ord("a"))
    ok &= (cursor + 2 == ends) & (padded[cursor] == closing) & (padded[cursor + 1] == ord("."))
    wanted = np.zeros(len(deltas), dtype=bool)
    valid = np.flatnonzero(ok)
    wanted[ranges(out_at[valid], counts[valid])] = True
    return deltas[wanted], ok


def _starts_with(padded, at, prefix) -> Any:
    return (padded[at[:, None] + np.arange(len(prefix))] == prefix).all(axis=1)


def ranges(begins, counts):
    """The indexes ``begins[i] .. begins[i] + counts[i] - 1`` for every ``i``, back to back."""
    first = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first - begins, counts)


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
    parts = [raw[b:e] for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]
    out = []
    for part in parts:
        body = part[4:]
        if len(body) >= 2 and body[0] == _PROTO_2[0] and body[1] == _PROTO_2[1]:
            body = body[2:]
        if len(body) and body[-1] == ord("."):
            body = body[:-1]
        out.append(body.tobytes())
    return _PROTO_2 + b"](" + b"".join(out) + b"e."


def flat_positions_of(values: list[bytes], decode: Callable[[bytes], list[int]]) -> tuple[Any, Any]:
    """:func:`flat_positions` of a list of encoded values."""
    ends = np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)))
    return flat_positions(b"".join(values), ends, decode)


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
