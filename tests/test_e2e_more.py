"""Real-browser tests of same-story grouping, English names, feeds, export and OpenSearch.

Same set-up as ``test_e2e.py``, whose server (the sample corpus served by
``searchapp serve``), browser and page fixtures are reused. The sample corpus
holds one dispatch republished by a second outlet, which is the story grouped
here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import test_e2e
from test_e2e import PHONE, _total

from playwright.sync_api import Page, expect  # isort: skip  (after test_e2e's Chromium check)

server = test_e2e.server
browser = test_e2e.browser
page = test_e2e.page

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"
GROUPED_QUERY = "tuyên bố chung Hoa Kỳ đối tác chiến lược toàn diện"


def _titles(page: Page) -> list[str]:
    return page.locator(".hit-title a").all_inner_texts()


def test_same_story_shows_once_and_expands_to_the_others(page):
    page.goto("/?q=" + GROUPED_QUERY.replace(" ", "+") + "&from=2023-09-01&to=2023-09-30")
    group = page.locator(".hit", has=page.locator(".hit-similar")).first
    expect(group).to_be_visible()
    summary = group.locator(".hit-similar summary")
    expect(summary).to_have_text(re.compile(r"^\d+ bài tương tự$"))
    others = group.locator(".hit-similar li a")
    expect(others.first).to_be_hidden()
    summary.click()
    expect(others.first).to_be_visible()
    hidden_title = others.first.inner_text()
    # The grouped copy is not a result of its own, yet the total counts it.
    assert hidden_title not in _titles(page)
    shown = page.locator(".hit").count()
    grouped = sum(int(t.split()[0]) for t in page.locator(".hit-similar summary").all_inner_texts())
    assert _total(page) == shown + grouped
    others.first.click()
    page.wait_for_url(re.compile(r"/article/"))
    expect(page.locator("h1")).to_have_text(hidden_title)


def test_english_names_find_and_filter_like_vietnamese(page):
    page.goto("/?q=Japan")
    english = _titles(page)
    assert english
    expect(page.locator(".hit-snippet mark", has_text="Nhật").first).to_be_visible()
    # The Vietnamese name also matches articles with only "Nhật" or "Bản";
    # the English one finds the name itself, ranked the same way.
    page.goto("/?q=Nh%E1%BA%ADt+B%E1%BA%A3n&per_page=50")
    vietnamese = _titles(page)
    assert set(english) <= set(vietnamese) and english[0] == vietnamese[0]
    page.goto("/?q=partner%3AJapan")
    expect(page.locator(".hit").first).to_be_visible()
    assert all("Nhật Bản" in chips for chips in page.locator(".hit .chips").all_inner_texts())


def test_feed_link_serves_the_same_search_newest_first(page):
    page.goto("/?q=asean")
    link = page.get_by_role("link", name="Theo dõi (Atom)")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.body())
    updated = [e.findtext(f"{ATOM}updated") for e in feed.findall(f"{ATOM}entry")]
    assert updated and updated == sorted(updated, reverse=True)
    # The head advertises the same feed to browsers and feed readers.
    head_feed = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    assert head_feed.get_attribute("href") == link.get_attribute("href")


@pytest.mark.parametrize("label, kind", [("Tải CSV", "csv"), ("Tải JSON Lines", "jsonl")])
def test_export_downloads_the_current_results(page, label, kind):
    page.goto("/?q=asean&partner=US")
    total = _total(page)
    with page.expect_download() as info:
        page.get_by_role("link", name=label).click()
    body = Path(info.value.path()).read_text(encoding="utf-8").lstrip("\ufeff")
    if kind == "csv":
        rows = list(csv.DictReader(io.StringIO(body)))
    else:
        rows = [json.loads(line) for line in body.splitlines() if line]
    assert len(rows) == total > 0
    assert all("Hoa Kỳ" in row["partners"] or "US" in row["partners"] for row in rows)
    assert info.value.suggested_filename.endswith("." + kind)


def test_opensearch_description_names_our_search_url(page):
    page.goto("/")
    href = page.locator('link[rel="search"]').get_attribute("href")
    response = page.request.get(href)
    assert response.ok
    doc = ET.fromstring(response.body())
    template = doc.find("{http://a9.com/-/spec/opensearch/1.1/}Url[@type='text/html']").get("template")
    assert "{searchTerms}" in template
    page.goto(template.replace("{searchTerms}", "bien+dong"))
    assert _total(page) > 0


def test_grouping_and_tools_work_without_javascript_on_a_phone(browser, server):
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto("/?q=" + GROUPED_QUERY.replace(" ", "+"))
        summary = tab.locator(".hit-similar summary").first
        summary.click()
        expect(tab.locator(".hit-similar li a").first).to_be_visible()
        expect(tab.get_by_role("link", name="Theo dõi (Atom)")).to_be_visible()
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
    finally:
        context.close()
