"""Real-browser tests: `searchapp serve` on a free port, driven by Chromium through Playwright.

They use Debian's Chromium (``apt-get install chromium``); Playwright's own
browser download is not needed. Screenshots of the results page go to
``screenshots/`` at the repository root, for a human to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE_CORPUS, build_index

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium package to run browser tests", allow_module_level=True
    )

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"searchapp serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"searchapp serve did not answer within {timeout:.0f} s:\n{log.read_text()}")


@contextlib.contextmanager
def serving(config, folder: Path):
    """Base URL of a real `searchapp serve` of ``config``, stopped on exit."""
    port = _free_port()
    log = folder / "serve.log"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "searchapp", "--config", str(config.source_file), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/", proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Base URL of a real `searchapp serve` over the sample corpus."""
    folder = tmp_path_factory.mktemp("e2e")
    with serving(build_index(folder, SAMPLE_CORPUS), folder) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A desktop-sized page; fails the test on any console error (a CSP violation, a 404)."""
    context = browser.new_context(viewport=DESKTOP, base_url=server, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == []


def _total(page: Page) -> int:
    stats = page.locator(".stats").inner_text()
    return int(re.search(r"([\d.]+) (kết quả|bài viết)", stats).group(1).replace(".", ""))


def _search_from_home(page: Page, query: str) -> None:
    page.goto("/")
    # The script makes the box a combobox (its completion list); without it, a searchbox.
    box = page.get_by_role("combobox", name="Từ khóa tìm kiếm")
    expect(box).to_be_focused()
    box.press_sequentially(query)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))


@pytest.mark.parametrize("query", ["Biển Đông", "bien dong"])
def test_typed_query_shows_marked_results(page, query):
    _search_from_home(page, query)
    expect(page.locator("#q")).to_have_value(query)
    expect(page.locator(".stats")).to_contain_text("kết quả")
    assert _total(page) > 0
    marks = page.locator(".hit-snippet mark")
    expect(marks.first).to_be_visible()
    found = {m.lower() for m in marks.all_inner_texts()}
    assert found == {"biển đông"}, "one mark over the concept, never a lone syllable"


def test_partner_facet_filters_and_shows_a_chip(page):
    page.goto("/?q=bien+dong")
    before_total = _total(page)
    before_titles = page.locator(".hit-title").all_inner_texts()
    facet = page.locator(".facet[data-facet=partner] .facet-link", has_text="Nhật Bản")
    facet_count = int(facet.locator(".facet-count").inner_text().split()[0])
    facet.click()
    page.wait_for_url(re.compile(r"partner=JP"))
    assert _total(page) == facet_count < before_total
    assert page.locator(".hit-title").all_inner_texts() != before_titles
    chip = page.locator(".chip-active")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("Nhật Bản")
    expect(page.locator("#filters .facet-link.is-selected")).to_contain_text("Nhật Bản")
    chip.click()  # removing the chip restores the unfiltered results
    page.wait_for_url(re.compile(r"/\?q=bien\+dong$"))
    assert _total(page) == before_total


def test_paging_forward(page):
    page.goto("/?q=bien+dong&per_page=2")
    first = page.locator(".hit-title").all_inner_texts()
    nav = page.get_by_role("navigation", name="Phân trang")
    expect(nav.locator("[aria-current=page]")).to_have_text("Trang 1")
    nav.get_by_role("link", name="Trang sau").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(nav.locator("[aria-current=page]")).to_have_text("Trang 2")
    second = page.locator(".hit-title").all_inner_texts()
    assert len(second) == 2 and not set(first) & set(second)
    nav.get_by_role("link", name="Trang 3", exact=True).click()
    page.wait_for_url(re.compile(r"page=3"))
    expect(page.locator("ol.hits")).to_have_attribute("start", "5")


def test_article_and_back_to_results(page):
    page.goto("/?q=bien+dong")
    first = page.locator(".hit-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/article/.+\?q=bien"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".article-body mark").first).to_be_visible()
    expect(page.get_by_role("heading", name="Bài liên quan")).to_be_visible()
    page.go_back()
    page.wait_for_url(re.compile(r"/\?q=bien\+dong$"))
    expect(page.locator("#q")).to_have_value("bien dong")
    expect(page.locator(".hit-title a").first).to_have_text(title)


def test_skip_link_and_keyboard_search(page):
    page.goto("/?q=asean")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, đến nội dung chính")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("/")  # the small script: "/" jumps to the search box
    expect(page.locator("#q")).to_be_focused()


def test_works_without_javascript(browser, server):
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto("/")
        tab.locator("#q").fill("quan hệ Việt Nam Nhật Bản")
        tab.locator("#q").press("Enter")
        tab.wait_for_url(re.compile(r"/\?q="))
        assert _total(tab) > 0
        tab.locator(".facet[data-facet=partner] .facet-link", has_text="Nhật Bản").click()
        tab.wait_for_url(re.compile(r"partner=JP"))
        expect(tab.locator(".chip-active")).to_contain_text("Nhật Bản")
        tab.locator("#date-from").fill("2023-01-01")
        tab.get_by_role("button", name="Áp dụng").click()
        tab.wait_for_url(re.compile(r"from=2023-01-01"))
        expect(tab.locator(".chip-active")).to_have_count(2)
        dates = tab.locator(".hit-meta time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
        assert dates and all(d >= "2023-01-01" for d in dates)
    finally:
        context.close()


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(browser, server, name, viewport):
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=viewport, base_url=server, locale="vi-VN")
    tab = context.new_page()
    try:
        for label, url in [
            ("home", "/"),
            ("results", "/?q=bi%E1%BB%83n+%C4%91%C3%B4ng"),
            ("filtered", "/?q=bien+dong&partner=CN&per_page=3"),
            ("article", "/article/demo-2019-bien-dong-hai-duong-8?q=bien+dong"),
        ]:
            tab.goto(url)
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{label} scrolls sideways at {viewport['width']} px"
            _screenshot(tab, path=str(SCREENSHOTS / f"{label}-{name}.png"))
        tab.goto("/?q=bien+dong")
        _screenshot(tab, path=str(SCREENSHOTS / f"results-{name}-full.png"), full_page=True)
    finally:
        context.close()


def _screenshot(tab: Page, **options) -> None:
    """A screenshot, taken again once when headless Chromium says it was
    "Unable to capture screenshot" (seen on a loaded machine, the page fine)."""
    try:
        tab.screenshot(**options)
    except PlaywrightError as exc:
        if "Unable to capture screenshot" not in str(exc):
            raise
        tab.wait_for_timeout(500)
        tab.screenshot(**options)
