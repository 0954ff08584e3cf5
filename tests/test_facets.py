"""The facet registry is the one list of facets.

The columns, filters, counts, notices and the page follow from its entries.
The few places that still name each facet (the index schema, the searcher's
and the command line's parameters, the page state's fields, the query box's
field names) are checked against it here, so that a facet added to the
registry alone is told where else it is needed.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from searchapp.cli import cli
from searchapp.index.schema import build_schema
from searchapp.search.facets import COLUMN_FACETS, FACETS, FILTER_ORDER, REGISTRY, YEAR
from searchapp.search.filters import Filters
from searchapp.search.querylang import FIELD_ALIASES
from searchapp.search.searcher import Searcher
from searchapp.web.state import SearchState


@pytest.mark.parametrize("facet", COLUMN_FACETS, ids=lambda f: f.name)
def test_a_facet_with_a_column_has_the_index_field_of_its_name(facet):
    field = build_schema()[facet.name]
    assert field.column_type is not None  # sortable: its values are read as a column
    values = [t.text for t in field.analyzer("Hà Nội,JP")]
    assert values == (["Hà Nội", "JP"] if facet.column == "list" else ["Hà Nội,JP"])


def test_every_facet_with_a_column_holds_values_in_the_sample_index(sample_config):
    stats = Searcher(sample_config).stats()
    for facet in COLUMN_FACETS:
        assert stats[facet.attr], facet.name
        assert facet.noun, facet.name  # an unknown value's notice names it


def test_the_parameters_that_name_each_facet_name_every_facet():
    attrs = {facet.attr for facet in REGISTRY}
    assert attrs <= set(inspect.signature(Searcher.search).parameters)
    assert attrs <= set(inspect.signature(Searcher.iter_hits).parameters)
    assert attrs <= {f.name for f in dataclasses.fields(SearchState)}
    assert {facet.name for facet in REGISTRY} <= {p.name for p in cli.commands["search"].params}
    assert set(FIELD_ALIASES.values()) == set(FACETS)


def test_the_named_filters_are_the_generic_filters_by_name(sample_config):
    # The documented keywords stay, as aliases of ``filters`` keyed by each facet's ``attr``.
    named = {"partners", "mentioned", "topics", "sources", "years"}
    assert named == {facet.attr for facet in REGISTRY}
    for method in (Searcher.search, Searcher.iter_hits):
        assert named | {"filters"} <= set(inspect.signature(method).parameters)
    searcher = Searcher(sample_config)
    by_name = searcher.search("Việt Nam", partners=["Nhật Bản"], years=["2019"], snippets=False)
    generic = searcher.search("Việt Nam", filters={"partners": ["Nhật Bản"], "years": ["2019"]}, snippets=False)
    assert by_name.total and [h.id for h in by_name.hits] == [h.id for h in generic.hits]
    assert by_name.filters == generic.filters and by_name.to_json()["facets"] == generic.to_json()["facets"]
    both = searcher.search("", partners=["JP"], filters={"partners": ["LA"]})
    assert both.filters["partners"] == ("JP", "LA")
    stream = searcher.iter_hits("Việt Nam", filters={"partners": ["Nhật Bản"], "years": ["2019"]})
    assert stream.total == by_name.total == len(list(stream))
    with pytest.raises(TypeError, match="no facet filter 'regions'"):
        searcher.search("", filters={"regions": ["Bắc"]})


def test_filters_are_given_in_the_order_the_api_has_always_listed_them():
    assert [f.attr for f in FILTER_ORDER] == ["partners", "mentioned", "topics", "sources", "years"]
    assert FILTER_ORDER[-1].name == YEAR
    chosen = Filters({"source": ("VnExpress",), YEAR: (0,)}, date_from=20210101)
    assert chosen.to_dict() == {
        "partners": (),
        "mentioned": (),
        "topics": (),
        "sources": ("VnExpress",),
        "years": (0,),
        "date_from": 20210101,
        "date_to": 0,
    }
    assert chosen.active and not Filters().active
    assert chosen.without("source").values("source") == () and chosen.values(YEAR) == (0,)
