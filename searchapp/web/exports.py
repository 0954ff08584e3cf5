"""The ways out of a result list: the Atom feed, OpenSearch, CSV and JSON Lines exports."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from feedgen.feed import FeedGenerator
from flask import (
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from searchapp.config import Config
from searchapp.corpus import metadata
from searchapp.errors import QueryError
from searchapp.search.results import Hit
from searchapp.text import fold
from searchapp.web.present import active_filters
from searchapp.web.state import SearchState, current_searcher, read_state, with_query
from searchapp.web.views import bp

FEED_ENTRIES = 50
# Undated articles in a feed: Atom needs a date, and this one sorts last.
UNDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The SERVER_NAME waitress reports when it was given none, and addresses that mean "every
# interface": neither is an address to put in a link.
WAITRESS_NO_NAME = "waitress.invalid"
UNSPECIFIED_ADDRESSES = ("0.0.0.0", "::", "[::]")
# Characters XML 1.0 has no place for (C0 controls but tab and newlines, lone surrogates,
# U+FFFE/U+FFFF): one of them in one title would make the whole feed unwritable.
XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
EXPORT_COLUMNS = ("id", "title", "date", "source", "url", "partners", "topics", "score")
EXPORT_MAX_ROWS = 10_000
EXPORT_PAGE = 100
# Spreadsheets run a cell starting with these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _list_state() -> SearchState:
    """The request's search, from the first page (feeds and exports take every page)."""
    return replace(read_state(), page=1, per_page=None)


def _plain(snippet: str) -> str:
    """The engine's snippet HTML (escaped text plus ``<mark>``) as plain text."""
    return html.unescape(re.sub(r"<[^>]*>", "", snippet))


def absolute_url(path: str) -> str:
    """``path`` (as :func:`url_for` gives it) as an absolute address, for feeds and OpenSearch.

    The address is ``[server] base_url`` when configured, else the address the
    server listens on. Never the request's Host header: anyone can send one, and a
    feed reader or a browser would keep the forged address and follow it later.
    """
    config: Config = current_app.config["SEARCHAPP_CONFIG"]
    if config.base_url:
        # base_url is the application's root: the path below it, without any mount prefix.
        below = path[len(request.script_root) :] if path.startswith(request.script_root) else path
        return config.base_url + below.lstrip("/")
    return _own_root() + path.lstrip("/")


def _own_root() -> str:
    """``scheme://host:port/`` of the server itself, from what the server (not the client) put in the environ."""
    environ = request.environ
    name = environ.get("SERVER_NAME") or ""
    # waitress says "waitress.invalid" unless given a name; an unspecified address is no place to link to.
    if not name or name == WAITRESS_NO_NAME or name in UNSPECIFIED_ADDRESSES:
        name = "127.0.0.1"
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    scheme = environ.get("wsgi.url_scheme") or "http"
    port = str(environ.get("SERVER_PORT") or current_app.config["SEARCHAPP_CONFIG"].port)
    default = {"http": "80", "https": "443"}.get(scheme)
    return f"{scheme}://{name}/" if port == default else f"{scheme}://{name}:{port}/"


def _xml_text(value: str) -> str:
    """``value`` without the characters XML forbids (an old index, a query typed with a control key)."""
    return XML_FORBIDDEN.sub("", value)


