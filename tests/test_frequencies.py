"""Document frequencies kept per generation answer as Whoosh would."""

from whoosh import fields, index

from searchapp.engine.whoosh import codec


def _index(folder, commits):
    ix = index.create_in(str(folder), fields.Schema(body=fields.TEXT))
    for texts in commits:
        with ix.writer() as writer:
            for text in texts:
                writer.add_document(body=text)
    return ix


def test_kept_frequencies_are_whooshs_own_across_segments(tmp_path):
    ix = _index(tmp_path, [["bien dong", "ha noi"], ["bien dong hom nay", "bien"]])
    toc = codec.latest_toc(ix)
    known: dict = {}
    reader = codec.open_reader(ix, toc, known)
    plain = codec.open_reader(ix, toc)
    for term in ("bien", "dong", "noi", "absent", b"bien"):
        assert reader.doc_frequency("body", term) == plain.doc_frequency("body", term)
    assert known[("body", "bien")] == 3
    # A second reader of the same generation answers from what the first learnt.
    other = codec.open_reader(ix, toc, known)
    known[("body", "bien")] = 99
    assert other.doc_frequency("body", "bien") == 99
    reader.close()
    plain.close()
    other.close()


def test_a_full_store_starts_again(tmp_path, monkeypatch):
    monkeypatch.setattr(codec, "FREQUENCIES_KEPT", 2)
    ix = _index(tmp_path, [["bien dong", "ha noi"]])
    known: dict = {}
    reader = codec.open_reader(ix, codec.latest_toc(ix), known)
    assert [reader.doc_frequency("body", t) for t in ("bien", "dong", "ha")] == [1, 1, 1]
    assert list(known) == [("body", "ha")]
    reader.close()
