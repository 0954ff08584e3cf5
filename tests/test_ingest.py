"""Adding articles from the web: `add URL|page.html` and `fetch-feed`.

Every request goes to a server the tests start on 127.0.0.1, serving the
invented pages and feeds of tests/data/web/; never the internet.
"""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config

from searchapp.cli import cli
from searchapp.config import load_config
from searchapp.index.reindex import reindex
from searchapp.ingest import download, feeds, saving
from searchapp.ingest import page as ingest_page
from searchapp.progress import Progress
from searchapp.search.searcher import Searcher

WEB = Path(__file__).resolve().parent / "data" / "web"
NHAT_BAN = "/the-gioi/viet-nam-nhat-ban-doi-tac-chien-luoc-toan-dien.html"
ASEAN = "/the-gioi/asean-ra-tuyen-bo-ve-bien-dong.html"
MEKONG = "/the-gioi/hop-tac-mekong-lan-thuong.html"
HOA_KY = "/the-gioi/dantri-hoa-ky-viet-nam-thuong-mai.html"
NO_TEXT = "/khong-co-noi-dung.html"
PDF = "/tai-lieu.pdf"
RSS = "/feeds/tin-ngoai-giao.rss"
ATOM = "/feeds/mekong.atom"


class _Handler(SimpleHTTPRequestHandler):
    """Static files of tests/data/web; feeds get the server's address filled in."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".rss": "application/rss+xml; charset=utf-8",
        ".atom": "application/atom+xml; charset=utf-8",
        ".pdf": "application/pdf",
    }

    def __init__(self, *args, site, **kwargs):
        self.site = site
        super().__init__(*args, directory=str(WEB), **kwargs)

    def do_GET(self):
        self.site.log.append((self.path, self.headers.get("User-Agent", "")))
        if self.path in self.site.redirects:
            self.send_response(302)
            self.send_header("Location", self.site.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = WEB / self.path.lstrip("/")
        if self.path in self.site.overrides:
            body = self.site.overrides[self.path]
        elif self.path.startswith("/feeds/") and path.is_file():
            body = path.read_bytes()
        else:
            super().do_GET()
            return
        body = body.replace(b"@BASE@", self.site.base.encode())
        if self.path in self.site.slow:
            time.sleep(self.site.slow[self.path])
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(self.path))
        if self.path not in self.site.no_length:  # else the body ends when the connection closes
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # keep the test output quiet
        pass


class Site:
    """The test server: what it was asked for, and pages served instead of the files."""

    def __init__(self):
        self.log: list[tuple[str, str]] = []  # (path, User-Agent)
        self.overrides: dict[str, bytes] = {}  # path -> body; "@BASE@" becomes the server address
        self.redirects: dict[str, str] = {}  # path -> Location of a 302
        self.no_length: set[str] = set()  # overridden paths sent without Content-Length
        self.slow: dict[str, float] = {}  # overridden path -> seconds to wait before answering
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def pages_requested(self) -> list[str]:
        return [path for path, _ in self.log if not path.startswith("/feeds/")]


@pytest.fixture
def site(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, site=site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def project(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.json").write_text(
        json.dumps({"id": "a", "title": "Việt Nam và Lào ký kết hợp tác", "body": "Giáo dục.", "date": "2021-01-05"}),
        encoding="utf-8",
    )
    config = write_config(tmp_path, corpus)
    reindex(load_config(config))
    return config, corpus


def run(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def web_articles(corpus: Path) -> dict[str, dict]:
    """The saved web articles by URL."""
    articles = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((corpus / "web").glob("*/*.json"))]
    return {a.get("url") or a["id"]: a for a in articles}


def search(config_path, query, **kwargs):
    searcher = Searcher(load_config(config_path))
    try:
        return searcher.search(query, **kwargs)
    finally:
        searcher.close()


def test_add_url_extracts_title_body_date_and_outlet(project, site):
    config, corpus = project
    result = run(config, "add", site.url(NHAT_BAN))
    assert result.exit_code == 0, result.output
    assert "added 1, updated 0" in result.output
    [saved] = sorted((corpus / "web" / "2024").glob("*.json"))
    assert saved.name.startswith("viet-nam-nhat-ban-thuc-day-hop-tac-kinh-te-an-ninh-bien-")
    article = json.loads(saved.read_text(encoding="utf-8"))
    assert article["id"].startswith("web-") and saved.stem.endswith(article["id"].removeprefix("web-"))
    assert article["title"] == "Việt Nam - Nhật Bản thúc đẩy hợp tác kinh tế, an ninh biển"
    assert article["date"] == "2024-03-12"
    assert article["source"] == "Thế giới & Việt Nam"  # og:site_name "Báo Thế giới & Việt Nam"
    assert article["url"] == site.url(NHAT_BAN)
    body = article["body"]
    assert body.startswith("Chiều 11/3 tại Tokyo") and "Công ước Liên hợp quốc về Luật Biển" in body
    assert "\n\n" in body
    for boilerplate in ("Trang chủ", "Giấy phép", "Tin liên quan", "Người Việt"):
        assert boilerplate not in body
    assert "Việt Nam - Nhật Bản thúc đẩy" not in body  # the headline is not repeated in the body

    hits = search(config, "an ninh biển Tokyo").hits
    assert hits and hits[0].id == article["id"]
    assert (hits[0].source, hits[0].date, hits[0].url) == ("Thế giới & Việt Nam", "2024-03-12", site.url(NHAT_BAN))
    assert "JP" in hits[0].partners
    assert search(config, "", sources=["Thế giới & Việt Nam"]).total == 1


def test_add_url_outlet_falls_back_to_the_host_and_date_to_the_text(project, site):
    config, corpus = project
    assert run(config, "add", site.url(MEKONG)).exit_code == 0
    article = web_articles(corpus)[site.url(MEKONG)]
    assert article["source"] == "127.0.0.1"  # "Cổng tin Tiểu vùng Mekong" is no known outlet
    assert article["date"] == "2022-11-15"  # no meta date; the dateline "Hà Nội, ngày 15/11/2022"
    assert article["body"].startswith("Hà Nội, ngày 15/11/2022")


def test_add_local_html_file(project, tmp_path):
    config, corpus = project
    page = tmp_path / "bai-bao.htm"
    page.write_bytes((WEB / HOA_KY.lstrip("/")).read_bytes())
    result = run(config, "add", str(page))
    assert result.exit_code == 0, result.output
    canonical = "https://dantri.com.vn/the-gioi/viet-nam-va-hoa-ky-doi-thoai-ve-thuong-mai-dau-tu-20250618.htm"
    article = web_articles(corpus)[canonical]
    assert article["title"] == "Việt Nam và Hoa Kỳ đối thoại về thương mại, đầu tư"
    assert (article["date"], article["source"]) == ("2025-06-18", "Dân trí")
    assert article["id"] == saving.article_id(canonical)
    assert list((corpus / "web" / "2025").glob("*.json"))
    assert search(config, "bán dẫn Washington").hits[0].id == article["id"]


def test_add_local_html_file_without_canonical_link_is_identified_by_its_headline(project, tmp_path):
    config, corpus = project
    page = tmp_path / "luu.html"
    page.write_bytes((WEB / ASEAN.lstrip("/")).read_bytes())
    assert run(config, "add", str(page)).exit_code == 0
    first = web_articles(corpus)
    assert run(config, "add", str(page)).exit_code == 0
    assert web_articles(corpus) == first and len(first) == 1
    [article] = first.values()
    assert "url" not in article and article["source"] == "Nhân Dân" and article["date"] == "2023-09-06"


def test_re_adding_the_same_url_does_not_duplicate(project, site):
    config, corpus = project
    run(config, "add", site.url(NHAT_BAN))
    files = sorted((corpus / "web").rglob("*.json"))
    result = run(config, "add", site.url(NHAT_BAN) + "?utm_source=zalo#binh-luan")
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output and "added 0, updated 0, deleted 0" in result.output
    assert sorted((corpus / "web").rglob("*.json")) == files
    assert search(config, "Tokyo").total == 1


def test_re_adding_a_changed_page_updates_its_article(project, site):
    config, corpus = project
    run(config, "add", site.url(NHAT_BAN))
    [before] = (corpus / "web").rglob("*.json")
    html = (WEB / NHAT_BAN.lstrip("/")).read_text(encoding="utf-8")
    html = html.replace("2024-03-12T09:15:00", "2025-01-02T09:15:00")
    html = html.replace("Học viện Ngoại giao", "Học viện Hải quân")
    site.overrides[NHAT_BAN] = html.encode()
    result = run(config, "add", site.url(NHAT_BAN))
    assert result.exit_code == 0, result.output
    assert "added 0, updated 1, deleted 0" in result.output
    [after] = (corpus / "web").rglob("*.json")
    assert after.parent.name == "2025" and not before.exists()  # moved to its new year, not copied
    assert search(config, "Hải quân").total == 1 and search(config, "Tokyo").total == 1


def test_failures_are_reported_per_argument_and_the_others_are_added(project, site, tmp_path):
    config, corpus = project
    article_file = tmp_path / "moi.txt"
    article_file.write_text("Campuchia và Việt Nam ký hiệp định biên giới\n\nNội dung hiệp định.", encoding="utf-8")
    sources = [
        site.url("/khong-ton-tai.html"),
        site.url(NHAT_BAN),
        site.url(PDF),
        site.url(NO_TEXT),
        str(article_file),
        str(tmp_path / "khong-co.txt"),
        "http://127.0.0.1:1/khong-ket-noi.html",
    ]
    result = CliRunner().invoke(cli, ["--config", str(config), "add", *sources])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    out = result.output
    assert f"error: {site.url('/khong-ton-tai.html')}: HTTP 404" in out
    assert f"error: {site.url(PDF)}: not an HTML page (content type application/pdf)" in out
    assert f"error: {site.url(NO_TEXT)}: no article text found on the page" in out
    assert f"error: {tmp_path / 'khong-co.txt'}: no such file" in out
    assert "error: http://127.0.0.1:1/khong-ket-noi.html: cannot reach 127.0.0.1:1" in out
    assert "5 of 7 failed" in out
    assert "added 2, updated 0, deleted 0" in out  # one reindex for the page and the copied file
    assert (corpus / "added" / "moi.txt").exists()
    assert search(config, "Tokyo").total == 1 and search(config, "Campuchia").total == 1


def test_add_article_files_still_refuses_to_overwrite_a_copied_file(project, tmp_path):
    config, corpus = project
    article_file = tmp_path / "moi.txt"
    article_file.write_text("Campuchia và Việt Nam ký hiệp định\n\nNội dung.", encoding="utf-8")
    assert run(config, "add", str(article_file)).exit_code == 0
    other = tmp_path / "khac" / "moi.txt"
    other.parent.mkdir()
    other.write_text("Một bài khác cùng tên tệp\n\nNội dung khác.", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "add", str(other)])
    assert result.exit_code == 1 and "moi.txt already exists; rename the file" in result.output
    assert "Traceback" not in result.output
    assert (corpus / "added" / "moi.txt").read_text(encoding="utf-8").startswith("Campuchia")


def test_user_agent_is_sent(project, site):
    config, _ = project
    run(config, "add", site.url(NHAT_BAN))
    run(config, "fetch-feed", "--delay", "0", site.url(RSS))
    agents = {agent for _, agent in site.log}
    assert len(site.log) >= 4
    assert agents == {download.user_agent()}
    [agent] = agents
    assert agent.startswith("searchapp/") and agent.endswith(" (+local news search)")


def test_fetch_feed_rss_adds_new_items_only_and_never_twice(project, site):
    config, corpus = project
    result = run(config, "fetch-feed", "--delay", "0", "--limit", "2", site.url(RSS))
    assert result.exit_code == 0, result.output
    assert "Tin Ngoại giao - trang minh họa: 2 new, 0 skipped (already fetched), 0 failed" in result.output
    assert "1 left for the next run" in result.output
    assert site.pages_requested() == [NHAT_BAN, ASEAN]
    assert "added 2, updated 0" in result.output

    site.log.clear()
    result = run(config, "fetch-feed", "--delay", "0", site.url(RSS))
    assert result.exit_code == 0, result.output
    assert "1 new, 2 skipped (already fetched), 0 failed" in result.output
    assert site.pages_requested() == [NO_TEXT]

    site.log.clear()
    result = run(config, "fetch-feed", "--delay", "0", site.url(RSS))
    assert result.exit_code == 0, result.output
    assert "0 new, 3 skipped (already fetched), 0 failed" in result.output
    assert site.pages_requested() == []  # only the feed itself was requested
    assert [path for path, _ in site.log] == [RSS]

    articles = web_articles(corpus)
    assert len(articles) == 3
    video = articles[site.url(NO_TEXT)]  # a page without text keeps the item's title and summary
    assert video["title"] == "Bản tin video: Thủ tướng tiếp Đại sứ Lào chào từ biệt"
    assert video["date"] == "2024-03-11"
    assert video["body"].startswith("Chiều 11/3, tại trụ sở Chính phủ, Thủ tướng tiếp Đại sứ Lào")
    assert "\n\nThủ tướng đánh giá cao" in video["body"]
    assert articles[site.url(ASEAN)]["source"] == "Nhân Dân"
    assert search(config, '"Đại sứ Lào"').total == 1

    state = json.loads((config.parent / "index" / "feeds.json").read_text(encoding="utf-8"))
    assert set(state["items"]) == {"tgvn-2024-03-12-0915", site.url(ASEAN), site.url(NO_TEXT)}
    assert state["feeds"][site.url(RSS)]["title"] == "Tin Ngoại giao - trang minh họa"


class Recorder(Progress):
    """The stages and counts a command would show on a terminal."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int | None, str]] = []
        self.counts: dict[str, list[int]] = {}

    def stage(self, label, total=None, unit="article"):
        self.seen.append((label, total, unit))
        self.counts[label] = []

    def update(self, done):
        self.counts[self.seen[-1][0]].append(done)


