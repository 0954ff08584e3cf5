"""Reading articles in every format, with ids, NFC and extracted facets."""

from __future__ import annotations

import gzip
import json

from searchapp.corpus import Article, iter_corpus, read_file
from searchapp.errors import ArticleError


def read_all(root):
    return list(iter_corpus(root))


def test_txt_title_skips_datelines_and_captions(tmp_path):
    (tmp_path / "a.txt").write_text(
        "\n10:07, 06/07/2021\nQuang cảnh hội nghị. (Ảnh: TTXVN)\nViệt Nam và Nhật Bản ký kết hiệp định\n\nNội dung bài.",
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
