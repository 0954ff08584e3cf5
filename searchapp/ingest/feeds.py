"""RSS and Atom feeds: their new items fetched and saved as articles.

The ids and links of items already fetched are remembered in
``<index>/feeds.json`` (replaced atomically), so that a page is fetched once.
Two ``fetch-feed`` runs at the same moment may forget each other's items;
the only consequence is that those pages are fetched again later and saved
to the same files.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html as html_lib
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from searchapp import atomic
from searchapp.config import Config
from searchapp.ingest.download import IngestError, Response, fetch, is_url
from searchapp.ingest.page import article_paragraphs, one_line
from searchapp.ingest.pages import IngestResult, OnOutcome, Outcome, ingest_url
from searchapp.ingest.saving import canonical_url
from searchapp.progress import SILENT, Progress

DEFAULT_DELAY = 1.0  # seconds between two page requests of a feed

STATE_FILE = "feeds.json"

FEED_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1"

# Looked up at call time so that tests can replace it.
sleep = time.sleep

# --------------------------------------------------------------------------
# fetch-feed
# --------------------------------------------------------------------------


def load_state(index_path: Path) -> dict[str, Any]:
    """The remembered feeds and items; empty when there is no state yet."""
    path = index_path / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": 1, "feeds": {}, "items": {}}
    except (OSError, ValueError) as exc:
        raise IngestError(
            f"{path} cannot be read ({exc}); delete it to start over (already fetched pages are then fetched again)"
        ) from None
    if not isinstance(state, dict):
        raise IngestError(f"{path} is not a JSON object; delete it to start over")
    state.setdefault("version", 1)
    state.setdefault("feeds", {})
    state.setdefault("items", {})
    return state


def save_state(index_path: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically."""
    atomic.write_text(index_path / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def _parse_feed(response: Response):
    import feedparser

    headers = {"content-location": response.url}
    if response.content_type:
        charset = f"; charset={response.charset}" if response.charset else ""
        headers["content-type"] = response.content_type + charset
    parsed = feedparser.parse(response.body, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({reason})" if reason else ""
        raise IngestError(f"not an RSS or Atom feed{detail}")
    return parsed


def _entry_text(entry) -> str:
    """The item's summary (or content) as plain NFC paragraphs."""
    value = entry.get("summary") or ""
    for content in entry.get("content") or []:
        if len(content.get("value", "")) > len(value):
            value = content["value"]
    value = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h[1-6]|/blockquote)\b[^>]*>", "\n", value)
    value = html_lib.unescape(re.sub(r"<[^>]+>", " ", value))
    return article_paragraphs(value, "")


def _entry_date(entry) -> str | None:
    for key in ("published_parsed", "updated_parsed"):
        stamp = entry.get(key)
        if stamp:
            return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).date().isoformat()
    return None


def fetch_feed(
    config: Config,
    feed_url: str,
    limit: int | None = None,
    delay: float = DEFAULT_DELAY,
    progress: Progress = SILENT,
    on_outcome: OnOutcome | None = None,
) -> IngestResult:
    """Fetch the pages of a feed's items never fetched before, save them, reindex once.

    :param limit: fetch at most this many new items (the rest wait for the next run).
    :param delay: seconds to wait before each page request.
    :raises IngestError: the feed itself cannot be fetched or is not a feed.
    """
    from searchapp.index.reindex import reindex

    if not is_url(feed_url):
        raise IngestError(f"{feed_url}: give the feed's http:// or https:// address")
    try:
        response = fetch(feed_url, accept=FEED_ACCEPT)
        parsed = _parse_feed(response)
    except IngestError as exc:
        raise IngestError(f"{feed_url}: {exc}") from None
    state = load_state(config.index_path)
    items: dict[str, dict] = state["items"]
    known_links = {item.get("link") for item in items.values()}
    result = IngestResult(feed_title=one_line(parsed.feed.get("title", "")))

    def done(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    todo: list[tuple[str, str, Any]] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = urllib.parse.urljoin(response.url, (entry.get("link") or "").strip())
        if not is_url(link):
            done(Outcome(entry.get("title") or "(untitled item)", "failed", error="the item has no web link"))
            continue
        key = (entry.get("id") or "").strip() or canonical_url(link)
        if key in seen or canonical_url(link) in seen:
            continue  # the same item twice in one feed
        seen.update((key, canonical_url(link)))
        if key in items or canonical_url(link) in known_links:
            done(Outcome(link, "skipped"))
        else:
            todo.append((key, link, entry))
    if limit is not None and len(todo) > limit:
        result.left = len(todo) - limit
        todo = todo[:limit]

    try:
        progress.stage("Fetching", len(todo), unit="page")
        for number, (key, link, entry) in enumerate(todo):
            progress.update(number)
            if delay > 0:
                sleep(delay)
            fallback = {
                "title": one_line(entry.get("title", "")),
                "body": _entry_text(entry),
                "date": _entry_date(entry),
            }
            try:
                outcome = ingest_url(config.corpus_path, link, fallback)
            except IngestError as exc:
                done(Outcome(link, "failed", error=str(exc)))
                continue
            done(outcome)
            items[key] = {
                "link": canonical_url(link),
                "article": outcome.article_id,
                "feed": feed_url,
                "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        progress.update(len(todo))
    finally:
        state["feeds"][feed_url] = {
            "title": result.feed_title,
            "checked": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        save_state(config.index_path, state)

    # Also when every item was fetched before: a run killed while indexing
    # saved its pages and remembered its items, and only this indexes them.
    if result.count("added", "updated", "unchanged", "skipped"):
        result.report = reindex(config, progress=progress)
    return result
