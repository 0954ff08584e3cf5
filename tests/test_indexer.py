"""Reindexing: incremental changes touch exactly the changed articles."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from conftest import build_index

from searchapp.errors import IndexBusy
from searchapp.index import store
from searchapp.index.reindex import reindex
from searchapp.search.searcher import Searcher


def article(path, title, body="Việt Nam và Nhật Bản tăng cường hợp tác.", **extra):
    path.write_text(json.dumps({"title": title, "body": body, **extra}, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        article(corpus / f"a{i}.json", f"Bài số {i}")
    config = build_index(tmp_path, corpus)
    return config, corpus


def ids(config, query=""):
    return sorted(h.id for h in Searcher(config).search(query, per_page=100).hits)


def test_incremental_add_change_delete(small):
    config, corpus = small
    assert ids(config) == ["a0.json", "a1.json", "a2.json"]
    article(corpus / "new.json", "Bài mới về Hàn Quốc")
    report = reindex(config)
    assert (report.added, report.updated, report.deleted, report.unchanged) == (1, 0, 0, 3)
    article(corpus / "a1.json", "Bài số 1 đã sửa về Campuchia")
    os.utime(corpus / "a1.json", ns=(1, time.time_ns() + 10**9))
    report = reindex(config)
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 1, 0, 3)
    assert ids(config, "Campuchia") == ["a1.json"]
    (corpus / "a0.json").unlink()
    report = reindex(config)
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 0, 1, 3)
    assert ids(config) == ["a1.json", "a2.json", "new.json"]
    assert reindex(config).changed == 0


def test_touched_but_identical_file_is_unchanged(small):
    config, corpus = small
    os.utime(corpus / "a2.json", ns=(1, time.time_ns() + 10**9))
    report = reindex(config)
    assert report.changed == 0 and report.unchanged == 3


def test_new_extraction_rules_re_extract_unchanged_files(small, monkeypatch):
    """Upgrading the metadata rules updates articles whose files did not change."""
    from searchapp.corpus import fields as corpus_fields
    from searchapp.index import reindex as indexer

    config, _ = small
    assert reindex(config).changed == 0
    for module in (corpus_fields, indexer):
        monkeypatch.setattr(module, "EXTRACTION_VERSION", "next")
    report = reindex(config)
    assert (report.updated, report.unchanged) == (3, 0)
    assert reindex(config).changed == 0


def test_full_rebuild_swaps_generations_atomically(small):
    config, _ = small
    before = store.live_generation(config.index_path)
    searcher = Searcher(config)
    assert searcher.search("").total == 3
    report = reindex(config, full=True)
    after = store.live_generation(config.index_path)
    assert report.full and report.added == 3 and before != after
    assert searcher.search("").total == 3  # the open searcher moves to the new generation


def test_duplicate_ids_first_path_wins(small):
    config, corpus = small
    article(corpus / "z.json", "Bản sau", id="dup")
    article(corpus / "b.json", "Bản trước", id="dup")
    report = reindex(config)
    [error] = report.failed
    assert error.path == "z.json" and "duplicate id 'dup'" in error.reason and "b.json" in error.reason
    assert Searcher(config).article("dup")["title"] == "Bản trước"


def test_broken_file_is_reported_and_others_indexed(small):
    config, corpus = small
    (corpus / "bad.jsonl").write_text('{"title": "Tốt", "body": "x", "id": "g"}\n{broken\n', encoding="utf-8")
    report = reindex(config)
    assert report.added == 1
    [error] = report.failed
    assert (error.path, error.line) == ("bad.jsonl", 2)


def test_second_reindex_waits_then_gives_up(small):
    config, _ = small
    messages = []
    with store.reindex_lock(config.index_path, timeout=1):
        from dataclasses import replace

        quick = replace(config, lock_timeout=0.5)
        with pytest.raises(IndexBusy, match="another reindex is running"):
            reindex(quick, on_wait=messages.append)
    assert messages and "Waiting" in messages[0]


def test_second_reindex_proceeds_when_the_first_finishes(small):
    config, corpus = small
    article(corpus / "later.json", "Bài thêm")
    done = []
    with store.reindex_lock(config.index_path, timeout=1):
        worker = threading.Thread(target=lambda: done.append(reindex(config)))
        worker.start()
        time.sleep(0.5)
        assert not done
    worker.join(10)
    assert done and done[0].added == 1


def test_changing_one_line_of_a_big_file_extracts_only_that_article(tmp_path, monkeypatch):
    from searchapp.corpus import metadata

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"id": f"n{i}", "title": f"Tin {i}", "body": "Việt Nam và Lào hợp tác."}) for i in range(20)]
    (corpus / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    config = build_index(tmp_path, corpus)
    calls = []
    original = metadata.extract_partners
    monkeypatch.setattr(metadata, "extract_partners", lambda t, b: calls.append(t) or original(t, b))
    lines[7] = json.dumps({"id": "n7", "title": "Tin 7 đã sửa", "body": "Việt Nam và Campuchia hợp tác."})
    (corpus / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    os.utime(corpus / "many.jsonl", ns=(1, time.time_ns() + 10**9))
    report = reindex(config)
    assert (report.updated, report.unchanged) == (1, 19)
    assert calls == ["Tin 7 đã sửa"]


def _content(config):
    ix = store.open_live_index(config.index_path)
    with ix.reader() as reader:
        ids_by_doc = {n: stored["id"] for n, stored in reader.iter_docs()}
        stored = sorted((s["id"], sorted(s.items(), key=str)) for _, s in reader.iter_docs())
        postings = {}
        for field in ("syl", "fold", "words", "wfold", "story", "partner", "topic", "id"):
            for term in reader.lexicon(field):
                m = reader.postings(field, term)
                found = []
                while m.is_active():
                    found.append((ids_by_doc[m.id()], m.weight(), m.value()))
                    m.next()
                postings[field, term] = sorted(found)
        return list(ids_by_doc.values()), stored, postings


@pytest.mark.parametrize("split", [False, True])
def test_parallel_full_rebuild_builds_the_same_index(tmp_path, monkeypatch, split):
    """Segment writers side by side (and the pipelined writer) index exactly what one process does."""
    import dataclasses

    from searchapp.index import prepare
    from searchapp.index import reindex as indexer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "Bộ trưởng Ngoại giao Việt Nam hội đàm với Bộ trưởng Ngoại giao Nhật Bản tại Hà Nội về Biển Đông."
    lines = [
        json.dumps(
            {"id": f"n{i}", "title": f"Tin số {i} về ASEAN", "body": f"{body} Đoạn {i}.\n{body}"}, ensure_ascii=False
        )
        for i in range(90)
    ]
    (corpus / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    config = build_index(tmp_path, corpus)
    config = dataclasses.replace(config, index_workers=1)
    monkeypatch.setattr(prepare, "PARALLEL_MIN", 10**9)
    reindex(config, full=True)
    serial = _content(config)
    monkeypatch.setattr(prepare, "PARALLEL_MIN", 8)
    monkeypatch.setattr(indexer, "_SPLIT_MIN", 20 if split else 10**9)
    reindex(dataclasses.replace(config, index_workers=2), full=True)
    parallel = _content(config)
    assert sorted(parallel[0]) == sorted(serial[0]) and parallel[0] == serial[0]
    assert parallel[1] == serial[1]
    assert parallel[2] == serial[2]
