"""Set operations on sorted docnums equal numpy's general ones, at every balance of sizes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.engine.scored import (
    Scored,
    covers,
    index_in,
    intersect,
    intersection,
    member,
    scores_at,
    sorted_unique,
    union,
)

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


@settings(max_examples=300, deadline=None)
@given(of=docnums, data=st.data())
def test_index_in_finds_each_value_where_it_stands(of, data):
    picked = data.draw(st.lists(st.sampled_from(of.tolist()), unique=True)) if len(of) else []
    values = np.asarray(sorted(picked), dtype=np.int64)
    assert index_in(of, values).tolist() == np.searchsorted(of, values).tolist()


@settings(max_examples=300, deadline=None)
@given(held=docnums, asked=st.lists(st.integers(min_value=0, max_value=6000), max_size=400))
def test_scores_at_any_docs_in_any_order(held, asked):
    result = Scored(held, held.astype(np.float64) + 0.5)
    docs = np.asarray(asked, dtype=np.int64)
    scores, hit = scores_at(result, docs)
    inside = set(held.tolist())
    assert hit.tolist() == [d in inside for d in asked]
    assert scores.tolist() == [d + 0.5 if d in inside else 0.0 for d in asked]


@settings(max_examples=200, deadline=None)
@given(a=docnums, b=docnums)
def test_intersection_and_union_add_each_sides_scores(a, b):
    one, two = Scored(a, a * 1.0), Scored(b, b * 2.0)
    both = intersection([one, two])
    assert both.docs.tolist() == np.intersect1d(a, b).tolist()
    assert both.scores.tolist() == [d * 3.0 for d in both.docs.tolist()]
    either = union([one, two])
    assert either.docs.tolist() == np.union1d(a, b).tolist()
    in_a, in_b = set(a.tolist()), set(b.tolist())
    assert either.scores.tolist() == [d * ((d in in_a) + 2.0 * (d in in_b)) for d in either.docs.tolist()]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.integers(min_value=-3, max_value=300), max_size=200))
def test_sorted_unique_is_unique(values):
    array = np.asarray(values, dtype=np.int64)
    found = sorted_unique(array)
    assert found.dtype == np.unique(array).dtype
    assert found.tolist() == np.unique(array).tolist()
