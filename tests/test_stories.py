"""Same-story index: grouping, persistence, and the two ways of finding candidates."""

from __future__ import annotations

import random

from searchapp.index import stories
from searchapp.index.stories import StoryIndex, sketch

WORDS = (
    "Việt Nam Hoa Kỳ tuyên bố chung đối tác chiến lược toàn diện hợp tác kinh tế thương mại đầu tư "
    "bán dẫn năng lượng sạch Biển Đông hòa bình luật pháp quốc tế khoa học công nghệ giáo dục"
).split()


def articles(count: int, seed: int = 5) -> list[tuple[str, str]]:
    """``count`` distinct texts, every fifth one a reprint of the one before."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for i in range(count):
        if i % 5 == 4:
            text = out[-1][1] + " Theo TTXVN."
        else:
            text = " ".join(rng.choices(WORDS, k=120))
        out.append((f"a{i}", text))
    return out


def test_reprints_join_the_story_of_the_first_article():
    index = StoryIndex()
    found = {article_id: index.assign(article_id, text) for article_id, text in articles(20)}
    assert found["a4"] == "a3" and found["a9"] == "a8"
    assert found["a3"] == "a3" and found["a1"] == "a1"


def test_saved_index_groups_new_articles_like_the_live_one(tmp_path, monkeypatch):
    items = [(article_id, sketch(text)) for article_id, text in articles(60)]
    live = StoryIndex()
    for article_id, found in items[:40]:
        live.assign(article_id, "", found)
    live.save(tmp_path)
    loaded = StoryIndex.load(tmp_path)
    assert loaded.story_of == live.story_of
    # A few changes scan the saved array; many switch to band tables: same answers.
    monkeypatch.setattr(stories, "SCAN_LIMIT", 5)
    loaded.remove("a3")
    live.remove("a3")
    for article_id, found in items[40:]:
        assert loaded.assign(article_id, "", found) == live.assign(article_id, "", found)
    assert loaded.story_of == live.story_of


def test_a_removed_article_is_no_longer_a_candidate(tmp_path):
    items = articles(5)
    index = StoryIndex()
    for article_id, text in items[:4]:
        index.assign(article_id, text)
    index.save(tmp_path)
    loaded = StoryIndex.load(tmp_path)
    loaded.remove("a3")
    assert loaded.assign("a4", items[4][1]) == "a4"


def test_a_damaged_file_gives_an_empty_index(tmp_path):
    (tmp_path / stories.FILE).write_bytes(b"not a pickle")
    assert StoryIndex.load(tmp_path).story_of == {}


def test_an_index_saved_by_the_previous_format_is_converted(tmp_path, monkeypatch):
    """Earlier versions pickled a datasketch MinHashLSH, under the module name
    ``searchapp.stories``; it loads with the same groups."""
    import pickle
    import sys

    from datasketch import MinHashLSH

    items = [(article_id, sketch(text)) for article_id, text in articles(30)]
    lsh = MinHashLSH(threshold=stories.THRESHOLD, num_perm=stories.NUM_PERM)
    for article_id, found in items[:20]:
        lsh.insert(article_id, found)
    reference = StoryIndex()
    story_of = {article_id: reference.assign(article_id, "", found) for article_id, found in items[:20]}
    old = StoryIndex.__new__(StoryIndex)
    old.__dict__.update(lsh=lsh, story_of=story_of)
    with monkeypatch.context() as patched:
        patched.setattr(StoryIndex, "__module__", "searchapp.stories")
        patched.setitem(sys.modules, "searchapp.stories", stories)
        saved = pickle.dumps(old)
    assert b"searchapp.stories" in saved and "searchapp.stories" not in sys.modules
    (tmp_path / stories.FILE).write_bytes(saved)
    loaded = StoryIndex.load(tmp_path)
    assert loaded.story_of == story_of
    banded = stories.BANDS * stories.ROWS
    assert [list(row[:banded]) for row in loaded._values] == [list(f.hashvalues[:banded]) for _, f in items[:20]]
    for article_id, found in items[20:]:
        assert loaded.assign(article_id, "", found) == reference.assign(article_id, "", found)
