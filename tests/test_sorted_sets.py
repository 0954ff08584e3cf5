"""Set operations on sorted docnums equal numpy's general ones, at every balance of sizes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.engine.scored import covers, intersect, member

docnums = st.lists(st.integers(min_value=0, max_value=5000), max_size=400, unique=True).map(
    lambda values: np.asarray(sorted(values), dtype=np.int64)
)


@settings(max_examples=300, deadline=None)
@given(a=docnums, b=docnums)
def test_intersect_is_intersect1d(a, b):
    assert intersect(a, b).tolist() == np.intersect1d(a, b, assume_unique=True).tolist()


@settings(max_examples=300, deadline=None)
@given(a=docnums, b=docnums)
def test_member_is_isin(a, b):
    assert member(a, b).tolist() == np.isin(a, b).tolist()
    assert covers(b, a) == bool(np.isin(a, b).all())


def test_few_against_many_are_looked_up():
    many = np.arange(0, 100_000, 3, dtype=np.int64)
    few = np.asarray([0, 2, 3, 99_999, 99_998], dtype=np.int64)
    assert member(few, many).tolist() == [True, False, True, True, False]
    assert intersect(many, few).tolist() == [0, 3, 99_999]


def test_many_against_many_are_merged_alike():
    rng = np.random.default_rng(3)
    for size_a, size_b in ((3000, 2500), (5000, 40_000), (3000, 100_000)):
        a = np.sort(rng.choice(200_000, size_a, replace=False)).astype(np.int64)
        b = np.sort(rng.choice(200_000, size_b, replace=False)).astype(np.int64)
        assert member(a, b).tolist() == np.isin(a, b).tolist()
        assert intersect(a, b).tolist() == np.intersect1d(a, b).tolist()
