"""The feed and the OpenSearch description under hostile input: characters XML
forbids in an article or a query, and a forged Host header."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from searchapp import web
from searchapp.search import Hit, HitStream

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
    monkeypatch.setattr(web.SearchState, "stream", lambda self, *args, **kwargs: HitStream(len(hits), "", iter(hits)))


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
    assert not web.XML_FORBIDDEN.search(title)
