"""The flat copy of each segment's postings gives exactly what Whoosh's posting blocks give."""

from __future__ import annotations

import json
import logging
import random
import shutil

import numpy as np
import pytest
from conftest import build_index

from searchapp.config import load_config
from searchapp.engine.whoosh import flatcopy
from searchapp.index.reindex import reindex
from searchapp.search.searcher import Searcher

_WORDS = "hợp tác kinh tế Nhật Bản Hàn Quốc Biển Đông đầu tư an ninh Hà Nội Lào lao động quốc phòng".split()


def _write_corpus(folder, count: int, seed: int, name: str = "many.jsonl") -> None:
    rng = random.Random(seed)
    folder.mkdir(exist_ok=True)
    lines = []
    for i in range(count):
        title, body = " ".join(rng.choices(_WORDS, k=4)), " ".join(rng.choices(_WORDS, k=60))
        lines.append(json.dumps({"id": f"{name}-{i}", "title": title, "body": body}, ensure_ascii=False))
    (folder / name).write_text("\n".join(lines), encoding="utf-8")


def _engine(config):
    searcher = Searcher(config)
    searcher.search("hợp tác")
    gen, whoosh_searcher = searcher._live.open()
    return gen.engine, whoosh_searcher


def _terms(whoosh_searcher, limit: int = 400):
    """Terms of every field with postings, decoded as the engine looks them up."""
    reader = whoosh_searcher.reader()
    terms = []
    for field, btext in reader.all_terms():
        if reader.schema[field].scorable:
            terms.append((field, reader.schema[field].from_bytes(btext)))
    random.Random(1).shuffle(terms)
    return terms[:limit]


def _same_postings(mapped, blocks, field, text, within=None):
    """``mapped`` and ``blocks``: (engine, Whoosh searcher) pairs, read the same way."""
    a = mapped[0]._read(mapped[1], field, text, within)
    b = blocks[0]._read(blocks[1], field, text, within)
    if a is None or b is None:
        assert a is None and b is None
        return
    assert a.docs.tolist() == b.docs.tolist()
    assert a.scores.tolist() == b.scores.tolist()
    assert (a.source is None) == (b.source is None)
    if a.source is not None:
        every = np.arange(a.size)
        assert [p.tolist() for p in _split(*a.positions_at(every), a.size)] == [
            p.tolist() for p in _split(*b.positions_at(every), b.size)
        ]
        assert [a.positions(i) for i in range(a.size)] == [b.positions(i) for i in range(b.size)]


def _split(flat, owner, size):
    return [flat[owner == i] for i in range(size)]


def _compare_everything(config, monkeypatch, rng) -> int:
    mapped, ws_mapped = _engine(config)
    with monkeypatch.context() as patch:
        patch.setattr(flatcopy, "open_flat_copy", lambda leaf: None)
        blocks, ws_blocks = _engine(config)
    for field, text in _terms(ws_mapped):
        _same_postings((mapped, ws_mapped), (blocks, ws_blocks), field, text)
        within = np.sort(rng.sample(range(mapped.size), min(mapped.size, rng.choice([1, 7, 90])))).astype(np.int64)
        _same_postings((mapped, ws_mapped), (blocks, ws_blocks), field, text, within)
    assert any(copy is not None for copy in mapped._copies.values())
    assert all(copy is None for copy in blocks._copies.values())
    return len(mapped._copies)


def test_every_term_reads_the_same_from_the_flat_copy_as_from_the_blocks(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 500, seed=3)
    config = build_index(tmp_path, corpus)
    _compare_everything(config, monkeypatch, random.Random(2))


def test_several_segments_and_deletions_read_the_same(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 300, seed=4)
    config = build_index(tmp_path, corpus)
    _write_corpus(corpus, 40, seed=5, name="more.jsonl")
    _write_corpus(corpus, 250, seed=6)  # rewrites most of the first file's articles
    reindex(config)
    _write_corpus(corpus, 20, seed=7, name="last.jsonl")
    reindex(config)
    assert _compare_everything(config, monkeypatch, random.Random(8)) >= 2


def test_a_damaged_flat_copy_is_named_and_the_blocks_are_read(tmp_path, monkeypatch, caplog):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 200, seed=9)
    config = build_index(tmp_path, corpus)
    expected = Searcher(config).search("hợp tác").total

    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "index", damaged / "index")
    for seg in (damaged / "index").glob("gen-*/*.seg"):
        raw = bytearray(seg.read_bytes())
        at = raw.find(b"SAPOST\x00\x01")
        assert at > 0
        raw[at : at + 6] = b"XXXXXX"
        seg.write_bytes(bytes(raw))
    config = load_config(_config_for(tmp_path, damaged / "index"))
    with caplog.at_level(logging.WARNING):
        found = Searcher(config).search("hợp tác")
    assert found.total == expected
    assert "flat posting copy is not used" in caplog.text
    assert "reindex --full" in caplog.text


def _config_for(tmp_path, index):
    path = tmp_path / "damaged.toml"
    path.write_text(f'[corpus]\npath = "{tmp_path / "corpus"}"\n[index]\npath = "{index}"\n', encoding="utf-8")
    return path


def test_the_flat_copy_rejects_a_part_that_does_not_add_up(tmp_path):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 30, seed=10)
    config = build_index(tmp_path, corpus)
    seg = next((tmp_path / "index").glob("gen-*/*.seg")).read_bytes()
    at = seg.find(b"SAPOST\x00\x01")
    _, length = flatcopy._HEAD.unpack_from(seg, at)
    table = json.loads(seg[at + flatcopy._HEAD.size : at + flatcopy._HEAD.size + length])
    end = max(start + count * 8 for start, count in table["sections"].values())
    part = seg[at : at + end]
    with pytest.raises(ValueError, match="another version or segment"):
        flatcopy.FlatCopy(part, table["doc_count"] + 1)
    with pytest.raises(ValueError):
        flatcopy.FlatCopy(part[: len(part) // 2], table["doc_count"])
    assert config is not None


def test_a_term_whose_postings_cannot_be_right_is_read_from_the_blocks(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 120, seed=11)
    config = build_index(tmp_path, corpus)
    engine, whoosh_searcher = _engine(config)
    good = engine._read(whoosh_searcher, "syl", "hợp")
    copy = next(c for c in engine._copies.values() if c is not None)
    span = copy.find("syl", "hợp".encode())
    assert span is not None
    broken = copy.docs.copy()
    broken[span[1] - 1] = copy.doc_count + 5  # a docnum past the segment's end
    monkeypatch.setattr(copy, "docs", broken)
    assert copy.find("syl", "hợp".encode()) is None
    engine._cache.clear()
    again = engine._read(whoosh_searcher, "syl", "hợp")
    assert again.docs.tolist() == good.docs.tolist()
    assert again.scores.tolist() == good.scores.tolist()
