"""The fields of one file's text, by format: JSON, JSON Lines, Markdown front matter, plain text."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from searchapp.corpus.decoding import LineError
from searchapp.corpus.extract.dates import is_timestamp_line
from searchapp.corpus.fields import build_article, lost_field
from searchapp.corpus.headlines import is_caption
from searchapp.corpus.model import Article, Unchanged
from searchapp.errors import ArticleError

# Front matter is a few lines of metadata; PyYAML is slow on big documents.
MAX_FRONT_MATTER_CHARS = 64 * 1024


# Lines that people copy along with a page but that are never a headline:
# rules ("----", "|||") and time stamps.
_RULE_LINE_RE = re.compile(r"^\s*(\|+|[-–—=*_#]+)\s*$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.DOTALL)


def read_jsonl(
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


def text_lines(text: str) -> list[tuple[int, str | None]]:
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def utf8_lines(raw: bytes) -> list[tuple[int, str | None]]:
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
        record = parse_json_object(line)
        return build_article(record, rel, number, note, known)
    except ArticleError as exc:
        return exc
    except ValueError as exc:
        return ArticleError(rel, str(exc), number)
    except RecursionError:
        return ArticleError(rel, "nested too deeply to be read", number)
    except Exception as exc:  # one line is a boundary: whatever it holds, the other lines are read
        return ArticleError(rel, f"cannot be read ({exc.__class__.__name__}: {exc})", number)


def parse_json_object(text: str) -> dict[str, Any]:
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


def parse_markdown(text: str) -> tuple[dict[str, Any], list[str], dict[str, int] | None]:
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
        record = parse_plain_text(text)
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
        lost.append(lost_field("title", title))
        title = None
    if not title or not title.strip():
        rest = parse_plain_text(body)
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


def _is_furniture(line: str) -> bool:
    return bool(_RULE_LINE_RE.match(line)) or is_timestamp_line(line.strip())


def parse_plain_text(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    candidates = [i for i, line in enumerate(lines) if line.strip() and not _is_furniture(line)]
    if not candidates:
        return {"title": "", "body": text}
    # Skip a leading photo caption when a real line follows it.
    index = next((i for i in candidates[:3] if not is_caption(lines[i])), candidates[0])
    body_lines = lines[:index] + lines[index + 1 :]
    return {"title": lines[index].strip(), "body": "\n".join(body_lines).strip("\n")}
