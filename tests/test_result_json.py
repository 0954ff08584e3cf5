"""The JSON of hits and facet values holds every field, as copies."""

from dataclasses import asdict, fields

from searchapp.search.results import FacetValue, Hit


def _hit(missing):
    return Hit(
        id="a1",
        title="Biển Đông",
        date="2021-05-01",
        source="Báo Quốc tế",
        url="https://example.org/a1",
        partners=["CN"],
        topics=["bien-dong"],
        score=3.5,
        snippet="… <mark>Biển Đông</mark> …",
        similar=["a2"],
        missing=missing,
        mentioned=["CN", "US"],
    )


def test_a_hit_gives_every_field_with_its_value():
    hit = _hit(["Nhật Bản"])
    assert hit.to_json() == asdict(hit)
    assert set(hit.to_json()) == {f.name for f in fields(Hit)}


def test_a_hit_without_missing_concepts_leaves_the_key_out():
    out = _hit(None).to_json()
    assert "missing" not in out
    assert set(out) == {f.name for f in fields(Hit)} - {"missing"}


def test_the_json_lists_are_copies():
    hit = _hit(None)
    hit.to_json()["partners"].append("JP")
    assert hit.partners == ["CN"]


def test_a_facet_value_gives_every_field():
    value = FacetValue(value="JP", label="Nhật Bản", count=4, selected=True)
    assert value.to_json() == asdict(value)
