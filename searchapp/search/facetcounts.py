"""Facet counts: how many results each value of each facet gives, and the order the
values are listed in."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from searchapp.search.columns import Columns
from searchapp.search.facets import REGISTRY, UNDATED, UNDATED_LABEL, YEAR, year_label
from searchapp.search.filters import Filters, apply_filters
from searchapp.search.results import FacetValue
from searchapp.search.timeline import DateCounts, date_counts

FACET_LIMIT = 30


def facet_counts(
    cols: Columns, matched, keep, allowed, filters: Filters, notices, dated: DateCounts
) -> dict[str, list[FacetValue]]:
    """Counts of every facet over the whole result set.

    A facet with values chosen is counted without its own filter (the other
    filters still apply): its values are alternatives, and each count says
    how many results that value alone gives.

    :param matched: the documents the query matches (sorted docnums), before any filter.
    :param keep: boolean mask of the results (``matched`` with every filter applied).
    :param allowed: the results (sorted docnums), the documents of ``keep``.
    :param dated: the :func:`~searchapp.search.timeline.date_counts` of the results.
    """
    unknown = {(n["facet"], n["value"]) for n in notices if n["code"] == "unknown_value"}

    def chosen(facet: str) -> tuple:
        # An unknown value is named in the notices, not listed as a facet value.
        return tuple(v for v in filters.values(facet) if (facet, v) not in unknown)

    def pool(facet: str):
        if not filters.values(facet):
            return keep
        others = np.zeros(cols.size, dtype=bool)
        others[apply_filters(cols, matched, filters.without(facet))] = True
        return others

    by_month = date_counts(cols.date_array[pool(YEAR)]) if filters.values(YEAR) else dated
    year: Counter[str] = Counter()
    for month, count in by_month.months.items():
        year[str(month // 100)] += count
    chosen_years = tuple(UNDATED if y == 0 else str(y) for y in filters.values(YEAR))
    year_values = facet_values(year, chosen_years, year_label, by_value=True)
    undated = by_month.undated
    if undated or UNDATED in chosen_years:
        # Last, whatever the order of the years: it is not a year.
        year_values = [v for v in year_values if v.value != UNDATED]
        year_values.append(FacetValue(UNDATED, UNDATED_LABEL, undated, UNDATED in chosen_years))
    # The facets nothing is chosen of are counted over the results, together.
    shared = cols.tally.counts(keep, allowed)

    def counted(facet: str) -> Counter:
        return cols.entries[facet].counts(pool(facet)) if filters.values(facet) else shared[facet]

    return {
        facet.name: year_values
        if facet.name == YEAR
        else facet_values(counted(facet.name), chosen(facet.name), facet.label)
        for facet in REGISTRY
    }


def facet_values(counts: Counter, selected: tuple, label, by_value: bool = False) -> list[FacetValue]:
    """The values of one facet as listed: the most frequent first, equal counts
    by label (or, ``by_value``, the greatest value first: years), then the
    chosen values that are not among them."""
    if by_value:
        items = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
    else:
        items = sorted(_contenders(counts), key=lambda kv: (-kv[1], _label(label, kv[0]), str(kv[0])))
    values = [FacetValue(str(v), _label(label, v), c, v in selected) for v, c in items[:FACET_LIMIT]]
    shown = {v.value for v in values}
    values += [FacetValue(str(s), _label(label, s), counts.get(s, 0), True) for s in selected if str(s) not in shown]
    return values


@lru_cache(maxsize=8192)
def _label(label, value) -> str:
    """``label(value)``, kept: a search orders and shows a few hundred facet
    values, nearly always the same ones, and the labels come from fixed tables."""
    return label(value)


def _contenders(counts: Counter) -> list:
    """The values that can be among the :data:`FACET_LIMIT` most frequent, ties
    at the limit included: only those need their labels to be ordered."""
    if len(counts) <= FACET_LIMIT:
        return list(counts.items())
    least = sorted(counts.values(), reverse=True)[FACET_LIMIT - 1]
    return [(v, c) for v, c in counts.items() if c >= least]
