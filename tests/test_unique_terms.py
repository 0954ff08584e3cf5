"""A document's id read from the segments' flat copies is the one its stored fields hold."""

from __future__ import annotations

import json

from conftest import build_index

from searchapp.index.reindex import reindex
from searchapp.search.searcher import Searcher


def _write(corpus, key, title):
    record = {"id": key, "title": title, "body": f"{title}. Hai bên bàn về hợp tác.", "date": "2024-01-01"}
    (corpus / f"{key}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def _ids_both_ways(config):
    searcher = Searcher(config)
    with searcher._live.using() as (gen, whoosh_searcher):
        engine = gen.engine_for(whoosh_searcher, searcher.weighting)
        live = list(whoosh_searcher.reader().all_doc_ids())
        return engine.unique_terms(whoosh_searcher, "id", live), [whoosh_searcher.stored_fields(d)["id"] for d in live]


def test_ids_from_the_postings_are_the_stored_ones(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(12):
        _write(corpus, f"bài-{n:02d}", f"Việt Nam và Nhật Bản lần {n}")
    config = build_index(tmp_path, corpus)
    found, stored = _ids_both_ways(config)
    assert found == stored and len(found) == 12

    # Changed and new articles go to a new segment; the old copies are deleted.
    _write(corpus, "bài-03", "Việt Nam và Hàn Quốc")
    _write(corpus, "mới", "Hợp tác với Lào")
    (corpus / "bài-05.json").unlink()
    reindex(config)
    found, stored = _ids_both_ways(config)
    assert found == stored
    assert sorted(found) == sorted([f"bài-{n:02d}" for n in range(12) if n != 5] + ["mới"])
