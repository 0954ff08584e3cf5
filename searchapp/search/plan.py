"""A query read against one generation: what it means, the Whoosh queries it
becomes, how they are evaluated and what the snippets mark."""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from searchapp.config import RankingConfig
from searchapp.engine.postings import Evaluation
from searchapp.engine.scored import EMPTY_DOCS
from searchapp.search.generation import Generation
from searchapp.search.interpret import Interpretation, interpret
from searchapp.search.ranking import MatchTerms, QueryBuilder, concept_query, match_terms, matching_query


class Plan:
    """A query read against one generation: what it means and how it is evaluated."""

    def __init__(self, interpretation: Interpretation, built, run: Evaluation, marks: MatchTerms) -> None:
        self.interpretation = interpretation
        self.built = built
        self.run = run
        self.marks = marks
        self.concept_queries = [concept_query(c) for c in interpretation.concepts]
        # The same query objects as the near misses read: each evaluated once.
        self.matching = matching_query(self.concept_queries)
        excluded = [concept_query(c) for c in interpretation.excluded]
        self.excluded = None if not excluded else excluded[0] if len(excluded) == 1 else wq.Or(excluded)

    def matching_docs(self):
        """The matching docnums (sorted array)."""
        interp, run = self.interpretation, self.run
        if not interp.concepts:
            if interp.parsed.items:
                return EMPTY_DOCS  # only punctuation was typed: nothing can match
            docs = np.flatnonzero(run.engine.live).astype(np.int64)
        else:
            docs = run.evaluate(self.matching).docs
        if self.excluded is not None:
            excluded = run.evaluate(self.excluded).docs
            if len(excluded):
                docs = docs[~np.isin(docs, excluded, assume_unique=True)]
        return docs


def plan_query(gen: Generation, searcher, query: str, exact: bool, weighting, ranking: RankingConfig) -> Plan:
    """The plan of ``query`` on ``gen``, read through ``searcher`` (this thread's Whoosh searcher).

    :param exact: search the text as typed instead of restoring accents.
    """
    reader = searcher.reader()
    run = Evaluation(gen.engine_for(searcher, weighting), searcher)
    interp = interpret(query, reader, gen.restorer(searcher), exact=exact, docs_of=run.docs_of)
    built = QueryBuilder(reader, ranking).build(interp.parsed)
    return Plan(interp, built, run, match_terms(interp.concepts))
