"""The index folder on disk: generations, the live pointer, the lock, the manifest.

Layout of ``[index] path``::

    CURRENT             name of the live generation folder (replaced atomically)
    gen-<stamp>/        a Whoosh index plus manifest.json
    segments.sqlite     pyvi segmentation cache, keyed by text hash
    reindex.lock        held by the one reindex that may write

A full rebuild writes a new generation beside the live one and then swaps
``CURRENT``: a reader never sees a half-built index. Incremental updates go
into the live generation through Whoosh's own atomic commits.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index

from searchapp import atomic, viewfile
from searchapp.errors import IndexBusy, IndexMissing

viewfile.install()

POINTER = "CURRENT"
MANIFEST = "manifest.json"
LOCK = "reindex.lock"
INDEX_NAME = "articles"
# Opening attempts when a commit removes the files being opened.
OPEN_ATTEMPTS = 3


def live_generation(index_path: Path) -> Path | None:
    """The folder of the live generation, or ``None`` if there is no index."""
    try:
        name = (index_path / POINTER).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise IndexMissing(f"cannot read the index at {index_path} ({exc.strerror})") from exc
    if not name or "/" in name or name.startswith("."):
        return None
    folder = index_path / name
    return folder if folder.is_dir() else None


def open_live_index(index_path: Path):
    """Open the live Whoosh index read-only.

    :raises IndexMissing: with the command that fixes it.
    """
    folder = live_generation(index_path)
    if folder is None:
        raise IndexMissing(f"No index in {index_path}. Run `searchapp reindex` first.")
    for _ in range(OPEN_ATTEMPTS - 1):
        try:
            return whoosh_index.open_dir(str(folder), indexname=INDEX_NAME, readonly=True)
        except FileNotFoundError:
            time.sleep(0.01)  # an incremental commit replaced the table of contents just listed
        except (whoosh_index.EmptyIndexError, OSError):
            break
    try:
        return whoosh_index.open_dir(str(folder), indexname=INDEX_NAME, readonly=True)
    except (whoosh_index.EmptyIndexError, OSError) as exc:
        raise IndexMissing(
            f"The index in {index_path} cannot be opened ({exc}). Run `searchapp reindex --full`."
        ) from exc


def new_generation(index_path: Path) -> Path:
    """Create an empty folder for a new generation."""
    index_path.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
    folder = index_path / f"gen-{stamp}"
    folder.mkdir()
    return folder


def publish_generation(index_path: Path, folder: Path) -> None:
    """Make ``folder`` the live generation, atomically, and prune old ones.

    The generation that was live until now is kept, so readers that opened it
    a moment ago can finish; older ones are removed.
    """
    previous = live_generation(index_path)
    atomic.write_text(index_path / POINTER, folder.name + "\n")
    keep = {folder.name, previous.name if previous else ""}
    for old in index_path.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict:
    """The manifest of a generation (files seen and documents indexed)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write the manifest atomically (:mod:`searchapp.atomic`)."""
    atomic.write_text(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False))


def copy_atomically(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` so that ``dest`` is either whole or absent.

    The copy is written under a temporary name in the same folder (with a
    leading dot, which the corpus reader skips), flushed to disk, then
    renamed: a kill or a full disk never leaves a truncated file under the
    final name. Timestamps and permissions are those of ``src``, as with
    :func:`shutil.copy2`.

    :raises OSError: ``src`` cannot be read or ``dest`` written; nothing is left behind.
    """
    atomic.copy_file(src, dest)


@contextlib.contextmanager
def reindex_lock(
    index_path: Path, timeout: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the writer lock; wait up to ``timeout`` seconds for another reindex.

    The lock is an ``flock`` on a file, so the kernel frees it when a killed
    process dies: a crash never leaves a stale lock behind.

    :raises IndexBusy: when the other reindex is still running after ``timeout``.
    """
    index_path.mkdir(parents=True, exist_ok=True)
    with open(index_path / LOCK, "a+") as fh:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise IndexBusy(
                    f"another reindex is running on {index_path}; "
                    f"waited {timeout:g} s. Try again when it has finished."
                ) from None
            if not told and on_wait:
                on_wait(f"Waiting up to {timeout:g} s for another reindex to finish...")
                told = True
            time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
