"""Real-browser tests of search-box completion and the results timeline.

Same set-up as ``test_e2e.py`` (whose server, browser and page fixtures are
reused): `searchapp serve` on a free port, Debian's Chromium through
Playwright. Screenshots go to ``screenshots/``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import test_e2e
from test_e2e import DESKTOP, PHONE, SCREENSHOTS, _total

from playwright.sync_api import Page, expect  # isort: skip  (after test_e2e's Chromium check)

# test_e2e's fixtures: a real server over the sample corpus, Chromium, and a
# page that fails the test on any console error (a CSP violation, a 404).
server = test_e2e.server
browser = test_e2e.browser
page = test_e2e.page

pytestmark = pytest.mark.browser


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _type_in_box(page: Page, text: str):
    box = page.get_by_role("combobox", name="Từ khóa tìm kiếm")
    box.fill("")
    box.press_sequentially(text)
    return box


def test_typing_shows_suggestions_and_arrow_enter_searches(page):
    page.goto("/")
    box = _type_in_box(page, "hoi ng")
    listbox = page.get_by_role("listbox", name="Gợi ý tìm kiếm")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.filter(has_text="hội nghị").first).to_be_visible()
    assert options.count() <= 8
    first = options.first
    first_text = first.locator(".suggestion-text").inner_text()
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(box).to_be_focused()
    box.press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))
    assert _query(page)["q"] == [first_text]
    expect(page.locator("#q")).to_have_value(first_text)
    assert _total(page) > 0


def test_a_newer_answer_keeps_the_suggestion_the_reader_is_on(page):
    page.goto("/")
    box = _type_in_box(page, "hoi n")
    listbox = page.get_by_role("listbox", name="Gợi ý tìm kiếm")
    chosen = listbox.get_by_role("option").filter(has_text="hội nghị").first
    expect(chosen).to_be_visible()
    chosen_text = chosen.locator(".suggestion-text").inner_text()
    while chosen.get_attribute("aria-selected") != "true":
        box.press("ArrowDown")
    shown = chosen.element_handle()
    # The answer for what was typed last arrives after the reader moved into the list.
    box.press("g")
    page.wait_for_function("option => !option.isConnected", arg=shown)  # the list was drawn again
    again = listbox.get_by_role("option").filter(has_text=chosen_text).first
    expect(again).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", again.get_attribute("id"))


def test_arrow_keys_wrap_and_escape_closes(page):
    page.goto("/?q=asean")
    box = _type_in_box(page, "nhat")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option", name=re.compile("Nhật Bản"))).to_be_visible()
    count = listbox.get_by_role("option").count()
    box.press("ArrowUp")  # from the box up: the last option
    expect(listbox.get_by_role("option").nth(count - 1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")  # past the last: back to the box, nothing selected
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("nhat")
    box.press("Enter")  # the typed text, not a suggestion
    page.wait_for_url(re.compile(r"q=nhat$"))


def test_clicking_a_suggestion_searches_it(page):
    page.goto("/")
    _type_in_box(page, "jap")
    option = page.get_by_role("option", name=re.compile("Japan"))
    expect(option).to_contain_text("Nhật Bản")
    option.click()
    page.wait_for_url(re.compile(r"q=Japan"))
    assert _total(page) > 0


def test_clicking_a_timeline_bar_narrows_the_results(page):
    page.goto("/?q=bien+dong")
    before = _total(page)
    bar = page.locator('.timeline-link[aria-label^="Năm 2022"]')
    expect(bar).to_have_count(1)
    count = int(re.search(r": (\d+) bài", bar.get_attribute("aria-label")).group(1))
    bar.click()
    page.wait_for_url(re.compile(r"from=2022-01-01&to=2022-12-31"))
    assert _total(page) == count < before
    dates = page.locator(".hit-meta time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates and all(d.startswith("2022-") for d in dates)
    expect(page.locator(".chip-active")).to_have_count(2)
    # Within one year the chart is drawn per month; a month narrows further.
    month = page.locator(".timeline-link").first
    expect(month).to_have_attribute("aria-label", re.compile(r"^Tháng \d+/2022: \d+ bài$"))
    label = month.get_attribute("aria-label")
    month.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"from=2022-\d\d-01&to=2022-\d\d-\d\d"))
    assert _total(page) == int(re.search(r": (\d+) bài", label).group(1))
    expect(page.locator(".timeline")).to_have_count(0)  # one month: nothing to compare


def test_timeline_and_search_work_without_javascript(browser, server):
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto("/?q=asean")
        expect(tab.get_by_role("searchbox", name="Từ khóa tìm kiếm")).to_be_visible()
        tab.locator('.timeline-link[aria-label^="Năm 2019"]').click()
        tab.wait_for_url(re.compile(r"from=2019-01-01"))
        assert _total(tab) > 0
    finally:
        context.close()


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_timeline_and_suggestions(browser, server, name, viewport):
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=viewport, base_url=server, locale="vi-VN")
    tab = context.new_page()
    try:
        for url in ("/?q=bien+dong", "/?q=bien+dong&year=2022"):
            tab.goto(url)
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{url} scrolls sideways at {viewport['width']} px"
        tab.goto("/?q=bien+dong")
        tab.screenshot(path=str(SCREENSHOTS / f"timeline-{name}.png"))
        _type_in_box(tab, "hoi ng")
        expect(tab.get_by_role("listbox")).to_be_visible()
        tab.get_by_role("combobox").press("ArrowDown")
        tab.screenshot(path=str(SCREENSHOTS / f"timeline-suggestions-{name}.png"))
        tab.get_by_role("combobox").press("Escape")
        tab.goto("/?q=bien+dong&year=2022")
        tab.locator(".timeline").screenshot(path=str(SCREENSHOTS / f"timeline-months-{name}.png"))
    finally:
        context.close()