def test_fetch_feed_counts_the_pages_then_the_indexing(project, site):
    config, _ = project
    shown = Recorder()
    feeds.fetch_feed(load_config(config), site.url(RSS), delay=0, progress=shown)
    assert [label for label, _, _ in shown.seen] == ["Fetching", "Reading", "Indexing"]
    assert shown.seen[0] == ("Fetching", 3, "page") and shown.counts["Fetching"] == [0, 1, 2, 3]
    assert shown.seen[2] == ("Indexing", 3, "article") and shown.counts["Indexing"][-1] == 3


def test_fetch_feed_atom_resolves_relative_links(project, site):
    config, corpus = project
    result = run(config, "fetch-feed", "--delay", "0", site.url(ATOM))
    assert result.exit_code == 0, result.output
    assert "Cổng tin Tiểu vùng Mekong: 2 new, 0 skipped (already fetched), 0 failed" in result.output
    assert sorted(site.pages_requested()) == sorted([HOA_KY, MEKONG])
    articles = web_articles(corpus)
    assert articles[site.url(MEKONG)]["title"] == "Hợp tác Mekong - Lan Thương bước sang giai đoạn mới"
    # The Dân trí page names another site as canonical: the address it was fetched from stays its identity.
    assert articles[site.url(HOA_KY)]["source"] == "Dân trí"
    assert search(config, '"Lan Thương"').total == 1
    assert "0 new, 2 skipped" in run(config, "fetch-feed", "--delay", "0", site.url(ATOM)).output


