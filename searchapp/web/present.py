"""What templates show: hits, facets, filters, the timeline, dates and numbers in Vietnamese."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from flask import (
    url_for,
)
from markupsafe import Markup

from searchapp.corpus import metadata
from searchapp.search.facets import FACETS, REGISTRY
from searchapp.search.params import MAX_PAGE
from searchapp.search.results import Hit, SearchResult
from searchapp.text import fold
from searchapp.web.state import SearchState, current_searcher

# Facet values shown before "Xem thêm".
FACET_VISIBLE = 8

# The timeline's drawing box; the SVG is stretched to the column's width.
TIMELINE_WIDTH = 600
TIMELINE_HEIGHT = 56
TIMELINE_MIN_BAR = 2.0

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


def hit_view(hit: Hit, state: SearchState) -> dict[str, Any]:
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
        article = current_searcher().article(article_id)
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


def facet_views(result: SearchResult, state: SearchState) -> list[dict[str, Any]]:
    groups = []
    for entry in REGISTRY:
        facet, heading = entry.name, entry.heading
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
                "hint": entry.hint,
                "visible": visible,
                "more": more,
                # Chosen values are alternatives: each count is that value alone.
                "multiple": any(v["selected"] for v in values),
            }
        )
    return groups


def filter_groups(state: SearchState) -> list[dict[str, Any]]:
    """The filters one facet at a time, as the page says them: values of one
    facet are alternatives ("hoặc"), facets must all hold ("·")."""
    groups = []
    for entry in REGISTRY:
        facet, heading = entry.name, entry.heading
        values = state.values(entry)
        if values:
            groups.append(
                {
                    "kind": heading,
                    "choices": [{"label": FACETS[facet].label(v), "href": state.toggle_url(facet, v)} for v in values],
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


def active_filters(state: SearchState) -> list[dict[str, str]]:
    """One removable chip per filter in the URL."""
    chips = []
    for entry in REGISTRY:
        facet, heading = entry.name, entry.heading
        for value in state.values(entry):
            chips.append({"kind": heading, "label": FACETS[facet].label(value), "href": state.toggle_url(facet, value)})
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


def timeline_view(result: SearchResult, state: SearchState) -> dict[str, Any] | None:
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


def paragraphs(html: str) -> list[Markup]:
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
