"""From the fields a file gives to an Article: cleaned, checked, completed by extraction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from searchapp.corpus import metadata
from searchapp.corpus.headlines import refine
from searchapp.corpus.model import Article, Unchanged
from searchapp.errors import ArticleError
from searchapp.text import SURROGATE_RE, is_text, nfc

FIELDS = ("id", "title", "body", "date", "source", "url", "category", "partners", "topics")


# Bump when extraction rules change so that a reindex refreshes every article.
EXTRACTION_RULES = "13"
# The data files that metadata extraction reads (searchapp/data/).
EXTRACTION_DATA = ("gazetteer.toml", "sources.toml", "topics.toml", "topic_model.toml")


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
                warnings.append(lost_field(key, value))
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
            warnings.append(lost_field(key, value))
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


def lost_field(key: str, value: Any) -> str:
    return f"field {key!r} is a {_kind(value)}, not text; ignored"


# What XML 1.0 forbids (feeds and pages are XML or HTML): C0 controls but tab,
# line feed and carriage return, and the non-characters U+FFFE and U+FFFF.
_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean_str(text: str, warnings: list[str]) -> str:
    """NFC text without control characters; a lone surrogate becomes U+FFFD."""
    if not is_text(text):
        # A lone "\\ud800" escape in JSON: no UTF-8 encoding exists for it.
        text = SURROGATE_RE.sub("\ufffd", text)
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


def _at_line(warning: str, line: int | None) -> str:
    """A warning about a front-matter field, naming the field's line when it is known."""
    return f"{warning}, on line {line}" if line else warning
