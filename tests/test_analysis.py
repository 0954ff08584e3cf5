"""The analyzers: tokens, offsets into the original text, folding."""

from __future__ import annotations

import gzip
import json
import pickle

from searchapp.analysis.segmentation import segment
from searchapp.analysis.tokenizers import (
    VietnameseTokenizer,
    fold_analyzer,
    syllable_analyzer,
    word_analyzer,
)
from searchapp.text import SYLLABLE_RE, fold, has_diacritics, nfc

RAW_FILES = (
    "articles-seeds.jsonl",
    "articles-dantri-unc.jsonl",
    "articles-baomoi-magizbox.jsonl.gz",
    "articles-crawlnews-2026.jsonl",
)


def triples(analyzer, text):
    return [(t.text, t.startchar, t.endchar) for t in analyzer(text, chars=True, positions=True)]


def test_words_have_offsets_into_the_original_text():
    text = "Bộ trưởng Ngoại giao hội đàm với Nhật Bản tại Hà Nội."
    tokens = [(t.text, t.startchar, t.endchar) for t in VietnameseTokenizer()(text, chars=True)]
    assert ("Bộ_trưởng", 0, 9) in tokens
    assert ("Nhật_Bản", 33, 41) in tokens
    for word, start, end in tokens:
        assert text[start:end].replace(" ", "_") == word


def test_word_analyzer_keeps_compounds_lowercased():
    assert [t[0] for t in triples(word_analyzer(), "Thủ tướng Nhật Bản")] == ["thủ_tướng", "nhật_bản"]


def test_syllables_and_folding():
    assert [t[0] for t in triples(syllable_analyzer(), "Biển Đông, 12/6")] == ["biển", "đông", "12", "6"]
    assert [t[0] for t in triples(fold_analyzer(), "Biển Đông ĐẠI SỨ")] == ["bien", "dong", "dai", "su"]


def test_fold_maps_d_stroke_and_keeps_length():
    text = "Đường đến Hà Nội, Ấn Độ, Thượng Hải"
    assert fold(text) == "Duong den Ha Noi, An Do, Thuong Hai"
    assert len(fold(text)) == len(text)
    assert not has_diacritics("ASEAN 2024") and has_diacritics("Lào")


def test_nfd_input_is_normalized_before_tokenizing():
    nfd = "Bi\u0065\u0302\u0309n \u0110o\u0302ng"
    assert [t.text for t in syllable_analyzer()(nfd)] == ["biển", "đông"]
    assert nfc(nfd) == "Biển Đông"


def test_positions_start_at_start_pos():
    # Whoosh reuses one Token object: read each value as it is yielded.
    positions = [t.pos for t in syllable_analyzer()("Hà Nội", positions=True, start_pos=10)]
    assert positions == [10, 11]


def test_punctuation_only_yields_nothing():
    assert triples(word_analyzer(), ":-( ... ???") == []
    assert triples(syllable_analyzer(), "!!!") == []


def test_analyzers_survive_pickling():
    # Whoosh pickles the schema, analyzers included, into the index.
    for make in (syllable_analyzer, fold_analyzer, word_analyzer):
        clone = pickle.loads(pickle.dumps(make()))
        assert [t.text for t in clone("Nhật Bản")] == [t.text for t in make()("Nhật Bản")]


def _raw_articles(folder):
    for name in RAW_FILES:
        path = folder / name
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                yield record["id"], nfc(record["title"] + "\n" + record["body"])


def test_every_token_offset_matches_the_original_slice(corpus_real):
    """pyvi words, recovered with offsets, on every raw-text real article."""
    checked = 0
    for article_id, text in _raw_articles(corpus_real):
        previous_end = 0
        for tok in VietnameseTokenizer()(text, chars=True):
            piece = text[tok.startchar : tok.endchar]
            assert "_".join(SYLLABLE_RE.findall(piece)) == tok.text, (article_id, tok.text, piece)
            assert tok.startchar >= previous_end, article_id
            previous_end = tok.endchar
        checked += 1
    assert checked == 2926


def test_segmentation_agrees_with_pyvi_on_the_seeds(corpus_real):
    from pyvi.ViTokenizer import ViTokenizer

    for _, text in _raw_articles_of(corpus_real, "articles-seeds.jsonl"):
        for line in text.splitlines():
            ours = [line[a:b].replace(" ", "_") for a, b in segment(line)]
            assert ours == ViTokenizer.tokenize(line).split()


def _raw_articles_of(folder, name):
    with open(folder / name, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            yield record["id"], nfc(record["title"] + "\n" + record["body"])


def test_index_items_match_whoosh_field_index():
    """The one-pass analysis used by the indexer gives exactly what Whoosh's fields give."""
    from searchapp.analysis import segmentation as analysis
    from searchapp.index.schema import ANALYSED_FIELDS, analysed_fields, build_schema

    schema = build_schema()
    texts = [
        "Bộ trưởng Ngoại giao Nhật Bản thăm Hà Nội.\nBộ trưởng nói: Biển Đông, ASEAN; 3/8/2021",
        "ΣΑΣ Σ İstanbul Straße ǅemal ﬁne x_y Nhật_Bản HOÀ hòa",
        "",
    ]
    for text in texts:
        spans = analysis.compound_spans(text)
        ours = analysed_fields(text, spans)
        for name in ANALYSED_FIELDS:
            theirs = list(schema[name].index(text))
            assert sorted(ours[name][0]) == sorted(theirs)
            assert ours[name][1] == sum(freq for _, freq, _, _ in theirs)


def test_features_and_tags_match_pyvi():
    """The light model loader and feature builder tag exactly as pyvi does."""
    import warnings

    from searchapp.analysis import segmentation as analysis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyvi.ViTokenizer import ViTokenizer

    model = analysis.pyvi_model()
    for line in ["Ông Trump gặp ông Tập tại Bắc Kinh ngày 3/8", "A", "Hà Nội", "x y z w", "Thủ tướng Nhật Bản"]:
        units = [m.group(0) for m in analysis._PYVI_PATTERN.finditer(line)]
        theirs = ViTokenizer.sent2features(units, False)
        ours = analysis._features(model, units)
        assert ours == theirs and [list(d) for d in ours] == [list(d) for d in theirs]
        assert list(model.tag(ours)) == list(ViTokenizer.model.predict([theirs])[0])


def test_dictionary_words_hold_every_pyvi_word_as_keys():
    # dictionary_words() keys only the words that can differ from their keys;
    # keying every word one by one must find nothing it missed.
    from searchapp.analysis.segmentation import dictionary_words, pyvi_model
    from searchapp.text import syllable_key

    def keyed(word: str) -> str:
        return " ".join(syllable_key(part) for part in word.split(" "))

    model = pyvi_model()
    pairs, triples = dictionary_words()
    assert all(keyed(word) in pairs for word in model.bi_grams)
    assert all(keyed(word) in triples for word in model.tri_grams)
    assert "hòa đàm" in pairs and "thủy đậu" in pairs
