"""The search page, the article page and the JSON API, through Flask's test client."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import build_index, write_config

from searchapp.config import load_config
from searchapp.search.searcher import Searcher
from searchapp.web.app import create_app
from searchapp.web.present import format_date, format_number, format_seconds, page_numbers, safe_url

API_KEYS = [
    *("ok", "query", "total", "page", "per_page", "took_ms", "pages", "interpreted", "concepts"),
    *("hits", "partial", "facets", "suggestion", "timeline", "undated", "filters", "notices", "skipped"),
]
HIT_KEYS = {"id", "title", "date", "source", "url", "partners", "mentioned", "topics", "score", "snippet", "similar"}
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'


class _Links(HTMLParser):
    """Every ``<a>`` of a page: (href, text, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, dict]] = []
        self._open: list[tuple[dict, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open.append((dict(attrs), []))

    def handle_data(self, data):
        for _, text in self._open:
            text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            attrs, text = self._open.pop()
            self.links.append((attrs.get("href", ""), " ".join("".join(text).split()), attrs))


def links(html: str) -> list[tuple[str, str, dict]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def assert_error(resp, status: int) -> None:
    """An error has the right status and, under /api/, the JSON envelope."""
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    if resp.mimetype == "application/json":
        data = resp.get_json()
        assert data["ok"] is False
        assert data["status"] == status
        assert isinstance(data["error"], str) and data["error"]
    else:
        assert resp.mimetype == "text/html"
        html = resp.get_data(as_text=True)
        assert f"Lỗi {status}" in html
        assert 'lang="vi"' in html


def text(resp) -> str:
    return resp.get_data(as_text=True)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_config(tmp_path_factory):
    """A tiny corpus with script-laden text, a javascript: URL, and ids with / and :."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    (corpus / "2021").mkdir(parents=True)
    (corpus / "evil.json").write_text(
        json.dumps(
            {
                "id": "evil",
                "title": f"Biển Đông {HOSTILE}",
                "body": f"Đoạn đầu về Biển Đông. {HOSTILE}\n\nĐoạn hai nhắc lại Biển Đông và Nhật Bản.",
                "date": "2021-05-04",
                "source": "<b>Nguồn</b>",
                "url": "javascript:alert(1)",
                "partners": ["JP"],
                "topics": ["bien-dong"],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (corpus / "2021" / "visit.txt").write_text(
        "Việt Nam và Nhật Bản thúc đẩy hợp tác\n\n"
        "(TTXVN) - Ngày 3/2/2021, tại Hà Nội, hai bên trao đổi về Biển Đông.\n",
        encoding="utf-8",
    )
    lines = [
        {"title": "Tin thứ nhất về ASEAN", "body": "Hội nghị ASEAN bàn về Biển Đông.", "date": "2022-01-01"},
        {
            "title": "Tin thứ hai về Hàn Quốc",
            "body": "Hàn Quốc và Việt Nam.",
            "date": "2022-02-02",
            "url": "https://example.vn/a?b=1&c=2",
        },
    ]
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    return build_index(root, corpus)


@pytest.fixture
def hostile(hostile_config):
    app = create_app(hostile_config)
    app.config.update(TESTING=True)
    return app.test_client()


# -- the app --------------------------------------------------------------------------


def test_searcher_is_opened_once_per_app(app, client):
    searcher = app.extensions["searchapp"]
    assert isinstance(searcher, Searcher)
    client.get("/?q=bien+dong")
    client.get("/api/search?q=asean")
    assert app.extensions["searchapp"] is searcher


def test_create_app_reads_config_from_environment(sample_config, monkeypatch):
    path = sample_config.source_file
    monkeypatch.setenv("SEARCHAPP_CONFIG", str(path))
    app = create_app()
    assert app.config["SEARCHAPP_CONFIG"].index_path == sample_config.index_path
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024


@pytest.mark.parametrize("url", ["/", "/?q=bien+dong", "/api/search?q=x", "/article/nope", "/static/style.css"])
def test_security_headers(client, url):
    resp = client.get(url)
    csp = resp.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"
    resp.close()


@pytest.mark.parametrize("url", ["/", "/?q=bien+dong", "/?partner=JP", "/article/demo-2019-bien-dong-hai-duong-8"])
def test_pages_have_no_inline_code_and_nothing_remote(client, url):
    html = text(client.get(url))
    assert '<html lang="vi">' in html
    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!example\.vn)""", html), "remote resource"
    assert re.search(r'<a class="skip-link" href="#main">', html)
    assert 'id="main"' in html
    assert '<meta name="viewport"' in html


def test_static_files_are_served(client):
    for name in ("style.css", "app.js", "logo.svg", "favicon.svg"):
        resp = client.get(f"/static/{name}")
        assert resp.status_code == 200, name
        assert b"http://" not in resp.data.replace(b"http://www.w3.org/2000/svg", b"")
        resp.close()


# -- the search page ------------------------------------------------------------------


def test_home_page_introduces_and_lists_recent_articles(client):
    html = text(client.get("/"))
    assert "autofocus" in html
    assert "Bài mới nhất" in html
    for example in ("Biển Đông", "bien dong", "quan hệ Việt Nam Nhật Bản"):
        assert f">{example}</a>" in html
    hrefs = [h for h, _, _ in links(html)]
    assert any(h.startswith("/article/") for h in hrefs)
    assert any(params(h).get("partner") for h in hrefs), "browse-by-partner links"


@pytest.mark.parametrize("query", ["Biển Đông", "bien dong"])
def test_search_marks_accented_and_unaccented_queries(client, query):
    html = text(client.get("/", query_string={"q": query}))
    assert re.search(r"\d+ kết quả", html) and not re.search(r"Khoảng \d", html), "the count is exact"
    assert re.search(r"\(\d+,\d\d giây\)", html)
    # One mark over the concept, never its syllables apart.
    assert "<mark>Biển Đông</mark>" in html and "<mark>Đông</mark>" not in html
    assert f'value="{query}"' in html, "the box keeps the query"
    titles = [h for h, _, a in links(html) if h.startswith("/article/")]
    assert titles and all(params(h)["q"] == [query] for h in titles), "article links carry the query"


def test_alternate_link_points_at_the_same_search(client):
    html = text(client.get("/?q=bien+dong&partner=CN&per_page=3"))
    match = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert match
    href = match.group(1).replace("&amp;", "&")
    assert href.startswith("/api/search?")
    assert params(href) == {"q": ["bien dong"], "partner": ["CN"], "per_page": ["3"]}
    data = client.get(href).get_json()
    assert data["total"] > 0
    assert re.search(rf"{data['total']} kết quả", html)


def test_suggestion_line_matches_the_api(client):
    data = client.get("/api/search?q=bien+dong").get_json()
    html = text(client.get("/?q=bien+dong"))
    if data["suggestion"]:
        assert "Có phải bạn muốn tìm:" in html
        link = [h for h, t, _ in links(html) if t == data["suggestion"]]
        assert link and params(link[0])["q"] == [data["suggestion"]]
    else:
        assert "Có phải bạn muốn tìm" not in html


def test_facet_links_toggle_their_filter(client):
    html = text(client.get("/?q=bien+dong"))
    japan = [(h, a) for h, t, a in links(html) if "facet-link" in a.get("class", "") and t.startswith("Nhật Bản ")]
    assert japan, "the partner facet lists Japan"
    href = japan[0][0]
    assert params(href) == {"q": ["bien dong"], "partner": ["JP"]}

    filtered = text(client.get(href))
    chips = [(h, t) for h, t, a in links(filtered) if "chip-active" in a.get("class", "")]
    assert len(chips) == 1 and "Nhật Bản" in chips[0][1]
    assert params(chips[0][0]) == {"q": ["bien dong"]}, "the chip removes the filter"
    selected = [h for h, t, a in links(filtered) if "is-selected" in a.get("class", "")]
    assert selected and params(selected[0]) == {"q": ["bien dong"]}, "the facet value toggles back off"
    api = client.get("/api/search?q=bien+dong&partner=JP").get_json()
    assert api["total"] > 0
    assert all("JP" in hit["partners"] for hit in api["hits"])
    assert [v for v in api["facets"]["partner"] if v["value"] == "JP"][0]["selected"] is True


def test_partner_names_and_codes_are_one_filter(client):
    by_name = client.get("/api/search", query_string={"partner": "Nhật Bản"}).get_json()
    by_code = client.get("/api/search?partner=JP").get_json()
    assert by_name["total"] == by_code["total"] > 0
    html = text(client.get("/", query_string={"partner": "Nhật Bản"}))
    chips = [h for h, _, a in links(html) if "chip-active" in a.get("class", "")]
    assert len(chips) == 1 and params(chips[0]) == {}


def test_empty_query_with_filter_lists_newest_first(client):
    data = client.get("/api/search?partner=JP").get_json()
    assert data["total"] > 1
    dates = [h["date"] for h in data["hits"] if h["date"]]
    assert dates == sorted(dates, reverse=True)
    html = text(client.get("/?partner=JP"))
    assert f"{data['total']} bài viết" in html
    assert html.count('class="hit"') == min(data["total"], 10)
    assert 'aria-current="true" class="is-current">Mới nhất' in html
    assert "Liên quan nhất" not in html, "no relevance sort without a query"


def test_sort_links_and_order(client):
    html = text(client.get("/?q=asean"))
    sort_links = {t: h for h, t, a in links(html) if params(h).get("sort")}
    assert set(sort_links) == {"Liên quan nhất", "Mới nhất", "Cũ nhất"}
    oldest = client.get(sort_links["Cũ nhất"].replace("/?", "/api/search?")).get_json()
    dates = [h["date"] for h in oldest["hits"] if h["date"]]
    assert dates == sorted(dates)


def test_pagination(client):
    first = text(client.get("/?q=bien+dong&per_page=2"))
    nav = first[first.index('aria-label="Phân trang"') :]
    assert 'aria-current="page"><span class="visually-hidden">Trang </span>1<' in nav
    following = [h for h, t, a in links(nav) if a.get("rel") == "next"]
    assert following and params(following[0])["page"] == ["2"] and params(following[0])["per_page"] == ["2"]
    second = text(client.get(following[0].replace("&amp;", "&")))
    assert 'aria-current="page"><span class="visually-hidden">Trang </span>2<' in second
    assert '<ol class="hits" start="3">' in second
    assert "Trang trước" in second


def test_page_after_the_last_one_is_a_friendly_page(client):
    resp = client.get("/?q=bien+dong&page=999")
    assert resp.status_code == 200
    assert "không có kết quả" in text(resp)
    assert "Về trang đầu" in text(resp)


def test_number_formats():
    assert format_number(12345) == "12.345"
    assert format_seconds(12.5) == "0,01"
    assert format_seconds(0.3) == "0,01"
    assert format_seconds(1234) == "1,23"
    assert format_date("2024-07-25") == "25/07/2024"
    assert format_date(None) == ""


def test_page_numbers_window():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_numbers(1, 5000)[-1] == 1000


def test_date_range(client):
    html = text(client.get("/?from=2023-01-01&to=2023-12-31"))
    assert 'value="2023-01-01"' in html and 'value="2023-12-31"' in html
    assert re.search(r'Từ ngày:</span>\s*<a class="chip chip-active"[^>]*>01/01/2023', html)
    data = client.get("/api/search?from=2023-01-01&to=2023-12-31&per_page=100").get_json()
    assert data["total"] > 0
    assert all(h["date"].startswith("2023") for h in data["hits"])


def test_year_and_source_facets(client):
    data = client.get("/api/search?year=2023&source=TTXVN&per_page=100").get_json()
    assert data["total"] > 0
    assert all(h["date"].startswith("2023") and h["source"] == "TTXVN" for h in data["hits"])


def test_forms_carry_the_other_parameters(client):
    html = text(client.get("/?q=bien+dong&partner=CN&sort=newest&per_page=5&page=2"))
    box = html[html.index('role="search"') : html.index("</form>")]
    assert '<input type="hidden" name="partner" value="CN">' in box
    assert '<input type="hidden" name="sort" value="newest">' in box
    assert 'name="page"' not in box, "a new query starts on page 1"
    dates = html[html.index('class="date-range"') :]
    dates = dates[: dates.index("</form>")]
    assert '<input type="hidden" name="q" value="bien dong">' in dates


@pytest.mark.parametrize(
    "query",
    [
        {"partner": "XX"},
        {"topic": "khong-co-chu-de-nay"},
        {"source": "Báo Không Tồn Tại"},
        {"year": "1800"},
        {"q": "bien dong", "partner": "XX", "year": "2020"},
    ],
)
def test_unknown_facet_values_give_no_results(client, query):
    resp = client.get("/", query_string=query)
    assert resp.status_code == 200
    html = text(resp)
    assert "Không tìm thấy kết quả nào" in html
    drops = [h for h, t, _ in links(html) if t.startswith("Bỏ lọc")]
    assert drops, "suggests dropping a filter"
    assert client.get("/api/search", query_string=query).get_json()["total"] == 0


@pytest.mark.parametrize(
    "q",
    ['"bien dong', "((", ")", "-", "OR", "AND OR NOT", "partner:", ":::", "*?", "\\", "'; DROP TABLE", "\x00", "🙂"],
)
def test_odd_queries_never_fail(client, q):
    assert client.get("/", query_string={"q": q}).status_code == 200
    resp = client.get("/api/search", query_string={"q": q})
    assert resp.status_code == 200
    assert resp.get_json()["ok"] is True


def test_very_long_query_is_cut(client):
    q = ("biển đông " * 1000)[:10_000]
    assert client.get("/", query_string={"q": q}).status_code == 200
    data = client.get("/api/search", query_string={"q": q}).get_json()
    assert len(data["query"]) == 1000


def test_no_results_state(client):
    html = text(client.get("/?q=zzqxw"))
    assert "Không tìm thấy kết quả nào cho “zzqxw”" in html
    assert "autofocus" not in html or 'value="zzqxw"' in html


# -- bad parameters -----------------------------------------------------------------


BAD_PARAMS = [
    {"page": "0"},
    {"page": "-1"},
    {"page": "abc"},
    {"page": "1.5"},
    {"page": "99999"},
    {"page": "1" * 40},
    {"per_page": "0"},
    {"per_page": "abc"},
    {"per_page": "101"},
    {"sort": "best"},
    {"from": "2020-13-01"},
    {"from": "yesterday"},
    {"to": "2020-02-30"},
    {"year": "abc"},
    {"year": "20201"},
    {"partner": ["JP"] * 21},
    {"source": "x" * 201},
]


@pytest.mark.parametrize("query", BAD_PARAMS)
def test_bad_parameters_are_400(client, query):
    assert_error(client.get("/", query_string=query), 400)
    assert_error(client.get("/api/search", query_string=query), 400)


def test_bad_parameter_page_names_the_problem(client):
    html = text(client.get("/?q=bien+dong&page=abc"))
    assert "Số trang phải là một số nguyên" in html and "must be" not in html, "said in Vietnamese"
    retry = [h for h, t, _ in links(html) if t.startswith("Tìm lại")]
    assert retry and params(retry[0]) == {"q": ["bien dong"]}


def test_per_page_up_to_the_maximum(client, sample_config):
    data = client.get(f"/api/search?per_page={sample_config.max_per_page}").get_json()
    assert data["per_page"] == sample_config.max_per_page
    # Copies of one story are listed under their group's first article.
    assert len(data["hits"]) + sum(len(h["similar"]) for h in data["hits"]) == data["total"]


def test_empty_parameters_mean_defaults(client):
    resp = client.get("/api/search?q=asean&page=&per_page=&sort=&from=&to=&partner=")
    assert resp.status_code == 200
    assert resp.get_json()["page"] == 1


def test_method_not_allowed(client):
    resp = client.post("/")
    assert_error(resp, 405)
    assert "GET" in resp.headers["Allow"]
    assert_error(client.post("/api/search", data={"q": "x"}), 405)


def test_unknown_routes_are_404(client):
    assert_error(client.get("/khong-co"), 404)
    assert_error(client.get("/api/khong-co"), 404)


def test_too_large_and_unexpected_errors_use_the_envelope(sample_config):
    app = create_app(sample_config)
    app.config.update(PROPAGATE_EXCEPTIONS=False)

    def upload():
        from flask import request

        return str(len(request.get_data()))

    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/upload", "upload", upload, methods=["POST"])
    app.add_url_rule("/api/boom", "boom", boom)
    app.add_url_rule("/boom", "boom_page", boom)
    client = app.test_client()
    assert_error(client.post("/api/upload", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)), 413)
    assert_error(client.get("/api/boom"), 500)
    page = client.get("/boom")
    assert_error(page, 500)
    assert "secret detail" not in text(page)


def test_missing_index_is_503(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    config = load_config(write_config(tmp_path, corpus))
    client = create_app(config).test_client()
    page = client.get("/?q=bien+dong")
    assert_error(page, 503)
    assert "<code>searchapp reindex</code>" in text(page)
    assert_error(client.get("/"), 503)
    assert_error(client.get("/api/search?q=x"), 503)
    assert_error(client.get("/api/article/x"), 503)


def test_reindex_while_serving_is_picked_up(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.json").write_text(json.dumps({"title": "Tin về Lào", "body": "Lào và Việt Nam."}), encoding="utf-8")
    config = build_index(tmp_path, corpus)
    client = create_app(config).test_client()
    assert client.get("/api/search?q=campuchia").get_json()["total"] == 0
    (corpus / "b.json").write_text(
        json.dumps({"title": "Tin về Campuchia", "body": "Campuchia và Việt Nam."}), encoding="utf-8"
    )
    from searchapp.index.reindex import reindex

    reindex(config)
    assert client.get("/api/search?q=campuchia").get_json()["total"] == 1


# -- the JSON API -------------------------------------------------------------------


def test_api_search_shape(client):
    resp = client.get("/api/search?q=bien+dong&per_page=3")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    data = resp.get_json()
    assert list(data) == API_KEYS
    assert data["ok"] is True and data["query"] == "bien dong"
    assert data["page"] == 1 and data["per_page"] == 3 and len(data["hits"]) == 3
    assert all(set(h) == HIT_KEYS for h in data["hits"])
    assert any("<mark>" in h["snippet"] for h in data["hits"])
    assert set(data["facets"]) == {"partner", "mentioned", "topic", "year", "source"}
    for values in data["facets"].values():
        assert all(set(v) == {"value", "label", "count", "selected"} for v in values)
    assert "Biển" in resp.get_data(as_text=True), "UTF-8, not \\u escapes"


def test_api_matches_the_engine(client, sample_config):
    expected = Searcher(sample_config).search("asean", page=2, per_page=3).to_json()
    data = client.get("/api/search?q=asean&page=2&per_page=3").get_json()
    for key in ("query", "total", "page", "per_page", "hits", "facets", "suggestion"):
        assert data[key] == expected[key], key


def test_api_article(client):
    data = client.get("/api/article/demo-2019-bien-dong-hai-duong-8").get_json()
    assert data["ok"] is True
    article = data["article"]
    assert article["id"] == "demo-2019-bien-dong-hai-duong-8"
    assert {"title", "body", "date", "source", "url", "partners", "topics"} <= set(article)


# -- the article page -----------------------------------------------------------------


def test_article_page(client):
    resp = client.get("/article/demo-2019-bien-dong-hai-duong-8")
    assert resp.status_code == 200
    html = text(resp)
    assert "<mark>" not in html
    assert '<time datetime="2019-07-19">19/07/2019</time>' in html
    assert html.count("<p>") >= 2, "paragraphs"
    hrefs = [h for h, _, _ in links(html)]
    assert any(params(h) == {"partner": ["CN"]} for h in hrefs)
    assert any(params(h) == {"topic": ["bien-dong"]} for h in hrefs)
    assert "https://example.vn/tgvn/2019/07/bien-dong-tau-khao-sat-rut-khoi-vung-bien" in hrefs
    assert "Bài liên quan" in html
    assert sum(1 for h in hrefs if h.startswith("/article/")) >= 1


@pytest.mark.parametrize("query", ["Biển Đông", "bien dong"])
def test_article_page_marks_the_query(client, query):
    html = text(client.get("/article/demo-2019-bien-dong-hai-duong-8", query_string={"q": query}))
    assert "<mark>Biển Đông</mark>" in html
    back = [h for h, t, _ in links(html) if t.startswith("‹ Kết quả tìm kiếm")]
    assert back and params(back[0]) == {"q": [query]}


def test_article_ids_with_slashes_and_colons(hostile):
    assert hostile.get("/article/2021/visit.txt").status_code == 200
    feed = hostile.get("/api/search?q=asean").get_json()["hits"]
    ids = [h["id"] for h in feed if ":" in h["id"]]
    assert ids
    assert hostile.get(f"/article/{ids[0]}").status_code == 200
    assert hostile.get(f"/api/article/{ids[0]}").get_json()["article"]["id"] == ids[0]
    html = text(hostile.get("/?q=asean"))
    assert f'href="/article/{ids[0]}?q=asean"' in html


@pytest.mark.parametrize(
    "article_id",
    [
        "nope",
        "../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "/etc/passwd",
        "config.toml",
        "a//b",
    ],
)
def test_unknown_and_traversal_ids_are_404(client, article_id):
    page = client.get(f"/article/{article_id}")
    assert_error(page, 404)
    assert "root:" not in text(page)
    api = client.get(f"/api/article/{article_id}")
    assert_error(api, 404)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.vn/a",
        "http://example.vn/a",
    ],
)
def test_safe_url_keeps_web_links(url):
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil.example", "example.vn/a", "", None],
)
def test_safe_url_drops_everything_else(url):
    assert safe_url(url) is None


