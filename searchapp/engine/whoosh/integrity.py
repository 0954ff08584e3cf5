"""Telling a damaged index generation from a sound one, before Whoosh reads it.

Whoosh memory-maps every segment file. Reading a mapped page that lies past
the end of a file cut short after it was mapped is not an exception but a
SIGBUS, which kills the whole server. So a generation is checked when it is
opened (:func:`check_segments`: every segment file is there and as long as its
own header says) and again, cheaply, before every use (:meth:`Snapshot.unchanged`:
one ``stat`` per file, about 4 µs). A file that changed is never read again
from the old mapping: the generation is reopened and checked from scratch.

Why keep the mapping rather than read the files another way: on 686 real
articles, reading segments through ordinary file reads instead of the map made
the slowest tenth of queries three to four times slower (0.8-1.1 s against
0.2-0.35 s), and copying them into memory costs the size of the index (about
50 KB an article, some 5 GB at 100,000 articles) in every process. The limit
of the check: a file cut short while a request is already reading it can
still stop the process; every request that starts after the cut gets a 503.
"""

from __future__ import annotations

import os
import pickle
import re
import struct
import time
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.automata.fst import FileVersionError
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, StorageError
from whoosh.filedb.filetables import FileFormatError
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC

from searchapp.errors import IndexDamaged

# What reading a damaged Whoosh file raises: its tables of contents and
# directories are pickles and packed numbers, so junk can surface as any of
# these (never meant to hide a bug: each is a sign of unreadable bytes).
UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ImportError,
    ArithmeticError,
    MemoryError,
    RecursionError,
    AssertionError,  # TOC.read asserts the generation it read is the one it asked for
    struct.error,
    pickle.UnpicklingError,
    whoosh_index.IndexError,
    FileFormatError,
    FileVersionError,
    StorageError,
)
# A compound segment file starts with the offset (signed 64-bit) and length
# (signed 32-bit, both big-endian) of its directory, which is written last:
# the file ends exactly where the directory ends.
_HEADER = struct.Struct("!qi")
_SEGMENT_EXT = ".seg"


class Snapshot:
    """The files an opened generation reads, as they were when it was checked."""

    __slots__ = ("_files",)

    def __init__(self, paths: list[Path]) -> None:
        self._files = {path: _identity(path) for path in paths}

    def unchanged(self) -> bool:
        """True while every file is the same one, with the same size and time.

        A file cut short, overwritten, replaced or removed gives ``False``.
        """
        for path, identity in self._files.items():
            try:
                if _identity(path) != identity:
                    return False
            except OSError:
                return False
        return True

    def only_removed(self) -> bool:
        """True when every file that changed is gone, none altered: what a
        commit into the live folder does to the segments it merged away.
        A removed file that is mapped stays readable; an altered one does not."""
        for path, identity in self._files.items():
            try:
                if _identity(path) != identity:
                    return False
            except FileNotFoundError:
                continue
            except OSError:
                return False
        return True


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def toc_path(folder: Path, indexname: str) -> Path:
    """The newest table of contents in ``folder`` (its name, if there is none)."""
    pattern = re.compile(rf"_{re.escape(indexname)}_(\d+)\.toc")
    found = []
    for path in folder.glob(f"_{indexname}_*.toc"):
        match = pattern.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else folder / f"_{indexname}_0.toc"


# Reading attempts when a commit replaces the table of contents just listed.
_ATTEMPTS = 3


