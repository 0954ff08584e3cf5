"""``searchapp add`` of article files: atomic copies, no dead ends, no copies of the corpus.

A kill or a full disk during the copy never leaves a truncated file under
its final name; adding the same file again after an interrupted ``add``
indexes it instead of refusing with "already exists"; a file that is
already in the corpus is indexed where it is, not copied.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys

from click.testing import CliRunner
from conftest import write_config

from searchapp.cli import cli
from searchapp.config import load_config
from searchapp.index import store
from searchapp.index.reindex import reindex

ARTICLE = "Campuchia và Việt Nam ký hiệp định thương mại\n\n" + "Hai bên nhất trí tăng cường hợp tác. " * 50
# A child whose rename of the copy into place is a SIGKILL: the worst moment
# for a kill, after every byte is written and before the file has its name.
KILLED_AT_RENAME = (
    "import os, signal\n"
    "real = os.replace\n"
    "def replace(src, dst, *args, **kwargs):\n"
    "    if str(dst).endswith('moi.txt'):\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    return real(src, dst, *args, **kwargs)\n"
    "os.replace = replace\n"
    "from searchapp.cli import main\n"
    "main()\n"
)


def project(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.json").write_text(json.dumps({"id": "a", "title": "Bài có sẵn", "body": "Nội dung."}), "utf-8")
    config_file = write_config(tmp_path, corpus)
    reindex(load_config(config_file))
    source = tmp_path / "moi.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    return config_file, corpus, source


def add(config_file, *paths):
    return CliRunner().invoke(cli, ["--config", str(config_file), "add", *map(str, paths)])


def indexed_ids(config_file) -> set[str]:
    ix = store.open_live_index(load_config(config_file).index_path)
    with ix.searcher() as searcher:
        return {doc["id"] for doc in searcher.documents()}


def test_a_kill_during_the_copy_leaves_no_truncated_file_and_add_again_works(tmp_path):
    config_file, corpus, source = project(tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AT_RENAME, "--config", str(config_file), "add", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (corpus / "added" / "moi.txt").exists()
    # What the kill left is hidden from the corpus reader.
    assert all(p.name.startswith(".") for p in (corpus / "added").iterdir())
    result = add(config_file, source)
    assert result.exit_code == 0, result.output
    assert (corpus / "added" / "moi.txt").read_text(encoding="utf-8") == ARTICLE
    assert indexed_ids(config_file) == {"a", "added/moi.txt"}


def test_a_full_disk_during_the_copy_is_one_error_and_leaves_nothing(tmp_path, monkeypatch):
    config_file, corpus, source = project(tmp_path)
    real = shutil.copyfileobj

    def full(src, dst, length=0):
        dst.write(src.read(100))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    result = add(config_file, source)
    assert result.exit_code == 1
    assert f"error: {source}: cannot copy it into {corpus / 'added'} (No space left on device)" in result.output
    assert "Traceback" not in result.output
    assert list((corpus / "added").iterdir()) == []
    monkeypatch.setattr(shutil, "copyfileobj", real)
    assert add(config_file, source).exit_code == 0
    assert indexed_ids(config_file) == {"a", "added/moi.txt"}


def test_adding_again_after_a_busy_index_indexes_the_copied_file(tmp_path):
    """``add`` during another reindex copies the file, then cannot index; trying again must work."""
    config_file, corpus, source = project(tmp_path)
    config_file.write_text(config_file.read_text().replace("lock_timeout = 5.0", "lock_timeout = 0.2"))
    config = load_config(config_file)
    with store.reindex_lock(config.index_path, timeout=1):
        busy = add(config_file, source)
    assert busy.exit_code == 1 and "another reindex is running" in busy.output
    assert (corpus / "added" / "moi.txt").exists()
    again = add(config_file, source)
    assert again.exit_code == 0, again.output
    assert f"already in the corpus: {corpus / 'added' / 'moi.txt'}" in again.output
    assert "added 1," in again.output
    assert indexed_ids(config_file) == {"a", "added/moi.txt"}


def test_a_file_already_in_the_corpus_is_indexed_where_it_is(tmp_path):
    config_file, corpus, _ = project(tmp_path)
    (corpus / "2024").mkdir()
    inside = corpus / "2024" / "bai.txt"
    inside.write_text(ARTICLE, encoding="utf-8")
    result = add(config_file, inside)
    assert result.exit_code == 0, result.output
    assert f"already in the corpus: {inside}" in result.output
    assert not (corpus / "added" / "bai.txt").exists()
    assert indexed_ids(config_file) == {"a", "2024/bai.txt"}
    # Through a relative path or a symlink to the corpus, it is the same file.
    link = tmp_path / "link"
    link.symlink_to(corpus)
    assert add(config_file, link / "2024" / "bai.txt").exit_code == 0
    assert not (corpus / "added").exists() or list((corpus / "added").iterdir()) == []


def test_a_pipe_given_to_add_is_refused_without_blocking(tmp_path):
    def blocked(signum, frame):
        raise TimeoutError("add blocked on a FIFO")

    config_file, _, _ = project(tmp_path)
    os.mkfifo(tmp_path / "pipe.txt")
    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(20)
    try:
        result = add(config_file, tmp_path / "pipe.txt")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exit_code == 1 and "not a regular file" in result.output


def test_add_of_a_corpus_file_by_its_relative_path_indexes_it_once(tmp_path, monkeypatch):
    """``add corpus/ok.txt`` from the project folder: the article used to be copied to added/ and shown twice."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text(ARTICLE, encoding="utf-8")
    config_file = tmp_path / "config.toml"
    config_file.write_text('[corpus]\npath = "corpus"\n\n[index]\npath = "index"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = add(config_file, "corpus/ok.txt")
    assert result.exit_code == 0, result.output
    assert f"already in the corpus: {corpus / 'ok.txt'}" in result.output
    assert "added 1, updated 0, deleted 0" in result.output
    assert not (corpus / "added").exists()
    assert indexed_ids(config_file) == {"ok.txt"}
    # Again from inside the corpus folder: still the one article.
    monkeypatch.chdir(corpus)
    again = add(config_file, "ok.txt")
    assert again.exit_code == 0 and "unchanged 1" in again.output
    assert indexed_ids(config_file) == {"ok.txt"}
