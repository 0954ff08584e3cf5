"""Reading articles in every format, with ids, NFC and extracted facets."""

from __future__ import annotations

import gzip
import json

import pytest

from searchapp.corpus.articles import Article, iter_corpus, read_file
from searchapp.errors import ArticleError


def read_all(root):
    return list(iter_corpus(root))


def test_txt_title_skips_datelines_and_captions(tmp_path):
    (tmp_path / "a.txt").write_text(
        "\n10:07, 06/07/2021\nQuang cảnh hội nghị. (Ảnh: TTXVN)\n"
        "Việt Nam và Nhật Bản ký kết hiệp định\n\nNội dung bài.",
        encoding="utf-8",
    )
    [article] = read_all(tmp_path)
    assert article.title == "Việt Nam và Nhật Bản ký kết hiệp định"
    assert "Nội dung bài." in article.body
    assert article.id == "a.txt"
    assert article.date == "2021-07-06"


def test_markdown_front_matter_wins_over_extraction(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text(
        "---\ntitle: Tiêu đề\ndate: 2020-01-02\npartners: [Japan]\ntopics: []\nsource: Nhân Dân\n---\n"
        "# Tiêu đề\n\nHàn Quốc và Hoa Kỳ hội đàm.",
        encoding="utf-8",
    )
    [article] = read_all(tmp_path)
    assert article.id == "sub/b.md"
    assert (article.title, article.date, article.source) == ("Tiêu đề", "2020-01-02", "Nhân Dân")
    assert article.partners == ("JP",)
    assert article.topics == ()
    assert not article.body.startswith("#")


def test_json_jsonl_and_gzip(tmp_path):
    record = {"id": "x1", "title": "Một", "body": "Hai"}
    (tmp_path / "one.json").write_text(json.dumps(record), encoding="utf-8")
    lines = [json.dumps({"title": f"Bài {i}", "body": "Nội dung"}) for i in range(3)]
    (tmp_path / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    with gzip.open(tmp_path / "packed.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "g1", "title": "Nén", "body": "..."}) + "\n")
    ids = sorted(a.id for a in read_all(tmp_path))
    assert ids == ["g1", "many.jsonl:1", "many.jsonl:2", "many.jsonl:3", "x1"]


def test_text_is_nfc_normalized(tmp_path):
    nfd = "Bi\u0065\u0302\u0309n \u0110o\u0302ng"
    (tmp_path / "n.json").write_text(json.dumps({"title": nfd, "body": nfd}), encoding="utf-8")
    [article] = read_all(tmp_path)
    assert article.title == "Biển Đông" and article.body == "Biển Đông"


def test_broken_items_are_reported_and_the_rest_read(tmp_path):
    good = json.dumps({"id": "ok", "title": "Tốt", "body": "x"})
    (tmp_path / "mixed.jsonl").write_text(good + "\n{not json\n" + json.dumps({"body": "no title"}), encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    items = read_all(tmp_path)
    articles = [i for i in items if isinstance(i, Article)]
    errors = {(e.path, e.line): e.reason for e in items if isinstance(e, ArticleError)}
    assert [a.id for a in articles] == ["ok"]
    assert "malformed JSON" in errors[("mixed.jsonl", 2)]
    assert "no title" in errors[("mixed.jsonl", 3)]
    assert "empty" in errors[("empty.txt", None)]
    assert "binary" in errors[("bin.txt", None)]


def test_utf16_and_windows_1258_are_decoded_and_noted(tmp_path):
    text = "Quan hệ Việt Nam và Lào\nHai nước hợp tác."
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "legacy.txt").write_bytes("Quan he Viet Nam va Lao\nHai nuoc hop tac.".encode("cp1258"))
    items = {a.id: a for a in read_all(tmp_path)}
    assert items["u16.txt"].title == "Quan hệ Việt Nam và Lào"
    assert any("UTF-16" in w for w in items["u16.txt"].warnings)
    assert items["legacy.txt"].title == "Quan he Viet Nam va Lao"


def test_invalid_date_is_a_warning_not_a_loss(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps({"title": "T", "body": "b", "date": "2021-02-31"}), encoding="utf-8")
    [article] = read_all(tmp_path)
    assert article.date is None
    assert any("invalid date" in w for w in article.warnings)


def test_checksum_changes_only_with_content(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"title": "A", "body": "b"}), encoding="utf-8")
    [first] = read_file(path, tmp_path)
    [again] = read_file(path, tmp_path)
    path.write_text(json.dumps({"title": "A", "body": "c"}), encoding="utf-8")
    [changed] = read_file(path, tmp_path)
    assert first.checksum == again.checksum != changed.checksum


def test_seed_articles_read_with_their_facets(corpus_real):
    articles = {a.id[:8]: a for a in read_file(corpus_real / "articles-seeds.jsonl", corpus_real)}
    seed = articles["seed-002"]
    assert seed.date == "2021-07-06"
    assert seed.source == "Nhân Dân"
    assert {"RU", "ASEAN"} <= set(seed.partners)
    assert "VN" not in seed.partners
    assert all(a.topics for a in articles.values())


def md(*fields: str, body: str = "Nội dung bài viết về hợp tác.") -> str:
    return "---\n" + "".join(f"{field}\n" for field in fields) + "---\n" + body


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("31/12/2021", "2021-12-31"),
        ("1/2/2021", "2021-02-01"),  # day first: 1 February, never 2 January
        ("05/06/2021", "2021-06-05"),
        ("31-12-2021", "2021-12-31"),
        ("31.12.2021", "2021-12-31"),
        ("31/12/2021 10:07", "2021-12-31"),
        ("2021-12-31", "2021-12-31"),
    ],
)
def test_front_matter_dates_may_be_written_day_first(tmp_path, written, expected):
    (tmp_path / "a.md").write_text(md("title: Tiêu đề", f"date: {written}"), encoding="utf-8")
    [article] = read_all(tmp_path)
    assert (article.date, article.warnings) == (expected, ())


