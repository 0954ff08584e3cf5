"""Nothing lost: a corpus full of broken, odd and hostile files.

Every bad item is reported with its path, line and reason; every good article
is indexed; ``searchapp check`` lists the same problems without creating an
index. Big and binary inputs are generated here, in temporary folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_index, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchapp.cli import cli
from searchapp.config import load_config
from searchapp.corpus.articles import Article, decode_bytes, read_file
from searchapp.errors import ArticleError
from searchapp.index.reindex import reindex
from searchapp.search.searcher import Searcher

# Hit lists below are read ungrouped: many test articles share a body, and the
# search page shows one story per group.

PARAGRAPH = (
    "Ngày 15/3/2024, Bộ trưởng Ngoại giao Việt Nam đã hội đàm với Bộ trưởng Ngoại giao Nhật Bản tại Hà Nội. "
    "Hai bên nhất trí tăng cường hợp tác kinh tế, thương mại, đầu tư (ODA) và giao lưu nhân dân; "
    "đồng thời trao đổi về tình hình Biển Đông, Mê Công và các vấn đề quốc tế cùng quan tâm."
)
# Windows-1258 title and body: real Vietnamese with tones, digits and punctuation.
CP1258_TITLE = "Thủ tướng dự Hội nghị Cấp cao ASEAN lần thứ 43 tại Gia-các-ta"
CP1258_BODY = (
    "Chiều 5/9/2023, Thủ tướng Phạm Minh Chính dẫn đầu đoàn đại biểu cấp cao Việt Nam "
    "tham dự Hội nghị Cấp cao ASEAN lần thứ 43 tại Gia-các-ta, In-đô-nê-xi-a. "
    "Hội nghị thảo luận về xây dựng Cộng đồng ASEAN, quan hệ đối ngoại và các vấn đề khu vực."
)
NFD_TITLE = "Hợp tác Mê Kông – Lan Thương bước sang giai đoạn mới"
NUL_TITLE = "Việt Nam và Hàn Quốc ký kết biên bản ghi nhớ"
UTF16_TITLE = "Quan hệ Việt Nam – Ấn Độ: đối tác chiến lược toàn diện"
DEEP_WORD = "Xylomet"  # appears only after 32 KB of text

# (path, line) -> a word the reason must contain.
EXPECTED_FAILURES = {
    ("empty.txt", None): "empty",
    ("blank.md", None): "empty",
    ("image.txt", None): "binary",
    ("feeds/feed.jsonl", 2): "malformed JSON",
    ("notitle.json", None): "no title",
    ("feeds/feed.jsonl", 4): "no title",
    ("z-later/dup.json", None): "duplicate id 'dup-1'",
    ("feeds/feed.jsonl", 5): "duplicate id 'dup-2'",
    ("dangling.txt", None): "cannot read file",
    ("selfloop.txt", None): "cannot read file",
}
EXPECTED_IDS = {
    "cp1258.txt",
    "utf16.txt",
    "nfd.txt",
    "nul.txt",
    "deep.txt",
    "feeds/feed.jsonl:1",
    "feeds/feed.jsonl:3",
    "dup-2",
    "baddate",
    "dup-1",
    "loop/inside.txt",
    "folder.txt/inner.json",
}


# -- building the corpus -------------------------------------------------------------------

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Vietnamese text as Windows-1258 writes it: base letters precomposed, tones combining."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def write_json(path: Path, **record) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def make_bad_corpus(corpus: Path) -> None:
    corpus.mkdir(parents=True)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text("  \n\t\n\r\n   \n", encoding="utf-8")
    # A PNG header followed by pseudo-random bytes (deterministic).
    noise = bytes((i * 7919 + 13) % 256 for i in range(4096))
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise)

    cp1258 = encode_cp1258(f"{CP1258_TITLE}\n\n{CP1258_BODY}\n")
    assert cp1258.decode("cp1258") != f"{CP1258_TITLE}\n\n{CP1258_BODY}\n"  # combining tones, not NFC
    (corpus / "cp1258.txt").write_bytes(cp1258)
    (corpus / "utf16.txt").write_bytes(f"{UTF16_TITLE}\r\n\r\n{PARAGRAPH}\r\n".encode("utf-16"))
    nfd = unicodedata.normalize("NFD", f"{NFD_TITLE}\n\n{PARAGRAPH}")
    assert nfd != unicodedata.normalize("NFC", nfd)
    (corpus / "nfd.txt").write_text(nfd, encoding="utf-8")
    (corpus / "nul.txt").write_bytes(f"{NUL_TITLE}\n\nHai\x00 bên nhất\x00 trí {PARAGRAPH}".encode())

    filler = "\n\n".join([PARAGRAPH] * 120)  # ~45 KB of text without the deep word
    assert len(filler.encode("utf-8")) > 40_000 and DEEP_WORD.lower() not in filler.lower()
    (corpus / "deep.txt").write_text(
        f"Bài viết rất dài về hợp tác khu vực\n\n{filler}\n\nCuối bài nhắc đến dự án {DEEP_WORD} ở Đà Nẵng.",
        encoding="utf-8",
    )

    lines = [
        json.dumps({"title": "Dòng một của bản tin", "body": PARAGRAPH}, ensure_ascii=False),
        '{"title": "Dòng hỏng", "body": ',  # malformed
        json.dumps({"title": "Dòng ba của bản tin", "body": PARAGRAPH}, ensure_ascii=False),
        json.dumps({"body": "Dòng này không có tiêu đề."}, ensure_ascii=False),
        json.dumps({"id": "dup-2", "title": "Bản sau của dup-2", "body": PARAGRAPH}, ensure_ascii=False),
    ]
    (corpus / "feeds").mkdir()
    # dup-2 appears first on this line of an earlier file, then again on line 5 above.
    write_json(corpus / "feeds" / "a-first.json", id="dup-2", title="Bản đầu của dup-2", body=PARAGRAPH)
    (corpus / "feeds" / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    write_json(corpus / "notitle.json", body="Bài không có tiêu đề nhưng có nội dung.")
    # No date in the text either, so nothing replaces the invalid one.
    write_json(
        corpus / "baddate.json", id="baddate", title="Ngày tháng sai", body="Bài không ghi ngày.", date="2021-13-45"
    )
    write_json(corpus / "a-first" / "dup.json", id="dup-1", title="Bản đầu tiên", body=PARAGRAPH)
    write_json(corpus / "z-later" / "dup.json", id="dup-1", title="Bản thứ hai", body=PARAGRAPH)

    # A symlink loop: loop/loop -> loop. The walk must terminate and see inside.txt once.
    (corpus / "loop").mkdir()
    (corpus / "loop" / "inside.txt").write_text("Bài trong thư mục vòng lặp\n\n" + PARAGRAPH, encoding="utf-8")
    os.symlink(corpus / "loop", corpus / "loop" / "loop")
    # Unreadable entries that root cannot bypass: dangling and self-referencing links.
    os.symlink(corpus / "missing.txt", corpus / "dangling.txt")
    os.symlink(corpus / "selfloop.txt", corpus / "selfloop.txt")
    # A folder whose name looks like an article is walked, not read.
    write_json(corpus / "folder.txt" / "inner.json", title="Bài trong thư mục tên .txt", body=PARAGRAPH)


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    corpus = folder / "corpus"
    make_bad_corpus(corpus)
    config = load_config(write_config(folder, corpus))
    return config, reindex(config)


def where(error: ArticleError) -> tuple[str, int | None]:
    return error.path, error.line


# -- the reindex report ----------------------------------------------------------------------


def test_every_bad_item_is_reported_with_path_line_and_reason(bad):
    _, report = bad
    failures = {where(e): e.reason for e in report.failed}
    assert set(failures) == set(EXPECTED_FAILURES), report.failed
    for key, word in EXPECTED_FAILURES.items():
        assert word in failures[key], (key, failures[key])
        assert str(report.failed[[where(e) for e in report.failed].index(key)]).startswith(key[0])


def test_every_good_article_is_indexed(bad):
    config, report = bad
    result = Searcher(config).search("", per_page=100, group=False)
    assert {h.id for h in result.hits} == EXPECTED_IDS
    assert result.total == len(EXPECTED_IDS) == report.added


def test_invalid_date_is_a_warning_not_a_failure(bad):
    config, report = bad
    assert any(w.startswith("baddate.json") and "invalid date '2021-13-45'" in w for w in report.warnings)
    assert Searcher(config).article("baddate")["date"] is None


def test_duplicate_ids_first_in_path_order_wins(bad):
    config, report = bad
    searcher = Searcher(config)
    assert searcher.article("dup-1")["title"] == "Bản đầu tiên"
    assert searcher.article("dup-2")["title"] == "Bản đầu của dup-2"
    [dup1] = [e for e in report.failed if "dup-1" in e.reason]
    assert "a-first/dup.json" in dup1.reason


def test_windows_1258_is_decoded_and_nfc_normalized(bad):
    config, report = bad
    assert ("cp1258.txt", None) not in {where(e) for e in report.failed}, report.failed
    article = Searcher(config).article("cp1258.txt")
    assert article["title"] == unicodedata.normalize("NFC", CP1258_TITLE)
    assert unicodedata.is_normalized("NFC", article["body"])
    assert any(w.startswith("cp1258.txt") and "Windows-1258" in w for w in report.warnings)
    assert "cp1258.txt" in {h.id for h in Searcher(config).search("Gia-các-ta", group=False).hits}


def test_real_vietnamese_in_windows_1258_is_not_rejected():
    """Tone marks are combining characters in Windows-1258: they are letters' parts, not noise."""
    raw = encode_cp1258(f"{CP1258_TITLE}\n\n{CP1258_BODY}\n{PARAGRAPH}\n")
    text, note = decode_bytes(raw)
    assert unicodedata.normalize("NFC", text) == f"{CP1258_TITLE}\n\n{CP1258_BODY}\n{PARAGRAPH}\n"
    assert note and "Windows-1258" in note


