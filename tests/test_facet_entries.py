"""Facet counts from the flattened columns equal counting document by document."""

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.search.columns import Entries, Tally
from searchapp.search.facetcounts import FACET_LIMIT, facet_values

PARTNERS = ["JP", "CN", "US", "RU", "KR", "LA"]
columns = st.lists(st.lists(st.sampled_from(PARTNERS), unique=True, max_size=4), max_size=60)


@settings(max_examples=200, deadline=None)
@given(column=columns, data=st.data())
def test_counts_are_those_of_each_document(column, data):
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(column), max_size=len(column))), dtype=bool)
    expected = Counter(v for vals, kept in zip(column, keep, strict=True) if kept for v in vals)
    assert Entries(column).counts(keep) == expected


def test_few_and_many_results_are_counted_alike():
    rng = np.random.default_rng(7)
    column = [tuple(rng.choice(["JP", "CN", "US", "RU"], size=rng.integers(0, 4), replace=False)) for _ in range(1000)]
    entries = Entries(column)
    for share in (0.01, 0.1, 0.5, 1.0):
        keep = rng.random(1000) < share
        expected = Counter(v for vals, kept in zip(column, keep, strict=True) if kept for v in vals)
        assert entries.counts(keep) == expected


def test_only_the_most_frequent_are_listed_ties_by_label():
    counts = Counter({f"v{i:02d}": 100 - i for i in range(50)})
    counts.update({"tie-b": 100 - FACET_LIMIT + 1, "tie-a": 100 - FACET_LIMIT + 1})
    listed = facet_values(counts, (), str)
    everything = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
    assert [(v.value, v.count) for v in listed] == everything


@settings(max_examples=200, deadline=None)
@given(column=columns)
def test_entries_are_each_documents_values_in_order(column):
    entries = Entries(column)
    pairs = [(d, entries.values[c]) for d, c in zip(entries.docs.tolist(), entries.code.tolist(), strict=True)]
    assert pairs == [(d, v) for d, vals in enumerate(column) for v in vals]
    assert entries.values == list(dict.fromkeys(v for vals in column for v in vals))
    for value in PARTNERS:
        assert entries.mask(value).tolist() == [value in vals for vals in column]


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(columns, max_size=4))
def test_entries_joined_from_segments_are_those_of_the_whole_column(parts):
    whole = Entries([vals for part in parts for vals in part])
    joined = Entries.joined(Entries(part) for part in parts)
    assert joined.values == whole.values
    assert joined.docs.tolist() == whole.docs.tolist()
    assert joined.code.tolist() == whole.code.tolist()
    assert joined.starts.tolist() == whole.starts.tolist()
    assert joined.per_document() == [tuple(vals) for part in parts for vals in part]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_joint_tally_counts_each_facet_as_alone(data):
    size = data.draw(st.integers(0, 40))
    column = st.lists(st.lists(st.sampled_from(PARTNERS), unique=True, max_size=4), min_size=size, max_size=size)
    entries = {"partner": Entries(data.draw(column)), "mentioned": Entries(data.draw(column))}
    # Any share of the documents: few, most (counted as all but the others) or all.
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool)
    tallied = Tally(entries, size).counts(keep, np.flatnonzero(keep))
    assert tallied == {name: e.counts(keep) for name, e in entries.items()}
    assert all(count > 0 for counts in tallied.values() for count in counts.values())


def test_common_values_from_bitmaps_and_rare_ones_from_entries_count_alike():
    # Values from very common to very rare, and documents that repeat a value
    # (counted twice, as their entries are): the bitmaps of the common values
    # and the entries of the rest must give what counting document by document does.
    rng = np.random.default_rng(11)
    names = [f"v{i}" for i in range(60)]
    weights = 1.0 / np.arange(1, 61) ** 1.3
    column = []
    for number in range(3000):
        vals = tuple(rng.choice(names, size=rng.integers(0, 6), replace=False, p=weights / weights.sum()))
        column.append(vals + vals[:1] if number % 97 == 0 else vals)
    other = [tuple(rng.choice(names[:8], size=rng.integers(0, 3), replace=False)) for _ in range(3000)]
    entries = {"partner": Entries(column), "mentioned": Entries(other)}
    tally = Tally(entries, 3000)
    for share in (0.0, 0.002, 0.02, 0.05, 0.3, 0.6, 0.97, 1.0):
        keep = rng.random(3000) < share
        expected = Counter(v for vals, kept in zip(column, keep, strict=True) if kept for v in vals)
        assert entries["partner"].counts(keep) == expected
        assert tally.counts(keep, np.flatnonzero(keep))["partner"] == expected
        assert tally.counts(keep, np.flatnonzero(keep))["mentioned"] == entries["mentioned"].counts(keep)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_joint_table_is_every_entry_in_document_order_facet_after_facet(data):
    size = data.draw(st.integers(0, 40))
    column = st.lists(st.lists(st.sampled_from(PARTNERS), unique=True, max_size=4), min_size=size, max_size=size)
    entries = {name: Entries(data.draw(column)) for name in ("partner", "mentioned", "topic")}
    tally = Tally(entries, size)
    # The reference: every facet's entries one after the other, sorted by document, ties kept in order.
    docs = np.concatenate([np.zeros(0, dtype=np.int64)] + [e.docs for e in entries.values()])
    shifted = [e.code + bound for e, bound in zip(entries.values(), tally.bounds, strict=False)]
    codes = np.concatenate([np.zeros(0, dtype=np.int64), *shifted])
    order = np.argsort(docs, kind="stable")
    assert tally.code.tolist() == codes[order].tolist()
    assert tally.starts.tolist() == np.searchsorted(docs[order], np.arange(size + 1)).tolist()