# -- hostile content ------------------------------------------------------------------


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Nguồn</b>" not in html
    assert 'href="javascript:' not in html.replace(" ", "")
    assert "javascript:" not in "".join(h for h, _, _ in links(html))


@pytest.mark.parametrize("url", ["/?q=bien+dong", "/?q=script", "/?q=alert+onerror", "/", "/?partner=JP"])
def test_hostile_article_is_inert_in_results(hostile, url):
    html = text(hostile.get(url))
    assert "evil" in html  # the article is listed
    _assert_inert(html)
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("q", ["", "bien dong", "script alert"])
def test_hostile_article_is_inert_on_its_page(hostile, q):
    html = text(hostile.get("/article/evil", query_string={"q": q} if q else None))
    _assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;<mark>script</mark>&gt;" in html
    assert "javascript:alert(1)" in html, "shown as text"


def test_hostile_article_in_json(hostile):
    article = hostile.get("/api/article/evil").get_json()["article"]
    assert HOSTILE in article["title"]
    assert article["url"] == "javascript:alert(1)"
    data = hostile.get("/api/search?q=bien+dong").get_json()
    hit = [h for h in data["hits"] if h["id"] == "evil"][0]
    assert "<script>" not in hit["snippet"] and "<img" not in hit["snippet"]


