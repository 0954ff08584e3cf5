"""Articles and the corpus folder: reading every supported format.

Formats: ``.txt`` (first meaningful line is the title), ``.md`` with a YAML
front-matter block, ``.json`` (one article), ``.jsonl`` and ``.jsonl.gz`` (one
article per line). A field given in the file wins over one extracted from the
text. All text is NFC-normalized before anything else.

This module finds and reads the files; bytes become text in ``decoding``,
text becomes fields in ``formats``, fields become an :class:`Article` in
``fields``.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path

from searchapp.corpus.decoding import MixedEncoding, decode_bytes
from searchapp.corpus.fields import EXTRACTION_DATA, EXTRACTION_VERSION, FIELDS, build_article, extraction_version
from searchapp.corpus.formats import (
    Mapper,
    parse_json_object,
    parse_markdown,
    parse_plain_text,
    read_jsonl,
    text_lines,
    utf8_lines,
)
from searchapp.corpus.model import Article, Unchanged
from searchapp.errors import ArticleError
from searchapp.text import is_text

# Also importable from here: the article reader is the corpus's one door.
__all__ = [
    "DEFAULT_MAX_FILE_MB",
    "EXTRACTION_DATA",
    "EXTRACTION_VERSION",
    "FIELDS",
    "SUFFIXES",
    "Article",
    "Unchanged",
    "build_article",
    "decode_bytes",
    "extraction_version",
    "is_article_file",
    "is_text",
    "iter_corpus",
    "iter_corpus_files",
    "mb_to_bytes",
    "read_bounded",
    "read_file",
    "relative_id",
]

SUFFIXES = (".txt", ".md", ".json", ".jsonl", ".jsonl.gz")


# Bytes read from one file, and decompressed from a .gz, before it is reported
# as too big ([corpus] max_file_mb): far above any article, and above the
# largest JSON Lines dumps we know of (35 MB), yet a bound on the memory that
# one hostile file (a gzip bomb, a huge log renamed .txt) can take.
DEFAULT_MAX_FILE_MB = 128.0


def is_article_file(path: Path) -> bool:
    """True for the file names the corpus reader understands."""
    name = path.name.lower()
    return not name.startswith(".") and name.endswith(SUFFIXES) and name != "readme.md"


def iter_corpus_files(root: Path) -> Iterator[Path]:
    """Article files under ``root`` in a stable (sorted) order.

    Symlinked folders are followed once: a loop is cut where it closes.
    """
    seen: set[tuple[int, int]] = set()

    def walk(folder: Path) -> Iterator[Path]:
        try:
            info = folder.stat()
        except OSError:
            return
        key = (info.st_dev, info.st_ino)
        if key in seen:
            return
        seen.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    yield from walk(path)
                elif is_article_file(path):
                    yield path
            except OSError:
                yield path

    yield from walk(Path(root))


def read_file(
    path: Path,
    root: Path,
    known: dict[str, str] | None = None,
    mapper: Mapper | None = None,
    max_bytes: int | None = None,
) -> Iterator[Article | Unchanged | ArticleError]:
    """Every article of one file, or an :class:`ArticleError` per broken item.

    Nothing a file holds stops the caller: whatever goes wrong becomes an
    :class:`ArticleError` for that file (or that line of a JSON Lines file).

    :param known: checksums by id of what the index holds for this file;
        matching articles come back as :class:`Unchanged`, without the cost of
        extracting their metadata again.
    :param mapper: an ordered ``map(function, iterable)`` (such as a process
        pool's ``imap``) used to build the articles of a large JSON Lines file
        in parallel; the results and their order do not change.
    :param max_bytes: the most bytes read from the file, and decompressed from
        a ``.gz``; a bigger file is reported as too big. Default:
        :data:`DEFAULT_MAX_FILE_MB`.
    """
    rel = relative_id(path, root)
    if not is_text(rel):
        # Such a name cannot be an id, nor be written to the manifest or a page.
        yield ArticleError(rel, "the file name is not valid UTF-8; rename the file")
        return
    try:
        yield from _read_file(path, rel, known, mapper, max_bytes or mb_to_bytes(DEFAULT_MAX_FILE_MB))
    except RecursionError:
        yield ArticleError(rel, "nested too deeply to be read")
    except Exception as exc:  # one file is a boundary: whatever it does, the others are read
        yield ArticleError(rel, f"cannot be read ({exc.__class__.__name__}: {exc})")


def mb_to_bytes(megabytes: float) -> int:
    """A size limit given in MB (as in the config file) in bytes."""
    return int(megabytes * 1024 * 1024)


def _read_file(path: Path, rel: str, known, mapper, max_bytes: int) -> Iterator[Article | Unchanged | ArticleError]:
    try:
        raw = read_bounded(path, max_bytes)
    except ArticleError as exc:
        yield ArticleError(rel, exc.reason)
        return
    except OSError as exc:
        yield ArticleError(rel, f"cannot read file ({exc.strerror or exc})")
        return
    name = path.name.lower()
    if name.endswith(".gz"):
        try:
            raw = _gunzip(raw, max_bytes)
        except ArticleError as exc:
            yield ArticleError(rel, exc.reason)
            return
    jsonl = name.endswith((".jsonl", ".jsonl.gz"))
    try:
        text, note = decode_bytes(raw)
    except MixedEncoding as exc:
        if jsonl:
            # Each line is an article of its own: the lines that are UTF-8 are read.
            yield from read_jsonl(utf8_lines(raw), rel, None, known, mapper)
        else:
            yield ArticleError(rel, str(exc), exc.line)
        return
    except ValueError as exc:
        yield ArticleError(rel, str(exc))
        return
    if jsonl:
        yield from read_jsonl(text_lines(text), rel, note, known, mapper)
        return
    # Windows and old Mac line ends: front matter and titles are read by line.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        if name.endswith(".json"):
            record = parse_json_object(text)
        elif name.endswith(".md"):
            record, lost, lines = parse_markdown(text)
            yield build_article(record, rel, None, note, known, lost, front_matter=lines)
            return
        else:
            record = parse_plain_text(text)
        yield build_article(record, rel, None, note, known)
    except ArticleError as exc:
        yield exc
    except ValueError as exc:
        yield ArticleError(rel, str(exc), getattr(exc, "line", None))


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "something else")
    return f"not a regular file but {kind}; skipped"


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    A FIFO, a device or a socket (also behind a symlink) is never opened for
    reading the usual way: ``open`` on a FIFO blocks until a writer comes, and
    ``/dev/zero`` never ends.

    :raises ArticleError: not a regular file, or too big (path left empty).
    :raises OSError: the file cannot be read.
    """
    problem = _not_regular(os.stat(path).st_mode)
    if problem:
        raise ArticleError("", problem)
    # O_NONBLOCK: should the file be swapped for a FIFO after the check,
    # opening it still returns at once, and fstat below tells.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        problem = _not_regular(info.st_mode)
        if problem:
            raise ArticleError("", problem)
        if info.st_size > max_bytes:
            raise ArticleError("", _too_big(max_bytes))
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:  # it grew while we read it
        raise ArticleError("", _too_big(max_bytes))
    return raw


def _gunzip(raw: bytes, max_bytes: int) -> bytes:
    """Decompress, stopping one byte past the limit (a small bomb stays small)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ArticleError("", f"not a valid gzip file ({exc})") from exc
    if len(data) > max_bytes:
        raise ArticleError("", _too_big(max_bytes, "expands to"))
    return data


def _too_big(max_bytes: int, verb: str = "is") -> str:
    limit = f"{max_bytes / 1024 / 1024:g} MB"
    return (
        f"too big: {verb} more than {limit} (the limit set by [corpus] max_file_mb); split the file or raise the limit"
    )


def relative_id(path: Path, root: Path) -> str:
    """The file's path relative to the corpus root, with forward slashes."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def iter_corpus(root: Path) -> Iterator[Article | ArticleError]:
    """Every article (or error) of every file under ``root``."""
    for path in iter_corpus_files(root):
        for item in read_file(path, root):
            assert not isinstance(item, Unchanged)  # only read_file(known=...) says so
            yield item
