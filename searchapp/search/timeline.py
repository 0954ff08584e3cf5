"""The timeline of a result set: how many articles each month (or year) holds."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

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
