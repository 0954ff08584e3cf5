"""The web interface: the search page, article pages, the JSON API, and the
ways out of a result list: an Atom feed, CSV/JSON Lines export, OpenSearch and
search-box completion.

The page is rendered on the server and works without JavaScript; every bit of
state (query, filters, sort, page) lives in the URL, so a result list can be
bookmarked, shared and reloaded. ``/api/search``, ``/feed.atom`` and
``/export`` take the same parameters. One :class:`Searcher` is opened per
application and shared by every request.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from feedgen.feed import FeedGenerator
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound

from searchapp.config import Config, load_config
from searchapp.corpus import metadata
from searchapp.errors import IndexDamaged, IndexMissing, QueryError
from searchapp.search.querylang import MAX_QUERY_CHARS
from searchapp.search.searcher import (
    MAX_PAGE,
    PARAMETER_NAMES,
    SORTS,
    Hit,
    HitStream,
    Searcher,
    SearchResult,
    date_message,
)
from searchapp.search.searcher import UNDATED as UNDATED_YEAR
from searchapp.text import fold, nfc

# A filter parameter may repeat this often, each value up to this long.
MAX_FILTER_VALUES = 20
MAX_FILTER_CHARS = 200
# Facet values shown before "Xem thêm".
FACET_VISIBLE = 8
RECENT_ARTICLES = 5
RELATED_ARTICLES = 5
EXAMPLE_QUERIES = ("Biển Đông", "bien dong", "quan hệ Việt Nam Nhật Bản", '"đối tác chiến lược toàn diện"')
# Completion input longer than this is cut: nobody wants 100 characters completed.
MAX_SUGGEST_CHARS = 100
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
# The timeline's drawing box; the SVG is stretched to the column's width.
TIMELINE_WIDTH = 600
TIMELINE_HEIGHT = 56
TIMELINE_MIN_BAR = 2.0

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

# facet name in the engine -> (SearchState attribute, URL parameter, heading)
FACETS = {
    "partner": ("partners", "partner", "Đối tác chính"),
    "mentioned": ("mentioned", "mentioned", "Có nhắc đến"),
    "topic": ("topics", "topic", "Chủ đề"),
    "year": ("years", "year", "Năm"),
    "source": ("sources", "source", "Nguồn tin"),
}
SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất"}
# What each facet's heading means, under the heading.
FACET_HINTS = {
    "partner": "Nước, tổ chức mà bài chủ yếu nói về",
    "mentioned": "Mọi nước, tổ chức được nêu tên trong bài",
}
# Categories as the sources write them (often an English slug) -> Vietnamese.
# A category neither here nor written in Vietnamese is not shown.
CATEGORY_LABELS = {
    "world": "Thế giới",
    "society": "Xã hội",
    "business": "Kinh doanh",
    "education": "Giáo dục",
    "travel": "Du lịch",
    "health": "Sức khỏe",
    "tech": "Công nghệ",
    "politics": "Chính trị",
    "sports": "Thể thao",
    "tin-tuc-trong-ngay": "Tin trong ngày",
}
# The one pattern of every tab title: "<what the page shows> – SITE_NAME".
SITE_NAME = "Tin ngoại giao"

ERROR_PAGES = {
    400: ("Yêu cầu không hợp lệ", "Một tham số trong địa chỉ trang không đúng (số trang, ngày tháng, cách sắp xếp…)."),
    404: (
        "Không tìm thấy",
        "Trang hoặc bài viết bạn tìm không có trong chỉ mục. Có thể bài đã bị xóa hoặc địa chỉ bị sai.",
    ),
    405: ("Phương thức không được hỗ trợ", "Trang này chỉ nhận yêu cầu GET."),
    413: ("Yêu cầu quá lớn", "Máy chủ không nhận yêu cầu có nội dung lớn như vậy."),
    500: ("Lỗi máy chủ", "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau ít phút."),
    503: ("Chưa có chỉ mục tìm kiếm", "Máy chủ chưa có chỉ mục để tìm."),
}

DAMAGED_MESSAGE = (
    "Chỉ mục tìm kiếm bị hỏng: tệp {name} bị thiếu, bị cắt ngắn hoặc không đọc được. "
    "Hãy dựng lại chỉ mục bằng lệnh `searchapp reindex --full`; trang tìm kiếm hoạt động lại ngay sau đó."
)

bp = Blueprint("search", __name__)


class NormalizedRequest(Request):
    """A request whose parameters are NFC-normalized once, on the way in.

    Some keyboards send Vietnamese decomposed (NFD); the index and every
    comparison are NFC, so a filter or a prefix typed that way still matches.
    """

    @cached_property
    def args(self) -> ImmutableMultiDict:
        raw = super().args
        return ImmutableMultiDict([(nfc(k), nfc(v)) for k, v in raw.items(multi=True)])


def create_app(config: Config | None = None, serving: bool = False) -> Flask:
    """Build the Flask application around one shared :class:`Searcher`.

    :param config: the configuration; ``None`` reads ``config.toml`` (or ``$SEARCHAPP_CONFIG``).
    :param serving: for a long-running server: a new index is opened and warmed
        in the background and swapped in when ready (see :class:`Searcher`).
    :raises ConfigError: the configuration file is missing or invalid.
    """
    config = config if config is not None else load_config()
    app = Flask(__name__)
    app.request_class = NormalizedRequest
    app.config.update(
        SEARCHAPP_CONFIG=config,
        MAX_CONTENT_LENGTH=16 * 1024,
        MAX_FORM_MEMORY_SIZE=16 * 1024,
    )
    # Article ids are opaque strings: "a//b" must reach the route as it is.
    app.url_map.merge_slashes = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Opened once; the searcher notices a reindex on its own.
    app.extensions["searchapp"] = Searcher(config, serving=serving)
    app.register_blueprint(bp)
    app.add_template_filter(format_date, "vn_date")
    app.add_template_filter(format_number, "vn_number")
    app.add_template_filter(format_seconds, "vn_seconds")
    app.after_request(_security_headers)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(IndexMissing, _index_missing)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    return app


# Searches answered before the server listens: one accented and one typed
# without marks, so the index, the accent restorer, pyvi's model, the name
# tables and the templates are all loaded. Without them the first user
# waited seconds for what later takes milliseconds.
WARM_QUERIES = ("Việt Nam", "quan he viet nam")


def warm(app: Flask) -> None:
    """Answer :data:`WARM_QUERIES` and a completion inside ``app``, discarding
    the answers. A missing or damaged index only makes them error pages."""
    client = app.test_client()
    for query in WARM_QUERIES:
        client.get("/", query_string={"q": query})
    client.get("/api/suggest", query_string={"q": "vi"})


def _searcher() -> Searcher:
    return current_app.extensions["searchapp"]


# -- request state --------------------------------------------------------------


@dataclass(frozen=True)
class SearchState:
    """The search page's parameters, normalised, and the links that change them."""

    q: str = ""
    partners: tuple[str, ...] = ()
    # Partners named anywhere in the article (``partners``: the ones it is mainly about).
    mentioned: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    sort: str = ""  # "" means the default: relevance with a query, newest without
    page: int = 1
    per_page: int | None = None
    # Search the text as typed (no accents restored), accent-insensitive.
    exact: bool = False

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q.strip() else "newest")

    @property
    def has_filters(self) -> bool:
        facets = any(getattr(self, attr) for attr, _, _ in FACETS.values())
        return facets or bool(self.date_from or self.date_to)

    @property
    def is_home(self) -> bool:
        """Nothing asked yet: show the introduction instead of a result list."""
        return not self.q.strip() and not self.has_filters and not self.sort and self.page == 1

    def search(self, searcher: Searcher, snippets: bool = True, group: bool = True) -> SearchResult:
        return searcher.search(
            self.q, page=self.page, per_page=self.per_page, snippets=snippets, group=group, **self._asked()
        )

    def stream(self, searcher: Searcher, limit: int, snippets: bool) -> HitStream:
        """Every matching article, one pass over one index generation (feeds, exports)."""
        return searcher.iter_hits(self.q, limit=limit, snippets=snippets, **self._asked())

    def _asked(self) -> dict[str, Any]:
        """The filters, order and reading, as the searcher takes them."""
        return {
            "partners": self.partners,
            "mentioned": self.mentioned,
            "topics": self.topics,
            "sources": self.sources,
            "years": self.years,
            "date_from": self.date_from or None,
            "date_to": self.date_to or None,
            "sort": self.effective_sort,
            "exact": self.exact,
        }

    def params(self, page: bool = True) -> list[tuple[str, str]]:
        """The URL parameters, in a stable order, defaults left out."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        if self.exact:
            pairs.append(("exact", "1"))
        for attr, name, _ in FACETS.values():
            pairs.extend((name, value) for value in getattr(self, attr))
        if self.date_from:
            pairs.append(("from", self.date_from))
        if self.date_to:
            pairs.append(("to", self.date_to))
        if self.sort:
            pairs.append(("sort", self.sort))
        if page and self.page > 1:
            pairs.append(("page", str(self.page)))
        if self.per_page is not None:
            pairs.append(("per_page", str(self.per_page)))
        return pairs

    def hidden_fields(self, *leave_out: str) -> list[tuple[str, str]]:
        """Parameters a form must carry along, minus the ones it asks for itself."""
        return [(k, v) for k, v in self.params(page=False) if k not in leave_out]

    def url(self, **changes: Any) -> str:
        state = replace(self, **changes) if changes else self
        return _with_query(url_for("search.index"), state.params())

    def api_url(self) -> str:
        return _with_query(url_for("search.api_search"), self.params())

    def _list_params(self) -> list[tuple[str, str]]:
        """The query and filters; not the page or page size (a feed or an export is every page)."""
        return [(k, v) for k, v in self.params(page=False) if k != "per_page"]

    def feed_url(self) -> str:
        """The Atom feed of this search; always newest first, so ``sort`` is left out."""
        return _with_query(url_for("search.feed"), [(k, v) for k, v in self._list_params() if k != "sort"])

    def export_url(self, fmt: str) -> str:
        return _with_query(url_for("search.export"), [*self._list_params(), ("format", fmt)])

    def date_range_url(self, date_from: str, date_to: str) -> str:
        return self.url(date_from=date_from, date_to=date_to, page=1)

    def page_url(self, page: int) -> str:
        return self.url(page=page)

    def sort_url(self, sort: str) -> str:
        return self.url(sort=sort, page=1)

    def has_value(self, facet: str, value: str) -> bool:
        return value in getattr(self, FACETS[facet][0])

    def toggle_url(self, facet: str, value: str) -> str:
        """Link that adds ``value`` to the facet's filter, or removes it if present."""
        attr = FACETS[facet][0]
        current = getattr(self, attr)
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.url(**{attr: values, "page": 1})

    def without_filters_url(self) -> str:
        return self.url(partners=(), mentioned=(), topics=(), sources=(), years=(), date_from="", date_to="", page=1)

    def as_searched(self, result: SearchResult) -> SearchState:
        """The state with the filters the engine applied: a reversed date range
        swapped (the result's notices say so), values in their canonical form."""
        applied = result.filters
        if not applied:
            return self

        def kept(values: tuple[str, ...], used) -> tuple[str, ...]:
            return tuple(v for v in values if v in used)

        years = {UNDATED_YEAR if y == 0 else str(y) for y in applied["years"]}
        return replace(
            self,
            partners=kept(self.partners, applied["partners"]),
            mentioned=kept(self.mentioned, applied["mentioned"]),
            topics=kept(self.topics, applied["topics"]),
            sources=tuple(a for a in applied["sources"] if any(_same_source(a, s) for s in self.sources)),
            years=kept(self.years, years),
            date_from=_iso(applied["date_from"]) if self.date_from else "",
            date_to=_iso(applied["date_to"]) if self.date_to else "",
            page=result.page,
        )

    def search_url_for(self, query: str) -> str:
        """The same filters with another query (the "did you mean" link)."""
        return self.url(q=query, page=1, exact=False)

    def exact_url(self) -> str:
        """The same search with the text exactly as typed (no accents restored)."""
        return self.url(exact=True, page=1)


