"""A generation reads from each segment only once: the next one, after an
incremental reindex, reads only the segments it has not seen, and builds the
same columns and accent statistics as one read from scratch."""

from __future__ import annotations

import json

import numpy as np
from conftest import build_index

from searchapp.engine.segmemo import SegmentMemo
from searchapp.engine.whoosh import codec
from searchapp.index.reindex import reindex
from searchapp.search.accents import Restorer
from searchapp.search.columns import Columns
from searchapp.search.facets import COLUMN_FACETS
from searchapp.search.generation import Generation


def _write(corpus, key, title, date="2024-01-01"):
    record = {"id": key, "title": title, "body": f"{title}. Hai bên bàn về hợp tác kinh tế.", "date": date}
    (corpus / f"{key}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def _same_columns(a: Columns, b: Columns) -> None:
    assert a.size == b.size
    assert a.date_array.tolist() == b.date_array.tolist()
    assert a.story_codes.tolist() == b.story_codes.tolist() and a.story_count == b.story_count
    assert [(story, docs.tolist()) for story, docs in a.stories()] == [(s, d.tolist()) for s, d in b.stories()]
    assert [a.story_name(d) for d in range(a.size)] == [b.story_name(d) for d in range(b.size)]
    for facet in COLUMN_FACETS:
        x, y = a.entries[facet.name], b.entries[facet.name]
        assert x.values == y.values and x.docs.tolist() == y.docs.tolist() and x.code.tolist() == y.code.tolist()
        assert a.values[facet.name] == b.values[facet.name]


class CountingMemo(SegmentMemo):
    """A memo that records which segments were read, per kind."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[tuple[str, str]] = []

    def each(self, reader, kind, read):
        def counted(leaf):
            self.read.append((kind, leaf.segment().segment_id()))
            return read(leaf)

        return super().each(reader, kind, counted)


def test_after_an_incremental_reindex_only_the_new_segment_is_read(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản", "2023-05-01")
    _write(corpus, "b", "Hợp tác với Hàn Quốc", "2022-01-02")
    for n in range(8):  # enough that adding one article does not rewrite the index
        _write(corpus, f"x{n}", f"Hội nghị lần thứ {n}", "")
    config = build_index(tmp_path, corpus)
    memo = CountingMemo()
    first = Generation(config.index_path, memo)
    first_restorer = Restorer(first.searcher(None).reader(), memo)
    before = {segment_id for segment_id, _, _ in codec.segments(first.searcher(None).reader())}
    assert {kind for kind, _ in memo.read} == {"columns", "forms:syl", "doc frequencies"}

    _write(corpus, "c", "Nhật Bản và Trung Quốc", "2024-03-04")
    reindex(config)
    memo.read.clear()
    second = Generation(config.index_path, memo)
    reader = second.searcher(None).reader()
    restorer = Restorer(reader, memo)
    now = {segment_id for segment_id, _, _ in codec.segments(reader)}
    # Read: the segments that are new; the ones kept from before are not read again.
    assert {segment_id for _, segment_id in memo.read} == now - before
    assert now & before, "an incremental reindex keeps the old segment"

    # Built as from scratch, with nothing kept.
    _same_columns(second.columns, Columns(reader))
    scratch = Restorer(reader)
    assert restorer.folded_syllables() == scratch.folded_syllables()
    for folded in scratch.folded_syllables():
        assert restorer.candidates(folded) == scratch.candidates(folded)
    assert "trung" in restorer.folded_syllables() - first_restorer.folded_syllables()  # "Trung Quốc" is new
    assert int(np.count_nonzero(second.columns.date_array)) == 3  # the others have no date


def test_segments_no_generation_lists_are_let_go(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a", "Việt Nam và Nhật Bản")
    config = build_index(tmp_path, corpus)
    memo = SegmentMemo()
    Generation(config.index_path, memo)
    reindex(config, full=True)  # a new folder: new segments, none shared
    gen = Generation(config.index_path, memo)
    listed = {segment_id for segment_id, _, _ in codec.segments(gen.searcher(None).reader())}
    assert {segment_id for _, segment_id in memo._parts} == listed


def test_field_lengths_read_in_one_piece_are_whooshs(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(12):
        _write(corpus, f"a{n}", "Việt Nam " * (n % 5 + 1) + f"và Nhật Bản lần {n}")
    _write(corpus, "long", "Hợp tác " * 400)  # longer than one byte can say exactly
    config = build_index(tmp_path, corpus)
    reader = Generation(config.index_path).searcher(None).reader()
    for _, leaf, _ in codec.segments(reader):
        for field in ("syl", "fold", "words", "wfold", "pair", "caps"):
            lengths = codec.field_lengths(leaf, field)
            assert lengths is not None
            assert lengths.tolist() == [leaf.doc_field_length(d, field, 1) for d in range(leaf.doc_count_all())]


def test_the_completion_table_after_a_reindex_reads_only_new_headlines(tmp_path):
    from searchapp.search.completion import Completions, _reader_entries
    from searchapp.search.searcher import Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(10):
        _write(corpus, f"x{n}", f"Hội nghị hợp tác kinh tế lần {n}", f"2024-01-{n + 1:02d}")
    config = build_index(tmp_path, corpus)
    searcher = Searcher(config, serving=True)
    searcher.completions()
    old = searcher._live.opened
    assert old is not None
    old_headlines = {key: part for key, part in old.memo._parts.items() if key[0] == "headlines"}
    assert old_headlines and all(len(part) == 10 for part in old_headlines.values())

    _write(corpus, "new", "Hợp tác với Lào về kinh tế", "2024-02-01")
    reindex(config)
    searcher._live.close()
    table = searcher.completions()
    new = searcher._live.opened
    assert new is not None and new is not old
    kept = {key: part for key, part in new.memo._parts.items() if key[0] == "headlines"}
    # The old segment's headlines are the same dictionary: none was read again.
    assert any(part is old_headlines.get(key) for key, part in kept.items())
    with searcher._live.using() as (gen, whoosh_searcher):
        scratch = Completions(_reader_entries(whoosh_searcher.reader(), 20_000, 50_000, None, None))
    assert table is not None
    for kind in table.folded:
        assert table.folded[kind].items == scratch.folded[kind].items
    assert any(s.text == "Hợp tác với Lào về kinh tế" for s in table.complete("hop tac voi"))
