"""Fixed terms and offices of a country are one concept each (terms.toml)."""

from __future__ import annotations

import json

import pytest
from conftest import build_index

from searchapp.search.names import is_country_name, office_at
from searchapp.search.searcher import Searcher

ARTICLES = {
    "macron": ("Tổng thống Pháp thăm Hà Nội", "Tổng thống Pháp Emmanuel Macron hội đàm tại Hà Nội."),
    "biden": ("Tổng thống Mỹ phát biểu", "Tổng thống Mỹ nói về châu Âu; Pháp và Đức lắng nghe."),
    "blinken": ("Bộ trưởng Ngoại giao Hoa Kỳ đến Hà Nội", "Bộ trưởng Ngoại giao Hoa Kỳ gặp các đối tác."),
    "workers": ("Xuất khẩu lao động sang Nhật Bản", "Chương trình xuất khẩu lao động mở rộng."),
    "rice": ("Xuất khẩu gạo tăng", "Xuất khẩu gạo tăng mạnh; thị trường lao động ổn định."),
    "phuc": ("Thủ tướng gặp doanh nghiệp", "Thủ tướng Chính phủ Nguyễn Xuân Phúc gặp doanh nghiệp."),
    "abe": ("Thủ tướng Nhật gặp báo giới", "Thủ tướng Nhật Shinzo Abe nói với báo giới."),
    "kohl": ("Thủ tướng Đông Đức", "Thủ tướng Đông Đức rời nhiệm sở năm 1989."),
    "amm": ("Ngoại trưởng các nước ASEAN họp", "Ngoại trưởng các nước ASEAN họp tại Jakarta."),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("terms")
    corpus = folder / "corpus"
    corpus.mkdir()
    for key, (title, body) in ARTICLES.items():
        record = {"id": key, "title": title, "body": body, "date": "2023-01-01"}
        (corpus / f"{key}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return Searcher(build_index(folder, corpus))


def found(searcher, query, **kw):
    return {h.id for h in searcher.search(query, per_page=50, **kw).hits}


def test_office_and_country_are_one_concept(searcher):
    result = searcher.search("Tổng thống Pháp")
    assert result.concepts == ["Tổng thống Pháp"]
    assert found(searcher, "Tổng thống Pháp") == {"macron"}


def test_office_and_country_typed_without_marks(searcher):
    assert found(searcher, "tong thong Phap") == {"macron"}
    assert found(searcher, "tong thong phap", exact=True) == {"macron"}


def test_office_takes_its_other_names_and_the_country_its_own(searcher):
    # "Ngoại trưởng" is also "Bộ trưởng Ngoại giao", "Mỹ" is also "Hoa Kỳ".
    assert found(searcher, "Ngoại trưởng Mỹ") == {"blinken"}


def test_after_an_office_a_country_goes_by_its_short_name_not_its_parts(searcher):
    assert found(searcher, "Thủ tướng Nhật Bản") == {"abe"}
    assert found(searcher, "Thủ tướng Đức") == set()


def test_fixed_term_is_matched_as_a_phrase(searcher):
    assert searcher.search("xuất khẩu lao động").concepts == ["xuất khẩu lao động"]
    assert found(searcher, "xuất khẩu lao động") == {"workers"}
    assert found(searcher, "xuat khau lao dong") == {"workers"}


def test_office_before_a_person_stays_apart(searcher):
    # The news puts words between the office and the name.
    assert found(searcher, "Thủ tướng Nguyễn Xuân Phúc") == {"phuc"}


def test_office_before_a_bloc_stays_apart(searcher):
    # A bloc's ministers are its members': "Ngoại trưởng các nước ASEAN".
    assert found(searcher, "ngoại trưởng ASEAN") == {"amm"}


def test_office_lookup_takes_the_longest_office():
    keys = ["bộ", "trưởng", "ngoại", "giao", "mỹ"]
    assert office_at(keys, 0) == 4
    assert office_at(["bo", "truong", "ngoai", "giao"], 0, folded=True) == 4
    assert office_at(keys, 2) == 0
    assert is_country_name(("mỹ",)) and is_country_name(("nhật", "bản"))
    assert not is_country_name(("asean",))