def _same_source(one: str, other: str) -> bool:
    return fold(one).casefold() == fold(other).casefold()


def _iso(number: int) -> str:
    text = f"{number:08d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if number else ""


def _with_query(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _query_text() -> str:
    """The query box text, cut to :data:`MAX_QUERY_CHARS`."""
    return request.args.get("q", "")[:MAX_QUERY_CHARS]


def _values(name: str) -> list[str]:
    values = [v.strip() for v in request.args.getlist(name) if v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise QueryError(
            f"{name} may be given at most {MAX_FILTER_VALUES} times",
            f"Bộ lọc “{name}” chỉ nhận tối đa {MAX_FILTER_VALUES} giá trị.",
        )
    if any(len(v) > MAX_FILTER_CHARS for v in values):
        raise QueryError(
            f"{name} values must be at most {MAX_FILTER_CHARS} characters",
            f"Mỗi giá trị của bộ lọc “{name}” dài tối đa {MAX_FILTER_CHARS} ký tự.",
        )
    return list(dict.fromkeys(values))


def _whole_number(name: str, maximum: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise QueryError(
            f"{name} must be a whole number, got {raw[:20]!r}",
            f"{PARAMETER_NAMES.get(name, name)} phải là một số nguyên, không phải “{raw[:20]}”.",
        )
    number = int(raw)
    if not 1 <= number <= maximum:
        raise QueryError(
            f"{name} must be between 1 and {maximum}", f"{PARAMETER_NAMES.get(name, name)} phải từ 1 đến {maximum}."
        )
    return number


def _date(name: str) -> str:
    raw = request.args.get(name, "").strip()
    if raw and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise QueryError(f"{name} must be a date as YYYY-MM-DD, got {raw[:20]!r}", date_message(name, raw))
    return raw


def _year(value: str) -> str:
    """A year, or ``undated`` for the articles without a date."""
    if value.lower() == UNDATED_YEAR:
        return UNDATED_YEAR
    if not re.fullmatch(r"\d{4}", value):
        raise QueryError(
            f"year must be a number like 2021 or {UNDATED_YEAR!r}, got {value[:20]!r}",
            f"Năm phải là số có bốn chữ số như 2021 (hoặc “{UNDATED_YEAR}” cho bài không rõ ngày), "
            f"không phải “{value[:20]}”.",
        )
    return value


def read_state() -> SearchState:
    """The :class:`SearchState` of the current request.

    :raises QueryError: a parameter other than the query text is invalid.
    """
    sort = request.args.get("sort", "").strip()
    if sort and sort not in SORTS:
        raise QueryError(
            f"sort must be one of {', '.join(SORTS)}",
            f"Cách sắp xếp “{sort[:20]}” không có; hãy chọn relevance (liên quan nhất), newest (mới nhất) "
            "hoặc oldest (cũ nhất).",
        )
    config: Config = current_app.config["SEARCHAPP_CONFIG"]
    return SearchState(
        q=_query_text(),
        # Canonical codes, so that "Nhật Bản" in a URL and the JP facet value are one filter.
        partners=tuple(dict.fromkeys(metadata.resolve_partner(p) or p for p in _values("partner"))),
        mentioned=tuple(dict.fromkeys(metadata.resolve_partner(p) or p for p in _values("mentioned"))),
        topics=tuple(dict.fromkeys(metadata.resolve_topic(t) or t for t in _values("topic"))),
        sources=tuple(_values("source")),
        years=tuple(_year(y) for y in _values("year")),
        date_from=_date("from"),
        date_to=_date("to"),
        sort=sort,
        page=_whole_number("page", MAX_PAGE) or 1,
        per_page=_whole_number("per_page", config.max_per_page),
        exact=request.args.get("exact", "").strip().lower() in ("1", "true", "yes", "on"),
    )


# -- what templates show ----------------------------------------------------------


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) link, else ``None`` (no ``javascript:`` links)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def article_url(article_id: str, query: str = "") -> str:
    if query.strip():
        return url_for("search.article", article_id=article_id, q=query)
    return url_for("search.article", article_id=article_id)


def _hit_view(hit: Hit, state: SearchState) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "href": article_url(hit.id, state.q),
        "date": hit.date,
        "source": hit.source,
        # The main partners as tags; the others it names on request.
        # A partner already filtered on is shown without a link: with several
        # values chosen, it says which of them this article is about.
        "partners": [
            {
                "label": metadata.partner_label(code),
                "href": None if state.has_value("partner", code) else state.toggle_url("partner", code),
            }
            for code in hit.partners
        ],
        "also_named": [
            {
                "label": metadata.partner_label(code),
                "href": None if state.has_value("mentioned", code) else state.toggle_url("mentioned", code),
            }
            for code in hit.mentioned
            if code not in hit.partners
        ],
        # The engine escapes the article text before adding <mark>.
        "snippet": Markup(hit.snippet),
        "similar": _similar_views(hit, state),
        "missing": hit.missing or [],
    }


def _similar_views(hit: Hit, state: SearchState) -> list[dict[str, Any]]:
    """The same story from other outlets, listed under the hit."""
    views = []
    for article_id in hit.similar:
        article = _searcher().article(article_id)
        if article is not None:
            views.append(
                {
                    "title": article["title"],
                    "href": article_url(article_id, state.q),
                    "source": article["source"],
                    "date": article["date"],
                }
            )
    return views


def _facet_views(result: SearchResult, state: SearchState) -> list[dict[str, Any]]:
    groups = []
    for facet, (_, _, heading) in FACETS.items():
        values = []
        for fv in result.facets.get(facet, []):
            selected = state.has_value(facet, fv.value) or fv.selected
            values.append(
                {
                    "label": fv.label,
                    "count": fv.count,
                    "selected": selected,
                    "href": state.toggle_url(facet, fv.value),
                }
            )
        if not values:
            continue
        visible = [v for i, v in enumerate(values) if i < FACET_VISIBLE or v["selected"]]
        more = [v for i, v in enumerate(values) if i >= FACET_VISIBLE and not v["selected"]]
        groups.append(
            {
                "key": facet,
                "heading": heading,
                "hint": FACET_HINTS.get(facet),
                "visible": visible,
                "more": more,
                # Chosen values are alternatives: each count is that value alone.
                "multiple": any(v["selected"] for v in values),
            }
        )
    return groups


def _filter_label(facet: str, value: str) -> str:
    if facet in ("partner", "mentioned"):
        return metadata.partner_label(value)
    if facet == "topic":
        return metadata.topic_label(value)
    if facet == "year" and value == UNDATED_YEAR:
        return "Không rõ ngày"
    return value


def _filter_groups(state: SearchState) -> list[dict[str, Any]]:
    """The filters one facet at a time, as the page says them: values of one
    facet are alternatives ("hoặc"), facets must all hold ("·")."""
    groups = []
    for facet, (attr, _, heading) in FACETS.items():
        values = getattr(state, attr)
        if values:
            groups.append(
                {
                    "kind": heading,
                    "choices": [{"label": _filter_label(facet, v), "href": state.toggle_url(facet, v)} for v in values],
                }
            )
    # Two groups, not one: both bounds hold, and each is removed on its own.
    if state.date_from:
        choice = {"label": format_date(state.date_from), "href": state.url(date_from="", page=1)}
        groups.append({"kind": "Từ ngày", "choices": [choice]})
    if state.date_to:
        choice = {"label": format_date(state.date_to), "href": state.url(date_to="", page=1)}
        groups.append({"kind": "Đến ngày", "choices": [choice]})
    return groups


def _active_filters(state: SearchState) -> list[dict[str, str]]:
    """One removable chip per filter in the URL."""
    chips = []
    for facet, (attr, _, heading) in FACETS.items():
        for value in getattr(state, attr):
            chips.append(
                {"kind": heading, "label": _filter_label(facet, value), "href": state.toggle_url(facet, value)}
            )
    if state.date_from:
        chips.append(
            {"kind": "Từ ngày", "label": format_date(state.date_from), "href": state.url(date_from="", page=1)}
        )
    if state.date_to:
        chips.append({"kind": "Đến ngày", "label": format_date(state.date_to), "href": state.url(date_to="", page=1)})
    return chips


def _period_range(period: str) -> tuple[str, str, str]:
    """First day, last day and Vietnamese name of a timeline period ("2021-07" or "2021")."""
    if len(period) == 4:
        return f"{period}-01-01", f"{period}-12-31", f"Năm {period}"
    year, month = int(period[:4]), int(period[5:7])
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return f"{period}-01", last.isoformat(), f"Tháng {month}/{year}"


def _axis_labels(periods: list[str]) -> list[str]:
    """Labels under the bars: the ends, then each year (or each January) where there is room."""
    count = len(periods)
    yearly = len(periods[0]) == 4
    if yearly and count <= 12:
        return list(periods)
    # One label takes about this many bars of room at the narrowest width.
    room = max(1, -(-count // (8 if yearly else 6)))
    kept: list[int] = []
    for i, period in enumerate(periods):
        wanted = i in (0, count - 1) or (int(period) % 5 == 0 if yearly else period.endswith("-01"))
        if not wanted:
            continue
        if kept and i - kept[-1] < room:
            if i != count - 1:
                continue
            if kept[-1] != 0:
                kept.pop()  # the last period is labelled; its close neighbour is not
            else:
                continue
        kept.append(i)
    labels = [""] * count
    for i in kept:
        period = periods[i]
        labels[i] = period if yearly else f"{int(period[5:7])}/{period[:4]}"
    return labels


def _timeline_view(result: SearchResult, state: SearchState) -> dict[str, Any] | None:
    """The bars of the results timeline, or ``None`` when there is nothing to compare.

    A bar links to the same search narrowed to its month or year, within any
    date range already chosen.
    """
    periods = result.timeline
    top = max((p["count"] for p in periods), default=0)
    if len(periods) < 2 or top == 0:
        return None
    slot = TIMELINE_WIDTH / len(periods)
    gap = min(2.0, slot * 0.25)
    axis = _axis_labels([p["period"] for p in periods])
    bars = []
    for i, period in enumerate(periods):
        first, last, name = _period_range(period["period"])
        first = max(first, state.date_from) if state.date_from else first
        last = min(last, state.date_to) if state.date_to else last
        count = period["count"]
        height = max(count / top * (TIMELINE_HEIGHT - 2), TIMELINE_MIN_BAR) if count else 0.0
        bars.append(
            {
                "x": round(i * slot, 2),
                "slot": round(slot, 2),
                "bar_x": round(i * slot + gap / 2, 2),
                "bar_width": round(slot - gap, 2),
                "y": round(TIMELINE_HEIGHT - height, 2),
                "height": round(height, 2),
                "count": count,
                "label": f"{name}: {format_number(count)} bài",
                "axis": axis[i],
                "href": state.date_range_url(first, last) if count else None,
                "current": state.date_from == first and state.date_to == last,
            }
        )
    yearly = len(periods[0]["period"]) == 4
    return {
        "bars": bars,
        "width": TIMELINE_WIDTH,
        "height": TIMELINE_HEIGHT,
        "title": "Số bài theo năm" if yearly else "Số bài theo tháng",
        "every_bar_labelled": all(axis),
    }


def page_numbers(page: int, pages: int) -> list[int | None]:
    """Page links around ``page``, with ``None`` where numbers are skipped: 1 … 4 5 6 7 8 … 20."""
    pages = min(pages, MAX_PAGE)
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


def _paragraphs(html: str) -> list[Markup]:
    """Split the engine's escaped, highlighted body into paragraphs at blank lines."""
    blocks = re.split(r"\n[ \t]*\n", html.strip())
    return [Markup(block.strip().replace("\n", "<br>\n")) for block in blocks if block.strip()]


def category_label(value: str | None) -> str | None:
    """A source's category in Vietnamese, or ``None`` when it has no Vietnamese name.

    Categories written in Vietnamese ("Thế giới") are shown as written; known
    English slugs ("world") are translated; any other slug ("trang-chu") is
    a site's internal name and is not shown.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.lower() in CATEGORY_LABELS:
        return CATEGORY_LABELS[value.lower()]
    return value if fold(value) != value else None


def format_date(value: str | None) -> str:
    """``2024-07-25`` -> ``25/07/2024``, the way Vietnamese pages write dates."""
    if not value:
        return ""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    return f"{match[3]}/{match[2]}/{match[1]}" if match else value


def format_number(value: int) -> str:
    """``12345`` -> ``12.345`` (Vietnamese digit grouping)."""
    return f"{value:,}".replace(",", ".")


def format_seconds(milliseconds: float) -> str:
    """``12.5`` (ms) -> ``0,01`` (seconds, decimal comma); never ``0,00``."""
    return f"{max(milliseconds, 10) / 1000:.2f}".replace(".", ",")


# -- routes -------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """The search page; without a query and filters, the introduction and recent articles."""
    state = read_state()
    searcher = _searcher()
    # The box on this page will ask for completions: have the table ready.
    searcher.completions(background=True)
    if state.is_home:
        recent = replace(state, per_page=RECENT_ARTICLES).search(searcher)
        return render_template(
            "home.html",
            state=state,
            total=recent.total,
            recent=[_hit_view(h, state) for h in recent.hits],
            facets=_facet_views(recent, state),
            years=[int(v.value) for v in recent.facets.get("year", []) if v.value != UNDATED_YEAR],
            undated=recent.undated,
            undated_url=state.url(years=(UNDATED_YEAR,)),
            examples=[(q, state.url(q=q)) for q in EXAMPLE_QUERIES],
        )
    result = state.search(searcher)
    # Links and chips carry what was searched: no unknown value, dates in order.
    state = state.as_searched(result)
    first_rank = (result.page - 1) * result.per_page + 1
    return render_template(
        "search.html",
        state=state,
        result=result,
        hits=[_hit_view(h, state) for h in result.hits],
        partial=[_hit_view(h, state) for h in result.partial],
        first_rank=first_rank,
        facets=_facet_views(result, state),
        active_filters=_active_filters(state),
        filter_groups=_filter_groups(state),
        notices=result.notices,
        undated_url=state.url(years=(UNDATED_YEAR,), date_from="", date_to="", page=1),
        sorts=[(s, SORT_LABELS[s]) for s in SORTS if s != "relevance" or state.q.strip()],
        pages=page_numbers(result.page, result.pages),
        last_page=min(result.pages, MAX_PAGE),
        examples=[(q, state.url(q=q, page=1)) for q in EXAMPLE_QUERIES],
        timeline=_timeline_view(result, state),
    )


@bp.get("/article/<path:article_id>")
def article(article_id: str) -> str:
    """One article, with the query's words marked when ``q`` is given."""
    query = _query_text()
    searcher = _searcher()
    found = searcher.highlighted_article(article_id, query)
    if found is None:
        raise NotFound(f"no article with id {article_id[:200]!r}")
    data, title_html, body_html = found
    browse = SearchState()
    return render_template(
        "article.html",
        state=SearchState(q=query),
        article=data,
        # Both come from the engine's highlighter, which escapes the text first.
        title_html=Markup(title_html),
        paragraphs=_paragraphs(body_html),
        original_url=safe_url(data.get("url")),
        category=category_label(data.get("category")),
        partners=[(metadata.partner_label(p), browse.toggle_url("partner", p)) for p in data["partners"]],
        also_named=[
            (metadata.partner_label(p), browse.toggle_url("mentioned", p))
            for p in data.get("mentioned", [])
            if p not in data["partners"]
        ],
        topics=[(metadata.topic_label(t), browse.toggle_url("topic", t)) for t in data["topics"]],
        source_href=browse.toggle_url("source", data["source"]) if data.get("source") else None,
        related=[_hit_view(h, browse) for h in searcher.related(article_id, limit=RELATED_ARTICLES)],
        back_url=SearchState(q=query).url() if query.strip() else None,
    )


@bp.get("/api/search")
def api_search() -> Response:
    """The search page's parameters in, :meth:`SearchResult.to_json` out."""
    return jsonify(read_state().search(_searcher()).to_json())


@bp.get("/api/article/<path:article_id>")
def api_article(article_id: str) -> Response:
    """``{"ok": true, "article": {...}}`` or a 404 envelope."""
    found = _searcher().article(article_id)
    if found is None:
        raise NotFound(f"no article with id {article_id[:200]!r}")
    return jsonify({"ok": True, "article": found})


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Completions of the search box text: ``{"ok", "query", "suggestions": [{"text", "kind"}]}``.

    ``format=opensearch`` answers in the OpenSearch suggestions format
    (``[query, [completions]]``) that browsers ask for.
    """
    query = request.args.get("q", "")[:MAX_SUGGEST_CHARS]
    table = _searcher().completions() if query.strip() else None
    suggestions = table.complete(query) if table is not None else []
    if request.args.get("format") == "opensearch":
        body = json.dumps([query, [s.text for s in suggestions]], ensure_ascii=False)
        response = current_app.response_class(body, mimetype="application/x-suggestions+json")
    else:
        response = jsonify({"ok": True, "query": query, "suggestions": [s.to_json() for s in suggestions]})
    # Typing the same prefix again is common; a reindex is rare.
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


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
    hits = list(state.stream(_searcher(), FEED_ENTRIES, snippets=True))
    described = " · ".join(f"{c['kind']} {c['label']}" for c in _active_filters(state))
    title = f"Tin ngoại giao: {state.q.strip()}" if state.q.strip() else "Tin ngoại giao: bài mới nhất"
    fg = FeedGenerator()
    fg.id(absolute_url(state.feed_url()))
    fg.title(_xml_text(f"{title} ({described})" if described else title))
    fg.subtitle("Bài mới nhất khớp với tìm kiếm này, mới nhất trước.")
    fg.author({"name": "Tin ngoại giao"})
    page = absolute_url(_with_query(url_for("search.index"), state.params(page=False)))
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
    hits = state.stream(_searcher(), limit, snippets=False)
    headers = {
        "Content-Disposition": f'attachment; filename="{_export_name(state.q, fmt)}"',
        "X-Searchapp-Total": str(hits.total),
    }
    if hits.total > limit:
        headers["X-Searchapp-Truncated"] = f"true; rows={limit}"
    lines = _csv_lines(hits) if fmt == "csv" else _jsonl_lines(hits)
    return Response(stream_with_context(lines), content_type=EXPORT_FORMATS[fmt], headers=headers)


# -- errors and headers -------------------------------------------------------------


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(
    status: int, message: str, extra: dict[str, Any] | None = None, headers=None, vietnamese: str | None = None
):
    """The error as a JSON envelope or a page.

    :param message: the English description, the JSON's ``error``, as clients have always read it.
    :param vietnamese: what a reader is told (the JSON's ``message``); by default the page's explanation.
    """
    title, explanation = ERROR_PAGES.get(status, (f"Lỗi {status}", "Đã có lỗi khi xử lý yêu cầu."))
    if _wants_json():
        response = jsonify({"ok": False, "error": message, "message": vietnamese or explanation, "status": status})
        response.status_code = status
        if headers:
            response.headers.update(headers)
        return response
    html = render_template(
        "error.html",
        status=status,
        title=title,
        explanation=explanation,
        detail=vietnamese,
        state=SearchState(q=request.args.get("q", "")[:MAX_QUERY_CHARS]),
        **(extra or {}),
    )
    return html, status, headers or {}


def _query_error(exc: QueryError):
    return _error_response(400, str(exc), {"retry_url": SearchState(q=_query_text()).url()}, vietnamese=exc.vietnamese)


def _index_missing(exc: IndexMissing):
    current_app.logger.warning("search index unavailable: %s", exc)
    if isinstance(exc, IndexDamaged):
        # Only the file's own name: the page is public, the server's folders are not.
        name = Path(exc.path).name
        extra = {"index_missing": True, "index_damaged": True, "damaged_file": name}
        message = DAMAGED_MESSAGE.format(name=name)
        return _error_response(503, str(exc), extra, headers={"Retry-After": "60"}, vietnamese=message)
    return _error_response(503, str(exc), {"index_missing": True}, headers={"Retry-After": "60"})


def _http_error(exc: HTTPException):
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return _error_response(status, exc.description or exc.name, headers=headers)


def _server_error(exc: InternalServerError):
    return _error_response(500, "internal server error")


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
