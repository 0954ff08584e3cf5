"""Request state: the search page's parameters read, validated and normalised, and their links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from flask import (
    current_app,
    request,
    url_for,
)

from searchapp.config import Config
from searchapp.errors import QueryError
from searchapp.search.facets import COLUMN_FACETS, FACETS, REGISTRY, YEAR, Facet
from searchapp.search.facets import UNDATED as UNDATED_YEAR
from searchapp.search.params import (
    MAX_PAGE,
    date_text,
    sort_text,
    whole_number_text,
    year_text,
)
from searchapp.search.querylang import MAX_QUERY_CHARS
from searchapp.search.results import HitStream, SearchResult
from searchapp.search.searcher import Searcher
from searchapp.text import fold

# A filter parameter may repeat this often, each value up to this long.
MAX_FILTER_VALUES = 20
MAX_FILTER_CHARS = 200

# The facets' filter names, the keys of a state's ``chosen``.
_FILTER_NAMES = tuple(facet.attr for facet in REGISTRY)

SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất"}


def current_searcher() -> Searcher:
    return current_app.extensions["searchapp"]


# -- request state --------------------------------------------------------------


@dataclass(frozen=True)
class SearchState:
    """The search page's parameters, normalised, and the links that change them."""

    q: str = ""
    # Each facet's values, by its filter name (``{"partners": ("JP",)}``), the
    # facets none is chosen of left out. Also read as attributes: ``state.years``.
    chosen: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str = ""
    date_to: str = ""
    sort: str = ""  # "" means the default: relevance with a query, newest without
    page: int = 1
    per_page: int | None = None
    # Search the text as typed (no accents restored), accent-insensitive.
    exact: bool = False

    def __post_init__(self) -> None:
        # In the registry's order and without empty ones, so that equal choices are equal states.
        unknown = set(self.chosen) - set(_FILTER_NAMES)
        if unknown:
            raise TypeError(f"no facet filter {sorted(unknown)[0]!r}")
        chosen = {attr: tuple(self.chosen[attr]) for attr in _FILTER_NAMES if self.chosen.get(attr)}
        object.__setattr__(self, "chosen", chosen)

    def __getattr__(self, name: str) -> tuple[str, ...]:
        """A facet's values by its filter name (``state.partners``), as templates read them."""
        if name in _FILTER_NAMES:
            return self.chosen.get(name, ())
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def values(self, facet: Facet) -> tuple[str, ...]:
        """The values chosen of ``facet``."""
        return self.chosen.get(facet.attr, ())

    def changed(self, **changes: Any) -> SearchState:
        """The state with ``changes``: its fields, or a facet's values by its filter name."""
        facets = {name: changes.pop(name) for name in list(changes) if name in _FILTER_NAMES}
        if facets:
            changes["chosen"] = {**self.chosen, **facets}
        return replace(self, **changes)

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q.strip() else "newest")

    @property
    def has_filters(self) -> bool:
        return bool(self.chosen) or bool(self.date_from or self.date_to)

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
            "filters": {facet.attr: self.values(facet) for facet in REGISTRY},
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
        for facet in REGISTRY:
            pairs.extend((facet.name, value) for value in self.values(facet))
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
        state = self.changed(**changes) if changes else self
        return with_query(url_for("search.index"), state.params())

    def api_url(self) -> str:
        return with_query(url_for("search.api_search"), self.params())

    def _list_params(self) -> list[tuple[str, str]]:
        """The query and filters; not the page or page size (a feed or an export is every page)."""
        return [(k, v) for k, v in self.params(page=False) if k != "per_page"]

    def feed_url(self) -> str:
        """The Atom feed of this search; always newest first, so ``sort`` is left out."""
        return with_query(url_for("search.feed"), [(k, v) for k, v in self._list_params() if k != "sort"])

    def export_url(self, fmt: str) -> str:
        return with_query(url_for("search.export"), [*self._list_params(), ("format", fmt)])

    def date_range_url(self, date_from: str, date_to: str) -> str:
        return self.url(date_from=date_from, date_to=date_to, page=1)

    def page_url(self, page: int) -> str:
        return self.url(page=page)

    def sort_url(self, sort: str) -> str:
        return self.url(sort=sort, page=1)

    def has_value(self, facet: str, value: str) -> bool:
        return value in self.values(FACETS[facet])

    def toggle_url(self, facet: str, value: str) -> str:
        """Link that adds ``value`` to the facet's filter, or removes it if present."""
        current = self.values(FACETS[facet])
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.url(**{FACETS[facet].attr: values, "page": 1})

    def without_filters_url(self) -> str:
        return self.url(chosen={}, date_from="", date_to="", page=1)

    def as_searched(self, result: SearchResult) -> SearchState:
        """The state with the filters the engine applied: a reversed date range
        swapped (the result's notices say so), values in their canonical form."""
        applied = result.filters
        if not applied:
            return self

        def kept(facet: Facet) -> tuple[str, ...]:
            asked = self.values(facet)
            used = applied[facet.attr]
            if facet.name == YEAR:
                return tuple(v for v in asked if v in {UNDATED_YEAR if y == 0 else str(y) for y in used})
            if facet.canonical is None:
                # The index's own spelling of what was asked, however accented.
                return tuple(a for a in used if any(_same_spelling(a, s) for s in asked))
            return tuple(v for v in asked if v in used)

        return replace(
            self,
            chosen={facet.attr: kept(facet) for facet in REGISTRY},
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


def _same_spelling(one: str, other: str) -> bool:
    return fold(one).casefold() == fold(other).casefold()


def _iso(number: int) -> str:
    text = f"{number:08d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if number else ""


def with_query(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


def query_text() -> str:
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


def read_state() -> SearchState:
    """The :class:`SearchState` of the current request.

    :raises QueryError: a parameter other than the query text is invalid.
    """
    sort = sort_text(request.args.get("sort", ""))
    config: Config = current_app.config["SEARCHAPP_CONFIG"]
    # Canonical codes, so that "Nhật Bản" in a URL and the JP facet value are one filter.
    chosen = {f.attr: tuple(dict.fromkeys(f.as_asked(v) for v in _values(f.name))) for f in COLUMN_FACETS}
    chosen[FACETS[YEAR].attr] = tuple(year_text(y) for y in _values(YEAR))
    return SearchState(
        q=query_text(),
        chosen=chosen,
        date_from=date_text(request.args.get("from", ""), "from"),
        date_to=date_text(request.args.get("to", ""), "to"),
        sort=sort,
        page=whole_number_text(request.args.get("page", ""), "page", MAX_PAGE) or 1,
        per_page=whole_number_text(request.args.get("per_page", ""), "per_page", config.max_per_page),
        exact=request.args.get("exact", "").strip().lower() in ("1", "true", "yes", "on"),
    )
