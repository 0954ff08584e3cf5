"""How many list entries a result set makes when each story shows once."""

from types import SimpleNamespace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from searchapp.search.ordering import entry_count


@given(
    stories=st.lists(st.integers(min_value=-1, max_value=6), max_size=40),
    data=st.data(),
)
def test_each_story_counts_once_and_each_lone_article_once(stories, data):
    codes = np.asarray(stories, dtype=np.int64)
    cols = SimpleNamespace(story_codes=codes, story_count=7)
    allowed = np.asarray(sorted(data.draw(st.sets(st.integers(0, max(0, len(stories) - 1))))) if stories else [])
    allowed = allowed.astype(np.int64)
    chosen = [stories[d] for d in allowed]
    expected = sum(1 for s in chosen if s < 0) + len({s for s in chosen if s >= 0})
    assert entry_count(cols, allowed) == expected
