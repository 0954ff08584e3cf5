"""Writing a file so that it is either the old one or the whole new one.

Every file searchapp writes for the user or for the index's state (articles
that ``add`` and ``fetch-feed`` save, ``feeds.json``, ``CURRENT``, the
manifest, the story cache) goes through :func:`replacing`:

1. the bytes go to a temporary file in the same folder (a rename is atomic
   only within one file system), named with a leading dot so the corpus
   reader skips it;
2. the file is flushed and ``fsync``-ed, so the rename cannot reach the disk
   before the data does (after a power cut, a renamed but empty file is the
   classic result of skipping this);
3. it is renamed over the final name with :func:`os.replace`;
4. the folder is ``fsync``-ed, so the rename itself survives a power cut.

If anything fails or the process is interrupted before step 3, the
temporary file is removed and the final name is untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Read once: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def replacing(path: Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the block ends without error.

    :param path: the final name; its folder is created if missing.
    :param mode: ``"wb"`` or ``"w"`` (then ``encoding`` defaults to UTF-8).
    :raises OSError: the file cannot be written; ``path`` is left as it was.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a saved article should get the
        # mode any other new file of the user's would.
        os.chmod(fd, 0o666 & ~_UMASK)
        if mode == "w":
            fh: IO[Any] = os.fdopen(fd, mode, encoding=encoding or "utf-8")
        else:
            fh = os.fdopen(fd, mode)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8), atomically and durably."""
    with replacing(path, "w") as fh:
        fh.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, atomically and durably."""
    with replacing(path) as fh:
        fh.write(data)


def copy_file(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` atomically, keeping its timestamps and permissions.

    :raises OSError: ``src`` cannot be read or ``dest`` written; nothing is left behind.
    """
    with open(src, "rb") as source, replacing(dest) as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
        out.flush()
        # Before the rename, so the file never appears with another mode or date.
        st = os.fstat(source.fileno())
        os.chmod(out.fileno(), stat.S_IMODE(st.st_mode))
        os.utime(out.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns))


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the platform allows it.

    Some file systems refuse ``fsync`` on a folder (``EINVAL``); the data is
    already on disk by then, so that is not worth failing the write over.
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