def test_utf16_with_bom(bad):
    config, _ = bad
    assert Searcher(config).article("utf16.txt")["title"] == UTF16_TITLE
    assert "utf16.txt" in {h.id for h in Searcher(config).search("Ấn Độ", group=False).hits}


def test_nfd_text_is_found_by_an_nfc_query(bad):
    config, _ = bad
    searcher = Searcher(config)
    assert searcher.article("nfd.txt")["title"] == NFD_TITLE
    for query in ("Lan Thương", unicodedata.normalize("NFD", "Lan Thương"), "lan thuong"):
        assert "nfd.txt" in {h.id for h in searcher.search(query, group=False).hits}, query


def test_nul_bytes_are_dropped(bad):
    config, report = bad
    article = Searcher(config).article("nul.txt")
    assert article["title"] == NUL_TITLE and "\x00" not in article["body"]
    assert "Hai bên nhất trí" in article["body"]
    assert any(w.startswith("nul.txt") and "NUL" in w for w in report.warnings)
    assert "nul.txt" in {h.id for h in Searcher(config).search('"bên nhất trí" Hàn Quốc', group=False).hits}


def test_word_after_32_kb_is_found_and_highlighted(bad):
    config, _ = bad
    for query in (DEEP_WORD, DEEP_WORD.lower()):
        result = Searcher(config).search(query, group=False)
        assert [h.id for h in result.hits] == ["deep.txt"], query
        assert f"<mark>{DEEP_WORD}</mark>" in result.hits[0].snippet


