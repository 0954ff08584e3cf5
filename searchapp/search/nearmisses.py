"""Near misses: under a short result list, the best articles that hold every
concept of the query but one, each with the concept it lacks."""

from __future__ import annotations

import numpy as np

from searchapp.search.columns import Columns
from searchapp.search.filters import Filters, apply_filters
from searchapp.search.hits import hit_of
from searchapp.search.plan import Plan
from searchapp.search.results import Hit

# Near misses ("every concept but one") only for queries of at most this many
# concepts: each concept is then evaluated over the whole index on its own.
NEAR_MISS_CONCEPTS = 8


def near_misses(
    cols: Columns, searcher, plan: Plan, filters: Filters, limit: int, snippets: bool, width: int
) -> list[Hit]:
    """The best ``limit`` articles that hold every concept but one, each with what it lacks.

    :param searcher: this thread's Whoosh searcher, for the hits' stored fields.
    """
    concepts = plan.interpretation.concepts
    if not 2 <= len(concepts) <= NEAR_MISS_CONCEPTS or limit <= 0:
        return []
    run = plan.run
    held = [run.evaluate(q).docs for q in plan.concept_queries]
    count = np.zeros(cols.size, dtype=np.int64)
    for docs in held:
        count[docs] += 1
    near = np.flatnonzero(count == len(concepts) - 1).astype(np.int64)
    near = near[run.engine.live[near]]
    if plan.excluded is not None and len(near):
        near = near[~np.isin(near, run.evaluate(plan.excluded).docs)]
    near = apply_filters(cols, near, filters)
    if not len(near):
        return []
    if plan.built.query is not None:
        ranked = run.top(plan.built.query, near, limit)
    else:
        ranked = [(int(d), 0.0) for d in near[:limit]]
    out = []
    for docnum, score in ranked:
        hit = hit_of(searcher, docnum, score, plan.marks, snippets, width)
        hit.missing = [c.label for c, docs in zip(concepts, held, strict=True) if not _holds(docs, docnum)]
        out.append(hit)
    return out


def _holds(docs, docnum: int) -> bool:
    i = int(np.searchsorted(docs, docnum))
    return i < len(docs) and int(docs[i]) == docnum