def test_a_page_added_by_hand_then_from_a_feed_is_stored_once(project, site):
    config, corpus = project
    assert run(config, "add", site.url(MEKONG)).exit_code == 0
    assert run(config, "fetch-feed", "--delay", "0", site.url(ATOM)).exit_code == 0
    assert len(web_articles(corpus)) == 2  # the page added by hand was saved again, not duplicated
    assert search(config, '"Lan Thương"').total == 1


def test_fetch_feed_waits_between_requests(project, site, monkeypatch):
    config, _ = project
    calls = []
    monkeypatch.setattr(feeds, "sleep", calls.append)
    assert run(config, "fetch-feed", "--delay", "2.5", site.url(RSS)).exit_code == 0
    assert calls == [2.5, 2.5, 2.5]  # before each of the three page requests
    calls.clear()
    run(config, "fetch-feed", "--delay", "2.5", site.url(RSS))
    assert calls == []  # nothing new, nothing to wait for


def test_fetch_feed_default_delay_is_one_second(project, site, monkeypatch):
    config, _ = project
    calls = []
    monkeypatch.setattr(feeds, "sleep", calls.append)
    assert run(config, "fetch-feed", "--limit", "1", site.url(RSS)).exit_code == 0
    assert calls == [1.0]


def test_fetch_feed_errors_are_one_line(project, site):
    config, _ = project
    for url, message in [
        (site.url("/feeds/khong-co.rss"), "HTTP 404"),
        (site.url(NHAT_BAN), "not an RSS or Atom feed"),
        ("feeds/tin.rss", "give the feed's http:// or https:// address"),
    ]:
        result = CliRunner().invoke(cli, ["--config", str(config), "fetch-feed", "--delay", "0", url])
        assert result.exit_code == 1, url
        assert "Traceback" not in result.output
        assert result.output.startswith("Error: ") and message in result.output, result.output


