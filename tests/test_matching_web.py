"""Query interpretation through the web layer: NFC on the way in, pages of
list entries, exports and feeds of exactly the result set, the JSON fields."""

from __future__ import annotations

import json
import unicodedata
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_decomposed_parameters_find_what_composed_ones_find(client):
    composed = client.get("/api/search", query_string={"q": "Biển Đông", "source": "Nhân Dân"}).get_json()
    decomposed = client.get("/api/search", query_string={"q": nfd("Biển Đông"), "source": nfd("Nhân Dân")}).get_json()
    assert composed["total"] > 0
    assert decomposed["total"] == composed["total"]
    assert [h["id"] for h in decomposed["hits"]] == [h["id"] for h in composed["hits"]]


def test_decomposed_autocomplete_prefix_completes(client):
    composed = client.get("/api/suggest", query_string={"q": "hội ng"}).get_json()["suggestions"]
    decomposed = client.get("/api/suggest", query_string={"q": nfd("hội ng")}).get_json()["suggestions"]
    assert composed and decomposed == composed


def test_json_says_how_the_query_was_read(client):
    data = client.get("/api/search", query_string={"q": "bien dong"}).get_json()
    assert data["interpreted"] == "Biển Đông"
    assert data["concepts"] == ["Biển Đông"]
    assert data["partial"] == []
    exact = client.get("/api/search", query_string={"q": "bien dong", "exact": "1"}).get_json()
    assert exact["interpreted"] == "bien dong"
    assert exact["total"] >= data["total"]


def test_near_misses_are_listed_apart_and_not_counted(client):
    data = client.get("/api/search", query_string={"q": "Biển Đông zyxwvq"}).get_json()
    assert data["total"] == 0 and data["hits"] == []
    assert data["facets"]["partner"] == [] and data["timeline"] == []
    assert data["partial"], "articles that hold all but one concept"
    assert all(p["missing"] == ["zyxwvq"] for p in data["partial"])
    assert all("missing" not in h for h in data["hits"])


@pytest.mark.parametrize("query", ["Việt Nam", "hợp tác", "tuyên bố chung Hoa Kỳ đối tác chiến lược toàn diện"])
def test_every_page_up_to_the_count_lists_something(client, query):
    first = client.get("/api/search", query_string={"q": query, "per_page": 3}).get_json()
    seen = []
    for page in range(1, first["pages"] + 1):
        data = client.get("/api/search", query_string={"q": query, "per_page": 3, "page": page}).get_json()
        assert data["hits"], f"page {page} of {first['pages']} is empty"
        seen += [h["id"] for h in data["hits"]] + [s for h in data["hits"] for s in h["similar"]]
    assert len(seen) == len(set(seen)) == first["total"], "every matching article once, as a hit or under one"


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_export_lists_every_matching_article_once(client, sort):
    total = client.get("/api/search", query_string={"q": "Việt Nam"}).get_json()["total"]
    resp = client.get("/export", query_string={"q": "Việt Nam", "format": "jsonl", "sort": sort})
    rows = [json.loads(line) for line in resp.get_data(as_text=True).splitlines() if line.strip()]
    assert int(resp.headers["X-Searchapp-Total"]) == total
    assert len(rows) == total == len({r["id"] for r in rows})


def test_feed_lists_only_matching_articles(client):
    export = client.get("/export", query_string={"q": "Biển Đông", "format": "jsonl", "sort": "newest"})
    matching = [json.loads(line)["id"] for line in export.get_data(as_text=True).splitlines() if line.strip()]
    feed = ET.fromstring(client.get("/feed.atom", query_string={"q": "Biển Đông"}).get_data())
    links = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    ids = [unquote(link.split("/article/", 1)[1]) for link in links]
    assert ids == matching[:50], "the newest matching articles, in the export's order"


def test_either_tone_placement_completes_the_same(tmp_path):
    from conftest import build_index

    from searchapp.search.completion import Completions, key
    from searchapp.search.searcher import Searcher

    assert key("Hoà bình", keep_marks=True) == key("hòa bình", keep_marks=True) == "hòa bình"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        body = "Gìn giữ hòa bình là mục tiêu chung. " * 3 + f"Bài số {i}."
        record = {"id": f"a{i}", "title": f"Hòa bình và hợp tác {i}", "body": body}
        (corpus / f"a{i}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    searcher = Searcher(build_index(tmp_path, corpus))
    gen, whoosh_searcher = searcher._live.open()
    table = Completions.from_reader(whoosh_searcher.reader())
    new_style = [s.text for s in table.complete("hoà b")]
    old_style = [s.text for s in table.complete("hòa b")]
    assert old_style and new_style == old_style
