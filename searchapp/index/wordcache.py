"""The word cache: pyvi's compound-word spans of each article text, kept on disk.

pyvi is the costliest step of indexing (~14 ms per article), so an article's
compound-word spans are kept in a small SQLite file keyed by a hash of the
text: a full rebuild, or an unchanged article that moved to another file, is
never segmented twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import zlib
from array import array
from collections.abc import Iterator
from pathlib import Path

from searchapp.analysis.segmentation import Span, compound_spans
from searchapp.index.pool import WorkerPool

CACHE_FILE = "segments.sqlite"


def key(text: str) -> str:
    """The cache key of a text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def pack(spans: list[Span]) -> bytes:
    flat = array("I", [n for span in spans for n in span])
    return zlib.compress(flat.tobytes(), 1)


def unpack(blob: bytes) -> list[Span]:
    flat = array("I")
    flat.frombytes(zlib.decompress(blob))
    return list(zip(flat[0::2], flat[1::2], strict=True))


def _segment_job(text: str) -> tuple[str, bytes]:
    return key(text), pack(compound_spans(text))


def discard_if_damaged(folder: Path) -> str | None:
    """Remove the cache file if SQLite cannot vouch for it; say so.

    It is only a cache: a damaged one is started again empty (its articles
    are segmented anew) rather than stopping the reindex. ``quick_check``
    reads every page once, about 1 ms per 700 articles cached.

    :returns: a warning to report, or ``None`` when the cache is sound or absent.
    """
    path = folder / CACHE_FILE
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(path)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if verdict and verdict[0] == "ok":
            return None
        reason = str(verdict[0]) if verdict else "no answer"
    except sqlite3.DatabaseError as exc:
        reason = str(exc)
    for stale in (path, path.with_name(CACHE_FILE + "-journal"), path.with_name(CACHE_FILE + "-wal")):
        stale.unlink(missing_ok=True)
    return f"{path} was damaged ({reason}); it was discarded and will be filled again"


class WordCache:
    """Compound spans by text hash, in ``segments.sqlite`` of the index folder."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / CACHE_FILE)
        self._db.execute("CREATE TABLE IF NOT EXISTS spans (key TEXT PRIMARY KEY, data BLOB)")

    def close(self) -> None:
        self._db.commit()
        self._db.close()

    def lookup(self, keys: list[str]) -> dict[str, bytes]:
        """Packed spans of the keys found in the cache."""
        wanted = sorted(set(keys))
        found: dict[str, bytes] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT key, data FROM spans WHERE key IN ({marks})", chunk))
        return found

    def store(self, items: list[tuple[str, bytes]]) -> None:
        """Add packed spans computed elsewhere (committed by :meth:`close`)."""
        self._db.executemany("INSERT OR REPLACE INTO spans VALUES (?, ?)", items)

    def segment_all(self, texts: list[str], pool: WorkerPool) -> Iterator[tuple[str, list[Span]]]:
        """Yield ``(text, spans)`` for every text, segmenting only cache misses, in ``pool``."""
        keys = [key(t) for t in texts]
        cached = self.lookup(keys)
        missing = [t for t, k in zip(texts, keys, strict=True) if k not in cached]
        for text, text_key in zip(texts, keys, strict=True):
            if text_key in cached:
                yield text, unpack(cached[text_key])
        for text, (text_key, blob) in zip(missing, pool.imap(_segment_job, missing), strict=True):
            self._db.execute("INSERT OR REPLACE INTO spans VALUES (?, ?)", (text_key, blob))
            yield text, unpack(blob)
        self._db.commit()
