"""Articles and the corpus folder: reading every supported format.

Formats: ``.txt`` (first meaningful line is the title), ``.md`` with a YAML
front-matter block, ``.json`` (one article), ``.jsonl`` and ``.jsonl.gz`` (one
article per line). A field given in the file wins over one extracted from the
text. All text is NFC-normalized before anything else.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import stat
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from searchapp.corpus import metadata
from searchapp.corpus.headlines import is_caption, refine
from searchapp.errors import ArticleError
from searchapp.text import nfc

SUFFIXES = (".txt", ".md", ".json", ".jsonl", ".jsonl.gz")
FIELDS = ("id", "title", "body", "date", "source", "url", "category", "partners", "topics")
# Bump when extraction rules change so that a reindex refreshes every article.
EXTRACTION_RULES = "7"
# The data files that metadata extraction reads (searchapp/data/).
EXTRACTION_DATA = ("gazetteer.toml", "sources.toml", "topics.toml", "topic_model.toml")
# Bytes read from one file, and decompressed from a .gz, before it is reported
# as too big ([corpus] max_file_mb): far above any article, and above the
# largest JSON Lines dumps we know of (35 MB), yet a bound on the memory that
# one hostile file (a gzip bomb, a huge log renamed .txt) can take.
DEFAULT_MAX_FILE_MB = 128.0
# Front matter is a few lines of metadata; PyYAML is slow on big documents.
MAX_FRONT_MATTER_CHARS = 64 * 1024


def extraction_version(data: Traversable | None = None) -> str:
    """The rules' version plus a digest of the data files they read.

    An edit of the gazetteer or the topic rules changes it, so that the next
    reindex extracts every article's metadata again.

    :param data: the data folder; the package's own by default.
    """
    folder = data or files("searchapp") / "data"
    digest = hashlib.sha1()
    for name in EXTRACTION_DATA:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return f"{EXTRACTION_RULES}-{digest.hexdigest()[:16]}"


EXTRACTION_VERSION = extraction_version()

# Lines that people copy along with a page but that are never a headline.
_NOT_TITLE_RE = re.compile(
    r"^\s*(\|+|[-–—=*_#]+|\d{1,2}:\d{2}(\s*,?\s*\d{1,2}([/.-])\d{1,2}\3\d{2,4})?"
    r"|(thứ\s+\w+|chủ\s+nhật)?\s*,?\s*\d{1,2}([/.-])\d{1,2}\5\d{2,4}(\s*[-,|]?\s*\d{1,2}:\d{2}.*)?)\s*$",
    re.IGNORECASE,
)
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Unchanged:
    """An article whose content matches what the index already holds."""

    id: str
    checksum: str
    path: str
    line: int | None = None


@dataclass(frozen=True)
class Article:
    """One news article with its facet values."""

    id: str
    title: str
    body: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    category: str | None = None
    partners: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    path: str = ""
    line: int | None = None
    checksum: str = ""
    # False when the first line was a caption or a lead sentence, not a headline.
    headline: bool = True
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The public fields as JSON-ready values."""
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "category": self.category,
            "partners": list(self.partners),
            "topics": list(self.topics),
        }


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


def is_text(value: str) -> bool:
    """False for a string holding surrogates (an undecodable file name, a lone JSON escape)."""
    return _SURROGATE_RE.search(value) is None


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


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
            yield from _read_jsonl(_utf8_lines(raw), rel, None, known, mapper)
        else:
            yield ArticleError(rel, str(exc), exc.line)
        return
    except ValueError as exc:
        yield ArticleError(rel, str(exc))
        return
    if jsonl:
        yield from _read_jsonl(_text_lines(text), rel, note, known, mapper)
        return
    # Windows and old Mac line ends: front matter and titles are read by line.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        if name.endswith(".json"):
            record = _parse_json_object(text)
        elif name.endswith(".md"):
            record, lost, lines = _parse_markdown(text)
            yield build_article(record, rel, None, note, known, lost, front_matter=lines)
            return
        else:
            record = _parse_plain_text(text)
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


class LineError(ValueError):
    """A problem at a known line of the file."""

    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(message)


class MixedEncoding(LineError):
    """Mostly UTF-8, with bytes that are not: two encodings in one file."""

    def __init__(self, line: int) -> None:
        super().__init__(
            "mixed encodings: part UTF-8, part not (the first byte that is not is on this line); "
            "save the whole file as UTF-8",
            line,
        )


