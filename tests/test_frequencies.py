"""Document frequencies kept per generation and per segment answer as Whoosh would."""

from whoosh import fields, index

from searchapp.engine.segmemo import Frequencies, SegmentMemo
from searchapp.engine.whoosh import codec


def _index(folder, commits):
    ix = index.create_in(str(folder), fields.Schema(body=fields.TEXT))
    for texts in commits:
        with ix.writer() as writer:
            for text in texts:
                writer.add_document(body=text)
    return ix


def _reader(ix, frequencies):
    reader = codec.open_reader(ix, codec.latest_toc(ix))
    frequencies.answer(reader)
    return reader


def _asked_per_segment(reader, monkeypatch):
    """Count the lookups each segment of ``reader`` is asked for from now on."""
    asked = []
    for _, leaf, _ in codec.segments(reader):
        ask = leaf.doc_frequency

        def counting(fieldname, text, ask=ask):
            asked.append(text)
            return ask(fieldname, text)

        monkeypatch.setattr(leaf, "doc_frequency", counting)
    return asked


def test_kept_frequencies_are_whooshs_own_across_segments(tmp_path):
    ix = _index(tmp_path, [["bien dong", "ha noi"], ["bien dong hom nay", "bien"]])
    frequencies = Frequencies(SegmentMemo())
    reader = _reader(ix, frequencies)
    plain = codec.open_reader(ix, codec.latest_toc(ix))
    for term in ("bien", "dong", "noi", "absent", b"bien"):
        assert reader.doc_frequency("body", term) == plain.doc_frequency("body", term)
    assert frequencies.known[("body", "bien")] == 3
    # A second reader of the same generation answers from what the first learnt.
    other = _reader(ix, frequencies)
    frequencies.known[("body", "bien")] = 99
    assert other.doc_frequency("body", "bien") == 99
    for r in (reader, plain, other):
        r.close()


def test_a_new_generation_asks_only_its_new_segment(tmp_path, monkeypatch):
    ix = _index(tmp_path, [["bien dong", "ha noi"], ["bien dong hom nay"]])
    memo = SegmentMemo()
    first = _reader(ix, Frequencies(memo))
    assert first.doc_frequency("body", "bien") == 2
    with ix.writer() as writer:  # an incremental reindex: one more segment
        writer.add_document(body="bien hom qua")
    newer = codec.open_reader(ix, codec.latest_toc(ix))
    assert len(codec.segments(newer)) == 3
    asked = _asked_per_segment(newer, monkeypatch)
    Frequencies(memo).answer(newer)
    assert newer.doc_frequency("body", "bien") == 3
    assert asked == ["bien"]  # the two older segments answered from the memo
    first.close()
    newer.close()


def test_a_single_segment_reader_does_not_ask_itself(tmp_path):
    ix = _index(tmp_path, [["bien dong", "ha noi bien"]])
    reader = _reader(ix, Frequencies(SegmentMemo()))
    assert len(codec.segments(reader)) == 1
    assert reader.doc_frequency("body", "bien") == 2
    reader.close()


def test_a_full_store_starts_again(tmp_path, monkeypatch):
    monkeypatch.setattr(Frequencies, "KEPT", 2)
    ix = _index(tmp_path, [["bien dong", "ha noi"]])
    frequencies = Frequencies(SegmentMemo())
    reader = _reader(ix, frequencies)
    assert [reader.doc_frequency("body", t) for t in ("bien", "dong", "ha")] == [1, 1, 1]
    assert list(frequencies.known) == [("body", "ha")]
    reader.close()
