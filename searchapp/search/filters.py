"""The filters of a search: what was asked as canonical values, with notices about
what could not be done as asked, and the documents they keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from searchapp.search.columns import Columns
from searchapp.search.facets import COLUMN_FACETS, FACETS, FILTER_ORDER, YEAR, Facet
from searchapp.search.params import (
    date_number,
    is_undated,
    is_year,
    swapped_dates,
    unknown_value,
    year_number,
)
from searchapp.search.querylang import ParsedQuery


@dataclass(frozen=True)
class Filters:
    """Validated filters; values are canonical (partner codes, topic slugs).

    Several values of one facet mean any of them (OR); facets combine with AND.
    A year of 0 stands for the articles without a date.
    """

    # Facet name ("partner", "year"...) -> the values chosen.
    chosen: Mapping[str, tuple] = field(default_factory=dict)
    date_from: int = 0
    date_to: int = 0

    def values(self, facet: str) -> tuple:
        """The values chosen for one facet (``partner``, ``year``…)."""
        return self.chosen.get(facet, ())

    @property
    def active(self) -> bool:
        # Any value set narrows the results.
        return any(self.chosen.values()) or bool(self.date_from or self.date_to)

    def without(self, facet: str) -> Filters:
        """The same filters but the values of one facet (``partner``, ``year``…)."""
        return replace(self, chosen={**self.chosen, facet: ()})

    def to_dict(self) -> dict[str, Any]:
        """As a search result gives them: each facet's values under its filter name, then the dates."""
        out: dict[str, Any] = {facet.attr: self.values(facet.name) for facet in FILTER_ORDER}
        out["date_from"] = self.date_from
        out["date_to"] = self.date_to
        return out


def resolve_filters(
    cols: Columns, parsed: ParsedQuery, asked: Mapping[str, Sequence], date_from, date_to
) -> tuple[Filters, list[dict[str, str]]]:
    """The filters as canonical values, and notices about what could not be done as asked.

    :param asked: each facet's values by its filter name (``partners``…), as
        given to the searcher; the query box's ``field:value`` add to them.
    :raises QueryError: a bad date or year (a bad year typed in the box is ignored).
    """
    notices: list[dict[str, str]] = []

    def known(facet: Facet, values) -> tuple:
        held = cols.entries[facet.name].codes
        found = []
        for value in dict.fromkeys(v for v in values if v):
            code = facet.resolve(value, held)
            if code is None:
                # Still applied (nothing holds it), and named, so that the
                # empty list is explained rather than silent.
                notices.append(unknown_value(facet.name, value))
            found.append(code or value)
        return tuple(dict.fromkeys(found))

    typed = parsed.filters
    # Typed in the query box: a bad year is ignored, never an error.
    years = list(asked.get(FACETS[YEAR].attr, ())) + [y for y in typed.get(YEAR, []) if is_year(y) or is_undated(y)]
    first, last = date_number(date_from, "from"), date_number(date_to, "to")
    if first and last and first > last:
        notices.append(swapped_dates(first, last))
        first, last = last, first
    chosen = {f.name: known(f, [*asked.get(f.attr, ()), *typed.get(f.name, [])]) for f in COLUMN_FACETS}
    chosen[YEAR] = tuple(dict.fromkeys(0 if is_undated(y) else year_number(y) for y in years if str(y).strip()))
    return Filters(chosen, first, last), notices


def apply_filters(cols: Columns, docs, filters: Filters):
    """The documents of ``docs`` any value of each facet holds (OR within, AND across)."""
    if not filters.active or not len(docs):
        return docs
    keep = np.ones(len(docs), dtype=bool)
    for facet in COLUMN_FACETS:
        values = filters.values(facet.name)
        if values:
            entries = cols.entries[facet.name]
            anyone = np.zeros(len(docs), dtype=bool)
            for value in values:
                anyone |= entries.mask(value)[docs]
            keep &= anyone
    dates = cols.date_array[docs]
    years = filters.values(YEAR)
    if years:
        # Year 0 is the undated bucket: dates of 0 divide to year 0.
        keep &= np.isin(dates // 10000, np.asarray(years, dtype=np.int64))
    if filters.date_from:
        keep &= dates >= filters.date_from
    if filters.date_to:
        keep &= (dates != 0) & (dates <= filters.date_to)
    return docs[keep]
