"""Real-browser tests of query interpretation: the restored reading, near misses, concept marks, export size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import test_e2e
from test_e2e import _total

from playwright.sync_api import expect  # isort: skip  (after test_e2e's Chromium check)

server = test_e2e.server
browser = test_e2e.browser
page = test_e2e.page

pytestmark = pytest.mark.browser


def test_restored_reading_is_shown_with_a_link_to_the_typed_text(page):
    page.goto("/?q=bien+dong")
    line = page.locator(".interpreted")
    expect(line).to_contain_text("Kết quả cho")
    expect(line.locator(".interpreted-query")).to_have_text("Biển Đông")
    restored_total = _total(page)
    assert restored_total > 0
    line.locator(".exact-link").click()
    page.wait_for_url(re.compile(r"exact=1"))
    expect(page.locator(".interpreted")).to_contain_text("đúng như đã gõ")
    # Accent-insensitive: every "Biển Đông" is still there, plus other readings of "bien dong".
    assert _total(page) >= restored_total
    page.locator(".restored-link").click()
    expect(page.locator(".interpreted-query")).to_have_text("Biển Đông")


def test_a_query_typed_with_its_accents_has_no_reading_line(page):
    page.goto("/?q=Bi%E1%BB%83n+%C4%90%C3%B4ng")
    expect(page.locator(".stats")).to_contain_text("kết quả")
    expect(page.locator(".interpreted")).to_have_count(0)


def test_one_mark_over_a_compound_and_no_stray_syllables(page):
    page.goto("/?q=Bi%E1%BB%83n+%C4%90%C3%B4ng")
    marks = page.locator(".hit-snippet mark").all_inner_texts()
    assert marks, "the snippets mark the concept"
    assert {m.lower() for m in marks} == {"biển đông"}


def test_near_misses_are_listed_below_with_what_they_lack(page):
    # A made-up word beside a real one: nothing holds both, so the page lists
    # the articles that hold all but one concept, each marked with what it lacks.
    page.goto("/?q=Bi%E1%BB%83n+%C4%90%C3%B4ng+zyxwvq")
    expect(page.locator(".stats")).to_contain_text("0 kết quả")
    section = page.locator(".partial")
    expect(section).to_be_visible()
    expect(section.locator(".partial-note")).to_contain_text("Không có bài nào chứa đủ mọi từ")
    missing = section.locator(".hit-missing")
    assert missing.count() > 0
    expect(missing.first).to_contain_text("Không có: zyxwvq")
    expect(page.locator(".empty")).to_have_count(0)


def test_export_rows_equal_the_total(page, server):
    page.goto("/?q=Vi%E1%BB%87t+Nam")
    total = _total(page)
    assert total > 10, "enough results to span several pages"
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải JSON Lines").click()
    lines = [line for line in Path(info.value.path()).read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [re.search(r'"id": "([^"]+)"', line).group(1) for line in lines]
    assert len(ids) == total
    assert len(set(ids)) == total