def test_symlink_loop_is_walked_once(bad):
    config, report = bad
    assert not any("loop/loop" in e.path for e in report.failed)
    hits = Searcher(config).search('"vòng lặp"', group=False).hits
    assert [h.id for h in hits] == ["loop/inside.txt"]


# -- searchapp check ---------------------------------------------------------------------------


def test_check_lists_the_same_problems_without_creating_an_index(bad, tmp_path):
    config, report = bad
    config_file = write_config(tmp_path, config.corpus_path)
    result = CliRunner().invoke(cli, ["--config", str(config_file), "check"])
    assert result.exit_code == 1, result.output
    errors = {line.removeprefix("error: ") for line in result.output.splitlines() if line.startswith("error: ")}
    assert errors == {str(e) for e in report.failed}
    assert f"{len(EXPECTED_IDS)} articles readable, {len(EXPECTED_FAILURES)} problems" in result.output
    assert "warning: baddate.json: invalid date" in result.output
    assert not (tmp_path / "index").exists()


def test_reindex_strict_exits_1_but_indexes_the_good_ones(bad, tmp_path):
    config, _ = bad
    config_file = write_config(tmp_path, config.corpus_path)
    result = CliRunner().invoke(cli, ["--config", str(config_file), "reindex", "--strict"])
    assert result.exit_code == 1
    assert Searcher(load_config(config_file)).search("").total == len(EXPECTED_IDS)


