"""A serving searcher opens a new index in the background and swaps it in warm."""

from __future__ import annotations

import json
import threading
import time

from conftest import build_index

from searchapp.index.reindex import reindex
from searchapp.search import live
from searchapp.search.generation import AUTOWARM_TERMS
from searchapp.search.live import STALE_CHECK_SECONDS
from searchapp.search.searcher import Searcher


def _write(corpus, key, title):
    record = {"id": key, "title": title, "body": f"{title}. Hai bên bàn về hợp tác.", "date": "2024-01-01"}
    (corpus / f"{key}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def _ids(searcher, query):
    return {h.id for h in searcher.search(query).hits}


def test_new_index_is_swapped_in_warm_while_the_old_one_answers(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản")
    config = build_index(tmp_path, corpus)
    searcher = Searcher(config, serving=True)
    assert _ids(searcher, "Nhật Bản") == {"a"}
    first = searcher._live.opened

    _write(corpus, "b", "Nhật Bản và Hàn Quốc")
    reindex(config)
    # Within the check interval the open generation answers; after it, a
    # newer one is being opened while requests are still answered.
    deadline = time.monotonic() + 30
    while searcher._live.opened is first and time.monotonic() < deadline:
        assert _ids(searcher, "Nhật Bản") in ({"a"}, {"a", "b"})
        time.sleep(STALE_CHECK_SECONDS / 4)
    swapped = searcher._live.opened
    assert swapped is not None and swapped is not first
    assert swapped._restorer is not None and swapped.engine is not None  # warmed before the swap
    assert _ids(searcher, "Nhật Bản") == {"a", "b"}


def test_without_serving_every_search_sees_the_newest_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản")
    config = build_index(tmp_path, corpus)
    searcher = Searcher(config)
    assert _ids(searcher, "Nhật Bản") == {"a"}
    _write(corpus, "b", "Nhật Bản và Hàn Quốc")
    reindex(config)
    assert _ids(searcher, "Nhật Bản") == {"a", "b"}


def test_a_replaced_generation_closes_its_readers_once_no_search_reads_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản")
    config = build_index(tmp_path, corpus)
    searcher = Searcher(config)
    assert _ids(searcher, "Nhật Bản") == {"a"}
    first = searcher._live.opened
    opened = list(first._searchers)
    assert opened and not first.closed
    # An export started on the first generation keeps reading it across a reindex.
    export = iter(searcher.iter_hits("Nhật Bản"))
    _write(corpus, "b", "Nhật Bản và Hàn Quốc")
    reindex(config)
    assert _ids(searcher, "Nhật Bản") == {"a", "b"}
    assert searcher._live.opened is not first
    assert not first.closed  # the export still reads it
    assert [hit.id for hit in export] == ["a"]
    assert first.closed and all(s.reader().is_closed for s in opened)
    # The searches that follow read the new generation only.
    second = searcher._live.opened
    _write(corpus, "c", "Nhật Bản và Ấn Độ")
    reindex(config)
    assert _ids(searcher, "Nhật Bản") == {"a", "b", "c"}
    assert second.closed


def test_an_export_dropped_half_way_lets_its_generation_close(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản")
    _write(corpus, "b", "Nhật Bản và Hàn Quốc")
    config = build_index(tmp_path, corpus)
    searcher = Searcher(config)
    first = searcher._live.current()
    export = iter(searcher.iter_hits("Nhật Bản"))
    next(export)
    _write(corpus, "c", "Nhật Bản và Ấn Độ")
    reindex(config)
    searcher.search("Nhật Bản")
    assert not first.closed
    del export  # a download cut short
    assert first.closed


def _serving_after_a_reindex(tmp_path, monkeypatch, patience):
    """A serving searcher whose index was just reindexed, the staleness check due."""
    monkeypatch.setattr(live, "OPENING_PATIENCE", patience)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản")
    for n in range(8):  # enough that adding one article adds a segment, merging none
        _write(corpus, f"x{n}", f"Hội nghị lần thứ {n}")
    config = build_index(tmp_path, corpus)
    searcher = Searcher(config, serving=True)
    assert _ids(searcher, "Nhật Bản") == {"a"}
    _write(corpus, "b", "Nhật Bản và Hàn Quốc")
    reindex(config)
    searcher._live._checked = 0.0  # the next search looks for the newer index
    return searcher


def _swapped(searcher, old, seconds=30.0):
    deadline = time.monotonic() + seconds
    while searcher._live.opened is old and time.monotonic() < deadline:
        time.sleep(0.01)
    return searcher._live.opened is not old


def test_the_search_that_finds_a_new_index_is_answered_before_the_opening_begins(tmp_path, monkeypatch):
    searcher = _serving_after_a_reindex(tmp_path, monkeypatch, patience=30.0)
    began: list[float] = []
    opening = searcher._live._open_generation

    def recorded(*args):
        began.append(time.monotonic())
        return opening(*args)

    monkeypatch.setattr(searcher._live, "_open_generation", recorded)
    with searcher._live.using() as (old, _):
        time.sleep(0.3)  # a slow search: the opening waits for it
        assert began == []
        ended = time.monotonic()
    assert _swapped(searcher, old)
    assert began and began[0] >= ended


def test_a_busy_server_still_gets_the_new_index(tmp_path, monkeypatch):
    searcher = _serving_after_a_reindex(tmp_path, monkeypatch, patience=0.01)
    with searcher._live.using() as (old, _):
        # A search that never ends in time: the opening goes on after waiting a little at each step.
        assert _swapped(searcher, old)
        assert not old.closed  # still read by this search
    assert old.closed
    assert _ids(searcher, "Nhật Bản") == {"a", "b"}


def test_the_new_generation_has_a_reader_ready_for_each_thread_that_searched(tmp_path, monkeypatch):
    searcher = _serving_after_a_reindex(tmp_path, monkeypatch, patience=0.05)
    searcher._live._checked = time.monotonic() + 3600  # not yet
    threads = [threading.Thread(target=_ids, args=(searcher, "Việt Nam")) for _ in range(3)]
    old = searcher._live.opened
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert old.reader_count() == 4  # this thread's and three more
    searcher._live._checked = 0.0
    assert _ids(searcher, "Nhật Bản") == {"a"}  # finds the newer index
    assert _swapped(searcher, old)
    new = searcher._live.opened

    def refused():
        raise AssertionError("a reader was opened while a search waited")

    monkeypatch.setattr(new, "open_reader", refused)
    answers: list[set] = []
    threads = [threading.Thread(target=lambda: answers.append(_ids(searcher, "Nhật Bản"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [{"a", "b"}] * 4


def test_the_new_generation_reads_again_the_posting_lists_read_last(tmp_path, monkeypatch):
    searcher = _serving_after_a_reindex(tmp_path, monkeypatch, patience=0.05)
    searcher._live._checked = time.monotonic() + 3600  # not yet
    assert _ids(searcher, "Nhật Bản") == {"a"}  # b is not in the open generation
    old = searcher._live.opened
    read_last = old.engine.recent_terms(AUTOWARM_TERMS)
    assert read_last
    searcher._live._checked = 0.0
    assert _ids(searcher, "Việt Nam") == {"a"}  # finds the newer index
    assert _swapped(searcher, old)
    new = searcher._live.opened
    assert set(read_last) <= set(new.engine.recent_terms(10 * AUTOWARM_TERMS))

    def refused(*args, **kwargs):
        raise AssertionError("a posting list was read while a search waited")

    monkeypatch.setattr(new.engine, "_read", refused)
    # Asked again after the reindex: answered from lists read before the swap, with the new article.
    assert _ids(searcher, "Nhật Bản") == {"a", "b"}
