"""Every file on its own: hostile and odd files never stop a reindex or a check.

Each file here once stopped or fooled the reader: nesting that exhausts the
recursion limit, a name that is not UTF-8, a FIFO, a gzip bomb, ``/dev/zero``,
a YAML alias bomb, random bytes, two encodings in one file, and fields of the
wrong type. Each is now a reported problem (path, line, reason) or an article
that keeps what it can; the other articles are indexed. The files are made
here, in temporary folders, and the CLI runs in a child process with a time
limit so that a blocking read fails the test instead of hanging it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config

from searchapp.cli import cli
from searchapp.config import load_config
from searchapp.corpus.articles import Article, read_file
from searchapp.errors import ArticleError
from searchapp.index import store
from searchapp.index.reindex import reindex

BODY = (
    "Ngày 15/3/2024, Bộ trưởng Ngoại giao Việt Nam đã hội đàm với Bộ trưởng Ngoại giao Nhật Bản tại Hà Nội. "
    "Hai bên nhất trí tăng cường hợp tác kinh tế, thương mại và giao lưu nhân dân."
)
# Far above a healthy run (a few seconds); a blocking read would never end.
TIME_LIMIT = 240
# A child that prints its own peak memory, so that earlier children of the
# test session do not count.
CHILD = (
    "import resource, sys\n"
    "from searchapp.cli import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print(f'peak_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
)
NON_UTF8_NAME = b"b\xe0i-vi\xea\xcct.txt"  # "bài viết" in Windows-1258


def md(title_line: str, *meta: str, body: str = BODY, newline: str = "\n") -> str:
    lines = ["---", title_line, *meta, "---", body, ""]
    return newline.join(lines)


def jsonl(*records: dict | str) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records) + "\n"


def gzip_bomb(path: Path, gigabytes: float = 1.0) -> None:
    """About 1 MB on disk that expands to ``gigabytes`` GB: one small gzip member, repeated."""
    member = gzip.compress(b"\n" * (1 << 20), compresslevel=9)
    with path.open("wb") as fh:
        for _ in range(int(gigabytes * 1024)):
            fh.write(member)


def alias_bomb() -> str:
    """The classic "billion laughs": a few hundred bytes, gigabytes once expanded."""
    lines = ['a0: &a0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return md("title: Bom YAML", *lines)


def make_hostile_corpus(corpus: Path) -> None:
    corpus.mkdir(parents=True)
    rng = random.Random(11)
    (corpus / "good.json").write_text(json.dumps({"id": "good", "title": "Bài tốt", "body": BODY}), encoding="utf-8")
    deep = "[" * 1200 + "]" * 1200
    (corpus / "deep.json").write_text('{"title": "Sâu", "body": ' + deep + "}", encoding="utf-8")
    (corpus / "deep.jsonl").write_text(
        jsonl({"id": "deep-ok", "title": "Dòng tốt", "body": BODY}, '{"title": "Sâu", "tags": ' + deep + "}"),
        encoding="utf-8",
    )
    (corpus / "deep.md").write_text(md("title: Sâu", "tags: " + deep), encoding="utf-8")
    with open(os.fsencode(corpus) + b"/" + NON_UTF8_NAME, "w", encoding="utf-8") as fh:
        fh.write("Bài có tên tệp không phải UTF-8\n\n" + BODY)
    os.mkfifo(corpus / "x.txt")
    os.symlink("/dev/zero", corpus / "zero.txt")
    gzip_bomb(corpus / "bomb.jsonl.gz")
    (corpus / "laughs.md").write_text(alias_bomb(), encoding="utf-8")
    (corpus / "random.txt").write_bytes(rng.randbytes(4096))
    (corpus / "random16.txt").write_bytes(b"\xff\xfe" + rng.randbytes(24))
    (corpus / "baddate.md").write_text(md("title: Ngày sai", "date: 2024-13-45", body="Bài không ghi ngày."), "utf-8")
    (corpus / "number.md").write_text(md("title: 12345", "date: 2024-03-01", "partners: [Japan, 42]"), "utf-8")
    (corpus / "crlf.md").write_bytes(md("title: Tiêu đề CRLF", "date: 2024-03-02", newline="\r\n").encode())
    (corpus / "surrogate.json").write_text('{"id": "sur", "title": "Lẻ \\ud800 cặp", "body": "Nội dung."}', "utf-8")
    mixed = "Việt Nam và Nhật Bản hợp tác\n\n".encode() + b"\xd0\xe0 N\xe3ng \xf0\xe3 \xf0\xfd\xf5c ch\xf4n.\n"
    (corpus / "mixed.txt").write_bytes(mixed)
    (corpus / "mixed.jsonl").write_bytes(
        jsonl({"id": "mixed-1", "title": "Dòng UTF-8", "body": BODY}).encode()
        + '{"title": "D\xf2ng Windows-1258", "body": "Kh\xf4ng"}\n'.encode("latin-1")
        + jsonl({"id": "mixed-3", "title": "Dòng UTF-8 nữa", "body": BODY}).encode()
    )
    (corpus / "types.json").write_text(
        json.dumps({"id": 7, "title": "Kiểu sai", "body": BODY, "url": {"a": 1}, "date": ["2024-01-01"]}), "utf-8"
    )
    (corpus / "control.json").write_text(json.dumps({"id": "ctl", "title": "Tiêu\x07đề\x1b", "body": BODY}), "utf-8")


# (path, line) -> words the reason must contain.
EXPECTED_FAILURES = {
    ("deep.json", None): "nested too deeply",
    ("deep.jsonl", 2): "nested too deeply",
    ("deep.md", None): "nested too deeply",
    (os.fsdecode(NON_UTF8_NAME).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), None): (
        "not valid UTF-8; rename"
    ),
    ("x.txt", None): "not a regular file but a named pipe",
    ("zero.txt", None): "not a regular file but a character device",
    ("bomb.jsonl.gz", None): "too big: expands to more than 128 MB",
    ("laughs.md", 4): "aliases",
    ("random.txt", None): "not text",
    ("random16.txt", None): "not text",
    ("mixed.txt", 3): "mixed encodings",
    ("mixed.jsonl", 2): "not UTF-8",
}
EXPECTED_IDS = {
    "good",
    "deep-ok",
    "baddate.md",
    "number.md",
    "crlf.md",
    "sur",
    "mixed-1",
    "mixed-3",
    "7",
    "ctl",
}


def run_cli(config_file: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [sys.executable, "-c", CHILD, "--config", str(config_file), *args],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"searchapp {' '.join(args)} did not finish in {TIME_LIMIT} s (a blocking read?)")


def error_lines(output: str) -> set[str]:
    return {line.removeprefix("error: ") for line in output.splitlines() if line.startswith("error: ")}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    corpus = folder / "corpus"
    make_hostile_corpus(corpus)
    config_file = write_config(folder, corpus)
    return config_file, run_cli(config_file, "reindex")


def indexed(config) -> dict[str, dict]:
    ix = store.open_live_index(config.index_path)
    with ix.searcher() as searcher:
        return {doc["id"]: doc for doc in searcher.documents()}


def test_reindex_reports_each_hostile_file_and_indexes_the_rest(hostile):
    config_file, run = hostile
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    errors = error_lines(run.stderr)
    assert len(errors) == len(EXPECTED_FAILURES), errors
    for (path, line), words in EXPECTED_FAILURES.items():
        where = f"{path}:{line}: " if line else f"{path}: "
        assert any(e.startswith(where) and words in e for e in errors), (where, words, errors)
    assert f"added {len(EXPECTED_IDS)}," in run.stdout
    assert f"failed {len(EXPECTED_FAILURES)} " in run.stdout
    assert set(indexed(load_config(config_file))) == EXPECTED_IDS


def test_a_gzip_bomb_is_read_no_further_than_the_limit(hostile):
    _, run = hostile
    peak_mb = int(run.stderr.rsplit("peak_kb=", 1)[1].split()[0]) / 1024
    # pyvi, Whoosh and the articles take a few hundred MB; the bomb alone was 3 GB.
    assert peak_mb < 1200, peak_mb


def test_bad_fields_lose_the_field_not_the_article(hostile):
    config_file, run = hostile
    docs = indexed(load_config(config_file))
    assert docs["baddate.md"]["title"] == "Ngày sai" and docs["baddate.md"]["meta"]["date"] is None
    assert "warning: baddate.md: invalid date '2024-13-45' ignored" in run.stderr
    assert docs["number.md"]["title"] == "12345" and docs["number.md"]["meta"]["partners"] == ["JP", "42"]
    assert (docs["crlf.md"]["title"], docs["crlf.md"]["meta"]["date"]) == ("Tiêu đề CRLF", "2024-03-02")
    assert docs["sur"]["title"] == "Lẻ \ufffd cặp"
    assert "warning: surrogate.json: a lone surrogate escape replaced with U+FFFD" in run.stderr
    assert docs["7"]["title"] == "Kiểu sai"
    assert "warning: types.json: field 'url' is a mapping, not text; ignored" in run.stderr
    assert "warning: types.json: field 'date' is a list, not text; ignored" in run.stderr
    assert docs["ctl"]["title"] == "Tiêuđề"


def test_a_second_reindex_after_the_hostile_one_works(hostile):
    """The manifest of the first run was written (an undecodable name is not a key in it)."""
    config_file, _ = hostile
    run = run_cli(config_file, "reindex")
    assert run.returncode == 0, run.stderr
    assert f"unchanged {len(EXPECTED_IDS)}," in run.stdout and "added 0," in run.stdout


def test_check_lists_the_same_problems(hostile, tmp_path):
    config_file, run = hostile
    checked = run_cli(config_file, "check")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert error_lines(checked.stderr) == error_lines(run.stderr)
    assert f"{len(EXPECTED_IDS)} articles readable, {len(EXPECTED_FAILURES)} problems" in checked.stdout


# -- one case at a time, in this process ---------------------------------------------------------


def read_one(tmp_path: Path, name: str, content: bytes | str, **kwargs) -> list[Article | ArticleError]:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return list(read_file(path, tmp_path, **kwargs))


def test_the_limit_is_configurable_and_applies_to_plain_files(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "big.txt").write_text("Bài rất dài\n\n" + BODY * 8000, encoding="utf-8")  # about 1.3 MB
    (corpus / "small.txt").write_text("Bài ngắn\n\n" + BODY, encoding="utf-8")
    config_file = write_config(tmp_path, corpus)
    config_file.write_text(config_file.read_text().replace("[corpus]\n", "[corpus]\nmax_file_mb = 1\n"))
    config = load_config(config_file)
    report = reindex(config)
    assert [(e.path, e.reason.split(" (")[0]) for e in report.failed] == [("big.txt", "too big: is more than 1 MB")]
    assert set(indexed(config)) == {"small.txt"}
    result = CliRunner().invoke(cli, ["--config", str(config_file), "check"])
    assert result.exit_code == 1 and "big.txt: too big: is more than 1 MB" in result.output


def test_a_small_gzip_bomb_stops_at_the_limit(tmp_path):
    gzip_bomb(tmp_path / "b.jsonl.gz", gigabytes=0.01)  # 10 MB once expanded
    [error] = list(read_file(tmp_path / "b.jsonl.gz", tmp_path, max_bytes=1 << 20))
    assert isinstance(error, ArticleError) and error.reason.startswith("too big: expands to more than 1 MB")


def test_a_yaml_alias_is_refused_quickly(tmp_path):
    [error] = read_one(tmp_path, "a.md", alias_bomb())
    assert isinstance(error, ArticleError) and error.line == 4  # the first alias
    assert error.reason == "malformed front matter (aliases (*a0) are not allowed)"
    # One harmless alias is refused too: front matter has no use for them.
    [error] = read_one(tmp_path, "b.md", md("title: &t Tiêu đề", "source: *t"))
    assert isinstance(error, ArticleError) and "aliases" in error.reason


def test_yaml_scalars_are_text_as_written(tmp_path):
    [article] = read_one(tmp_path, "a.md", md("title: yes", "date: 2024-03-01 10:30:00", "source: 1e3"))
    assert (article.title, article.date, article.source) == ("yes", "2024-03-01", "1e3")
    [article] = read_one(tmp_path, "b.md", md("title: !!int 12345", "date: !!timestamp 2024-13-45", body="Không ngày."))
    assert article.title == "12345" and article.date is None


def test_a_title_that_is_a_list_falls_back_to_the_first_line(tmp_path):
    [article] = read_one(tmp_path, "a.md", md("title: [a, b]", body="Dòng đầu là tiêu đề\n\n" + BODY))
    assert article.title == "Dòng đầu là tiêu đề"
    assert "field 'title' is a list, not text; ignored" in article.warnings
    [error] = read_one(tmp_path, "b.json", json.dumps({"title": ["a"], "body": BODY}))
    assert isinstance(error, ArticleError) and error.reason == "no title (field 'title' is a list, not text; ignored)"


def test_a_lone_surrogate_in_a_json_line_keeps_the_article(tmp_path):
    items = read_one(tmp_path, "a.jsonl", jsonl('{"title": "A\\udc80", "body": "b"}', {"title": "B", "body": "c"}))
    assert [i.title for i in items] == ["A\ufffd", "B"]
    assert all(isinstance(i, Article) for i in items)


def test_cp1258_alone_is_still_decoded_but_mixed_with_utf8_it_is_reported(tmp_path):
    legacy = b"Vi\xea\xf2t Nam va\xcc Nh\xe2\xf2t Ba\xd2n h\xf5\xf2p ta\xecc\n\nN\xf4\xf2i dung ba\xcci vi\xea\xect.\n"
    [article] = read_one(tmp_path, "legacy.txt", legacy)
    assert article.title == "Việt Nam và Nhật Bản hợp tác"
    [error] = read_one(tmp_path, "mixed.txt", "Tiêu đề bằng UTF-8\n\n".encode() + legacy)
    assert isinstance(error, ArticleError) and error.line == 3 and "mixed encodings" in error.reason


def test_crlf_and_lone_cr_line_ends(tmp_path):
    for name, newline in (("crlf.md", "\r\n"), ("cr.md", "\r")):
        [article] = read_one(tmp_path, name, md("title: Tiêu đề", "date: 2024-03-02", newline=newline))
        assert (article.title, article.date) == ("Tiêu đề", "2024-03-02"), name
        assert "\r" not in article.body


def test_an_unexpected_error_loses_one_file_only(tmp_path, monkeypatch):
    from searchapp.corpus import metadata

    def broken(title, body):
        if "hỏng" in title:
            raise KeyError("boom")
        return None

    monkeypatch.setattr(metadata, "extract_source", broken)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Bài hỏng\n\n" + BODY, encoding="utf-8")
    (corpus / "b.jsonl").write_text(jsonl({"title": "Dòng hỏng", "body": BODY}, {"title": "Dòng tốt", "body": BODY}))
    (corpus / "c.txt").write_text("Bài tốt\n\n" + BODY, encoding="utf-8")
    config = load_config(write_config(tmp_path, corpus))
    report = reindex(config)
    assert sorted((e.path, e.line, e.reason) for e in report.failed) == [
        ("a.txt", None, "cannot be read (KeyError: 'boom')"),
        ("b.jsonl", 1, "cannot be read (KeyError: 'boom')"),
    ]
    assert set(indexed(config)) == {"b.jsonl:2", "c.txt"}


def test_a_fifo_does_not_block_read_file(tmp_path):
    def blocked(signum, frame):
        raise TimeoutError("read_file blocked on a FIFO")

    os.mkfifo(tmp_path / "x.jsonl")
    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(10)
    try:
        [error] = list(read_file(tmp_path / "x.jsonl", tmp_path))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert error.reason == "not a regular file but a named pipe (FIFO); skipped"


def test_a_number_too_long_for_python_is_malformed_json(tmp_path):
    items = read_one(tmp_path, "n.jsonl", jsonl('{"title": ' + "1" * 5000 + "}", {"title": "Tốt", "body": BODY}))
    assert isinstance(items[0], ArticleError) and items[0].line == 1
    assert items[0].reason.startswith("malformed JSON (a number of more than")
    assert isinstance(items[1], Article)
