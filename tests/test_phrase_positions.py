"""Phrase positions decoded for a whole term at once, and checked on every candidate at once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.formats import Positions

from searchapp.engine import arrays, phrases, positions
from searchapp.engine.whoosh import codec, flatcopy, values

# Positions of one posting: distinct, sorted, some past one byte and two bytes.
_POSITIONS = st.lists(st.integers(0, 70_000), min_size=1, max_size=40, unique=True).map(sorted)


def _postings(lists: list[list[int]], encode) -> arrays.Postings:
    encoded = [encode(one) for one in lists]
    docs = np.arange(len(lists), dtype=np.int64)
    decode = values.position_decoder(Positions())
    return arrays.Postings(docs, np.ones(len(lists)), positions.EncodedPositions(encoded, decode), "syl", "x")


def _whoosh_encode(poslist: list[int]) -> bytes:
    return Positions().encode(poslist)


@settings(max_examples=60, deadline=None)
@given(st.lists(_POSITIONS, min_size=1, max_size=30))
def test_a_whole_term_decodes_to_what_each_posting_decodes_to(lists):
    for encode in (values.encode_positions, _whoosh_encode):
        term = _postings(lists, encode)
        one_by_one = [term.positions(i) for i in range(term.size)]
        source = term.source
        flat, starts = values.flat_positions(source.blob, source.ends, source.decode)
        assert [flat[starts[i] : starts[i + 1]].tolist() for i in range(term.size)] == one_by_one == lists


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(_POSITIONS, st.just([]), st.just(list(range(0, 3_000, 2)))), min_size=1, max_size=12))
def test_values_pickle_reads_best_decode_the_same_in_bulk(lists):
    """Lists pickled in several batches (over 1,000 items), empty ones and Whoosh's own
    encoding go through pickle; the bulk reading of the others agrees with it."""
    for encode in (values.encode_positions, _whoosh_encode):
        encoded = [encode(one) for one in lists]
        flat, starts = values.flat_positions_of(encoded, values.position_decoder(Positions()))
        assert [flat[starts[i] : starts[i + 1]].tolist() for i in range(len(lists))] == lists


def test_a_value_of_an_unexpected_shape_is_left_to_pickle():
    """A pickle written with another protocol is still read (by pickle), next to ordinary ones."""
    import pickle
    import struct

    odd = struct.pack("!I", 3) + pickle.dumps([4, 1, 7], 4)
    encoded = [values.encode_positions([5, 9]), odd, values.encode_positions([70_000])]
    flat, starts = values.flat_positions_of(encoded, values.position_decoder(Positions()))
    assert [flat[starts[i] : starts[i + 1]].tolist() for i in range(3)] == [[5, 9], [4, 5, 12], [70_000]]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(
            st.lists(st.integers(0, 60), min_size=1, max_size=12, unique=True).map(sorted), min_size=2, max_size=4
        ),
        min_size=1,
        max_size=25,
    )
)
def test_every_candidate_at_once_matches_the_one_document_check(documents):
    """``documents[d][w]``: positions of word ``w`` in document ``d``; all documents hold every word."""
    words = len(min(documents, key=len))
    documents = [doc[:words] for doc in documents]
    expected = [phrases.phrase_at(doc, 1) for doc in documents]
    where = [np.arange(len(documents)) for _ in range(words)]
    # Positions decoded posting by posting, then for the whole term at once.
    for share in (0, 10**9):
        terms = [_postings([doc[w] for doc in documents], values.encode_positions) for w in range(words)]
        saved, positions.DECODE_ALL_SHARE = positions.DECODE_ALL_SHARE, share
        try:
            assert phrases.consecutive(terms, where, len(documents)).tolist() == expected
        finally:
            positions.DECODE_ALL_SHARE = saved
        assert (terms[0].source.flat is None) == (share == 0)


def test_a_term_read_where_it_is_wanted_gives_the_same_postings_there(tmp_path, monkeypatch):
    """Blocks that hold none of the wanted articles are skipped; the others give what a whole read gives
    (read from Whoosh's blocks: the segments' flat copies are not opened)."""
    import json
    import random

    from conftest import build_index

    from searchapp.search.searcher import Searcher

    rng = random.Random(5)
    words = "hợp tác kinh tế Nhật Bản Hàn Quốc Biển Đông đầu tư an ninh".split()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [
        json.dumps({"id": f"d{i}", "title": "Tin", "body": " ".join(rng.choices(words, k=80))}, ensure_ascii=False)
        for i in range(700)
    ]
    (corpus / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(flatcopy, "open_flat_copy", lambda leaf: None)
    searcher = Searcher(build_index(tmp_path, corpus))
    searcher.search("hợp tác")
    gen, whoosh_searcher = searcher._live.open()
    engine = gen.engine
    decoded = []
    block = codec._block
    monkeypatch.setattr(codec, "_block", lambda *args: decoded.append(1) or block(*args))
    for field, text in [("syl", "hợp"), ("syl", "đông"), ("pair", "nhật bản")]:
        decoded.clear()
        whole = engine._read(whoosh_searcher, field, text)
        blocks = len(decoded)
        assert blocks >= 2  # the list spans several blocks
        for size in (1, 5, 60):
            within = np.sort(rng.sample(range(700), size)).astype(np.int64)
            decoded.clear()
            part = engine._read(whoosh_searcher, field, text, within)
            inside = np.isin(whole.docs, within)
            assert part.docs.tolist() == whole.docs[inside].tolist()
            assert part.scores.tolist() == whole.scores[inside].tolist()
            if field == "syl":
                wanted = np.flatnonzero(inside)
                assert [part.positions(i) for i in range(part.size)] == [whole.positions(int(i)) for i in wanted]
            if size == 1:
                assert len(decoded) <= 1 < blocks


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 60), min_size=1, max_size=10, unique=True).map(sorted),
            st.lists(st.integers(0, 60), min_size=1, max_size=10, unique=True).map(sorted),
        ),
        min_size=1,
        max_size=20,
    ),
    st.integers(2, 8),
)
def test_two_words_near_each_other_on_every_candidate_at_once(documents, slop):
    expected = [phrases.phrase_at([a, b], slop) for a, b in documents]
    terms = [_postings([doc[w] for doc in documents], values.encode_positions) for w in range(2)]
    where = [np.arange(len(documents)) for _ in range(2)]
    assert phrases.near_pair(terms, where, len(documents), slop).tolist() == expected
