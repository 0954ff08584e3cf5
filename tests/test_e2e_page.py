"""Real-browser tests of what the results page says: the two partner facets,
undated articles, several values of one facet, unknown filters, error pages.

Same set-up as ``test_e2e.py`` (its browser fixture and helpers are reused),
but the server indexes the sample corpus plus two articles without a date:
the sample corpus dates every article, and the undated bucket needs some.
"""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
import test_e2e
from conftest import SAMPLE_CORPUS, build_index
from test_e2e import DESKTOP, _total, serving

from playwright.sync_api import Page, expect  # isort: skip  (after test_e2e's Chromium check)

browser = test_e2e.browser

pytestmark = pytest.mark.browser

# Written without a date anywhere in the text, so none is extracted.
UNDATED_ARTICLES = [
    {
        "id": "khong-ngay-myanmar",
        "title": "ASEAN bàn về tình hình Myanmar",
        "body": "Các nước ASEAN thảo luận về khủng hoảng tại Myanmar và kêu gọi đối thoại.\n\n"
        "Việt Nam ủng hộ vai trò của ASEAN trong việc hỗ trợ Myanmar.",
    },
    {
        "id": "khong-ngay-nhat-ban",
        "title": "Việt Nam và Nhật Bản hợp tác đào tạo nhân lực",
        "body": "Nhật Bản tiếp tục hỗ trợ Việt Nam đào tạo nhân lực chất lượng cao.\n\n"
        "Hai bên cũng nhắc đến hợp tác với Hàn Quốc trong khuôn khổ khu vực.",
    },
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Base URL of a real `searchapp serve` over the sample corpus plus two undated articles."""
    folder = tmp_path_factory.mktemp("e2e-page")
    corpus = folder / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    for record in UNDATED_ARTICLES:
        path = corpus / "khong-ngay" / f"{record['id']}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with serving(build_index(folder, corpus), folder) as base:
        yield base


# Error statuses a test asks for: Chromium logs each as a console error.
EXPECTED_STATUSES: set[int] = set()


@pytest.fixture
def page(browser, server):
    """A desktop-sized page; fails the test on any console error but an asked-for status."""
    context = browser.new_context(viewport=DESKTOP, base_url=server, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    EXPECTED_STATUSES.clear()
    yield tab
    context.close()
    asked = tuple(f"status of {status} " for status in EXPECTED_STATUSES)
    assert [e for e in errors if not (asked and any(a in e for a in asked))] == []


def _facet(page: Page, key: str):
    return page.locator(f".facet[data-facet={key}]")


def _count(link) -> int:
    return int(link.locator(".facet-count").inner_text().split()[0].replace(".", ""))


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_two_partner_facets_say_what_they_count(page):
    page.goto("/?q=Myanmar")
    total = _total(page)
    main = _facet(page, "partner")
    named = _facet(page, "mentioned")
    expect(main.locator(".facet-heading")).to_have_text("Đối tác chính")
    expect(named.locator(".facet-heading")).to_have_text("Có nhắc đến")
    main_myanmar = _count(main.locator(".facet-link", has_text="Myanmar"))
    named_myanmar = _count(named.locator(".facet-link", has_text="Myanmar"))
    # Every article that names Myanmar is counted by the second facet; fewer are mainly about it.
    assert main_myanmar < named_myanmar <= total
    named.locator(".facet-link", has_text="Myanmar").click()
    page.wait_for_url(re.compile(r"mentioned=MM"))
    assert _total(page) == named_myanmar
    expect(page.locator(".filter-group")).to_contain_text("Có nhắc đến:")
    page.goto("/?q=Myanmar")
    main.locator(".facet-link", has_text="Myanmar").click()
    page.wait_for_url(re.compile(r"partner=MM"))
    assert _total(page) == main_myanmar
    expect(page.locator(".filter-group")).to_contain_text("Đối tác chính:")


def test_a_hit_shows_the_other_partners_it_names_on_request(page):
    page.goto("/?q=Myanmar")
    hit = page.locator(".hit", has=page.locator(".hit-named")).first
    more = hit.locator(".hit-named summary")
    expect(more).to_have_text(re.compile(r"^\+\d+"))
    listed = hit.locator(".hit-named-list")
    expect(listed).to_be_hidden()
    more.click()
    expect(listed).to_be_visible()
    expect(listed).to_contain_text("Cũng nhắc đến")
    chip = listed.locator(".chip-named").first
    label = chip.inner_text().strip().splitlines()[-1]  # after the hidden "Lọc theo…"
    chip.click()
    page.wait_for_url(re.compile(r"mentioned="))
    expect(page.locator(".filter-group")).to_contain_text(label)


def test_undated_bucket_and_note(page):
    page.goto("/?sort=newest")
    years = _facet(page, "year")
    undated = years.locator(".facet-link").last
    expect(undated).to_contain_text("Không rõ ngày")
    assert _count(undated) == len(UNDATED_ARTICLES)
    note = page.locator(".undated-note")
    expect(note).to_contain_text(f"{len(UNDATED_ARTICLES)} bài không rõ ngày")
    expect(note).to_contain_text("xếp cuối")
    # The date sort puts them last: the final page ends with the two undated articles.
    page.locator(".page-number").last.click()
    last_titles = page.locator(".hit-title").all_inner_texts()
    assert set(last_titles[-2:]) == {a["title"] for a in UNDATED_ARTICLES}
    page.goto("/?sort=newest")
    undated.click()
    page.wait_for_url(re.compile(r"year=undated"))
    assert _total(page) == len(UNDATED_ARTICLES)
    expect(page.locator(".hit-meta time")).to_have_count(0)
    expect(page.locator(".filter-group")).to_contain_text("Năm: Không rõ ngày")


def test_several_values_of_one_facet_are_alternatives(page):
    page.goto("/?q=Việt+Nam")
    partners = _facet(page, "partner")
    japan = partners.locator(".facet-link", has_text="Nhật Bản")
    korea = partners.locator(".facet-link", has_text="Hàn Quốc")
    japan_alone, korea_alone = _count(japan), _count(korea)
    japan.click()
    page.wait_for_url(re.compile(r"partner=JP"))
    assert _total(page) == japan_alone
    # Within a chosen facet, each count is that value on its own.
    assert _count(korea) == korea_alone
    korea.click()
    page.wait_for_url(re.compile(r"partner=KR"))
    assert _query(page)["partner"] == ["JP", "KR"]
    both = _total(page)
    assert max(japan_alone, korea_alone) <= both <= japan_alone + korea_alone
    group = page.locator(".filter-group").first
    expect(group).to_contain_text("Đối tác chính:")
    expect(group.locator(".filter-or")).to_have_text("hoặc")
    expect(partners.locator(".facet-link.is-selected")).to_have_count(2)
    # Another facet narrows: AND across facets, said as "·" between the groups.
    _facet(page, "year").locator(".facet-link").first.click()
    page.wait_for_url(re.compile(r"year="))
    assert _total(page) <= both
    expect(page.locator(".filter-groups")).to_contain_text("·")
    expect(page.locator(".filter-rule")).to_contain_text("mọi nhóm")


def test_unknown_filter_value_is_named(page, server):
    page.goto("/?q=ASEAN&partner=Narnia")
    expect(page.locator(".notice")).to_have_text(re.compile(r"Không có đối tác “Narnia”"))
    expect(_facet(page, "partner").locator(".facet-link", has_text="Narnia")).to_have_count(0)
    data = page.request.get(f"{server}/api/search?q=ASEAN&partner=Narnia").json()
    assert [n["value"] for n in data["notices"]] == ["Narnia"]
    assert "Narnia" in data["notices"][0]["message"]


def test_reversed_date_range_is_swapped_and_said(page):
    page.goto("/?from=2024-12-31&to=2021-01-01")
    expect(page.locator(".notice")).to_contain_text("đã đổi chỗ hai ngày")
    expect(page.locator("#date-from")).to_have_value("2021-01-01")
    expect(page.locator("#date-to")).to_have_value("2024-12-31")
    assert _total(page) > 0


def test_error_page_is_in_vietnamese(page):
    EXPECTED_STATUSES.add(400)
    response = page.goto("/?q=bien+dong&from=01/05/2021")
    assert response is not None and response.status == 400
    expect(page).to_have_title("Yêu cầu không hợp lệ – Tin ngoại giao")
    body = page.locator("main").inner_text()
    assert "không đọc được" in body and "2021-05-01" in body
    assert not re.search(r"\b(must|got|date as)\b", body), "no English on the page"
    page.get_by_role("link", name=re.compile("Tìm lại")).click()
    page.wait_for_url(re.compile(r"/\?q=bien"))
    assert _total(page) > 0


def test_later_pages_say_which_page_and_titles_share_one_pattern(page):
    page.goto("/?q=ASEAN&page=2&per_page=3")
    expect(page.locator(".stats")).to_contain_text("Trang 2")
    expect(page).to_have_title("“ASEAN” – Trang 2 – Tin ngoại giao")
    page.goto("/")
    expect(page).to_have_title(re.compile(r" – Tin ngoại giao$"))
    expect(page.locator(".hero-lead")).to_contain_text("bài không rõ ngày")
    EXPECTED_STATUSES.add(404)
    page.goto("/khong-co-trang-nay")
    expect(page).to_have_title("Không tìm thấy – Tin ngoại giao")


def test_home_page_completions_read_from_the_left(page):
    page.goto("/")
    page.get_by_role("combobox", name="Từ khóa tìm kiếm").press_sequentially("hoi ng")
    option = page.get_by_role("listbox", name="Gợi ý tìm kiếm").get_by_role("option").first
    expect(option).to_be_visible()
    box = page.locator("#q").bounding_box()
    text = option.locator(".suggestion-text").bounding_box()
    assert option.evaluate("el => getComputedStyle(el).textAlign") in ("left", "start")
    assert abs(text["x"] - box["x"]) < 40, "the completion starts where the typed text does"
