"""Query evaluation over whole posting lists, with numpy.

Whoosh evaluates a query one posting at a time in Python. The queries of
:class:`QueryBuilder` only hold Term, Phrase and Or nodes, so they are
evaluated here with numpy over whole posting lists instead
(:mod:`searchapp.engine.arrays`, :mod:`searchapp.engine.scored`), with the same
BM25F arithmetic as Whoosh's scorer (same operations in the same order, so
the same scores). Positions (phrases, proximity) are only read for the
documents that hold every word; proximity bonuses, which never add a
document, are only checked for the candidates that could still reach the
top of the ranking.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import query as wq

from searchapp.engine.arrays import Engine, Postings
from searchapp.engine.phrases import consecutive, near_pair, phrase_at
from searchapp.engine.scored import (
    EMPTY_DOCS,
    EMPTY_SCORES,
    Scored,
    covers,
    index_in,
    intersect,
    intersection,
    restrict,
    scores_at,
    sorted_unique,
    top_k,
    tree_sum,
    union,
)

# Candidates checked for proximity per round, as a multiple of those wanted.
VERIFY_WIDTH = 2


class Evaluation:
    """One query evaluated against one generation."""

    def __init__(self, engine: Engine, searcher) -> None:
        self.engine = engine
        self.searcher = searcher
        # The matching set and the ranking share the query's clauses: each is
        # evaluated (a phrase verified) once per search. Keyed by identity; the
        # query is kept so its id stays its own.
        self._done: dict[int, tuple[Any, Scored]] = {}
        # Phrases verified everywhere, by what they ask for rather than by
        # identity: a query naming one thing many times verifies it once.
        self._phrases: dict[tuple[str, tuple[str, ...], int], Scored] = {}
        # Restricted evaluations, by query (whoosh queries compare by value)
        # and the identity of the array they are restricted to, kept alive here.
        self._restricted: dict[tuple[Any, int], tuple[Any, Scored]] = {}
        # Terms read for a part of the index only: (field, text) -> (where, postings).
        self._partial: dict[tuple[str, str], tuple[Any, Postings | None]] = {}
        # Phrases with slop whose proximity top() checked: query id -> (query, docnum -> verified).
        self.proximity: dict[int, tuple[Any, dict[int, bool]]] = {}

    def term(self, field: str, text: str) -> Postings | None:
        return self.engine.postings(self.searcher, field, text)

    def docs_of(self, field: str, text: str):
        """Sorted docnums of the articles holding a term (empty when none)."""
        p = self.term(field, text)
        return p.docs if p is not None else EMPTY_DOCS

    def evaluate(self, query) -> Scored:
        """Every matching document with its score (phrases checked exactly)."""
        done = self._done.get(id(query))
        if done is None:
            done = self._done[id(query)] = (query, self._evaluate(query))
        return done[1]

    def among(self, query, docs) -> Scored:
        """``query`` evaluated where only ``docs`` (sorted) matter: a phrase's
        positions are read for those documents alone."""
        return self._within(query, docs)

    def _within(self, query, within) -> Scored:
        """``query``'s matches, only those among ``within`` (sorted; ``None``: everywhere).

        Not cached unless ``within`` is ``None``: the point is to do less work
        than the whole evaluation, and the result is only valid for ``within``.
        """
        if within is None:
            return self.evaluate(query)
        done = self._done.get(id(query))
        if done is not None:
            return restrict(done[1], within)
        key = (query, id(within))
        found = self._restricted.get(key)
        if found is None:
            found = self._restricted[key] = (within, self._within_once(query, within))
        return found[1]

    def _within_once(self, query, within) -> Scored:
        if isinstance(query, wq.Phrase):
            return self._phrase(query, within)
        if isinstance(query, wq.And):
            return self._and(query, within)
        if isinstance(query, wq.Or):
            result = union([self._within(q, within) for q in query.subqueries])
            if query.boost != 1.0:
                result.scores = result.scores * query.boost
            return result
        if isinstance(query, wq.Term):
            return self._term_among(query, within)
        return restrict(self.evaluate(query), within)

    def _term_among(self, query, within) -> Scored:
        p = self._postings_among(query.fieldname, query.text, within)
        if p is None:
            return Scored(EMPTY_DOCS, EMPTY_SCORES)
        return Scored(p.docs, p.scores * query.boost if query.boost != 1.0 else p.scores)

    def _evaluate(self, query) -> Scored:
        if isinstance(query, wq.Term):
            p = self.term(query.fieldname, query.text)
            if p is None:
                return Scored(EMPTY_DOCS, EMPTY_SCORES)
            return Scored(p.docs, p.scores * query.boost if query.boost != 1.0 else p.scores)
        if isinstance(query, wq.Phrase):
            return self._phrase(query)
        if isinstance(query, wq.And):
            return self._and(query)
        if isinstance(query, wq.Or):
            subs = [self.evaluate(q) for q in query.subqueries]
            result = union(subs)
            if query.boost != 1.0:
                result.scores = result.scores * query.boost
            return result
        raise TypeError(type(query).__name__)

    def _and(self, query, within=None) -> Scored:
        """Every subquery, cheapest first, each of the others only where all before it matched.

        Terms are whole posting lists; then the alternatives of a concept
        (``Or``, nested ``And``) and phrases are evaluated only among the
        documents still in the running. A query of many concepts thus costs
        about what its rarest concepts cost, not the sum of all.
        """
        # Rarest first by the whole posting list (as before any restriction),
        # so that scores add up in the same order wherever they are evaluated.
        terms = sorted(
            (q for q in query.subqueries if isinstance(q, wq.Term)),
            key=lambda q: self.engine.count(self.searcher, q.fieldname, q.text),
        )
        # Each later term is read only where the rarer ones all matched.
        subs = []
        current = within
        for q in terms:
            found = self._within(q, current)
            subs.append(found)
            current = found.docs
        current = intersection(subs).docs if subs else within
        later = [q for q in query.subqueries if not isinstance(q, (wq.Term, wq.Phrase))]
        later += [q for q in query.subqueries if isinstance(q, wq.Phrase)]
        # Before any position is read, keep only the documents that hold every
        # word of every concept: a phrase is then verified where all the other
        # concepts could still match, not wherever its own words occur.
        if current is None and later:
            current = np.flatnonzero(self.engine.live)
        for q in later:
            if current is None or not len(current):
                break
            current = self._still_holding(q, current)
        seen: dict[Any, Scored] = {}
        for q in later:
            if current is not None and not len(current):
                subs.append(Scored(EMPTY_DOCS, EMPTY_SCORES))
                break
            if q in seen:
                # The same concept asked again ("a" "a" "a" ...): it narrows nothing,
                # and its scores count again as they would have.
                subs.append(seen[q])
                continue
            found = seen[q] = self._within(q, current)
            subs.append(found)
            current = found.docs if current is None else intersect(current, found.docs)
        result = intersection(subs)
        if query.boost != 1.0:
            result.scores = result.scores * query.boost
        return result

    def _still_holding(self, query, docs):
        """Those of ``docs`` (sorted) that hold every word ``query`` needs.

        Each posting list is probed at the few documents still in the running
        rather than merged whole; an alternative (``Or``) keeps what any of
        its parts keeps, and a query of another kind keeps everything.
        """
        if isinstance(query, wq.Term):
            return self._holding(query.fieldname, query.text, docs)
        if isinstance(query, wq.Phrase):
            for word in query.words:
                docs = self._holding(query.fieldname, word, docs)
            return docs
        if isinstance(query, wq.And):
            for q in query.subqueries:
                docs = self._still_holding(q, docs)
            return docs
        if isinstance(query, wq.Or):
            kept = [self._still_holding(q, docs) for q in query.subqueries]
            return sorted_unique(np.concatenate(kept)) if kept else docs
        return docs

    def _holding(self, field: str, text: str, docs):
        """Those of ``docs`` (sorted) that hold the term."""
        if not len(docs):
            return docs
        p = self._postings_among(field, text, docs)
        return p.docs if p is not None else docs[:0]

    def _postings_among(self, field: str, text: str, within) -> Postings | None:
        """A term's postings among ``within``, read once per search where it can:
        the matching set, and then the ranking of a part of it, read the same terms."""
        held = self._partial.get((field, text))
        if held is not None and covers(held[0], within):
            return held[1].among(within) if held[1] is not None else None
        found = self.engine.postings_among(self.searcher, field, text, within)
        self._partial[(field, text)] = (within, found)
        return found

    def _phrase(self, query, within=None) -> Scored:
        """A phrase, its positions checked exactly; only among ``within`` when given."""
        key = (query.fieldname, tuple(query.words), query.slop)
        done = self._phrases.get(key)
        if done is None and within is None:
            done = self._phrases[key] = self._verified_phrase(query, None)
        if done is not None:
            found = done if within is None else restrict(done, within)
            return Scored(found.docs, found.scores * query.boost) if query.boost != 1.0 else found
        found = self._verified_phrase(query, within)
        return Scored(found.docs, found.scores * query.boost) if query.boost != 1.0 else found

    def _verified_phrase(self, query, within) -> Scored:
        """The phrase's documents (among ``within``) with their scores, boost not applied."""
        docs, parts, plist = self._phrase_candidates(query, within)
        if not len(docs):
            return Scored(EMPTY_DOCS, EMPTY_SCORES)
        keep = self._verify(plist, docs, query.slop)
        docs = docs[keep]
        return Scored(docs, tree_sum([s[keep] for s in parts]))

    def _phrase_candidates(self, query, within=None):
        """Docs (among ``within`` when given) holding every word of a phrase, each word's scores there, postings."""
        if within is None:
            plist = [self.term(query.fieldname, w) for w in query.words]
        else:
            plist = [self._postings_among(query.fieldname, w, within) for w in query.words]
        if not plist or any(p is None for p in plist):
            return EMPTY_DOCS, [], []
        docs = plist[0].docs
        for p in plist[1:]:
            docs = intersect(docs, p.docs)
        parts = [p.scores[index_in(p.docs, docs)] for p in plist]
        return docs, parts, plist

    def _verify(self, plist: list[Postings], docs, slop: int):
        """Boolean mask: which of ``docs`` have the words within ``slop``, in order."""
        if len(plist) == 1:
            return np.ones(len(docs), dtype=bool)
        where = [index_in(p.docs, docs) for p in plist]
        if slop == 1:
            return consecutive(plist, where, len(docs))
        if len(plist) == 2:
            return near_pair(plist, where, len(docs), slop)
        out = np.zeros(len(docs), dtype=bool)
        lists = [w.tolist() for w in where]
        for i in range(len(docs)):
            out[i] = phrase_at([p.positions(w[i]) for p, w in zip(plist, lists, strict=True)], slop)
        return out

    def top(self, query, allowed, k: int) -> list[tuple[int, float]]:
        """The ``k`` best of ``allowed`` for ``query``, as Whoosh's top collector ranks them.

        Proximity bonuses (phrases with slop) are first counted as if they matched
        wherever both words occur, then checked on the candidates that reach the
        top, until the top is made only of checked documents.
        """
        subs = list(query.subqueries) if isinstance(query, wq.Or) else [query]
        base = np.zeros(len(allowed), dtype=np.float64)
        lazy = []
        for q in subs:
            if isinstance(q, wq.Phrase) and q.slop > 1 and len(q.words) > 1:
                lazy.append(q)
            else:
                base += scores_at(self.among(q, allowed), allowed)[0]
        exact = base
        if lazy:
            upper = base.copy()
            exact = base.copy()
            pending = np.zeros(len(allowed), dtype=bool)
            checks: list[tuple[Any, ...]] = []
            for q in lazy:
                docs, parts, plist = self._phrase_candidates(q, allowed)
                bonus = tree_sum(parts) if len(docs) else EMPTY_SCORES
                if q.boost != 1.0:
                    bonus = bonus * q.boost
                where = index_in(allowed, docs)
                full = np.zeros(len(allowed), dtype=np.float64)
                full[where] = bonus
                upper += full
                pending[where] = True
                checks.append((q, where, bonus, plist, {}))
            while True:
                current = np.where(pending, upper, exact)
                # Each round costs a few array operations whatever its size:
                # checking a wider slice than the top needs fewer rounds. The
                # first k of the wider slice are the top (one total order).
                wide = top_k(allowed, current, k * VERIFY_WIDTH)
                if not pending[wide[:k]].any():
                    break
                todo = wide[pending[wide]]
                for q, where, bonus, plist, verified in checks:
                    pos = np.searchsorted(where, todo)
                    pos[pos >= len(where)] = 0
                    hit = where[pos] == todo if len(where) else np.zeros(len(todo), dtype=bool)
                    at, j = todo[hit], pos[hit]
                    if len(at):
                        checked = allowed[at]
                        ok = self._verify(plist, checked, q.slop)
                        verified.update(zip(checked.tolist(), ok.tolist(), strict=True))
                        exact[at[ok]] += bonus[j[ok]]
                pending[todo] = False
            self.proximity = {id(q): (q, verified) for q, _, _, _, verified in checks}
            best = top_k(allowed, exact, k)
        else:
            best = top_k(allowed, exact, k)
        if isinstance(query, wq.Or) and query.boost != 1.0:
            exact = exact * query.boost
        return [(int(allowed[i]), float(exact[i])) for i in best]

    def matched_terms(self, query, docs: list[int]) -> list[set[tuple[str, str]]]:
        """Per document, the (field, text) of the query's term matchers matching it
        (what Whoosh's ``terms=True`` records: a phrase's words only where it matches)."""
        out: list[set[tuple[str, str]]] = [set() for _ in docs]
        array = np.asarray(docs, dtype=np.int64)
        # One array for every node: restricted evaluations are kept by its identity.
        within = sorted_unique(array)
        proximity = self.proximity

        def walk(q) -> None:
            if isinstance(q, wq.Or):
                for sub in q.subqueries:
                    walk(sub)
                return
            if isinstance(q, wq.Phrase) and id(q) in proximity:
                verified = proximity[id(q)][1]
                hits = [bool(verified.get(d)) for d in docs]
            else:
                hits = scores_at(self.among(q, within), array)[1].tolist()
            terms = [(q.fieldname, q.text)] if isinstance(q, wq.Term) else [(q.fieldname, w) for w in q.words]
            for terms_of_doc, hit in zip(out, hits, strict=True):
                if hit:
                    terms_of_doc.update(terms)

        walk(query)
        return out