def test_query_text_is_escaped_everywhere(hostile):
    q = HOSTILE
    for url in ("/", "/article/evil", "/article/nope"):
        html = text(hostile.get(url, query_string={"q": q}))
        _assert_inert(html)
    html = text(hostile.get("/", query_string={"q": q, "page": "abc"}))
    _assert_inert(html)


def test_article_link_with_query_string_in_url(hostile):
    ids = [h["id"] for h in hostile.get("/api/search?q=han+quoc").get_json()["hits"] if ":" in h["id"]]
    html = text(hostile.get(f"/article/{ids[0]}"))
    assert 'href="https://example.vn/a?b=1&amp;c=2"' in html


# -- what the page says about partners, filters and undated articles ---------------------


@pytest.mark.parametrize("query", ["", "ASEAN"])
def test_api_facet_counts_are_the_totals_of_their_filters(client, query):
    data = client.get("/api/search", query_string={"q": query, "per_page": 2}).get_json()
    for facet, param in (("partner", "partner"), ("mentioned", "mentioned"), ("year", "year"), ("source", "source")):
        for value in data["facets"][facet]:
            filtered = client.get("/api/search", query_string={"q": query, param: value["value"]}).get_json()
            assert filtered["total"] == value["count"], (facet, value["value"])


def test_two_partner_facets_are_labelled(client):
    html = text(client.get("/?q=Myanmar"))
    assert ">Đối tác chính</h3>" in html and ">Có nhắc đến</h3>" in html
    assert "Nước, tổ chức mà bài chủ yếu nói về" in html
    assert re.search(r'<details class="hit-named">\s*<summary[^>]*>\+\d', html), "the others on request"


