"""The order of a result list: by relevance (re-scored by how much of the query each
article covers) or by date, and one entry per story when the same story's
articles are shown once."""

from __future__ import annotations

import numpy as np

from searchapp.engine.postings import Evaluation
from searchapp.search.columns import Columns

# Candidates re-scored by query coverage.
RERANK_DEPTH = 100


def ordered(run: Evaluation, built, cols: Columns, allowed, sort: str, limit: int, coverage_power: float):
    """The first ``limit`` of ``allowed`` in ``sort`` order, as (docnum, score).

    A search without a query is listed newest first even when sorted by relevance.
    """
    if sort == "relevance" and built.query is not None:
        return ranked(run, built, allowed, limit, coverage_power)
    return by_date(cols, allowed, limit, newest=sort != "oldest")


def grouped(run: Evaluation, built, cols: Columns, allowed, keep, sort: str, want: int, group: bool, coverage_power):
    """The first ``want`` results as (docnum, score, same-story docnums)."""
    pool = want if not group else min(len(allowed), want * 2 + 10)
    while True:
        found = ordered(run, built, cols, allowed, sort, pool, coverage_power)
        if not group:
            return [(d, score, []) for d, score in found]
        groups = collapse_stories(found, cols, keep)
        if len(groups) >= want or pool >= len(allowed):
            return groups
        pool = min(len(allowed), pool * 2)


def ranked(run: Evaluation, built, allowed, limit: int, coverage_power: float) -> list[tuple[int, float]]:
    """The best ``limit`` of ``allowed`` for the built query, best first."""
    if not len(allowed) or limit <= 0:
        return []
    power = coverage_power
    if power <= 0 or len(built.concepts) < 2:
        return run.top(built.query, allowed, limit)
    # Re-score a deeper pool by how many of the query's concepts each
    # document covers: all of them beats one rare word repeated.
    pool = max(limit, RERANK_DEPTH)
    top = run.top(built.query, allowed, pool)
    matched = run.matched_terms(built.query, [d for d, _ in top])
    rescored = [(d, score * built.coverage(terms) ** power) for (d, score), terms in zip(top, matched, strict=True)]
    rescored.sort(key=lambda pair: (-pair[1], pair[0]))
    return rescored[:limit]


def by_date(cols: Columns, allowed, limit: int, newest: bool) -> list[tuple[int, float]]:
    """The first ``limit`` of ``allowed`` by date, equal dates in index order."""
    dates = cols.date_array[allowed]
    if newest:
        order = np.lexsort((allowed, -dates))
    else:
        # Undated articles go last in both orders.
        order = np.lexsort((allowed, dates, dates == 0))
    return [(int(d), 0.0) for d in allowed[order[:limit]]]


def entry_count(cols: Columns, allowed) -> int:
    """How many list entries ``allowed`` makes when each story shows once."""
    if not len(allowed):
        return 0
    stories = cols.story_codes[allowed]
    alone = int(np.count_nonzero(stories < 0))
    # Marked in a table of every story rather than sorted: no sort of the whole result set.
    present = np.zeros(cols.story_count, dtype=bool)
    present[stories[stories >= 0]] = True
    return alone + int(np.count_nonzero(present))


def collapse_stories(ranked: list[tuple[int, float]], cols: Columns, allowed) -> list:
    """Keep the best-ranked article of each story; list its matching siblings."""
    seen: set[int] = set()
    groups: list[tuple[int, float, list[int]]] = []
    for docnum, score in ranked:
        story = cols.story_of(docnum)
        if story < 0:
            groups.append((docnum, score, []))
            continue
        if story in seen:
            continue
        seen.add(story)
        others = [d for d in cols.members(story).tolist() if d != docnum and allowed[d]]
        groups.append((docnum, score, others))
    return groups