def _feed_date(date: str | None) -> dt.datetime:
    if not date:
        return UNDATED
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return UNDATED
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@bp.get("/feed.atom")
def feed() -> Response:
    """The newest :data:`FEED_ENTRIES` articles of a search as an Atom feed: a saved search as an alert."""
    state = replace(_list_state(), sort="newest")
    hits = list(state.stream(current_searcher(), FEED_ENTRIES, snippets=True))
    described = " · ".join(f"{c['kind']} {c['label']}" for c in active_filters(state))
    title = f"Tin ngoại giao: {state.q.strip()}" if state.q.strip() else "Tin ngoại giao: bài mới nhất"
    fg = FeedGenerator()
    fg.id(absolute_url(state.feed_url()))
    fg.title(_xml_text(f"{title} ({described})" if described else title))
    fg.subtitle("Bài mới nhất khớp với tìm kiếm này, mới nhất trước.")
    fg.author({"name": "Tin ngoại giao"})
    page = absolute_url(with_query(url_for("search.index"), state.params(page=False)))
    fg.link(href=page, rel="alternate", type="text/html")
    fg.link(href=absolute_url(state.feed_url()), rel="self", type="application/atom+xml")
    fg.language("vi")
    fg.updated(max((_feed_date(h.date) for h in hits), default=UNDATED))
    for hit in hits:
        entry = fg.add_entry(order="append")
        link = absolute_url(url_for("search.article", article_id=hit.id))
        entry.id(link)
        entry.title(_xml_text(hit.title) or _xml_text(hit.id))
        entry.link(href=link, rel="alternate", type="text/html")
        entry.updated(_feed_date(hit.date))
        if hit.date:
            entry.published(_feed_date(hit.date))
        source = _xml_text(hit.source or "")
        if source:
            entry.author({"name": source})
        summary = _xml_text(_plain(hit.snippet))
        if summary:
            entry.summary(summary)
        for code in hit.partners:
            entry.category(term=_xml_text(code), label=_xml_text(metadata.partner_label(code)))
        for slug in hit.topics:
            entry.category(term=_xml_text(slug), label=_xml_text(metadata.topic_label(slug)))
    return Response(fg.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """The OpenSearch description that lets a browser add this site as a search engine."""
    body = render_template("opensearch.xml", root=absolute_url(request.script_root + "/"), absolute_url=absolute_url)
    return Response(body, content_type="application/opensearchdescription+xml; charset=utf-8")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula ("=HYPERLINK(...)")."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _export_row(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "date": hit.date,
        "source": hit.source,
        "url": hit.url,
        "partners": hit.partners,
        "topics": hit.topics,
        "score": hit.score,
    }


def _csv_lines(hits: Iterable[Hit]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The byte order mark makes spreadsheet programs read the file as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    for i, hit in enumerate(hits, 1):
        row = _export_row(hit)
        row["partners"] = ";".join(hit.partners)
        row["topics"] = ";".join(hit.topics)
        writer.writerow([_cell(v) if isinstance(v, str) else ("" if v is None else v) for v in row.values()])
        if i % EXPORT_PAGE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _jsonl_lines(hits: Iterable[Hit]) -> Iterator[str]:
    for hit in hits:
        yield json.dumps(_export_row(hit), ensure_ascii=False) + "\n"


def _export_name(query: str, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(query).lower()).strip("-")[:60].strip("-")
    return f"searchapp-{slug or 'ket-qua'}.{fmt}"


@bp.get("/export")
def export() -> Response:
    """Every result of a search (up to :data:`EXPORT_MAX_ROWS`) as CSV or JSON Lines, streamed.

    :raises QueryError: an unknown ``format`` or another bad parameter.
    """
    fmt = request.args.get("format", "csv").strip() or "csv"
    if fmt not in EXPORT_FORMATS:
        raise QueryError(
            f"format must be one of {', '.join(EXPORT_FORMATS)}",
            f"Định dạng tải về “{fmt[:20]}” không có; hãy chọn {' hoặc '.join(EXPORT_FORMATS)}.",
        )
    state = _list_state()
    limit = EXPORT_MAX_ROWS
    # One pass over one index generation: the rows are exactly the total's articles.
    hits = state.stream(current_searcher(), limit, snippets=False)
    headers = {
        "Content-Disposition": f'attachment; filename="{_export_name(state.q, fmt)}"',
        "X-Searchapp-Total": str(hits.total),
    }
    if hits.total > limit:
        headers["X-Searchapp-Truncated"] = f"true; rows={limit}"
    lines = _csv_lines(hits) if fmt == "csv" else _jsonl_lines(hits)
    return Response(stream_with_context(lines), content_type=EXPORT_FORMATS[fmt], headers=headers)
