"""The fast segment writer writes what Whoosh's own writer writes, posting by posting.

The reindex never calls ``SegmentWriter.add_document`` for the analysed
fields: it hands over terms analysed in worker processes and writes postings
a block at a time (:mod:`searchapp.engine.whoosh.segments`), in one process
or in one segment per process. Both are compared here with an index of the
same articles written by Whoosh alone, with ``bench/index_compare.py``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SAMPLE_CORPUS, write_config
from whoosh import index as whoosh_index

from searchapp.config import load_config
from searchapp.corpus.articles import Article, iter_corpus
from searchapp.index import reindex as reindex_module
from searchapp.index import store
from searchapp.index.schema import build_schema, to_document

BENCH = Path(__file__).resolve().parents[1] / "bench" / "index_compare.py"


@pytest.fixture(scope="module")
def index_compare():
    spec = importlib.util.spec_from_file_location("index_compare", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stories(folder: Path) -> dict[str, str]:
    """Each article's story id, as the fast index holds it (a column, not stored)."""
    with whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME, readonly=True).reader() as reader:
        column = reader.column_reader("story")
        return {fields["id"]: column[docnum] for docnum, fields in reader.iter_docs()}


def whoosh_index_of(folder: Path, story_of: dict[str, str], title_repeat: int) -> Path:
    """The sample corpus written by Whoosh's own ``writer.add_document``."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema(), indexname=store.INDEX_NAME)
    seen: set[str] = set()
    with ix.writer() as writer:
        for article in iter_corpus(SAMPLE_CORPUS):
            if isinstance(article, Article) and article.id not in seen:  # the first of an id wins
                seen.add(article.id)
                writer.add_document(**to_document(article, title_repeat, story_of[article.id]))
    return folder


def fast_index(tmp_path: Path, workers: int) -> tuple[Path, int]:
    tmp_path.mkdir()
    config = load_config(write_config(tmp_path, SAMPLE_CORPUS))
    config = replace(config, index_workers=workers)
    report = reindex_module.reindex(config, full=True)
    assert report.failed == []
    return store.live_generation(config.index_path), config.ranking.title_repeat


def test_one_process_writes_what_whoosh_writes(tmp_path, index_compare):
    fast, title_repeat = fast_index(tmp_path / "fast", workers=1)
    plain = whoosh_index_of(tmp_path / "whoosh", stories(fast), title_repeat)
    assert index_compare.compare(fast, plain) == []


def test_segments_written_in_parallel_are_what_whoosh_writes(tmp_path, monkeypatch, index_compare):
    monkeypatch.setattr(reindex_module, "_SPLIT_MIN", 8)
    fast, title_repeat = fast_index(tmp_path / "fast", workers=2)
    assert _segments(fast) == 2  # one per process
    plain = whoosh_index_of(tmp_path / "whoosh", stories(fast), title_repeat)
    assert index_compare.compare(fast, plain) == []


def _segments(folder: Path) -> int:
    ix = whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME, readonly=True)
    with ix.reader() as reader:
        return sum(1 for _ in reader.leaf_readers())


def test_the_comparison_finds_a_difference(tmp_path, index_compare):
    """Guard: an index of other content (the title indexed once more) is told apart."""
    fast, title_repeat = fast_index(tmp_path / "fast", workers=1)
    other = whoosh_index_of(tmp_path / "whoosh", stories(fast), title_repeat + 1)
    problems = index_compare.compare(fast, other)
    assert any("length of syl differs" in p for p in problems), problems[:5]