def test_unknown_filter_value_is_named_on_the_page_and_in_the_json(client):
    html = text(client.get("/?q=ASEAN&partner=Narnia"))
    assert "Không có đối tác “Narnia”" in html
    assert not [t for _, t, a in links(html) if "facet-link" in a.get("class", "") and "Narnia" in t]
    data = client.get("/api/search?q=ASEAN&partner=Narnia").get_json()
    assert data["notices"][0]["code"] == "unknown_value" and data["notices"][0]["value"] == "Narnia"


def test_reversed_date_range_is_swapped_and_said(client):
    html = text(client.get("/?from=2024-12-31&to=2021-01-01"))
    assert "đã đổi chỗ hai ngày" in html
    assert 'id="date-from" name="from" type="date" value="2021-01-01"' in html
    assert client.get("/api/search?from=2024-12-31&to=2021-01-01").get_json()["total"] > 0


def test_several_values_of_a_facet_are_shown_as_alternatives(client):
    html = text(client.get("/?partner=JP&partner=KR&year=2023"))
    assert re.search(r'Đối tác chính:</span>.*?Nhật Bản.*?<span class="filter-or">hoặc</span>.*?Hàn Quốc', html, re.S)
    assert "Bài phải khớp mọi nhóm lọc" in html
    both = client.get("/api/search?partner=JP&partner=KR").get_json()["total"]
    japan = client.get("/api/search?partner=JP").get_json()["total"]
    assert both > japan, "any of the values, not all of them"


