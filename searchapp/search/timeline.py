"""The timeline of a result set: how many articles each month (or year) holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

# Spans longer than this many months are drawn per year.
TIMELINE_MAX_MONTHS = 36


@dataclass(frozen=True)
class DateCounts:
    """How many of a set of articles fall in each month (YYYYMM), and how many have no date."""

    months: dict[int, int]
    undated: int


def date_counts(dates) -> DateCounts:
    """:class:`DateCounts` of ``dates`` (YYYYMMDD, 0 for none): gathered once
    per search for the timeline, the year facet and the undated count."""
    return DateCounts(month_counts(dates), int(np.count_nonzero(dates == 0)))


def timeline_of(months: dict[int, int]) -> list[dict[str, Any]]:
    """Counts per month ("2021-07") or, over long spans, per year ("2021"),
    gaps filled, from the :func:`month_counts` of a result set."""
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


def month_counts(dates) -> dict[int, int]:
    """How many of ``dates`` (YYYYMMDD, 0 for none) fall in each month (YYYYMM).

    Counted in a table of the months between the first and the last rather
    than by sorting the dates: a result set can hold most of the index.
    """
    dated = dates[dates != 0] // 100
    if not len(dated):
        return {}
    ordinal = (dated // 100) * 12 + dated % 100 - 1
    first = int(ordinal.min())
    counts = np.bincount(ordinal - first)
    held = np.flatnonzero(counts)
    at = held + first
    return dict(zip(((at // 12) * 100 + at % 12 + 1).tolist(), counts[held].tolist(), strict=True))
