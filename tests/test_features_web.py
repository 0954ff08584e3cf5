"""The ways out of a result list, through Flask's test client: the timeline,
search-box completion, the Atom feed, OpenSearch, CSV/JSON Lines export, and
partner names in the URL."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from conftest import build_index
from test_web import assert_error, links, text

from searchapp.search import completion as autocomplete
from searchapp.search.completion import SCAN_LIMIT, Completions
from searchapp.web import exports, present
from searchapp.web.app import create_app

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def api(client, url: str) -> dict:
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()


def timeline_links(html: str) -> list[tuple[str, str]]:
    """(href, aria-label) of every bar of the timeline."""
    return re.findall(r'<a class="timeline-link[^"]*" href="([^"]+)" aria-label="([^"]+)"', html.replace("&amp;", "&"))


@pytest.fixture(scope="module")
def formula_config(tmp_path_factory):
    """Titles and sources a spreadsheet would run as formulas."""
    root = tmp_path_factory.mktemp("formula")
    corpus = root / "corpus"
    corpus.mkdir()
    rows = [
        {
            "id": "eq",
            "title": '=HYPERLINK("https://example.vn","Biển Đông")',
            "body": "Biển Đông.",
            "date": "2021-01-02",
        },
        {"id": "plus", "title": "+84 Biển Đông", "body": "Biển Đông và Nhật Bản.", "date": "2021-03-04"},
        {"id": "minus", "title": "-1 Biển Đông", "body": "Biển Đông.", "date": "2022-05-06", "source": "@VOV"},
        {"id": "at", "title": "@SUM(A1) Biển Đông", "body": "Biển Đông.", "date": "2023-07-08"},
        {"id": "plain", "title": "Tin thường về Biển Đông", "body": "Biển Đông, a=b.", "date": "2024-09-10"},
        {"id": "undated", "title": "Tin không ngày về Biển Đông", "body": "Biển Đông."},
    ]
    (corpus / "rows.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return build_index(root, corpus)


@pytest.fixture
def formula(formula_config):
    return create_app(formula_config).test_client()


# -- the timeline -------------------------------------------------------------------------


def test_timeline_bars_match_the_json_and_narrow_the_dates(client):
    html = text(client.get("/?q=bien+dong"))
    assert '<svg class="timeline-chart"' in html
    timeline = api(client, "/api/search?q=bien+dong")["timeline"]
    bars = timeline_links(html)
    assert len(bars) == sum(1 for p in timeline if p["count"]) >= 2
    for (href, label), period in zip(bars, [p for p in timeline if p["count"]], strict=True):
        assert label == f"Năm {period['period']}: {period['count']} bài"
        query = params(href)
        assert query["q"] == ["bien dong"]
        assert query["from"] == [f"{period['period']}-01-01"]
        assert query["to"] == [f"{period['period']}-12-31"]
        narrowed = api(client, "/api/search?" + urlsplit(href).query)
        assert narrowed["total"] == period["count"]
    assert f"<title>{bars[0][1]}</title>" in html


def test_timeline_keeps_filters_and_draws_months(client):
    html = text(client.get("/?q=bien+dong&year=2022&sort=oldest"))
    timeline = api(client, "/api/search?q=bien+dong&year=2022")["timeline"]
    assert all(len(p["period"]) == 7 for p in timeline)
    bars = timeline_links(html)
    assert bars and len(bars) == sum(1 for p in timeline if p["count"])
    for href, label in bars:
        query = params(href)
        assert query["q"] == ["bien dong"] and query["year"] == ["2022"] and query["sort"] == ["oldest"]
        assert "page" not in query
        year, month, _ = query["from"][0].split("-")
        assert re.fullmatch(rf"Tháng {int(month)}/{year}: \d+ bài", label)
        assert query["to"][0][:7] == query["from"][0][:7]


def test_timeline_bar_stays_within_the_chosen_range(client):
    html = text(client.get("/?year=2023&from=2023-09-11"))
    september = [href for href, label in timeline_links(html) if label.startswith("Tháng 9/2023")]
    assert september, "the sample corpus has an article of 11/09/2023"
    assert params(september[0])["from"] == ["2023-09-11"] and params(september[0])["to"] == ["2023-09-30"]


@pytest.mark.parametrize("url", ["/?q=bien+dong&from=2023-09-01&to=2023-09-30", "/?q=zzzzkhongco", "/"])
def test_timeline_hidden_below_two_periods(client, url):
    assert "timeline-chart" not in text(client.get(url))


def test_timeline_periods_and_labels():
    assert present._period_range("2024-02") == ("2024-02-01", "2024-02-29", "Tháng 2/2024")
    assert present._period_range("2021-12") == ("2021-12-01", "2021-12-31", "Tháng 12/2021")
    assert present._period_range("2019") == ("2019-01-01", "2019-12-31", "Năm 2019")
    assert present._axis_labels(["2019", "2020"]) == ["2019", "2020"]
    months = [f"{y}-{m:02d}" for y in (2021, 2022, 2023) for m in range(1, 13)][6:]
    labels = present._axis_labels(months)
    assert labels[0] == "7/2021" and labels[-1] == "12/2023" and "1/2022" in labels
    assert sum(1 for label in labels if label) <= 6


# -- completion ----------------------------------------------------------------------------


def suggest(client, q: str, **extra) -> list[dict]:
    data = api(client, "/api/suggest?" + "&".join([f"q={q}", *(f"{k}={v}" for k, v in extra.items())]))
    assert data["ok"] is True
    assert len(data["suggestions"]) <= 8
    for s in data["suggestions"]:
        assert s["kind"] in ("partner", "topic", "title", "phrase")
        assert isinstance(s["text"], str) and s["text"]
    return data["suggestions"]


def test_suggest_completes_without_diacritics(client):
    found = suggest(client, "hoi+ng")
    assert {"text": "hội nghị", "kind": "phrase"} in found
    assert {"text": "Nhật Bản", "kind": "partner"} in suggest(client, "nhat")
    assert {"text": "Nhật Bản", "kind": "partner"} in suggest(client, "Nh%E1%BA%ADt")


def test_suggest_ranks_by_kind(client):
    order = {"partner": 0, "topic": 1, "phrase": 2, "title": 3}
    for q in ("n", "t", "hoi", "viet+nam"):
        kinds = [order[s["kind"]] for s in suggest(client, q)]
        assert kinds == sorted(kinds), q


def test_suggest_english_names_and_titles(client):
    assert {"text": "Japan", "kind": "partner", "label": "Nhật Bản"} in suggest(client, "jap")
    assert suggest(client, "japan")[0] == {"text": "Nhật Bản", "kind": "partner"}
    titles = [s["text"] for s in suggest(client, "hoi+nghi+bo") if s["kind"] == "title"]
    assert titles and all(t.startswith("Hội nghị Bộ") for t in titles)


def test_suggest_completes_the_last_words(client):
    assert "quan hệ việt nam" in [s["text"] for s in suggest(client, "quan+h%E1%BB%87+vi%E1%BB%87t+n")]


@pytest.mark.parametrize(
    "q", ["", "+", "%20%20", "!!!", "%22", "%00", "%FF", "-", "a" * 2000, "%3Cscript%3E", "partner%3AJP", "zzzzqqq"]
)
def test_suggest_odd_input_is_an_empty_list(client, q):
    found = suggest(client, q)
    if q in ("", "+", "%20%20", "!!!", "%22", "%00", "%FF", "-", "zzzzqqq"):
        assert found == []


def test_suggest_opensearch_format(client):
    resp = client.get("/api/suggest?q=nhat&format=opensearch")
    assert resp.mimetype == "application/x-suggestions+json"
    query, completions = resp.get_json(force=True)
    assert query == "nhat" and "Nhật Bản" in completions


def test_suggest_follows_a_reindex(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "Hợp tác kinh tế giữa hai nước. " * 3
    for i in range(3):
        (corpus / f"a{i}.json").write_text(json.dumps({"title": f"Tin {i} về hợp tác", "body": body}), encoding="utf-8")
    config = build_index(tmp_path, corpus)
    client = create_app(config).test_client()
    assert not [s for s in suggest(client, "camp") if s["kind"] == "title"]
    (corpus / "b.json").write_text(
        json.dumps({"title": "Campuchia và Việt Nam ký hiệp định", "body": "Campuchia."}), encoding="utf-8"
    )
    from searchapp.index.reindex import reindex

    reindex(config)
    assert {"text": "Campuchia và Việt Nam ký hiệp định", "kind": "title"} in suggest(client, "camp")


def test_completion_lookup_is_a_bisect_over_a_bounded_range(monkeypatch):
    """No timing: count what a lookup touches in a table of 60,000 entries."""
    entries = [(f"hội nghị số {i}", "phrase", i % 97, None) for i in range(30_000)]
    entries += [(f"Bản tin {i} về hợp tác", "title", i, None) for i in range(30_000)]
    table = Completions.from_entries(entries)
    bisects: list[str] = []
    scanned: list[int] = []
    real_bisect, real_heapq = autocomplete.bisect_left, autocomplete.heapq

    def spy_bisect(keys, value, *args):
        bisects.append(value)
        return real_bisect(keys, value, *args)

    def spy_nsmallest(count, items):
        scanned.append(len(items))
        return real_heapq.nsmallest(count, items)

    monkeypatch.setattr(autocomplete, "bisect_left", spy_bisect)
    monkeypatch.setattr(autocomplete, "heapq", SimpleNamespace(nsmallest=spy_nsmallest))
    for prefix, expected in [("hoi", "hội nghị số 96"), ("hoi nghi so 1234", "hội nghị số 1234"), ("ban t", None)]:
        bisects.clear()
        scanned.clear()
        found = table.complete(prefix)
        assert found, prefix
        if expected:
            assert expected in [s.text for s in found]
        assert bisects and bisects[0] == autocomplete.key(prefix)
        # A wide prefix is answered from the precomputed table, a narrow one by
        # scanning its small range: never the whole table.
        assert all(n <= SCAN_LIMIT for n in scanned), (prefix, scanned)
    assert len(bisects) <= 16


def test_completion_table_basics():
    table = Completions.from_entries(
        [
            ("Nhật Bản", "partner", 10, "JP"),
            ("Japan", "partner", 10, "JP"),
            ("Biển Đông", "phrase", 5, None),
            ("biên giới", "phrase", 9, None),
            ("Biển Đông nóng lên", "title", 1, None),
            ("Bienvenue", "phrase", 1, None),
        ]
    )
    assert [s.text for s in table.complete("bien")] == ["biên giới", "Biển Đông", "Bienvenue", "Biển Đông nóng lên"]
    # Typed marks win: "biển" prefers "Biển Đông" over the more frequent "biên giới".
    assert [s.text for s in table.complete("biển")][:2] == ["Biển Đông", "biên giới"]
    assert "Bienvenue" not in [s.text for s in table.complete("bien ")]  # the space ends the word
    assert [s.to_json() for s in table.complete("ja")] == [{"text": "Japan", "kind": "partner", "label": "Nhật Bản"}]
    assert table.complete("   ") == [] and table.complete("…") == []


# -- the Atom feed -----------------------------------------------------------------------


def test_feed_lists_the_search_newest_first(client):
    resp = client.get("/feed.atom?q=nhat+ban&partner=JP&page=3&per_page=2&sort=oldest")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, feed.get("bozo_exception")
    expected = api(client, "/api/search?q=nhat+ban&partner=JP&sort=newest&per_page=50")
    assert 0 < len(feed.entries) == min(expected["total"], 50)
    assert [e.id for e in feed.entries] == [f"http://localhost/article/{h['id']}" for h in expected["hits"]]
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    first, hit = feed.entries[0], expected["hits"][0]
    assert first.title == hit["title"]
    assert first.link == first.id
    assert "<" not in first.summary and "mark" not in first.summary
    assert feed.feed.title.startswith("Tin ngoại giao: nhat ban")
    assert "Nhật Bản" in feed.feed.title


def test_feed_caps_entries_and_dates_undated_articles(formula, monkeypatch):
    feed = feedparser.parse(formula.get("/feed.atom?q=bien+dong").data)
    assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == ["plain", "at", "minus", "plus", "eq", "undated"]
    assert feed.entries[-1].updated.startswith("1970-01-01")
    monkeypatch.setattr(exports, "FEED_ENTRIES", 2)
    assert len(feedparser.parse(formula.get("/feed.atom").data).entries) == 2


def test_pages_link_their_feed(client):
    html = text(client.get("/?q=bien+dong&partner=CN&page=2&sort=oldest"))
    match = re.search(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"', html)
    assert match
    href = match[1].replace("&amp;", "&")
    assert urlsplit(href).path == "/feed.atom"
    assert params(href) == {"q": ["bien dong"], "partner": ["CN"]}
    visible = [h for h, label, _ in links(html) if label == "Theo dõi (Atom)"]
    assert [h.replace("&amp;", "&") for h in visible] == [href]
    home = text(client.get("/"))
    assert 'type="application/atom+xml" href="/feed.atom"' in home


# -- OpenSearch --------------------------------------------------------------------------


def test_opensearch_description(client):
    resp = client.get("/opensearch.xml")
    assert resp.status_code == 200
    assert resp.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(resp.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert root.findtext(f"{OPENSEARCH}ShortName") == "Tin ngoại giao"
    urls = {u.get("type"): u.get("template") for u in root.findall(f"{OPENSEARCH}Url")}
    assert urls["text/html"] == "http://localhost/?q={searchTerms}"
    assert urls["application/x-suggestions+json"].startswith("http://localhost/api/suggest?")
    assert "q={searchTerms}" in urls["application/x-suggestions+json"]


@pytest.mark.parametrize("url", ["/", "/?q=bien+dong", "/article/demo-2019-bien-dong-hai-duong-8", "/nope"])
def test_every_page_links_opensearch(client, url):
    html = text(client.get(url))
    assert '<link rel="search" type="application/opensearchdescription+xml"' in html
    assert 'title="Tin ngoại giao" href="/opensearch.xml">' in html


# -- export -----------------------------------------------------------------------------


def read_csv(resp) -> list[dict[str, str]]:
    assert resp.is_streamed
    return list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize("query", ["", "q=bien+dong", "q=nhat+ban&partner=JP", "topic=bien-dong&sort=newest"])
def test_export_csv_has_every_result(client, query, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_PAGE", 7)  # several engine pages even on the sample corpus
    expected = api(client, f"/api/search?{query}&per_page=100")
    resp = client.get(f"/export?{query}&format=csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "X-Searchapp-Truncated" not in resp.headers
    assert resp.headers["X-Searchapp-Total"] == str(expected["total"])
    rows = read_csv(resp)
    assert len(rows) == expected["total"]
    assert list(rows[0]) == ["id", "title", "date", "source", "url", "partners", "topics", "score"]
    # Every article, copies of a story included, in ranking order.
    ids = [r["id"] for r in rows]
    grouped = [h["id"] for h in expected["hits"]]
    assert set(ids) == set(grouped).union(*(h["similar"] for h in expected["hits"]))
    assert [i for i in ids if i in grouped] == grouped
    hit = next(h for h in expected["hits"] if h["id"] == rows[0]["id"])
    assert rows[0]["partners"] == ";".join(hit["partners"])
    assert rows[0]["topics"] == ";".join(hit["topics"])
    assert float(rows[0]["score"]) == hit["score"]


def test_export_jsonl_has_every_result(client):
    expected = api(client, "/api/search?q=bien+dong&per_page=100")
    resp = client.get("/export?q=bien+dong&format=jsonl&page=2&per_page=3")
    assert resp.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="searchapp-bien-dong.jsonl"'
    rows = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    assert len(rows) == expected["total"]
    assert rows[0] == {k: expected["hits"][0][k] for k in rows[0]}
    assert set(rows[0]) == {"id", "title", "date", "source", "url", "partners", "topics", "score"}


def test_export_cap_is_announced(client, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 5)
    monkeypatch.setattr(exports, "EXPORT_PAGE", 2)
    resp = client.get("/export?q=bien+dong&format=csv")
    assert resp.headers["X-Searchapp-Truncated"].startswith("true")
    assert int(resp.headers["X-Searchapp-Total"]) > 5
    assert len(read_csv(resp)) == 5
    lines = client.get("/export?q=bien+dong&format=jsonl").get_data(as_text=True).splitlines()
    assert len(lines) == 5


def test_export_neutralises_formulas(formula):
    rows = {r["id"]: r for r in read_csv(formula.get("/export?q=bien+dong"))}
    assert rows["eq"]["title"] == '\'=HYPERLINK("https://example.vn","Biển Đông")'
    assert rows["plus"]["title"] == "'+84 Biển Đông"
    assert rows["minus"]["title"] == "'-1 Biển Đông"
    assert rows["minus"]["source"] == "'@VOV"
    assert rows["at"]["title"] == "'@SUM(A1) Biển Đông"
    assert rows["plain"]["title"] == "Tin thường về Biển Đông"
    for row in rows.values():
        assert not any(v and v[0] in "=+-@" for v in row.values())
    # JSON Lines is data, not a spreadsheet: kept as written.
    lines = formula.get("/export?q=bien+dong&format=jsonl").get_data(as_text=True).splitlines()
    assert {json.loads(line)["title"] for line in lines} >= {"+84 Biển Đông"}


def test_export_file_names(client):
    def name(query: str) -> str:
        resp = client.get(f"/export?{query}")
        resp.close()
        return resp.headers["Content-Disposition"]

    assert name("q=Bi%E1%BB%83n+%C4%90%C3%B4ng") == 'attachment; filename="searchapp-bien-dong.csv"'
    assert name("partner=JP&format=jsonl") == 'attachment; filename="searchapp-ket-qua.jsonl"'
    assert name("q=%22a%2Fb%22%3B+rm") == 'attachment; filename="searchapp-a-b-rm.csv"'


@pytest.mark.parametrize("query", ["format=xlsx", "format=csv&page=0", "format=csv&from=yesterday"])
def test_export_bad_parameters_are_400(client, query):
    assert_error(client.get(f"/export?{query}"), 400)


def test_results_page_links_the_exports(client):
    html = text(client.get("/?q=bien+dong&partner=CN&page=2"))
    found = {label: h.replace("&amp;", "&") for h, label, _ in links(html) if label.startswith("Tải")}
    assert set(found) == {"Tải CSV", "Tải JSON Lines"}
    assert params(found["Tải CSV"]) == {"q": ["bien dong"], "partner": ["CN"], "format": ["csv"]}
    assert params(found["Tải JSON Lines"])["format"] == ["jsonl"]
    # No results yet: nothing to download, but the feed is an alert for later.
    empty = [label for _, label, _ in links(text(client.get("/?q=zzzzkhongco")))]
    assert "Theo dõi (Atom)" in empty and "Tải CSV" not in empty


# -- partner names -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Japan", "japan", "Nh%E1%BA%ADt+B%E1%BA%A3n", "nhat+ban", "JP"])
def test_partner_filter_takes_names(client, name):
    by_code = api(client, "/api/search?partner=JP")
    assert api(client, f"/api/search?partner={name}")["total"] == by_code["total"] > 0
    html = text(client.get(f"/?partner={name}"))
    assert re.search(r'<span class="chip-kind">Đối tác chính:</span>\s*<a class="chip chip-active"[^>]*>Nhật Bản', html)
    chips = [h for h, label, a in links(html) if "chip-active" in a.get("class", "") and label.startswith("Nhật Bản")]
    assert chips and "partner" not in params(chips[0])
    rows = read_csv(client.get(f"/export?partner={name}"))
    assert len(rows) == by_code["total"]


def test_search_page_builds_the_completion_table_in_the_background(sample_config):
    app = create_app(sample_config)
    cache = app.extensions["searchapp"]._completions
    assert cache._table is None
    app.test_client().get("/?q=bien+dong").close()
    deadline = time.monotonic() + 30
    while cache._table is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache._table is not None and cache._table.size > 0


def test_same_story_shows_once_with_its_siblings(tmp_path):
    import json as _json

    from conftest import build_index

    from searchapp import create_app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = " ".join(
        f"Câu {i}: Việt Nam và Hoa Kỳ nhất trí tăng cường hợp tác kinh tế, giáo dục và khoa học." for i in range(12)
    )
    for key, title in (("a", "Việt Nam - Hoa Kỳ nâng cấp quan hệ"), ("b", "Nâng cấp quan hệ Việt Nam - Hoa Kỳ")):
        record = {"id": key, "title": title, "body": story, "source": key.upper()}
        (corpus / f"{key}.json").write_text(_json.dumps(record, ensure_ascii=False), encoding="utf-8")
    app = create_app(build_index(tmp_path, corpus))
    client = app.test_client()
    data = client.get("/api/search?q=Hoa+K%E1%BB%B3").get_json()
    assert data["total"] == 2 and len(data["hits"]) == 1
    assert len(data["hits"][0]["similar"]) == 1
    html = client.get("/?q=Hoa+K%E1%BB%B3").get_data(as_text=True)
    assert "1 bài tương tự" in html and "<details" in html
    rows = client.get("/export?q=Hoa+K%E1%BB%B3&format=jsonl").get_data(as_text=True).strip().splitlines()
    assert len(rows) == 2
