"""Searching: ranked, filtered, highlighted results with facet counts.

:class:`Searcher` is opened once and shared: each thread gets its own Whoosh
searcher, and all of them share per-document facet columns loaded once per
index generation. A reindex is picked up by the next search.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from searchapp.config import Config
from searchapp.corpus import metadata
from searchapp.engine.postings import Evaluation
from searchapp.engine.scored import EMPTY_DOCS
from searchapp.errors import QueryError
from searchapp.search import highlight, spelling
from searchapp.search.completion import CompletionCache, Completions
from searchapp.search.facets import (
    FACET_FILTERS,
    REGISTRY,
    UNDATED,
    UNDATED_LABEL,
    Filters,
    collapse_stories,
    entry_count,
    facet_values,
    timeline_of,
    year_label,
)
from searchapp.search.generation import Generation
from searchapp.search.interpret import Interpretation, interpret
from searchapp.search.live import LiveGeneration
from searchapp.search.params import (
    MAX_PAGE,
    SORT_MESSAGE,
    SORTS,
    date_number,
    is_undated,
    is_year,
    iso_date,
    positive_int,
    swapped_dates,
    unknown_value,
    year_number,
)
from searchapp.search.querylang import ParsedQuery
from searchapp.search.ranking import MatchTerms, QueryBuilder, concept_query, match_terms, matching_query
from searchapp.search.results import FacetValue, Hit, HitStream, SearchResult
from searchapp.text import fold, nfc

# Same-story articles listed under one hit, at most.
MAX_SIMILAR = 20
# Seconds of one search after which its extras (near misses, did-you-mean) are
# left out and named in ``skipped``; the results themselves are always given.
BUDGET_SECONDS = 1.0
# Near misses ("every concept but one") only for queries of at most this many
# concepts: each concept is then evaluated over the whole index on its own.
NEAR_MISS_CONCEPTS = 8
# Candidates re-scored by query coverage.
RERANK_DEPTH = 100


class _Plan:
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


class Searcher:
    """Search the index named by ``config``.

    >>> Searcher(config).search("quan hệ Việt Nam Nhật Bản", partners=["JP"])  # doctest: +SKIP
    """

    def __init__(self, config: Config, serving: bool = False) -> None:
        """``serving``: a long-lived server. A newer index is then looked for at
        most once per :data:`~searchapp.search.live.STALE_CHECK_SECONDS`, opened and warmed in the
        background while requests are answered from the one open, and swapped
        in when ready. Otherwise every search sees the newest index at once."""
        self.config = config
        self.weighting = scoring.BM25F(B=config.ranking.bm25_b, K1=config.ranking.bm25_k1)
        self.serving = serving
        self._live = LiveGeneration(config.index_path, self.weighting, serving)
        self._completions = CompletionCache()

    def doc_count(self) -> int:
        """Number of articles in the index."""
        return self._live.current().doc_count

    # -- search ------------------------------------------------------------

    def search(
        self,
        query: str = "",
        partners: list[str] | tuple[str, ...] = (),
        topics: list[str] | tuple[str, ...] = (),
        sources: list[str] | tuple[str, ...] = (),
        years: list[int | str] | tuple[int | str, ...] = (),
        date_from: str | dt.date | None = None,
        date_to: str | dt.date | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int | None = None,
        snippets: bool = True,
        group: bool = True,
        exact: bool = False,
        mentioned: list[str] | tuple[str, ...] = (),
    ) -> SearchResult:
        """Run one search.

        Several values of one filter mean any of them; filters combine with AND.
        An unknown partner, topic or outlet matches nothing and is named in
        ``notices``, as is a date range given backwards (it is swapped).

        :param query: the query box text (words, "phrases", -exclude, OR, field:value).
        :param partners: codes or names ("JP", "Nhật Bản", "Japan") of the partners an
            article is mainly about; any may match.
        :param mentioned: partners the article names anywhere; any may match.
        :param topics: topic slugs or labels; any may match.
        :param sources: outlets; any may match.
        :param years: years, or ``"undated"`` for the articles without a date; any may match.
        :param date_from: first day (YYYY-MM-DD), inclusive.
        :param date_to: last day (YYYY-MM-DD), inclusive.
        :param sort: ``relevance``, ``newest`` or ``oldest``.
        :param group: show the same story from several outlets once, the others
            listed in the hit's ``similar``.
        :param exact: search the text exactly as typed (syllables without marks
            match any marks) instead of restoring accents.
        :raises QueryError: a bad page, sort or date (never for the query text).
        :raises IndexMissing: there is no index.
        """
        started = time.perf_counter()
        deadline = started + BUDGET_SECONDS
        skipped: list[str] = []
        per_page = self._per_page(per_page)
        page = positive_int(page, "page", MAX_PAGE)
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}", SORT_MESSAGE)
        gen, searcher = self._live.open()
        wanted = (partners, topics, sources, years, date_from, date_to, mentioned)
        plan, filters, matched, allowed, notices = self._resolve(gen, searcher, query, exact, wanted)
        exact = plan.interpretation.exact
        total = len(allowed)
        keep = np.zeros(gen.columns.size, dtype=bool)
        keep[allowed] = True
        offset = (page - 1) * per_page
        groups = self._groups(gen, plan.run, plan.built, allowed, keep, sort, offset + per_page, group)
        hits = []
        for docnum, score, others in groups[offset : offset + per_page]:
            hit = self._hit(searcher, docnum, score, plan.marks, snippets)
            hit.similar = [searcher.stored_fields(d)["id"] for d in others[:MAX_SIMILAR]]
            hits.append(hit)
        partial = []
        if page == 1 and total < per_page:
            if time.perf_counter() < deadline:
                partial = self._near_misses(gen, searcher, plan, filters, per_page - total, snippets)
            else:
                skipped.append("partial")
        facets = self._facets(gen, matched, keep, filters, notices)
        timeline = timeline_of(gen.columns.date_array, allowed)
        interp = plan.interpretation
        suggestion = None
        if interp.parsed.items:
            if time.perf_counter() < deadline:
                suggestion = self._suggestion(gen, searcher, interp, deadline)
            else:
                skipped.append("suggestion")
        return SearchResult(
            query=query,
            total=total,
            page=page,
            per_page=per_page,
            took_ms=(time.perf_counter() - started) * 1000,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            sort=sort,
            filters=asdict(filters),
            timeline=timeline,
            interpreted=interp.text,
            concepts=interp.labels,
            exact=exact,
            unmatched_reading=interp.fallback_from,
            partial=partial,
            entries=entry_count(gen.columns, allowed) if group else total,
            undated=int(np.count_nonzero(gen.columns.date_array[allowed] == 0)),
            notices=notices,
            skipped=skipped,
        )

    def iter_hits(
        self,
        query: str = "",
        partners=(),
        topics=(),
        sources=(),
        years=(),
        date_from=None,
        date_to=None,
        sort: str = "relevance",
        limit: int | None = None,
        snippets: bool = False,
        exact: bool = False,
        mentioned=(),
    ) -> HitStream:
        """Every matching article exactly once, in ``sort`` order, from one index generation.

        What exports and feeds list: the same set as :meth:`search`'s total
        (``.total`` of the stream), without same-story grouping, up to
        ``limit`` articles.
        """
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}", SORT_MESSAGE)
        gen, searcher = self._live.open()
        wanted = (partners, topics, sources, years, date_from, date_to, mentioned)
        plan, _, _, allowed, _ = self._resolve(gen, searcher, query, exact, wanted)
        want = len(allowed) if limit is None else min(limit, len(allowed))
        keep = np.zeros(gen.columns.size, dtype=bool)
        keep[allowed] = True
        if sort == "relevance" and plan.built.query is not None:
            ranked = self._ranked(plan.run, plan.built, allowed, keep, want)
        else:
            ranked = self._by_date(gen, allowed, want, newest=sort != "oldest")
        hits = (self._hit(searcher, docnum, score, plan.marks, snippets) for docnum, score in ranked)
        return HitStream(len(allowed), plan.interpretation.text, hits)

    def interpret(self, query: str, exact: bool = False) -> Interpretation:
        """How ``query`` is read: the text as searched and its concepts."""
        gen, searcher = self._live.open()
        return self._plan(gen, searcher, query, exact).interpretation

    def _resolve(self, gen: Generation, searcher, query: str, exact: bool, wanted):
        """The plan, filters and matching articles of a search.

        When the restored reading finds nothing, the text as typed (any
        accents) is searched instead: a reading that finds nothing is a
        wrong reading, and the page says which was searched.
        """
        plan = self._plan(gen, searcher, query, exact)
        filters, notices = self._filters(gen, plan.interpretation.parsed, *wanted)
        matched = self._matching(plan)
        allowed = self._apply_filters(gen, matched, filters)
        if not len(allowed) and not exact and plan.interpretation.changed:
            typed = self._plan(gen, searcher, query, exact=True)
            typed_filters, typed_notices = self._filters(gen, typed.interpretation.parsed, *wanted)
            typed_matched = self._matching(typed)
            typed_allowed = self._apply_filters(gen, typed_matched, typed_filters)
            if len(typed_allowed):
                typed.interpretation.fallback_from = plan.interpretation.text
                return typed, typed_filters, typed_matched, typed_allowed, typed_notices
        return plan, filters, matched, allowed, notices

    def _plan(self, gen: Generation, searcher, query: str, exact: bool) -> _Plan:
        reader = searcher.reader()
        run = Evaluation(gen.engine_for(searcher, self.weighting), searcher)
        interp = interpret(query, reader, gen.restorer(searcher), exact=exact, docs_of=run.docs_of)
        built = QueryBuilder(reader, self.config.ranking).build(interp.parsed)
        return _Plan(interp, built, run, match_terms(interp.concepts))

    def _per_page(self, per_page: int | None) -> int:
        if per_page is None:
            return self.config.per_page
        return positive_int(per_page, "per_page", self.config.max_per_page)

    def _filters(
        self, gen: Generation, parsed: ParsedQuery, partners, topics, sources, years, date_from, date_to, mentioned=()
    ) -> tuple[Filters, list[dict[str, str]]]:
        """The filters as canonical values, and notices about what could not be done as asked."""
        cols = gen.columns
        notices: list[dict[str, str]] = []

        def known(facet: str, values, resolve) -> tuple:
            found = []
            for value in dict.fromkeys(v for v in values if v):
                code = resolve(value)
                if code is None:
                    # Still applied (nothing holds it), and named, so that the
                    # empty list is explained rather than silent.
                    notices.append(unknown_value(facet, value))
                found.append(code or value)
            return tuple(dict.fromkeys(found))

        def partner(value: str, entries) -> str | None:
            # A code the index holds counts even when the gazetteer no longer knows it.
            return metadata.resolve_partner(value) or (value if value in entries.codes else None)

        def topic(value: str) -> str | None:
            return metadata.resolve_topic(value) or (value if value in cols.topic_entries.codes else None)

        def source(value: str) -> str | None:
            value = nfc(value)
            if value in cols.source_entries.codes:
                return value
            wanted = fold(value).casefold().strip()
            return next((s for s in cols.source_entries.codes if fold(s).casefold() == wanted), None)

        typed = parsed.filters
        # Typed in the query box: a bad year is ignored, never an error.
        years = list(years) + [y for y in typed.get("year", []) if is_year(y) or is_undated(y)]
        first, last = date_number(date_from, "from"), date_number(date_to, "to")
        if first and last and first > last:
            notices.append(swapped_dates(first, last))
            first, last = last, first
        filters = Filters(
            partners=known(
                "partner", [*partners, *typed.get("partner", [])], lambda v: partner(v, cols.partner_entries)
            ),
            mentioned=known(
                "mentioned", [*mentioned, *typed.get("mentioned", [])], lambda v: partner(v, cols.mentioned_entries)
            ),
            topics=known("topic", [*topics, *typed.get("topic", [])], topic),
            sources=known("source", [*sources, *typed.get("source", [])], source),
            years=tuple(dict.fromkeys(0 if is_undated(y) else year_number(y) for y in years if str(y).strip())),
            date_from=first,
            date_to=last,
        )
        return filters, notices

    def _matching(self, plan: _Plan):
        """The matching docnums (sorted array)."""
        interp, run = plan.interpretation, plan.run
        if not interp.concepts:
            if interp.parsed.items:
                return EMPTY_DOCS  # only punctuation was typed: nothing can match
            docs = np.flatnonzero(run.engine.live).astype(np.int64)
        else:
            docs = run.evaluate(plan.matching).docs
        if plan.excluded is not None:
            excluded = run.evaluate(plan.excluded).docs
            if len(excluded):
                docs = docs[~np.isin(docs, excluded, assume_unique=True)]
        return docs

    def _suggestion(self, gen: Generation, searcher, interp: Interpretation, deadline: float | None = None):
        """A spelling fix that finds articles, or ``None`` (also when ``deadline`` passes first)."""
        text = spelling.suggest(interp, searcher.reader(), gen.restorer(searcher), deadline)
        if text is None or (deadline is not None and time.perf_counter() > deadline):
            return None
        plan = self._plan(gen, searcher, text, exact=False)
        return text if len(self._matching(plan)) else None

    def _near_misses(self, gen: Generation, searcher, plan: _Plan, filters: Filters, limit: int, snippets: bool):
        """The best articles that hold every concept but one, each with what it lacks."""
        concepts = plan.interpretation.concepts
        if not 2 <= len(concepts) <= NEAR_MISS_CONCEPTS or limit <= 0:
            return []
        run = plan.run
        held = [run.evaluate(q).docs for q in plan.concept_queries]
        count = np.zeros(gen.columns.size, dtype=np.int64)
        for docs in held:
            count[docs] += 1
        near = np.flatnonzero(count == len(concepts) - 1).astype(np.int64)
        near = near[run.engine.live[near]]
        if plan.excluded is not None and len(near):
            near = near[~np.isin(near, run.evaluate(plan.excluded).docs)]
        near = self._apply_filters(gen, near, filters)
        if not len(near):
            return []
        keep = np.zeros(gen.columns.size, dtype=bool)
        keep[near] = True
        if plan.built.query is not None:
            ranked = run.top(plan.built.query, near, keep, limit)
        else:
            ranked = [(int(d), 0.0) for d in near[:limit]]
        out = []
        for docnum, score in ranked:
            hit = self._hit(searcher, docnum, score, plan.marks, snippets)
            hit.missing = [c.label for c, docs in zip(concepts, held, strict=True) if not _holds(docs, docnum)]
            out.append(hit)
        return out

    def _apply_filters(self, gen: Generation, docs, filters: Filters):
        """The documents of ``docs`` any value of each facet holds (OR within, AND across)."""
        if not filters.active or not len(docs):
            return docs
        cols = gen.columns
        keep = np.ones(len(docs), dtype=bool)
        for entries, values in (
            (cols.partner_entries, filters.partners),
            (cols.mentioned_entries, filters.mentioned),
            (cols.topic_entries, filters.topics),
            (cols.source_entries, filters.sources),
        ):
            if values:
                anyone = np.zeros(len(docs), dtype=bool)
                for value in values:
                    anyone |= entries.mask(value)[docs]
                keep &= anyone
        dates = cols.date_array[docs]
        if filters.years:
            # Year 0 is the undated bucket: dates of 0 divide to year 0.
            keep &= np.isin(dates // 10000, np.asarray(filters.years, dtype=np.int64))
        if filters.date_from:
            keep &= dates >= filters.date_from
        if filters.date_to:
            keep &= (dates != 0) & (dates <= filters.date_to)
        return docs[keep]

    def _groups(self, gen, run, built, allowed, keep, sort: str, want: int, group: bool):
        """The first ``want`` results as (docnum, score, same-story docnums)."""
        pool = want if not group else min(len(allowed), want * 2 + 10)
        while True:
            if sort == "relevance" and built.query is not None:
                ranked = self._ranked(run, built, allowed, keep, pool)
            else:
                ranked = self._by_date(gen, allowed, pool, newest=sort != "oldest")
            if not group:
                return [(d, score, []) for d, score in ranked]
            groups = collapse_stories(ranked, gen.columns, keep)
            if len(groups) >= want or pool >= len(allowed):
                return groups
            pool = min(len(allowed), pool * 2)

    def _ranked(self, run, built, allowed, keep, limit: int) -> list[tuple[int, float]]:
        if not len(allowed) or limit <= 0:
            return []
        power = self.config.ranking.coverage_power
        if power <= 0 or len(built.concepts) < 2:
            return run.top(built.query, allowed, keep, limit)
        # Re-score a deeper pool by how many of the query's concepts each
        # document covers: all of them beats one rare word repeated.
        pool = max(limit, RERANK_DEPTH)
        top = run.top(built.query, allowed, keep, pool)
        matched = run.matched_terms(built.query, [d for d, _ in top])
        rescored = [(d, score * built.coverage(terms) ** power) for (d, score), terms in zip(top, matched, strict=True)]
        rescored.sort(key=lambda pair: (-pair[1], pair[0]))
        return rescored[:limit]

    def _by_date(self, gen: Generation, allowed, limit: int, newest: bool) -> list[tuple[int, float]]:
        dates = gen.columns.date_array[allowed]
        if newest:
            order = np.lexsort((allowed, -dates))
        else:
            # Undated articles go last in both orders.
            order = np.lexsort((allowed, dates, dates == 0))
        return [(int(d), 0.0) for d in allowed[order[:limit]]]

    def _hit(self, searcher, docnum: int, score: float, terms: MatchTerms, snippets: bool) -> Hit:
        stored = searcher.stored_fields(docnum)
        meta = stored.get("meta", {})
        body = stored.get("body", "")
        text = highlight.snippet(body, terms, self.config.snippet_chars) if snippets else ""
        return Hit(
            id=stored["id"],
            title=stored.get("title", ""),
            date=meta.get("date"),
            source=meta.get("source"),
            url=meta.get("url"),
            partners=list(meta.get("partners", [])),
            topics=list(meta.get("topics", [])),
            score=round(float(score), 4),
            snippet=text,
            mentioned=list(meta.get("mentioned", [])),
        )

    def _facets(self, gen: Generation, matched, keep, filters: Filters, notices) -> dict[str, list[FacetValue]]:
        """Counts of every facet over the whole result set.

        A facet with values chosen is counted without its own filter (the other
        filters still apply): its values are alternatives, and each count says
        how many results that value alone gives.
        """
        cols = gen.columns
        unknown = {(n["facet"], n["value"]) for n in notices if n["code"] == "unknown_value"}

        def chosen(facet: str) -> tuple:
            # An unknown value is named in the notices, not listed as a facet value.
            return tuple(v for v in getattr(filters, FACET_FILTERS[facet]) if (facet, v) not in unknown)

        def pool(facet: str):
            if not getattr(filters, FACET_FILTERS[facet]):
                return keep
            others = np.zeros(cols.size, dtype=bool)
            others[self._apply_filters(gen, matched, filters.without(facet))] = True
            return others

        dates = cols.date_array[pool("year")]
        years, counts = np.unique(dates[dates != 0] // 10000, return_counts=True)
        year = Counter({str(int(y)): int(c) for y, c in zip(years, counts, strict=True)})
        chosen_years = tuple(UNDATED if y == 0 else str(y) for y in filters.years)
        year_values = facet_values(year, chosen_years, year_label, by_value=True)
        undated = int(np.count_nonzero(dates == 0))
        if undated or UNDATED in chosen_years:
            # Last, whatever the order of the years: it is not a year.
            year_values = [v for v in year_values if v.value != UNDATED]
            year_values.append(FacetValue(UNDATED, UNDATED_LABEL, undated, UNDATED in chosen_years))
        return {
            facet.name: year_values
            if facet.name == "year"
            else facet_values(cols.entries[facet.name].counts(pool(facet.name)), chosen(facet.name), facet.label)
            for facet in REGISTRY
        }

    # -- articles ----------------------------------------------------------

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The stored article with this id, or ``None``."""
        gen, searcher = self._live.open()
        stored = searcher.document(id=article_id)
        if stored is None:
            return None
        return _article_dict(stored)

    def highlighted_article(
        self, article_id: str, query: str, exact: bool = False
    ) -> tuple[dict[str, Any], str, str] | None:
        """The article plus its title and body as HTML with ``query``'s concepts marked."""
        article = self.article(article_id)
        if article is None:
            return None
        gen, searcher = self._live.open()
        terms = self._plan(gen, searcher, query, exact).marks
        return article, highlight.highlight(article["title"], terms), highlight.highlight(article["body"], terms)

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles most like this one (shared distinctive words)."""
        gen, searcher = self._live.open()
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            return []
        stored = searcher.stored_fields(docnum)
        text = stored.get("title", "") + " " + stored.get("body", "")[:4000]
        results = searcher.more_like(docnum, "syl", text=text, top=limit, numterms=25)
        return [self._hit(searcher, h.docnum, h.score, MatchTerms(), False) for h in results]

    def stats(self) -> dict[str, Any]:
        """Article counts per facet, for ``searchapp stats``."""
        gen, searcher = self._live.open()
        cols = gen.columns
        reader = searcher.reader()
        live = [d for d in reader.all_doc_ids()]
        dated = [cols.dates[d] for d in live if cols.dates[d]]
        return {
            "articles": len(live),
            "generation": gen.folder.name if gen.folder else None,
            "dated": len(dated),
            "first_date": iso_date(min(dated)) if dated else None,
            "last_date": iso_date(max(dated)) if dated else None,
            "partners": Counter(p for d in live for p in cols.partners[d]).most_common(),
            "mentioned": Counter(p for d in live for p in cols.mentioned[d]).most_common(),
            "topics": Counter(t for d in live for t in cols.topics[d]).most_common(),
            "sources": Counter(cols.sources[d] for d in live if cols.sources[d]).most_common(),
        }

    def story_groups(self) -> dict[str, list[str]]:
        """The stories two or more articles of the index tell: story id -> their
        article ids, in index order (what a hit's ``similar`` is drawn from)."""
        gen, searcher = self._live.open()
        live = set(searcher.reader().all_doc_ids())
        groups = {}
        for story, members in gen.columns.members.items():
            docs = [d for d in members if d in live]
            if len(docs) > 1:
                groups[story] = [searcher.stored_fields(d)["id"] for d in docs]
        return groups

    def completions(self, background: bool = False) -> Completions | None:
        """The search box's completion table of the open generation, built on first use.

        :param background: only start building it in a thread (``None`` is returned).
        """
        gen = self._live.current()

        def build() -> Completions:
            reader = gen.ix.reader()
            try:
                return Completions.from_reader(reader)
            finally:
                reader.close()

        key = (str(gen.folder), gen.commit)
        if background:
            self._completions.warm(key, build)
            return None
        return self._completions.get(key, build)

    def close(self) -> None:
        """Release the index files."""
        self._live.close()


def _holds(docs, docnum: int) -> bool:
    i = int(np.searchsorted(docs, docnum))
    return i < len(docs) and int(docs[i]) == docnum


def _article_dict(stored: dict) -> dict[str, Any]:
    meta = stored.get("meta", {})
    return {
        "id": stored["id"],
        "title": stored.get("title", ""),
        "body": stored.get("body", ""),
        "date": meta.get("date"),
        "source": meta.get("source"),
        "url": meta.get("url"),
        "category": meta.get("category"),
        "partners": list(meta.get("partners", [])),
        "mentioned": list(meta.get("mentioned", [])),
        "topics": list(meta.get("topics", [])),
    }
