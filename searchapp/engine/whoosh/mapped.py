"""Reading index files without copying them into memory.

Whoosh memory-maps a segment, then wraps every part it opens (postings, term
index, stored fields, columns) in ``BufferFile``, whose ``io.BytesIO`` copies
that part into the heap. Every reader does it again, and the server keeps one
reader per thread: at 10,000 articles that was about 240 MB per thread.
:func:`install` makes ``BufferFile`` read through the memory map instead, so
the index is paged in once by the kernel and shared by all readers.
"""

from __future__ import annotations

import os

from whoosh.filedb import structfile


class ViewFile:
    """A read-only file over a ``memoryview``: reads copy only what they return."""

    __slots__ = ("_view", "_pos")

    def __init__(self, view) -> None:
        self._view = memoryview(view)
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(start + size, len(self._view))
        self._pos = max(start, end)
        return bytes(self._view[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        rest = self._view[self._pos :] if size is None or size < 0 else self._view[self._pos : self._pos + size]
        line = bytes(rest)
        cut = line.find(b"\n")
        if cut >= 0:
            line = line[: cut + 1]
        self._pos += len(line)
        return line

    def __iter__(self):
        while line := self.readline():
            yield line

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._view)}[whence]
        if base + pos < 0:
            raise ValueError("negative seek position")
        self._pos = base + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def write(self, data) -> int:
        raise OSError("index files are opened read-only")

    def close(self) -> None:
        self._view.release()


def _buffer_file_init(self, buf, name=None, onclose=None) -> None:
    self._buf = buf
    self._name = name
    self.file = ViewFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def install() -> None:
    """Make Whoosh's ``BufferFile`` read in place (idempotent)."""
    structfile.BufferFile.__init__ = _buffer_file_init
