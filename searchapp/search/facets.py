"""Facets: the filters, every document's facet values read once per generation,
their counts, the order they are listed in, the timeline of a result set."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from searchapp.corpus import metadata
from searchapp.search.results import FacetValue

# The year facet's bucket (and filter value) for articles without a date.
UNDATED = "undated"
UNDATED_LABEL = "Không rõ ngày"
FACET_LIMIT = 30


@dataclass(frozen=True)
class Filters:
    """Validated filters; values are canonical (partner codes, topic slugs).

    Several values of one facet mean any of them (OR); facets combine with AND.
    A year of 0 stands for the articles without a date.
    """

    partners: tuple[str, ...] = ()
    mentioned: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    date_from: int = 0
    date_to: int = 0

    @property
    def active(self) -> bool:
        # Every field is a filter: any value set narrows the results.
        return any(getattr(self, f.name) for f in fields(self))

    def without(self, facet: str) -> Filters:
        """The same filters but the values of one facet (``partner``, ``year``…)."""
        return replace(self, **{FACET_FILTERS[facet]: ()})  # type: ignore[arg-type]


def year_label(value: str) -> str:
    return UNDATED_LABEL if value == UNDATED else str(value)


@dataclass(frozen=True)
class Facet:
    """One facet, as the URL, the searcher and the page name it.

    Adding a facet: an entry here, its field in the schema and the document
    (:mod:`searchapp.index.schema`), its column below and its field of
    :class:`Filters`. The page lists every facet of :data:`REGISTRY` with the
    same templates.
    """

    name: str  # URL parameter, JSON key and index field: "partner"
    attr: str  # the filter's name for Searcher.search, Filters and the page's state: "partners"
    heading: str  # the side panel's heading
    label: Callable[[str], str]  # how a value reads
    hint: str | None = None  # what the heading means, under it


REGISTRY = (
    Facet("partner", "partners", "Đối tác chính", metadata.partner_label, "Nước, tổ chức mà bài chủ yếu nói về"),
    Facet("mentioned", "mentioned", "Có nhắc đến", metadata.partner_label, "Mọi nước, tổ chức được nêu tên trong bài"),
    Facet("topic", "topics", "Chủ đề", metadata.topic_label),
    Facet("year", "years", "Năm", year_label),
    Facet("source", "sources", "Nguồn tin", str),
)
FACETS = {facet.name: facet for facet in REGISTRY}
# facet name -> Filters attribute
FACET_FILTERS = {facet.name: facet.attr for facet in REGISTRY}


class Columns:
    """Facet values of every document, read once per index generation."""

    def __init__(self, reader) -> None:
        size = reader.doc_count_all()
        self.dates = _column(reader, "datenum", size, 0, int)
        self.partners = _column(reader, "partner", size, (), _split)
        self.mentioned = _column(reader, "mentioned", size, (), _split)
        self.topics = _column(reader, "topic", size, (), _split)
        self.sources = _column(reader, "source", size, None, lambda v: _text(v) or None)
        self.stories = _column(reader, "story", size, None, _text)
        self.members: dict[str, list[int]] = {}
        for docnum, story in enumerate(self.stories):
            if story is not None:
                self.members.setdefault(story, []).append(docnum)
        codes = {story: i for i, story in enumerate(self.members)}
        self.story_codes = np.asarray([codes.get(s, -1) if s is not None else -1 for s in self.stories], dtype=np.int64)
        # The same as arrays, for filters and facet counts without a Python loop.
        self.size = size
        self.date_array = np.asarray(self.dates, dtype=np.int64)
        self.partner_entries = Entries(self.partners)
        self.mentioned_entries = Entries(self.mentioned)
        self.topic_entries = Entries(self.topics)
        self.source_entries = Entries([(v,) if v else () for v in self.sources])
        # The facets counted from a column of values (the year is read from the date).
        self.entries = {
            "partner": self.partner_entries,
            "mentioned": self.mentioned_entries,
            "topic": self.topic_entries,
            "source": self.source_entries,
        }


class Entries:
    """Per-document value tuples flattened in document order: (doc, value code)."""

    def __init__(self, column: list) -> None:
        codes: dict[Any, int] = {}
        docs, values = [], []
        for docnum, vals in enumerate(column):
            for v in vals:
                docs.append(docnum)
                values.append(codes.setdefault(v, len(codes)))
        self.values = list(codes)
        self.codes = codes
        self.docs = np.asarray(docs, dtype=np.int64)
        self.code = np.asarray(values, dtype=np.int64)
        self.size = len(column)
        self._masks: dict[Any, Any] = {}

    def mask(self, value):
        """Boolean array: which documents hold ``value``."""
        found = self._masks.get(value)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            code = self.codes.get(value)
            if code is not None:
                found[self.docs[self.code == code]] = True
            self._masks[value] = found
        return found

    def counts(self, keep) -> Counter:
        """How many documents of mask ``keep`` hold each value."""
        codes = self.code[keep[self.docs]]
        unique, counts = np.unique(codes, return_counts=True)
        return Counter({self.values[int(u)]: int(c) for u, c in zip(unique, counts, strict=True)})


def _column(reader, name: str, size: int, default, convert) -> list:
    """A per-document list; segments where no document has a value give defaults."""
    values = [default] * size
    if name not in reader.schema:
        return values
    # Segment by segment: a segment where no document has the field has no
    # column at all, and the combined reader would silently skip it.
    for leaf, offset in reader.leaf_readers():
        if not leaf.has_column(name):
            continue
        for docnum, value in enumerate(leaf.column_reader(name)):
            if value:
                values[offset + docnum] = convert(value)
    return values


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _split(value) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(v for v in _text(value).split(",") if v)


def entry_count(cols: Columns, allowed) -> int:
    """How many list entries ``allowed`` makes when each story shows once."""
    if not len(allowed):
        return 0
    stories = cols.story_codes[allowed]
    alone = int(np.count_nonzero(stories < 0))
    return alone + len(np.unique(stories[stories >= 0]))


def collapse_stories(ranked: list[tuple[int, float]], cols: Columns, allowed) -> list:
    """Keep the best-ranked article of each story; list its matching siblings."""
    seen: set[str] = set()
    groups: list[tuple[int, float, list[int]]] = []
    for docnum, score in ranked:
        story = cols.stories[docnum]
        if story is None:
            groups.append((docnum, score, []))
            continue
        if story in seen:
            continue
        seen.add(story)
        others = [d for d in cols.members.get(story, ()) if d != docnum and allowed[d]]
        groups.append((docnum, score, others))
    return groups


# Spans longer than this many months are drawn per year.
TIMELINE_MAX_MONTHS = 36


def timeline_of(dates, docs) -> list[dict[str, Any]]:
    """Counts per month ("2021-07") or, over long spans, per year ("2021"), gaps filled."""
    chosen = dates[docs]
    periods, counts = np.unique(chosen[chosen != 0] // 100, return_counts=True)
    months = {int(m): int(c) for m, c in zip(periods, counts, strict=True)}
    if not months:
        return []
    first, last = min(months), max(months)
    span = (last // 100 - first // 100) * 12 + (last % 100 - first % 100) + 1
    if span > TIMELINE_MAX_MONTHS:
        years: Counter[int] = Counter()
        for month, count in months.items():
            years[month // 100] += count
        return [{"period": str(y), "count": years.get(y, 0)} for y in range(first // 100, last // 100 + 1)]
    out = []
    year, month = divmod(first, 100)
    for _ in range(span):
        key = year * 100 + month
        out.append({"period": f"{year:04d}-{month:02d}", "count": months.get(key, 0)})
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def facet_values(counts: Counter, selected: tuple, label, by_value: bool = False) -> list[FacetValue]:
    """The values of one facet as listed: the most frequent first, equal counts
    by label (or, ``by_value``, the greatest value first: years), then the
    chosen values that are not among them."""
    if by_value:
        items = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
    else:
        items = sorted(counts.items(), key=lambda kv: (-kv[1], label(kv[0]), str(kv[0])))
    values = [FacetValue(str(v), label(v), c, v in selected) for v, c in items[:FACET_LIMIT]]
    shown = {v.value for v in values}
    values += [FacetValue(str(s), label(s), counts.get(s, 0), True) for s in selected if str(s) not in shown]
    return values