class _ClosingStorage(FileStorage):
    """Read-only files of a folder, all closed by :meth:`close_opened`.

    ``TOC.read`` leaves its file open when the bytes are junk; this storage
    closes it instead of leaving it to the garbage collector.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), readonly=True)
        self._opened: list = []

    def open_file(self, name, **kwargs):
        opened = super().open_file(name, **kwargs)
        self._opened.append(opened)
        return opened

    def close_opened(self) -> None:
        for opened in self._opened:
            if not opened.is_closed:
                opened.close()
        self._opened.clear()


def read_toc(folder: str | Path, indexname: str):
    """The newest table of contents of the generation in ``folder``.

    :raises IndexDamaged: it is missing or cannot be read.
    """
    folder = Path(folder)
    storage = _ClosingStorage(folder)
    try:
        for _ in range(_ATTEMPTS - 1):
            try:
                return TOC.read(storage, indexname)
            except FileNotFoundError:
                time.sleep(0.01)
        return TOC.read(storage, indexname)
    except UNREADABLE as exc:
        raise damaged_toc(folder, indexname, exc) from exc
    finally:
        storage.close_opened()


def damaged_toc(folder: str | Path, indexname: str, exc: BaseException) -> IndexDamaged:
    """The error for a table of contents that cannot be read."""
    folder = Path(folder)
    problem = "is missing" if isinstance(exc, whoosh_index.EmptyIndexError) else "cannot be read"
    return IndexDamaged(str(toc_path(folder, indexname)), f"{problem} ({_name(exc)})")


def check_generation(folder: Path, indexname: str) -> Snapshot:
    """Check a whole generation as a reindex must before writing into it:
    its newest table of contents, every segment file, then one reader opened
    over all of them (which reads each segment's own directory and tables).

    :raises IndexDamaged: naming the first bad file and what is wrong with it.
    """
    toc = read_toc(folder, indexname)
    snapshot = check_segments(folder, indexname, toc)
    try:
        ix = whoosh_index.open_dir(str(folder), indexname=indexname, readonly=True)
        with ix.reader() as reader:
            reader.doc_count_all()
    except UNREADABLE as exc:
        raise IndexDamaged(str(folder), f"cannot be read ({_name(exc)})") from exc
    return snapshot


def check_segments(folder: str | Path, indexname: str, toc) -> Snapshot:
    """Check every segment file that the table of contents ``toc`` lists.

    :returns: the snapshot of those files and of the table of contents, to
        compare with before each later use.
    :raises IndexDamaged: naming the first bad file and what is wrong with it.
    """
    folder = Path(folder)
    paths = [folder / f"_{indexname}_{toc.generation}.toc"]
    for segment in toc.segments:
        if segment.is_compound():
            path = folder / segment.make_filename(_SEGMENT_EXT)
            _check_compound(path)
            paths.append(path)
        else:
            parts = [folder / name for name in os.listdir(folder) if name.startswith(f"{segment.segment_id()}.")]
            if not parts:
                raise IndexDamaged(str(folder / segment.segment_id()), "has no files")
            paths.extend(parts)
    try:
        return Snapshot(paths)
    except OSError as exc:
        raise IndexDamaged(exc.filename or str(folder), f"cannot be read ({_name(exc)})") from exc


def _check_compound(path: Path) -> None:
    """A compound segment file is whole: its size is what its header says, and
    every part its directory lists lies inside it."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(_HEADER.size)
    except FileNotFoundError:
        raise IndexDamaged(str(path), "is missing") from None
    except OSError as exc:
        raise IndexDamaged(str(path), f"cannot be read ({_name(exc)})") from exc
    if len(head) < _HEADER.size or not head.strip(b"\0"):
        raise IndexDamaged(str(path), f"is empty or zeroed ({size:,} bytes)")
    start, length = _HEADER.unpack(head)
    if start < _HEADER.size or length <= 0:
        raise IndexDamaged(str(path), "has a header that is not a segment's (overwritten?)")
    end = start + length
    if end != size:
        kind = "cut short" if end > size else "longer than it should be"
        raise IndexDamaged(str(path), f"is {kind} ({size:,} bytes, its header says {end:,})")
    _check_directory(path, start)


def _check_directory(path: Path, directory_start: int) -> None:
    try:
        storage = CompoundStorage(StructFile(open(path, "rb")), use_mmap=False)
    except UNREADABLE as exc:
        raise IndexDamaged(str(path), f"has an unreadable directory ({_name(exc)})") from exc
    try:
        for name in storage.list():
            offset, length = storage.range(name)
            if not (_HEADER.size <= offset and offset + length <= directory_start):
                raise IndexDamaged(str(path), f"lists a part outside the file ({name})")
    finally:
        storage.close()


def _name(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
