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
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from searchapp import metadata
from searchapp.errors import ArticleError
from searchapp.headline import is_caption, refine
from searchapp.text import nfc

SUFFIXES = (".txt", ".md", ".json", ".jsonl", ".jsonl.gz")
FIELDS = ("id", "title", "body", "date", "source", "url", "category", "partners", "topics")
# Bump when extraction rules change so that a reindex refreshes every article.
EXTRACTION_VERSION = "3"

# Lines that people copy along with a page but that are never a headline.
_NOT_TITLE_RE = re.compile(
    r"^\s*(\|+|[-–—=*_#]+|\d{1,2}:\d{2}(\s*,?\s*\d{1,2}/\d{1,2}/\d{2,4})?"
    r"|(thứ\s+\w+|chủ\s+nhật)?\s*,?\s*\d{1,2}/\d{1,2}/\d{2,4}(\s*[-,|]?\s*\d{1,2}:\d{2}.*)?)\s*$",
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
    path: Path, root: Path, known: dict[str, str] | None = None, mapper: Mapper | None = None
) -> Iterator[Article | Unchanged | ArticleError]:
    """Every article of one file, or an :class:`ArticleError` per broken item.

    :param known: checksums by id of what the index holds for this file;
        matching articles come back as :class:`Unchanged`, without the cost of
        extracting their metadata again.
    :param mapper: an ordered ``map(function, iterable)`` (such as a process
        pool's ``imap``) used to build the articles of a large JSON Lines file
        in parallel; the results and their order do not change.
    """
    rel = relative_id(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield ArticleError(rel, f"cannot read file ({exc.strerror or exc})")
        return
    name = path.name.lower()
    if name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            yield ArticleError(rel, f"not a valid gzip file ({exc})")
            return
    try:
        text, note = decode_bytes(raw)
    except ValueError as exc:
        yield ArticleError(rel, str(exc))
        return
    if name.endswith((".jsonl", ".jsonl.gz")):
        yield from _read_jsonl(text, rel, note, known, mapper)
        return
    try:
        if name.endswith(".json"):
            record = _parse_json_object(text)
        elif name.endswith(".md"):
            record = _parse_markdown(text)
        else:
            record = _parse_plain_text(text)
        yield build_article(record, rel, None, note, known)
    except ArticleError as exc:
        yield exc
    except ValueError as exc:
        yield ArticleError(rel, str(exc))


def relative_id(path: Path, root: Path) -> str:
    """The file's path relative to the corpus root, with forward slashes."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def decode_bytes(raw: bytes) -> tuple[str, str | None]:
    """Decode an article file; returns the text and a note on how.

    UTF-8 (with or without BOM) and BOM-marked UTF-16/32 are decoded as they
    are. Anything else is tried as Windows-1258, the legacy Vietnamese code
    page, and kept only when the result looks like Vietnamese text.

    :raises ValueError: binary or undecodable content.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "decoded as UTF-16 (byte order mark)"
        except UnicodeDecodeError as exc:
            raise ValueError(f"broken UTF-16 text ({exc.reason})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _decode_legacy(raw), "decoded as Windows-1258 (not UTF-8)"
    if "\x00" in text:
        if _looks_binary(text):
            raise ValueError("binary file (NUL bytes), not text")
        return text.replace("\x00", ""), "NUL characters removed"
    return text, None


def _looks_binary(text: str) -> bool:
    controls = sum(1 for c in text[:4096] if c < " " and c not in "\n\r\t")
    return controls > max(8, len(text[:4096]) // 50)


def _decode_legacy(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        # Windows-1258 writes tones as combining marks: NFC composes them.
        text = nfc(raw.decode("cp1258"))
    except UnicodeDecodeError as exc:
        raise ValueError("not UTF-8 and not Windows-1258 text; save the file as UTF-8") from exc
    plain = sum(1 for c in text if c.isalnum() or c.isspace() or c in _TEXT_PUNCTUATION)
    if not text.strip() or plain < 0.95 * len(text):
        raise ValueError("not UTF-8 text and no reliable guess of its encoding; save it as UTF-8")
    return text


_TEXT_PUNCTUATION = frozenset(".,;:!?()[]\"'“”‘’–—-/%&+*#@…|«»")


def _read_jsonl(
    text: str, rel: str, note: str | None, known, mapper: Mapper | None = None
) -> Iterator[Article | Unchanged | ArticleError]:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if mapper is None or len(lines) - len(known or ()) < _PARALLEL_LINES:
        for number, line in lines:
            yield _read_line(line, rel, number, note, known)
        return
    chunks = [(lines[i : i + _CHUNK_LINES], rel, note, known) for i in range(0, len(lines), _CHUNK_LINES)]
    for results in mapper(_read_chunk, chunks):
        for item in results:
            # ArticleError does not survive pickling: it travels as a tuple.
            yield ArticleError(*item) if isinstance(item, tuple) else item


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


def _read_line(line: str, rel: str, number: int, note: str | None, known) -> Article | Unchanged | ArticleError:
    try:
        record = _parse_json_object(line)
        return build_article(record, rel, number, note, known)
    except ArticleError as exc:
        return exc
    except ValueError as exc:
        return ArticleError(rel, str(exc), number)


def _parse_json_object(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise ValueError("JSON must be an object with at least a title")
    return record


def _parse_markdown(text: str) -> dict[str, Any]:
    match = _FRONT_MATTER_RE.match(text.lstrip("\ufeff"))
    if not match:
        record = _parse_plain_text(text)
        record["title"] = record["title"].lstrip("# ").strip()
        return record
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"malformed front matter ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a block of key: value lines")
    body = text[match.end() :].strip("\n")
    if not meta.get("title"):
        rest = _parse_plain_text(body)
        meta["title"] = rest["title"].lstrip("# ").strip()
        body = rest["body"]
    else:
        # A heading that repeats the front-matter title is not body text.
        first, _, rest_of_body = body.partition("\n")
        if first.lstrip("# ").strip() == str(meta["title"]).strip() and first.startswith("#"):
            body = rest_of_body
    meta["body"] = body.strip("\n")
    return meta


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
    record: dict[str, Any], rel: str, line: int | None, note: str | None, known: dict[str, str] | None = None
) -> Article | Unchanged:
    """Validate one raw record and fill absent facets from its text.

    :raises ArticleError: no title, or a field of the wrong type.
    """
    values = {key: record.get(key) for key in FIELDS}
    if known:
        article_id = _clean_id(values["id"], rel, line)
        checksum = _checksum(values)
        if known.get(article_id) == checksum:
            return Unchanged(article_id, checksum, rel, line)
    title = _clean_text(values["title"], "title", rel, line)
    body = _clean_text(values["body"], "body", rel, line)
    if not title:
        if not body.strip():
            raise ArticleError(rel, "empty article (no title and no text)", line)
        raise ArticleError(rel, "no title: the first line must be the headline", line)
    refined = refine(title, body)
    title, body = refined.title, refined.body
    warnings = [note] if note else []
    date, date_warning = _clean_date(values["date"])
    if date_warning:
        warnings.append(date_warning)
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


def _clean_text(value: Any, name: str, rel: str, line: int | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ArticleError(rel, f"field {name!r} must be text, got {type(value).__name__}", line)
    return nfc(value.replace("\x00", "")).strip() if name == "title" else nfc(value.replace("\x00", ""))


def _optional_str(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return nfc(str(value)).strip()


def _clean_id(value: Any, rel: str, line: int | None) -> str:
    if value is not None and str(value).strip():
        return nfc(str(value)).strip()
    return f"{rel}:{line}" if line else rel


def _clean_date(value: Any) -> tuple[str | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), None
    if isinstance(value, dt.date):
        return value.isoformat(), None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat(), None
    except ValueError:
        return None, f"invalid date {text!r} ignored (expected YYYY-MM-DD)"


def _clean_list(value: Any, resolve) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return ()
    out: list[str] = []
    for item in items:
        text = nfc(str(item)).strip()
        code = resolve(text) or text
        if code and code not in out:
            out.append(code)
    return tuple(out)


def _checksum(values: dict[str, Any]) -> str:
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1((EXTRACTION_VERSION + payload).encode("utf-8")).hexdigest()


def iter_corpus(root: Path) -> Iterator[Article | ArticleError]:
    """Every article (or error) of every file under ``root``."""
    for path in iter_corpus_files(root):
        yield from read_file(path, root)
