"""The outlet that published an article: attribution, dateline, signature, photo credit."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from searchapp.corpus.extract.common import body_lines, load
from searchapp.corpus.extract.dates import is_timestamp_line

_ATTRIBUTION = re.compile(r"(?:^|(?<=[a-zà-ỹ]))(?:Theo|Nguồn)\s*:?\s+(.{2,60}?)\s*[.;]?$")
_DATELINE_PAREN = re.compile(r"^[^()\n]{0,30}\(\s*([^()\n]{2,30}?)\s*\)\s*[-–—]")
_DATELINE_BARE = re.compile(r"^([^\s()\-–—][^()\-–—\n]{0,24}?)\s*[-–—]\s")
_PHOTO_CREDIT = re.compile(r"(?:Ảnh|ảnh|Nguồn ảnh)\s*:\s*([^()\n]{1,60}?)\s*(?:\)|$|\.\s|;)")
_SIGNATURE_LINES = 2
_SIGNATURE_MAX_CHARS = 40
_ATTRIBUTION_MAX_CHARS = 80


def _outlet_key(name: str) -> str:
    """Lower-cased outlet name with "Báo", "điện tử" and punctuation removed."""
    config = load("sources.toml")
    key = re.sub(r"\s+", " ", name.strip().strip("()[]\"'“”.,:;-–— ").lower())
    for prefix in config["prefixes"]:
        if key.startswith(prefix + " "):
            key = key[len(prefix) + 1 :]
            break
    for suffix in config["suffixes"]:
        if key.endswith(suffix) and key != suffix:
            key = key[: -len(suffix)].rstrip(" -")
            break
    return key


@cache
def _outlets() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for outlet in load("sources.toml")["outlet"]:
        for alias in [outlet["name"], *outlet["aliases"]]:
            table.setdefault(_outlet_key(alias), outlet)
    return table


def _resolve_outlet(text: str, *, photo: bool = False) -> str | None:
    """The outlet named by ``text`` ("TTXVN/Vietnam+" gives the first one)."""
    for part in re.split(r"\s*[/,]\s*|\s+[-–]\s+", text):
        outlet = _outlets().get(_outlet_key(part))
        if outlet and (not photo or outlet.get("photo_credit", False)):
            return str(outlet["name"])
    return None


def _source_from_attribution(lines: list[str]) -> str | None:
    for line in reversed(lines):
        if len(line) > _ATTRIBUTION_MAX_CHARS:
            continue
        match = _ATTRIBUTION.search(line)
        if match and (found := _resolve_outlet(match.group(1))):
            return found
    return None


def _source_from_dateline(lines: list[str]) -> str | None:
    for line in lines:
        for pattern in (_DATELINE_PAREN, _DATELINE_BARE):
            match = pattern.match(line)
            if match and (found := _resolve_outlet(match.group(1))):
                return found
    return None


def _opening_line(lines: list[str]) -> list[str]:
    """The first line that is not a bare time stamp ("10/09/2023 21:15", "Thứ Hai, 10/9/2023")."""
    return next(([line] for line in lines if not is_timestamp_line(line)), [])


def _source_from_signature(lines: list[str]) -> str | None:
    for line in reversed(lines[-_SIGNATURE_LINES:]):
        if len(line) <= _SIGNATURE_MAX_CHARS:
            candidate = line.removesuffix("./.").strip()
            if found := _resolve_outlet(candidate):
                return found
    return None


def _source_from_photo_credit(text: str) -> str | None:
    for match in _PHOTO_CREDIT.finditer(text):
        if found := _resolve_outlet(match.group(1), photo=True):
            return found
    return None


def extract_source(title: str, body: str) -> str | None:
    """Canonical name of the outlet that published the article, else None.

    The order of evidence and the outlet list are documented in
    ``data/sources.toml``: attribution line, opening dateline, closing
    signature, then a photo credit only for outlets marked for it.
    """
    lines = body_lines(body)
    return (
        _source_from_attribution(lines)
        or _source_from_dateline([*_opening_line(lines), title.strip()])
        or _source_from_signature(lines)
        or _source_from_photo_credit(f"{title}\n{body}")
    )