# -- unreadable files, incremental duplicates ---------------------------------------------------


def test_unreadable_file_is_reported(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not block reads (dangling and looping links cover this)")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_json(corpus / "ok.json", title="Bài đọc được", body=PARAGRAPH)
    locked = corpus / "locked.txt"
    locked.write_text("Bài bị khóa\n\nNội dung.", encoding="utf-8")
    locked.chmod(0)
    try:
        config = load_config(write_config(tmp_path, corpus))
        report = reindex(config)
    finally:
        locked.chmod(0o644)
    assert [(e.path, "cannot read file" in e.reason) for e in report.failed] == [("locked.txt", True)]
    assert Searcher(config).search("").total == 1


def test_duplicate_taking_the_id_of_an_unchanged_file_is_reported(tmp_path):
    """Incremental: a new earlier file takes an id from an already indexed, unchanged later file."""
    corpus = tmp_path / "corpus"
    write_json(corpus / "b.json", id="same", title="Bản cũ", body=PARAGRAPH)
    config = build_index(tmp_path, corpus)
    write_json(corpus / "a.json", id="same", title="Bản mới, đứng trước", body=PARAGRAPH)
    report = reindex(config)
    assert Searcher(config).article("same")["title"] == "Bản mới, đứng trước"
    assert [(e.path, "duplicate id 'same'" in e.reason) for e in report.failed] == [("b.json", True)]
    assert Searcher(config).search("").total == 1


# -- arbitrary bytes -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.one_of(
        st.binary(max_size=600),
        st.text(max_size=300).map(lambda t: t.encode("utf-8")),
        st.text(max_size=300).map(lambda t: t.encode("utf-16")),
        st.builds(
            lambda a, b: a + b,
            st.sampled_from([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"---\n"]),
            st.binary(max_size=300),
        ),
    ),
    suffix=st.sampled_from([".txt", ".md", ".json", ".jsonl", ".jsonl.gz"]),
)
def test_any_bytes_give_articles_or_article_errors(raw, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x{suffix}"
        path.write_bytes(raw)
        for item in read_file(path, Path(tmp)):
            assert isinstance(item, Article | ArticleError)
            if isinstance(item, Article):
                assert item.title.strip() and "\x00" not in item.title + item.body
                assert unicodedata.is_normalized("NFC", item.title + item.body)
            else:
                assert item.path == path.name and item.reason


# -- a 20 MB article --------------------------------------------------------------------------

HUGE_BYTES = 20 * 1024 * 1024
# Not a speed check: a bound far above a healthy run (well under a minute), so
# that a blow-up (quadratic work, swapping) fails instead of hanging the suite.
HANG_GUARD_SECONDS = 180


def test_twenty_megabyte_article_is_indexed_and_searchable(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    block = "\n\n".join(f"Đoạn {i}. {PARAGRAPH}" for i in range(50)) + "\n\n"
    repeats = HUGE_BYTES // len(block.encode("utf-8")) + 1
    with (corpus / "huge.txt").open("w", encoding="utf-8") as fh:
        fh.write("Kỷ yếu hợp tác Việt Nam – Nhật Bản toàn văn\n\nLời mở đầu về quan hệ Tanzania.\n\n")
        for _ in range(repeats):
            fh.write(block)
    assert (corpus / "huge.txt").stat().st_size > HUGE_BYTES
    write_json(corpus / "small.json", id="small", title="Bài ngắn bên cạnh", body=PARAGRAPH)
    config_file = write_config(tmp_path, corpus)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "searchapp", "--config", str(config_file), "reindex"],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reindex of a 20 MB article did not finish in {HANG_GUARD_SECONDS} s")
    assert run.returncode == 0, run.stderr
    assert "failed 0" in run.stdout
    searcher = Searcher(load_config(config_file))
    assert searcher.search("").total == 2
    assert [h.id for h in searcher.search("kỷ yếu toàn văn", group=False).hits][:1] == ["huge.txt"]
    hits = searcher.search("Tanzania", group=False).hits
    assert [h.id for h in hits] == ["huge.txt"] and "<mark>Tanzania</mark>" in hits[0].snippet
