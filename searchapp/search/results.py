"""What a search returns: :class:`SearchResult` (a page), :class:`Hit`, facet values, :class:`HitStream`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from searchapp.search.querylang import normalize_query


@dataclass
class Hit:
    """One result row."""

    id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    partners: list[str]
    topics: list[str]
    score: float
    snippet: str
    # Ids of other matching articles of the same story, shown under this one.
    similar: list[str] = field(default_factory=list)
    # For a near miss: the concepts of the query it does not hold.
    missing: list[str] | None = None
    # Every partner the article names, its main partners first.
    mentioned: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        # Built by hand: dataclasses.asdict deep-copies every field, and made
        # up a tenth of an API request's time.
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "partners": list(self.partners),
            "topics": list(self.topics),
            "score": self.score,
            "snippet": self.snippet,
            "similar": list(self.similar),
        }
        if self.missing is not None:
            out["missing"] = list(self.missing)
        out["mentioned"] = list(self.mentioned)
        return out


@dataclass
class FacetValue:
    """One value of a facet with its count among the matching articles."""

    value: str
    label: str
    count: int
    selected: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "count": self.count, "selected": self.selected}


@dataclass
class SearchResult:
    """Everything a results page needs."""

    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    sort: str = "relevance"
    filters: dict[str, Any] = field(default_factory=dict)
    # Matching articles per month (or per year over long spans), oldest first.
    timeline: list[dict[str, Any]] = field(default_factory=list)
    # The query as searched (accents restored) and its concepts.
    interpreted: str = ""
    concepts: list[str] = field(default_factory=list)
    # True when the query was searched as typed (no accents restored).
    exact: bool = False
    # The restored reading, when it found nothing and the text as typed was searched instead.
    unmatched_reading: str | None = None
    # Near misses, shown below a short list: articles that hold all concepts but one.
    partial: list[Hit] = field(default_factory=list)
    # Entries of the list over all pages: stories, when one story's articles show once.
    entries: int = 0
    # Matching articles without a date (no bar of the timeline, last in a date sort).
    undated: int = 0
    # What the filters asked that could not be done as asked: an unknown value
    # (left out of the search) or a reversed date range (swapped).
    notices: list[dict[str, str]] = field(default_factory=list)
    # Extras left out because the search had used its time budget ("partial", "suggestion").
    skipped: list[str] = field(default_factory=list)

    @property
    def restored(self) -> bool:
        """True when the query was read differently from how it was typed."""
        return not self.exact and self.interpreted != self.typed

    @property
    def typed(self) -> str:
        return normalize_query(self.query)

    @property
    def pages(self) -> int:
        return max(1, -(-(self.entries or self.total) // self.per_page))

    def to_json(self) -> dict[str, Any]:
        """The document ``/api/search`` and ``searchapp search --json`` return."""
        return {
            "ok": True,
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 2),
            "pages": self.pages,
            "interpreted": self.interpreted,
            "concepts": self.concepts,
            "hits": [h.to_json() for h in self.hits],
            "partial": [h.to_json() for h in self.partial],
            "facets": {k: [v.to_json() for v in vals] for k, vals in self.facets.items()},
            "suggestion": self.suggestion,
            "timeline": self.timeline,
            "undated": self.undated,
            "filters": self.filters,
            "notices": self.notices,
            "skipped": self.skipped,
        }


class HeldHits:
    """Hits read lazily from a generation, which stays open until the last is
    read or the hits are dropped (an export cut short)."""

    def __init__(self, gen, hits: Iterator[Hit]) -> None:
        self._gen = gen
        self._hits = hits
        self._released = False

    def __iter__(self) -> Iterator[Hit]:
        try:
            yield from self._hits
        finally:
            self._release()

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._gen.release()

    def __del__(self) -> None:
        self._release()


class HitStream:
    """The articles of one search, one after another, with the size of the whole set."""

    def __init__(self, total: int, interpreted: str, hits: Iterator[Hit]) -> None:
        self.total = total
        self.interpreted = interpreted
        self._hits = hits

    def __iter__(self) -> Iterator[Hit]:
        return self._hits
