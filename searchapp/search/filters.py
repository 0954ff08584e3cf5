"""The filters of a search: what was asked as canonical values, with notices about
what could not be done as asked, and the documents they keep."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from searchapp.corpus import metadata
from searchapp.search.columns import Columns
from searchapp.search.facets import FACET_FILTERS
from searchapp.search.params import (
    date_number,
    is_undated,
    is_year,
    swapped_dates,
    unknown_value,
    year_number,
)
from searchapp.search.querylang import ParsedQuery
from searchapp.text import fold, nfc


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


def resolve_filters(
    cols: Columns, parsed: ParsedQuery, partners, topics, sources, years, date_from, date_to, mentioned=()
) -> tuple[Filters, list[dict[str, str]]]:
    """The filters as canonical values, and notices about what could not be done as asked."""
    notices: list[dict[str, str]] = []

    def known(facet: str, values, resolve) -> tuple:
        found = []
        for value in dict.fromkeys(v for v in values if v):
            code = resolve(value)
            if code is None:
                # Still applied (nothing holds it), and named, so that the
                # empty list is explained rather than silent.
                notices.append(unknown_value(facet, value))
            found.append(code or value)
        return tuple(dict.fromkeys(found))

    def partner(value: str, entries) -> str | None:
        # A code the index holds counts even when the gazetteer no longer knows it.
        return metadata.resolve_partner(value) or (value if value in entries.codes else None)

    def topic(value: str) -> str | None:
        return metadata.resolve_topic(value) or (value if value in cols.topic_entries.codes else None)

    def source(value: str) -> str | None:
        value = nfc(value)
        if value in cols.source_entries.codes:
            return value
        wanted = fold(value).casefold().strip()
        return next((s for s in cols.source_entries.codes if fold(s).casefold() == wanted), None)

    typed = parsed.filters
    # Typed in the query box: a bad year is ignored, never an error.
    years = list(years) + [y for y in typed.get("year", []) if is_year(y) or is_undated(y)]
    first, last = date_number(date_from, "from"), date_number(date_to, "to")
    if first and last and first > last:
        notices.append(swapped_dates(first, last))
        first, last = last, first
    filters = Filters(
        partners=known("partner", [*partners, *typed.get("partner", [])], lambda v: partner(v, cols.partner_entries)),
        mentioned=known(
            "mentioned", [*mentioned, *typed.get("mentioned", [])], lambda v: partner(v, cols.mentioned_entries)
        ),
        topics=known("topic", [*topics, *typed.get("topic", [])], topic),
        sources=known("source", [*sources, *typed.get("source", [])], source),
        years=tuple(dict.fromkeys(0 if is_undated(y) else year_number(y) for y in years if str(y).strip())),
        date_from=first,
        date_to=last,
    )
    return filters, notices


def apply_filters(cols: Columns, docs, filters: Filters):
    """The documents of ``docs`` any value of each facet holds (OR within, AND across)."""
    if not filters.active or not len(docs):
        return docs
    keep = np.ones(len(docs), dtype=bool)
    for entries, values in (
        (cols.partner_entries, filters.partners),
        (cols.mentioned_entries, filters.mentioned),
        (cols.topic_entries, filters.topics),
        (cols.source_entries, filters.sources),
    ):
        if values:
            anyone = np.zeros(len(docs), dtype=bool)
            for value in values:
                anyone |= entries.mask(value)[docs]
            keep &= anyone
    dates = cols.date_array[docs]
    if filters.years:
        # Year 0 is the undated bucket: dates of 0 divide to year 0.
        keep &= np.isin(dates // 10000, np.asarray(filters.years, dtype=np.int64))
    if filters.date_from:
        keep &= dates >= filters.date_from
    if filters.date_to:
        keep &= (dates != 0) & (dates <= filters.date_to)
    return docs[keep]
