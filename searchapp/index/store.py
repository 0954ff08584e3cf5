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
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index

from searchapp import atomic
from searchapp.engine.whoosh import codec, integrity, mapped
from searchapp.errors import IndexBusy, IndexDamaged, IndexMissing

mapped.install()

POINTER = "CURRENT"
MANIFEST = "manifest.json"
LOCK = "reindex.lock"
INDEX_NAME = "articles"
# What new_generation names a folder; CURRENT holding anything else is damage.
GENERATION_NAME = re.compile(r"gen-[0-9]{8}-[0-9]{6}-[0-9]{9}")


def live_generation(index_path: Path) -> Path | None:
    """The folder of the live generation, or ``None`` if there is no index.

    :raises IndexDamaged: ``CURRENT`` exists but does not name a generation folder.
    """
    pointer = index_path / POINTER
    try:
        raw = pointer.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise IndexDamaged(str(pointer), "is a folder, not the name of a generation") from None
    except OSError as exc:
        raise IndexMissing(f"cannot read the index at {index_path} ({exc.strerror})") from exc
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise IndexDamaged(str(pointer), "holds binary data, not the name of a generation") from None
    if not GENERATION_NAME.fullmatch(name):
        raise IndexDamaged(str(pointer), f"does not name a generation ({name[:40]!r})")
    folder = index_path / name
    if not folder.is_dir():
        raise IndexDamaged(str(pointer), f"names {name}, which does not exist")
    return folder


def open_live_index(index_path: Path):
    """Open the live Whoosh index read-only.

    :raises IndexMissing: with the command that fixes it.
    :raises IndexDamaged: naming the file that cannot be read.
    """
    folder = live_generation(index_path)
    if folder is None:
        raise IndexMissing(f"No index in {index_path}. Run `searchapp reindex` first.")
    integrity.read_toc(folder, INDEX_NAME)  # junk is reported here, its file closed
    try:
        return codec.retrying(lambda: whoosh_index.open_dir(str(folder), indexname=INDEX_NAME, readonly=True))
    except integrity.UNREADABLE as exc:
        raise integrity.damaged_toc(folder, INDEX_NAME, exc) from exc


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
    try:
        previous = live_generation(index_path)
    except IndexDamaged:
        previous = None  # a damaged pointer names nothing worth keeping
    atomic.write_text(index_path / POINTER, folder.name + "\n")
    keep = {folder.name, previous.name if previous else ""}
    for old in index_path.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def discard_leftovers(index_path: Path, live: Path | None) -> list[str]:
    """Remove what interrupted runs left: every generation but ``live`` and
    temporary copies of ``CURRENT``. Call it holding the reindex lock (other
    temporary files, such as the feed state's, belong to writers that do not
    take it).

    A reindex killed or stopped by a full disk leaves its half-built
    generation behind; removing them first means retries never pile up. The
    generation that was live before the last swap goes too: a reader still
    on it has its files open already, or reopens the live one.

    :returns: the names removed.
    """
    removed = []
    for path in sorted(index_path.glob("gen-*")) + sorted(index_path.glob(f".{POINTER}*.tmp")):
        if path == live:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


def read_manifest(folder: Path) -> dict:
    """The manifest of a generation (files seen and documents indexed)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# How a manifest written by write_manifest begins (its first key is the schema version).
_MANIFEST_HEAD = re.compile(r'\{"schema_version": (\d+)[,}]')


def schema_version(folder: Path) -> object:
    """The schema version a generation's manifest records, None when it has none.

    The manifest lists every file and document (megabytes at 100,000 articles)
    and the version is its first key: its first bytes are read, and the whole
    manifest only when they do not say.
    """
    try:
        with (folder / MANIFEST).open("rb") as fh:
            head = fh.read(64).decode("utf-8", errors="replace")
    except OSError:
        return None
    found = _MANIFEST_HEAD.match(head)
    if found:
        return int(found.group(1))
    return read_manifest(folder).get("schema_version")


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
def reindex_lock(index_path: Path, timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
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
                    f"another reindex is running on {index_path}; waited {timeout:g} s. Try again when it has finished."
                ) from None
            if not told and on_wait:
                on_wait(f"Waiting up to {timeout:g} s for another reindex to finish...")
                told = True
            time.sleep(0.2)
        try:
            yield
        except BaseException:
            # Still holding the lock: a half-built generation (a full disk, an
            # error, Ctrl-C) goes before anyone else can start a reindex.
            _discard_unpublished(index_path)
            raise
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _discard_unpublished(index_path: Path) -> None:
    try:
        live = live_generation(index_path)
    except (IndexMissing, OSError):
        return  # what is live is unclear: the next reindex settles it
    discard_leftovers(index_path, live)