def test_a_month_first_date_is_refused_never_swapped(tmp_path):
    (tmp_path / "a.md").write_text(md("title: Tiêu đề", "source: Nhân Dân", "date: 12/31/2021"), encoding="utf-8")
    [article] = read_all(tmp_path)
    assert article.date is None
    assert article.warnings == (
        "invalid date '12/31/2021' ignored: no such day, read day first as dd/mm/yyyy; "
        "write it as YYYY-MM-DD if it is month first, on line 4",
    )


def test_a_json_date_is_not_guessed_day_first(tmp_path):
    """A data file may come from a tool that writes month first: its date is not guessed, the fix is named."""
    (tmp_path / "a.json").write_text(json.dumps({"title": "T", "body": "b", "date": "05/06/2021"}), encoding="utf-8")
    [article] = read_all(tmp_path)
    assert article.date is None
    assert article.warnings == (
        "invalid date '05/06/2021' ignored (expected YYYY-MM-DD: 2021-06-05 if it is day first)",
    )


@pytest.mark.parametrize("dateline", ["31/12/2021", "31-12-2021", "31.12.2021", "Thứ Sáu, 31-12-2021 10:07"])
def test_a_txt_dateline_with_dashes_or_dots_is_not_the_headline(tmp_path, dateline):
    (tmp_path / "a.txt").write_text(f"{dateline}\nViệt Nam và Lào ký thỏa thuận\n\nNội dung.", encoding="utf-8")
    [article] = read_all(tmp_path)
    assert (article.title, article.date) == ("Việt Nam và Lào ký thỏa thuận", "2021-12-31")


@pytest.mark.parametrize(
    "line",
    [
        "18:40, 06/09/2023",
        "Thứ Tư, 06/09/2023 | 18:40 (GMT+7)",
        "10/09/2023 21:15",
        "Cập nhật: 10/9/2023 lúc 08:00",
        "Thứ Ba, 6 tháng 7 năm 2021",
        "Chủ nhật, 12/03/2023 07:15 AM",
    ],
)
def test_one_rule_tells_a_time_stamp_line_everywhere(tmp_path, line):
    """The same line is skipped above a headline, above the lead of a page and before an outlet's dateline."""
    from searchapp.corpus.extract.dates import is_timestamp_line
    from searchapp.corpus.extract.sources import extract_source
    from searchapp.ingest.page import article_paragraphs

    assert is_timestamp_line(line)
    (tmp_path / "a.txt").write_text(f"{line}\nViệt Nam và Lào ký thỏa thuận\n\nNội dung.", encoding="utf-8")
    [article] = read_all(tmp_path)
    assert article.title == "Việt Nam và Lào ký thỏa thuận"
    assert article_paragraphs(f"{line}\nHai bên ký thỏa thuận.", "Tiêu đề") == "Hai bên ký thỏa thuận."
    assert extract_source("Tiêu đề", f"{line}\n(VOV) - Hai bên ký thỏa thuận.") == "VOV"


@pytest.mark.parametrize(
    "line",
    ["Hà Nội, 06/07/2021", "Việt Nam và Nhật Bản ký 5 thỏa thuận", "06/09/2023 Hội nghị ASEAN khai mạc", "Năm 2023"],
)
def test_a_line_with_words_besides_the_date_is_not_a_time_stamp(line):
    from searchapp.corpus.extract.dates import is_timestamp_line

    assert not is_timestamp_line(line)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.json", json.dumps({"body": "Nội dung."}), 'a.json: no title: add a "title" field'),
        (
            "a.jsonl",
            json.dumps({"title": "T", "body": "b"}) + "\n" + json.dumps({"body": "Nội dung."}),
            'a.jsonl:2: no title: add a "title" field',
        ),
        ("a.txt", "31/12/2021\n", "a.txt: no title: the first line must be the headline"),
        (
            "a.md",
            md("date: 2021-12-31", body="31/12/2021"),
            "a.md: no title: add a 'title:' line to the front matter, or start the text with the headline",
        ),
    ],
)
def test_no_title_advice_fits_the_format(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text, encoding="utf-8")
    errors = [str(item) for item in read_all(tmp_path) if isinstance(item, ArticleError)]
    assert errors == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (md("title: Tiêu đề", "date: 2021-12-31", "  partners: [JP"), "a.md:4: malformed front matter"),
        ("---\ntitle: Tiêu đề\ndate: 2021-12-31\n\nNội dung.\n", "a.md:1: front matter opened here is never closed"),
        (md("- title", "- date"), "a.md:2: front matter must be a block of key: value lines"),
    ],
)
def test_malformed_front_matter_names_its_line(tmp_path, text, expected):
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    [error] = read_all(tmp_path)
    assert isinstance(error, ArticleError) and str(error).startswith(expected), str(error)


def test_a_markdown_rule_on_the_first_line_is_not_front_matter(tmp_path):
    (tmp_path / "a.md").write_text("---\n\nViệt Nam và Lào ký thỏa thuận\n\nNội dung.", encoding="utf-8")
    [article] = read_all(tmp_path)
    assert article.title == "Việt Nam và Lào ký thỏa thuận"
