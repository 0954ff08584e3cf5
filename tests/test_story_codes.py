"""Story codes joined from segments with numpy group documents exactly as their story ids do."""

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.search.columns import Columns

story_ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "bài-1", "Đông", "x" * 40]))
segments = st.lists(st.lists(story_ids, max_size=12), min_size=1, max_size=4)


def _columns(segment_stories: list[list]) -> Columns:
    parts, offset = [], 0
    for stories in segment_stories:
        part = SimpleNamespace(
            stories=stories,
            has_story=np.asarray([s is not None for s in stories], dtype=bool),
            story_keys=np.asarray([hash(s) if s is not None else 0 for s in stories], dtype=np.int64),
        )
        parts.append((offset, part))
        offset += len(stories)
    cols = Columns.__new__(Columns)
    cols.size = offset
    cols._parts = parts
    cols._part_starts = [o for o, _ in parts]
    cols._set_stories(parts)
    return cols


@settings(max_examples=300, deadline=None)
@given(segment_stories=segments)
def test_codes_group_the_documents_of_each_story(segment_stories):
    everything = [s for stories in segment_stories for s in stories]
    cols = _columns(segment_stories)
    members: dict[str, list[int]] = {}
    for docnum, story in enumerate(everything):
        if story is not None:
            members.setdefault(story, []).append(docnum)
    assert cols.story_count == len(members)
    for docnum, story in enumerate(everything):
        assert cols.story_name(docnum) == story
        if story is None:
            assert cols.story_of(docnum) == -1
        else:
            assert cols.members(cols.story_of(docnum)).tolist() == members[story]
    told = [(story, docs) for story, docs in members.items() if len(docs) > 1]
    assert [(story, docs.tolist()) for story, docs in cols.stories()] == told
