"""The feed and the OpenSearch description under hostile input: characters XML
forbids in an article or a query, and a forged Host header (absolute links come
from ``[server] base_url`` or the server's own address)."""

from __future__ import annotations

import http.client
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import replace

import pytest
import waitress
from conftest import write_config
from waitress import wasyncore

from searchapp.config import load_config
from searchapp.errors import ConfigError
from searchapp.search.results import Hit, HitStream
from searchapp.web import exports, state
from searchapp.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


def feed_xml(resp) -> ET.Element:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.content_type.startswith("application/atom+xml")
    return ET.fromstring(resp.data)


def hostile_hit() -> Hit:
    # An index written before the corpus reader cleaned text, or a reader bug: the feed must not trust it.
    return Hit(
        id="bad\x01id",
        title="Biển\x01 Đông\x0b \ud800tin\ufffe",
        date="2024-01-02",
        source="VOV\x08",
        url=None,
        partners=["JP"],
        topics=["bien-dong"],
        score=1.0,
        snippet="<mark>Biển Đông</mark>\x1f nói\x00.",
    )


def serve_hits(monkeypatch, *hits: Hit) -> None:
    """Every search streams ``hits``, whatever the index holds."""
    monkeypatch.setattr(state.SearchState, "stream", lambda self, *args, **kwargs: HitStream(len(hits), "", iter(hits)))


def test_control_characters_in_an_article_are_left_out_of_the_feed(client, monkeypatch):
    serve_hits(monkeypatch, hostile_hit())
    feed = feed_xml(client.get("/feed.atom?q=bien+dong"))
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Biển Đông tin"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "VOV"
    assert entry.findtext(f"{ATOM}summary") == "Biển Đông nói."
    assert entry.findtext(f"{ATOM}id").endswith("/article/bad%01id")


def test_an_article_whose_title_is_only_control_characters_is_named_by_its_id(client, monkeypatch):
    hit = hostile_hit()
    hit.title, hit.id = "\x01\x02", "ok-id"
    serve_hits(monkeypatch, hit)
    (entry,) = feed_xml(client.get("/feed.atom")).findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "ok-id"


@pytest.mark.parametrize("query", ["bien%01dong", "%0Bnhat%1Fban", "%EF%BF%BEbien"])
def test_a_query_with_control_characters_still_has_a_feed(client, query):
    feed = feed_xml(client.get(f"/feed.atom?q={query}"))
    title = feed.findtext(f"{ATOM}title")
    assert title.startswith("Tin ngoại giao: ")
    assert not exports.XML_FORBIDDEN.search(title)


# -- absolute links never come from the Host header -------------------------------------

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
LINKED = ("/feed.atom?q=bien+dong", "/feed.atom", "/opensearch.xml")


def opensearch_urls(body: bytes) -> list[str]:
    doc = ET.fromstring(body)
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    return [u.get("template") for u in doc.iter(f"{ns}Url")] + [doc.findtext(f"{ns}Image")]


@pytest.mark.parametrize("url", LINKED)
def test_a_forged_host_header_is_never_written_into_links(client, url):
    resp = client.get(url, headers=FORGED)
    assert resp.status_code == 200
    assert b"evil.example" not in resp.data
    # The test client's own server name and port.
    assert b"http://localhost/" in resp.data


def test_links_use_the_configured_base_url(sample_config):
    config = replace(sample_config, base_url="https://tin.example.org/news/")
    client = create_app(config).test_client()
    for url in LINKED:
        resp = client.get(url, headers=FORGED)
        assert b"evil.example" not in resp.data and b"localhost" not in resp.data
    urls = opensearch_urls(client.get("/opensearch.xml", headers=FORGED).data)
    assert urls[0] == "https://tin.example.org/news/?q={searchTerms}"
    assert urls[-1] == "https://tin.example.org/news/static/favicon.svg"
    feed = feed_xml(client.get("/feed.atom?q=bien+dong"))
    assert feed.findtext(f"{ATOM}id") == "https://tin.example.org/news/feed.atom?q=bien+dong"
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert ids and all(i.startswith("https://tin.example.org/news/article/") for i in ids)


def test_links_use_the_base_url_below_a_mount_prefix(sample_config):
    # Behind a proxy that passes the prefix as SCRIPT_NAME, base_url already holds it.
    client = create_app(replace(sample_config, base_url="https://tin.example.org/news/")).test_client()
    resp = client.get("/opensearch.xml", base_url="http://localhost/news/", headers=FORGED)
    assert opensearch_urls(resp.data)[-1] == "https://tin.example.org/news/static/favicon.svg"
    assert opensearch_urls(resp.data)[0] == "https://tin.example.org/news/?q={searchTerms}"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("https://tin.example.org", "https://tin.example.org/"),
        ("http://10.0.0.5:8080/tin/", "http://10.0.0.5:8080/tin/"),
    ],
)
def test_base_url_is_read_from_the_server_section(tmp_path, raw, stored):
    path = write_config(tmp_path, tmp_path, server={"base_url": raw})
    assert load_config(path).base_url == stored


@pytest.mark.parametrize("raw", ["tin.example.org", "ftp://tin.example.org/", "https://", "https://a.org/?x=1"])
def test_a_base_url_that_is_no_site_address_is_a_one_line_error(tmp_path, raw):
    with pytest.raises(ConfigError, match="server.base_url must be an http:// or https:// address"):
        load_config(write_config(tmp_path, tmp_path, server={"base_url": raw}))


def test_base_url_defaults_to_none(sample_config):
    assert sample_config.base_url is None


@contextmanager
def waitress_server(app, **options):
    """The app behind a real waitress server on a free loopback port, stopped afterwards."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        # Closed from its own loop thread: closing it from here races the loop's select.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:
            # The trigger's pipe is already gone (seen once in a full run, as an
            # earlier server's late close took its descriptor): close from here.
            wasyncore.close_all(server._map)
        thread.join(5)
        server.task_dispatcher.shutdown()


def raw_get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        for name, value in FORGED.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 200
        return response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("options", [{}, {"server_name": "127.0.0.1"}, {"server_name": "0.0.0.0"}])
def test_behind_waitress_links_name_the_address_it_listens_on(app, options):
    with waitress_server(app, **options) as port:
        for path in LINKED:
            body = raw_get(port, path)
            assert b"evil.example" not in body and b"waitress.invalid" not in body
            assert f"http://127.0.0.1:{port}/".encode() in body
