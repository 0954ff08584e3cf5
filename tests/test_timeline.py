"""Month and year counts of a result set's dates equal counting date by date."""

import datetime as dt
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.search.timeline import TIMELINE_MAX_MONTHS, date_counts, month_counts, timeline_of

dates = st.lists(
    st.one_of(
        st.just(0),
        st.dates(min_value=dt.date(1990, 1, 1)).map(lambda d: d.year * 10000 + d.month * 100 + d.day),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(dates=dates)
def test_month_counts_are_those_of_each_date(dates):
    array = np.array(dates, dtype=np.int64)
    assert month_counts(array) == Counter(d // 100 for d in dates if d)
    counted = date_counts(array)
    assert counted.months == month_counts(array)
    assert counted.undated == dates.count(0)


@settings(max_examples=200, deadline=None)
@given(dates=dates)
def test_the_timeline_adds_up_to_the_dated_results(dates):
    array = np.array(dates, dtype=np.int64)
    line = timeline_of(month_counts(array))
    assert sum(point["count"] for point in line) == sum(1 for d in dates if d)
    if line and len(line) <= TIMELINE_MAX_MONTHS and "-" in line[0]["period"]:
        assert all(
            point["count"] == sum(1 for d in dates if d // 100 == int(point["period"].replace("-", "")))
            for point in line
        )