def test_fetch_feed_item_failures_are_retried_next_time(project, site):
    config, _ = project
    rss = (WEB / RSS.lstrip("/")).read_bytes().replace(ASEAN.encode(), b"/khong-ton-tai.html")
    site.overrides["/feeds/hong.rss"] = rss
    args = ["--config", str(config), "fetch-feed", "--delay", "0", site.url("/feeds/hong.rss")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"error: {site.url('/khong-ton-tai.html')}: HTTP 404" in result.output
    assert "2 new, 0 skipped (already fetched), 1 failed" in result.output
    assert "1 items failed; they are tried again on the next run" in result.output
    site.log.clear()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "0 new, 2 skipped (already fetched), 1 failed" in result.output
    assert site.pages_requested() == ["/khong-ton-tai.html"]


def test_canonical_url_and_ids():
    assert saving.canonical_url("HTTPS://Www.Example.vn:443/a?utm_source=x&id=3#top") == "https://www.example.vn/a?id=3"
    assert saving.canonical_url("http://example.vn") == "http://example.vn/"
    assert saving.article_id("https://example.vn/a") == saving.article_id("https://example.vn/a")
    assert saving.slugify("Việt Nam - Đức: đối tác chiến lược") == "viet-nam-duc-doi-tac-chien-luoc"
    assert ingest_page.known_outlet("Báo Nhân Dân điện tử") == "Nhân Dân"
    assert ingest_page.known_outlet("vnexpress.net") == "VnExpress"
    assert ingest_page.known_outlet("Cổng tin Tiểu vùng Mekong") is None


def test_a_file_holding_another_article_is_never_overwritten(project, site):
    config, corpus = project
    run(config, "add", site.url(NHAT_BAN))
    [saved] = (corpus / "web").rglob("*.json")
    other = json.loads(saved.read_text(encoding="utf-8"))
    other["id"] = "bai-khac"
    saved.write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "add", site.url(NHAT_BAN)])
    assert result.exit_code == 1 and "holds another article ('bai-khac'); not overwritten" in result.output
    assert json.loads(saved.read_text(encoding="utf-8"))["id"] == "bai-khac"