def test_bad_date_error_is_in_vietnamese_with_the_english_code_kept(client):
    html = text(client.get("/?from=01/05/2021"))
    assert "Ngày bắt đầu “01/05/2021” không đọc được" in html
    assert "must be" not in html and "YYYY" not in html
    data = client.get("/api/search?from=01/05/2021").get_json()
    assert data["error"] == "from must be a date as YYYY-MM-DD, got '01/05/2021'"
    assert "năm-tháng-ngày" in data["message"]
    assert "không có trong chỉ mục" in client.get("/api/khong-co").get_json()["message"]


def test_one_title_pattern_and_the_page_number(client):
    titles = {
        url: re.search(r"<title>(.*?)</title>", text(client.get(url))).group(1)
        for url in ("/", "/?q=ASEAN", "/?q=ASEAN&page=2&per_page=2", "/?sort=newest", "/khong-co", "/?page=x")
    }
    assert all(t.endswith(" – Tin ngoại giao") for t in titles.values()), titles
    assert titles["/?q=ASEAN&page=2&per_page=2"] == "“ASEAN” – Trang 2 – Tin ngoại giao"
    assert "Trang 2" in text(client.get("/?q=ASEAN&page=2&per_page=2"))


def test_categories_are_vietnamese_or_not_shown():
    from searchapp.web.present import category_label

    assert category_label("world") == "Thế giới"
    assert category_label("Ngoại giao") == "Ngoại giao"
    assert category_label("trang-chu") is None
    assert category_label("") is None
