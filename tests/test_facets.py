"""The facet registry is the one list of facets.

A facet is an entry of :data:`~searchapp.search.facets.REGISTRY` and, when it
has an index field, its entry of :data:`~searchapp.index.facetfields.FACET_FIELDS`
(the index may not import the searcher). Everything else follows from the
two: the schema and each document's value, the columns, filters, counts and
notices, the searcher's ``filters``, the page's state, URLs and side panel,
the command line's option and the query box's field names. Checked here,
also with a facet that is not in the registry.
"""

from __future__ import annotations

import inspect

import pytest
from click.testing import CliRunner

from searchapp.cli import cli, searching
from searchapp.corpus.model import Article
from searchapp.index.facetfields import FACET_FIELDS, VALUE, FacetField
from searchapp.index.schema import build_schema, to_document
from searchapp.search import facets
from searchapp.search.facets import COLUMN_FACETS, FACETS, FILTER_ORDER, REGISTRY, YEAR, Facet, asked_filters
from searchapp.search.filters import Filters
from searchapp.search.querylang import FIELD_ALIASES, field_aliases
from searchapp.search.searcher import Searcher
from searchapp.web import state
from searchapp.web.state import SearchState

# A facet the registry does not have: an article's category, a value of its own.
CATEGORY_FIELD = FacetField("category", VALUE, lambda article: (article.category,) if article.category else ())
CATEGORY = Facet(
    "category", "categories", "Chuyên mục", str, indexed=CATEGORY_FIELD, aliases=("chuyenmuc",), option_help="Category."
)
WITH_CATEGORY = (*REGISTRY, CATEGORY)


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


def test_the_facets_with_a_column_are_the_index_facet_fields_in_order():
    assert [facet.indexed for facet in COLUMN_FACETS] == list(FACET_FIELDS)
    assert FACETS[YEAR].indexed is None and FACETS[YEAR].column is None
    with pytest.raises(ValueError, match="names the index field"):
        Facet("region", "regions", "Vùng", str, indexed=CATEGORY_FIELD)


def test_every_facet_has_its_option_and_its_field_in_the_query_box():
    assert {facet.name for facet in REGISTRY} <= {p.name for p in cli.commands["search"].params}
    assert all(facet.option_help for facet in REGISTRY)
    assert set(FIELD_ALIASES.values()) == set(FACETS)
    assert {"doitac", "country", "nhacden", "mentions", "chude", "nguon", "nam"} <= set(FIELD_ALIASES)


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


def test_a_facet_added_to_the_registry_reaches_the_index_the_query_box_and_the_command_line():
    schema = build_schema((*FACET_FIELDS, CATEGORY_FIELD))
    assert schema["category"].column_type is not None
    assert set(schema.names()) - set(build_schema().names()) == {"category"}
    article = Article("a", "Tiêu đề", "Thân bài", category="Thời sự", partners=("JP",))
    doc = to_document(article, 1, facet_fields=(*FACET_FIELDS, CATEGORY_FIELD))
    assert doc["category"] == "Thời sự" and doc["partner"] == "JP"
    assert field_aliases(WITH_CATEGORY)["chuyenmuc"] == "category"

    seen = {}

    @searching.click.command()
    @searching.facet_options(WITH_CATEGORY)
    def command(**options):
        seen.update(searching.chosen_filters(options, WITH_CATEGORY))

    result = CliRunner().invoke(command, ["--category", "Thời sự", "--partner", "JP"], catch_exceptions=False)
    assert result.exit_code == 0
    assert seen == {
        "partners": ("JP",),
        "mentioned": (),
        "topics": (),
        "years": (),
        "sources": (),
        "categories": ("Thời sự",),
    }


def test_a_facet_added_to_the_registry_reaches_the_searcher_and_the_page_state(app, monkeypatch):
    monkeypatch.setattr(facets, "REGISTRY", WITH_CATEGORY)
    assert asked_filters({"categories": ["Thời sự"]}, partners=["JP"])["categories"] == ["Thời sự"]
    for name, value in {
        "REGISTRY": WITH_CATEGORY,
        "FACETS": {**FACETS, "category": CATEGORY},
        "COLUMN_FACETS": (*COLUMN_FACETS, CATEGORY),
        "_FILTER_NAMES": tuple(facet.attr for facet in WITH_CATEGORY),
    }.items():
        monkeypatch.setattr(state, name, value)
    with app.test_request_context("/?q=ASEAN&category=Thời+sự&partner=JP"):
        chosen = state.read_state()
        assert chosen.categories == ("Thời sự",) and chosen.partners == ("JP",)
        assert chosen.has_filters and chosen.has_value("category", "Thời sự")
        assert ("category", "Thời sự") in chosen.params()
        assert chosen._asked()["filters"]["categories"] == ("Thời sự",)
        assert "category" not in chosen.toggle_url("category", "Thời sự")
        assert SearchState(q="ASEAN").toggle_url("category", "Thời sự") == "/?q=ASEAN&category=Th%E1%BB%9Di+s%E1%BB%B1"