def test_redirects_are_followed_to_web_addresses_only(project, site):
    config, corpus = project
    site.redirects["/bai/123"] = NHAT_BAN
    site.redirects["/bai/456"] = "file:///etc/hostname"
    site.redirects["/bai/789"] = "ftp://127.0.0.1/bai.html"
    sources = [site.url("/bai/123"), site.url("/bai/456"), site.url("/bai/789")]
    result = CliRunner().invoke(cli, ["--config", str(config), "add", *sources])
    assert result.exit_code == 1
    for source, target in [(sources[1], "file:///etc/hostname"), (sources[2], "ftp://127.0.0.1/bai.html")]:
        assert f"error: {source}: redirected to {target}, which is not a web address" in result.output
    [article] = web_articles(corpus).values()
    assert article["url"] == site.url(NHAT_BAN)  # the address the page was found at
    assert article["id"] == saving.article_id(site.url(NHAT_BAN))


def test_pages_over_the_size_limit_are_not_downloaded(project, site, monkeypatch):
    config, _ = project
    monkeypatch.setattr(download, "MAX_BYTES", 2048)
    result = CliRunner().invoke(cli, ["--config", str(config), "add", site.url(NHAT_BAN)])
    assert result.exit_code == 1
    assert f"error: {site.url(NHAT_BAN)}: larger than 2 KB (" in result.output
    assert "KB); not downloaded" in result.output
    site.overrides["/khong-do-dai.html"] = (WEB / NHAT_BAN.lstrip("/")).read_bytes()
    site.no_length.add("/khong-do-dai.html")
    result = CliRunner().invoke(cli, ["--config", str(config), "add", site.url("/khong-do-dai.html")])
    assert f"error: {site.url('/khong-do-dai.html')}: larger than 2 KB; not downloaded" in result.output