def decode_bytes(raw: bytes) -> tuple[str, str | None]:
    """Decode an article file; returns the text and a note on how.

    UTF-8 (with or without BOM) and BOM-marked UTF-16 are decoded as they
    are. Anything else is tried as Windows-1258, the legacy Vietnamese code
    page, and kept only when the result looks like Vietnamese text. A file
    that is partly UTF-8 is not guessed at: the guess would garble the rest.

    :raises MixedEncoding: UTF-8 with stray bytes of another encoding.
    :raises ValueError: binary or undecodable content ("not text").
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not text: broken UTF-16 ({exc.reason})") from exc
        _check_guessed(text, "UTF-16")
        return text, "decoded as UTF-16 (byte order mark)"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if b"\x00" not in raw and _is_mixed(raw):
            raise MixedEncoding(raw.count(b"\n", 0, exc.start) + 1) from None
        return _decode_legacy(raw), "decoded as Windows-1258 (not UTF-8)"
    if _looks_binary(text):
        raise ValueError("binary file (NUL bytes), not text" if "\x00" in text else "binary file, not text")
    if "\x00" in text:
        return text.replace("\x00", ""), "NUL characters removed"
    return text, None


# Control characters that text never holds (tab, line feed, form feed and
# carriage return are text).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Multi-byte UTF-8 sequences. Windows-1258 Vietnamese almost never forms one
# by chance (none in 8,400 real articles for three bytes, at most two per
# article for two bytes); UTF-8 Vietnamese has one in nearly every word.
_UTF8_TWO_RE = re.compile(b"[\xc2-\xdf][\x80-\xbf]")
_UTF8_LONG_RE = re.compile(b"[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MIXED_SCORE = 3


def _is_mixed(raw: bytes) -> bool:
    """Partly UTF-8: more UTF-8 sequences than Windows-1258 ever forms by
    chance, in bytes that are text (random bytes hold control bytes, or
    hardly any ASCII, and few UTF-8 sequences)."""
    two, long = _UTF8_TWO_RE.findall(raw), _UTF8_LONG_RE.findall(raw)
    if len(two) + 2 * len(long) < _MIXED_SCORE:
        return False
    high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
    if 2 * len(two) + sum(map(len, long)) >= high / 2:
        return True
    controls = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    return controls == 0 and high <= len(raw) / 2


_HIGH_BYTES = bytes(range(128, 256))
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return len(_CONTROL_RE.findall(sample)) > max(8, len(sample) // 50)


def _check_guessed(text: str, how: str) -> None:
    """Refuse text decoded from a guess (a BOM, a legacy code page) that is not text.

    Random bytes behind a UTF-16 byte order mark decode without error into
    unassigned, private-use and scattered CJK characters.
    """
    sample = text[:65536]
    odd = sum(1 for c in sample if unicodedata.category(c) in _NOT_TEXT and c not in "\t\n\r\f")
    letters = [c for c in sample if c.isalpha()]
    latin = sum(1 for c in letters if c < "\u0250" or "\u1e00" <= c <= "\u1eff")
    if odd > len(sample) // 100 or latin < len(letters) / 2:
        raise ValueError(f"not text (decoded as {how}, it is mostly symbols and scattered scripts)")


_NOT_TEXT = frozenset({"Cc", "Cn", "Co", "Cs"})


def _decode_legacy(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        # Windows-1258 writes tones as combining marks: NFC composes them.
        text = nfc(raw.decode("cp1258"))
    except UnicodeDecodeError as exc:
        raise ValueError("not text: neither UTF-8 nor Windows-1258; save the file as UTF-8") from exc
    plain = sum(1 for c in text if c.isalnum() or c.isspace() or c in _TEXT_PUNCTUATION)
    if not text.strip() or plain < 0.95 * len(text):
        raise ValueError("not text: not UTF-8 and no reliable guess of its encoding; save it as UTF-8")
    # Vietnamese words are single syllables: real text has a space every few letters.
    if len(text) > 12 and sum(1 for c in text if c.isspace()) < len(text) / 15:
        raise ValueError("not text: not UTF-8 and no reliable guess of its encoding; save it as UTF-8")
    _check_guessed(text, "Windows-1258")
    return text


_TEXT_PUNCTUATION = frozenset(".,;:!?()[]\"'“”‘’–—-/%&+*#@…|«»")


def _read_jsonl(
    lines: list[tuple[int, str | None]], rel: str, note: str | None, known, mapper: Mapper | None = None
) -> Iterator[Article | Unchanged | ArticleError]:
    if mapper is None or len(lines) - len(known or ()) < _PARALLEL_LINES:
        for number, line in lines:
            yield _read_line(line, rel, number, note, known)
        return
    chunks = [(lines[i : i + _CHUNK_LINES], rel, note, known) for i in range(0, len(lines), _CHUNK_LINES)]
    for results in mapper(_read_chunk, chunks):
        for item in results:
            # ArticleError does not survive pickling: it travels as a tuple.
            yield ArticleError(*item) if isinstance(item, tuple) else item


def _text_lines(text: str) -> list[tuple[int, str | None]]:
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _utf8_lines(raw: bytes) -> list[tuple[int, str | None]]:
    """The lines of a JSON Lines file decoded one by one; ``None`` for a line that is not UTF-8."""
    out: list[tuple[int, str | None]] = []
    for number, chunk in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if not chunk.strip():
            continue
        try:
            out.append((number, chunk.decode("utf-8")))
        except UnicodeDecodeError:
            out.append((number, None))
    return out


# A JSON Lines file with at least this many articles to build is built in
# parallel when the caller passes a mapper; lines go to workers in chunks.
_PARALLEL_LINES = 64
_CHUNK_LINES = 16
Mapper = Callable[[Callable, Iterable], Iterable]


def _read_chunk(chunk) -> list[Article | Unchanged | tuple]:
    lines, rel, note, known = chunk
    out: list[Article | Unchanged | tuple] = []
    for number, line in lines:
        item = _read_line(line, rel, number, note, known)
        out.append((item.path, item.reason, item.line) if isinstance(item, ArticleError) else item)
    return out


def _read_line(line: str | None, rel: str, number: int, note: str | None, known) -> Article | Unchanged | ArticleError:
    if line is None:
        return ArticleError(rel, "not UTF-8 text (the other lines are); save the whole file as UTF-8", number)
    try:
        record = _parse_json_object(line)
        return build_article(record, rel, number, note, known)
    except ArticleError as exc:
        return exc
    except ValueError as exc:
        return ArticleError(rel, str(exc), number)
    except RecursionError:
        return ArticleError(rel, "nested too deeply to be read", number)
    except Exception as exc:  # one line is a boundary: whatever it holds, the other lines are read
        return ArticleError(rel, f"cannot be read ({exc.__class__.__name__}: {exc})", number)


def _parse_json_object(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError:
        raise ValueError("malformed JSON (nested too deeply)") from None
    except ValueError:
        # Python refuses to convert integers of more than sys.get_int_max_str_digits() digits.
        raise ValueError(f"malformed JSON (a number of more than {sys.get_int_max_str_digits():,} digits)") from None
    if not isinstance(record, dict):
        raise ValueError("JSON must be an object with at least a title")
    return record


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML for front matter: no aliases, and every scalar but null is text.

    An alias repeats a node where it is named, so a few hundred bytes of
    nested aliases become gigabytes once converted to text: they are
    refused. Plain scalars stay the strings they are written as, so
    ``title: 12345`` is "12345", ``title: yes`` is "yes" and
    ``date: 2024-13-45`` is a bad date to warn about, not a crash.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


_NULL = "tag:yaml.org,2002:null"
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == _NULL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag in ("bool", "int", "float", "timestamp", "binary"):
    _FrontMatterLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", yaml.SafeLoader.construct_yaml_str)


def _parse_markdown(text: str) -> tuple[dict[str, Any], list[str], dict[str, int] | None]:
    """The record of a Markdown file, warnings about front-matter fields it
    lost, and the line of each front-matter field (``None`` without front matter).

    :raises LineError: the front matter cannot be read; the line says where
        (a plain ValueError when YAML does not tell).
    """
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        if _UNCLOSED_FRONT_MATTER_RE.match(text):
            raise LineError("front matter opened here is never closed: add a line '---' after its last field", 1)
        record = _parse_plain_text(text)
        record["title"] = record["title"].lstrip("# ").strip()
        return record, [], None
    if len(match.group(1)) > MAX_FRONT_MATTER_CHARS:
        raise ValueError(
            f"front matter longer than {MAX_FRONT_MATTER_CHARS // 1024} KB; it holds a few lines of metadata"
        )
    try:
        meta = yaml.load(match.group(1), Loader=_FrontMatterLoader) or {}
    except yaml.MarkedYAMLError as exc:
        message = f"malformed front matter ({exc.problem or exc.__class__.__name__})"
        if exc.problem_mark is None:
            raise ValueError(message) from exc
        # The mark counts from 0 within the block, which starts after the "---" line.
        raise LineError(message, exc.problem_mark.line + 2) from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"malformed front matter ({exc.__class__.__name__})") from exc
    except RecursionError:
        raise ValueError("malformed front matter (nested too deeply)") from None
    if not isinstance(meta, dict):
        raise LineError("front matter must be a block of key: value lines, such as 'title: ...'", 2)
    lines = _field_lines(match.group(1))
    body = text[match.end() :].strip("\n")
    lost = []
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        lost.append(_lost("title", title))
        title = None
    if not title or not title.strip():
        rest = _parse_plain_text(body)
        meta["title"] = rest["title"].lstrip("# ").strip()
        body = rest["body"]
    else:
        # A heading that repeats the front-matter title is not body text.
        first, _, rest_of_body = body.partition("\n")
        if first.lstrip("# ").strip() == title.strip() and first.startswith("#"):
            body = rest_of_body
    meta["body"] = body.strip("\n")
    return meta, lost, lines


# A first line "---" followed by a "key:" line: front matter, whether or not it is closed.
_UNCLOSED_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n[ \t]*[A-Za-z_][\w-]*[ \t]*:")
_FIELD_LINE_RE = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:")


def _field_lines(block: str) -> dict[str, int]:
    """The file line of each top-level key of a front-matter block (the last
    one when a key is repeated, as YAML keeps the last value)."""
    # The block starts on line 2, after the opening "---".
    return {
        m.group(1): number
        for number, line in enumerate(block.split("\n"), start=2)
        if (m := _FIELD_LINE_RE.match(line))
    }


def _at_line(warning: str, line: int | None) -> str:
    """A warning about a front-matter field, naming the field's line when it is known."""
    return f"{warning}, on line {line}" if line else warning


def _parse_plain_text(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    candidates = [i for i, line in enumerate(lines) if line.strip() and not _NOT_TITLE_RE.match(line)]
    if not candidates:
        return {"title": "", "body": text}
    # Skip a leading photo caption when a real line follows it.
    index = next((i for i in candidates[:3] if not is_caption(lines[i])), candidates[0])
    body_lines = lines[:index] + lines[index + 1 :]
    return {"title": lines[index].strip(), "body": "\n".join(body_lines).strip("\n")}


def build_article(
    record: dict[str, Any],
    rel: str,
    line: int | None,
    note: str | None,
    known: dict[str, str] | None = None,
    lost: Iterable[str] = (),
    front_matter: dict[str, int] | None = None,
) -> Article | Unchanged:
    """Validate one raw record and fill absent facets from its text.

    Every field is coerced to text (a number is written out; a list or an
    object where text is expected is dropped with a warning); a bad field
    loses that field, never the article.

    :param lost: warnings about fields the parser already dropped.
    :param front_matter: the line of each field when the record is a
        Markdown file's front matter: fields a person typed, so a date may be
        written day first (31/12/2021), and a warning names its line.
    :raises ArticleError: no title (or no text at all).
    """
    warnings = [note] if note else []
    warnings.extend(lost)
    values = _coerce_fields(record, warnings)
    if known:
        article_id = _clean_id(values["id"], rel, line)
        checksum = _checksum(values)
        if known.get(article_id) == checksum:
            return Unchanged(article_id, checksum, rel, line)
    title = (values["title"] or "").strip()
    body = values["body"] or ""
    if not title:
        if not body.strip():
            raise ArticleError(rel, "empty article (no title and no text)", line)
        title_lost = next((w for w in warnings if w.startswith("field 'title'")), None)
        reason = f"no title ({title_lost})" if title_lost else _no_title_advice(rel, front_matter is not None)
        raise ArticleError(rel, reason, line)
    refined = refine(title, body)
    title, body = refined.title, refined.body
    date, date_warning = _clean_date(values["date"], day_first=front_matter is not None)
    if date_warning:
        warnings.append(_at_line(date_warning, (front_matter or {}).get("date")))
    article_id = _clean_id(values["id"], rel, line)
    source = _optional_str(values["source"]) or metadata.extract_source(title, body)
    partners = _clean_list(values["partners"], metadata.resolve_partner)
    topics = _clean_list(values["topics"], metadata.resolve_topic)
    return Article(
        id=article_id,
        title=title,
        body=body,
        date=date or metadata.extract_date(title, body),
        source=source,
        url=_optional_str(values["url"]),
        category=_optional_str(values["category"]),
        partners=partners if values["partners"] is not None else tuple(metadata.extract_partners(title, body)),
        topics=topics if values["topics"] is not None else tuple(metadata.extract_topics(title, body)),
        path=rel,
        line=line,
        checksum=_checksum(values),
        headline=refined.is_headline,
        warnings=tuple(warnings),
    )


_LIST_FIELDS = ("partners", "topics")


def _coerce_fields(record: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Each field as clean text (a tuple of texts for partners and topics) or ``None``."""
    values: dict[str, Any] = {}
    for key in FIELDS:
        value = record.get(key)
        if value is None:
            values[key] = None
        elif key in _LIST_FIELDS:
            values[key] = _as_texts(key, value, warnings)
        else:
            text = _as_text(value)
            if text is None:
                warnings.append(_lost(key, value))
            values[key] = None if text is None else _clean_str(text, warnings)
    return values


def _as_text(value: Any) -> str | None:
    """A scalar written out as text; ``None`` for a list, an object or bytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def _as_texts(key: str, value: Any, warnings: list[str]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        text = _as_text(value)
        if text is None:
            warnings.append(_lost(key, value))
            return None
        items = [text]
    out = []
    for item in items:
        text = _as_text(item)
        if text is None:
            warnings.append(f"field {key!r}: an item that is a {_kind(item)}, not text, ignored")
            continue
        out.append(_clean_str(text, warnings))
    return tuple(out)


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "mapping", list: "list", tuple: "list", bytes: "binary value"}
    return kinds.get(type(value), type(value).__name__)


def _lost(key: str, value: Any) -> str:
    return f"field {key!r} is a {_kind(value)}, not text; ignored"


# What XML 1.0 forbids (feeds and pages are XML or HTML): C0 controls but tab,
# line feed and carriage return, and the non-characters U+FFFE and U+FFFF.
_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean_str(text: str, warnings: list[str]) -> str:
    """NFC text without control characters; a lone surrogate becomes U+FFFD."""
    if not is_text(text):
        # A lone "\\ud800" escape in JSON: no UTF-8 encoding exists for it.
        text = _SURROGATE_RE.sub("\ufffd", text)
        note = "a lone surrogate escape replaced with U+FFFD"
        if note not in warnings:
            warnings.append(note)
    return nfc(_FORBIDDEN_RE.sub("", text))


def _optional_str(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def _clean_id(value: str | None, rel: str, line: int | None) -> str:
    if value is not None and value.strip():
        return value.strip()
    return f"{rel}:{line}" if line else rel


def _no_title_advice(rel: str, front_matter: bool) -> str:
    """What to do about a missing title, in the terms of the file's format."""
    if rel.lower().endswith((".json", ".jsonl", ".jsonl.gz")):
        return 'no title: add a "title" field'
    if front_matter:
        return "no title: add a 'title:' line to the front matter, or start the text with the headline"
    return "no title: the first line must be the headline"


# Day, month, year: the order Vietnamese writes dates in (31/12/2021, 1/2/2021,
# 31-12-2021, 31.12.2021), optionally followed by a time of day.
_DAY_FIRST_RE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/.-])")


def _clean_date(value: str | None, day_first: bool = False) -> tuple[str | None, str | None]:
    """The ISO date of a ``date`` field, or a warning saying why it is ignored.

    :param day_first: also read dd/mm/yyyy (a date typed by a person in front
        matter). It is never read month first: 12/31/2021 is refused, not
        turned into 31 December, and 05/06/2021 is 5 June.
    """
    if value is None or not value.strip():
        return None, None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat(), None
    except ValueError:
        pass
    match = _DAY_FIRST_RE.match(text)
    if match is None:
        return None, f"invalid date {text[:40]!r} ignored (expected YYYY-MM-DD)"
    day, _, month, year = match.groups()
    try:
        found = dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None, (
            f"invalid date {text[:40]!r} ignored: no such day, read day first as dd/mm/yyyy; "
            "write it as YYYY-MM-DD if it is month first"
        )
    if day_first:
        return found, None
    # A data file's field: its writer may have meant month first, so it is not guessed.
    return None, f"invalid date {text[:40]!r} ignored (expected YYYY-MM-DD: {found} if it is day first)"


def _clean_list(values: tuple[str, ...] | None, resolve) -> tuple[str, ...]:
    out: list[str] = []
    for item in values or ():
        text = item.strip()
        code = resolve(text) or text
        if code and code not in out:
            out.append(code)
    return tuple(out)


def _checksum(values: dict[str, Any]) -> str:
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False)
    return hashlib.sha1((EXTRACTION_VERSION + payload).encode("utf-8")).hexdigest()


def iter_corpus(root: Path) -> Iterator[Article | ArticleError]:
    """Every article (or error) of every file under ``root``."""
    for path in iter_corpus_files(root):
        for item in read_file(path, root):
            assert not isinstance(item, Unchanged)  # only read_file(known=...) says so
            yield item