def test_a_server_that_does_not_answer_times_out(project, site, monkeypatch):
    config, _ = project
    monkeypatch.setattr(download, "TIMEOUT", 0.2)
    site.overrides["/cham.html"] = (WEB / NHAT_BAN.lstrip("/")).read_bytes()
    site.slow["/cham.html"] = 1.0
    result = CliRunner().invoke(cli, ["--config", str(config), "add", site.url("/cham.html")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"error: {site.url('/cham.html')}: no answer within 0.2 s" in result.output


def test_the_same_item_twice_in_a_feed_is_fetched_once(project, site):
    config, corpus = project
    # The first item becomes the second one again, under the same guid and link.
    rss = (WEB / RSS.lstrip("/")).read_bytes().replace(b"tgvn-2024-03-12-0915", b"@BASE@" + ASEAN.encode())
    rss = rss.replace(NHAT_BAN.encode(), ASEAN.encode())
    site.overrides["/feeds/lap.rss"] = rss
    result = run(config, "fetch-feed", "--delay", "0", site.url("/feeds/lap.rss"))
    assert "2 new, 0 skipped (already fetched), 0 failed" in result.output
    assert site.pages_requested() == [ASEAN, NO_TEXT]


def test_fetch_feed_killed_while_indexing_is_indexed_by_the_next_run(project, site, monkeypatch):
    """The pages were saved and the items remembered, then the reindex died: the next run indexes them."""
    config, corpus = project
    import searchapp.index.reindex

    real = searchapp.index.reindex.reindex

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(searchapp.index.reindex, "reindex", killed)
    with pytest.raises(KeyboardInterrupt):
        feeds.fetch_feed(load_config(config), site.url(RSS), delay=0)
    assert len(web_articles(corpus)) == 3 and search(config, '"Đại sứ Lào"').total == 0
    monkeypatch.setattr(searchapp.index.reindex, "reindex", real)
    result = run(config, "fetch-feed", "--delay", "0", site.url(RSS))
    assert result.exit_code == 0, result.output
    assert "0 new, 3 skipped (already fetched), 0 failed" in result.output
    assert "added 3," in result.output
    assert search(config, '"Đại sứ Lào"').total == 1
