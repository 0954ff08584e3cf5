"""Searching: ranked, filtered, highlighted results with facet counts.

:class:`Searcher` is the library's public API, opened once and shared: each
thread gets its own Whoosh searcher, and all of them share per-document facet
columns loaded once per index generation. A reindex is picked up by the next
search. A search is read into a plan (:mod:`~searchapp.search.plan`),
narrowed by its filters (:mod:`~searchapp.search.filters`), put in order
(:mod:`~searchapp.search.ordering`) and counted by facet
(:mod:`~searchapp.search.facetcounts`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from whoosh import scoring

from searchapp.config import Config
from searchapp.errors import QueryError
from searchapp.search import highlight, spelling
from searchapp.search.completion import CompletionCache, Completions
from searchapp.search.facetcounts import facet_counts
from searchapp.search.facets import COLUMN_FACETS, asked_filters
from searchapp.search.filters import apply_filters, resolve_filters
from searchapp.search.generation import Generation
from searchapp.search.hits import article_of, hit_of
from searchapp.search.interpret import Interpretation
from searchapp.search.live import LiveGeneration
from searchapp.search.nearmisses import near_misses
from searchapp.search.ordering import entry_count, grouped, ordered
from searchapp.search.params import MAX_PAGE, SORT_MESSAGE, SORTS, iso_date, positive_int
from searchapp.search.plan import Plan, plan_query
from searchapp.search.ranking import MatchTerms
from searchapp.search.results import HeldHits, Hit, HitStream, SearchResult
from searchapp.search.timeline import date_counts, timeline_of

# Same-story articles listed under one hit, at most.
MAX_SIMILAR = 20
# Seconds of one search after which its extras (near misses, did-you-mean) are
# left out and named in ``skipped``; the results themselves are always given.
BUDGET_SECONDS = 1.0


class Searcher:
    """Search the index named by ``config``.

    >>> Searcher(config).search("quan hệ Việt Nam Nhật Bản", partners=["JP"])  # doctest: +SKIP
    """

    def __init__(self, config: Config, serving: bool = False) -> None:
        """``serving``: a long-lived server. A newer index is then looked for at
        most once per :data:`~searchapp.search.live.STALE_CHECK_SECONDS`,
        opened and warmed in the background while requests are answered from
        the one open, and swapped in when ready. Otherwise every search sees
        the newest index at once."""
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
        filters: Mapping[str, Sequence[str | int]] | None = None,
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
        :param filters: any facet's values by its filter name (``{"partners": ["JP"]}``,
            :attr:`~searchapp.search.facets.Facet.attr`); the keywords above are
            the same filters by name, and both may be given (any value may match).
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
        with self._live.using() as (gen, searcher):
            named = {"partners": partners, "mentioned": mentioned, "topics": topics, "sources": sources, "years": years}
            asked = asked_filters(filters, **named)
            wanted = (asked, date_from, date_to)
            plan, applied, matched, allowed, notices = self._resolve(gen, searcher, query, exact, wanted)
            exact = plan.interpretation.exact
            total = len(allowed)
            keep = np.zeros(gen.columns.size, dtype=bool)
            keep[allowed] = True
            offset = (page - 1) * per_page
            power = self.config.ranking.coverage_power
            groups = grouped(plan.run, plan.built, gen.columns, allowed, keep, sort, offset + per_page, group, power)
            hits = []
            engine = gen.engine_for(searcher, self.weighting)
            for docnum, score, others in groups[offset : offset + per_page]:
                hit = hit_of(searcher, docnum, score, plan.marks, snippets, self.config.snippet_chars)
                hit.similar = engine.unique_terms(searcher, "id", others[:MAX_SIMILAR])
                hits.append(hit)
            partial = []
            if page == 1 and total < per_page:
                if time.perf_counter() < deadline:
                    width = self.config.snippet_chars
                    partial = near_misses(gen.columns, searcher, plan, applied, per_page - total, snippets, width)
                else:
                    skipped.append("partial")
            dated = date_counts(gen.columns.date_array[allowed])
            facets = facet_counts(gen.columns, matched, keep, allowed, applied, notices, dated)
            timeline = timeline_of(dated.months)
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
                filters=applied.to_dict(),
                timeline=timeline,
                interpreted=interp.text,
                concepts=interp.labels,
                exact=exact,
                unmatched_reading=interp.fallback_from,
                partial=partial,
                entries=entry_count(gen.columns, allowed) if group else total,
                undated=dated.undated,
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
        filters: Mapping[str, Sequence[str | int]] | None = None,
    ) -> HitStream:
        """Every matching article exactly once, in ``sort`` order, from one index generation.

        What exports and feeds list: the same set as :meth:`search`'s total
        (``.total`` of the stream), without same-story grouping, up to
        ``limit`` articles. The filters are :meth:`search`'s.
        """
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}", SORT_MESSAGE)
        gen, searcher = self._live.open()
        try:
            named = {"partners": partners, "mentioned": mentioned, "topics": topics, "sources": sources, "years": years}
            asked = asked_filters(filters, **named)
            wanted = (asked, date_from, date_to)
            plan, _, _, allowed, _ = self._resolve(gen, searcher, query, exact, wanted)
            want = len(allowed) if limit is None else min(limit, len(allowed))
            power = self.config.ranking.coverage_power
            found = ordered(plan.run, plan.built, gen.columns, allowed, sort, want, power)
        except BaseException:
            gen.release()
            raise
        width = self.config.snippet_chars
        hits = (hit_of(searcher, docnum, score, plan.marks, snippets, width) for docnum, score in found)
        return HitStream(len(allowed), plan.interpretation.text, iter(HeldHits(gen, hits)))

    def interpret(self, query: str, exact: bool = False) -> Interpretation:
        """How ``query`` is read: the text as searched and its concepts."""
        with self._live.using() as (gen, searcher):
            return self._plan(gen, searcher, query, exact).interpretation

    def _resolve(self, gen: Generation, searcher, query: str, exact: bool, wanted):
        """The plan, filters and matching articles of a search.

        When the restored reading finds nothing, the text as typed (any
        accents) is searched instead: a reading that finds nothing is a
        wrong reading, and the page says which was searched.
        """
        plan = self._plan(gen, searcher, query, exact)
        filters, notices = resolve_filters(gen.columns, plan.interpretation.parsed, *wanted)
        matched = plan.matching_docs()
        allowed = apply_filters(gen.columns, matched, filters)
        if not len(allowed) and not exact and plan.interpretation.changed:
            typed = self._plan(gen, searcher, query, exact=True)
            typed_filters, typed_notices = resolve_filters(gen.columns, typed.interpretation.parsed, *wanted)
            typed_matched = typed.matching_docs()
            typed_allowed = apply_filters(gen.columns, typed_matched, typed_filters)
            if len(typed_allowed):
                typed.interpretation.fallback_from = plan.interpretation.text
                return typed, typed_filters, typed_matched, typed_allowed, typed_notices
        return plan, filters, matched, allowed, notices

    def _plan(self, gen: Generation, searcher, query: str, exact: bool) -> Plan:
        return plan_query(gen, searcher, query, exact, self.weighting, self.config.ranking)

    def _per_page(self, per_page: int | None) -> int:
        if per_page is None:
            return self.config.per_page
        return positive_int(per_page, "per_page", self.config.max_per_page)

    def _suggestion(self, gen: Generation, searcher, interp: Interpretation, deadline: float | None = None):
        """A spelling fix that finds articles, or ``None`` (also when ``deadline`` passes first)."""
        text = spelling.suggest(interp, searcher.reader(), gen.restorer(searcher), deadline)
        if text is None or (deadline is not None and time.perf_counter() > deadline):
            return None
        plan = self._plan(gen, searcher, text, exact=False)
        return text if len(plan.matching_docs()) else None

    # -- articles ----------------------------------------------------------

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The stored article with this id, or ``None``."""
        with self._live.using() as (gen, searcher):
            stored = searcher.document(id=article_id)
            if stored is None:
                return None
            return article_of(stored)

    def highlighted_article(
        self, article_id: str, query: str, exact: bool = False
    ) -> tuple[dict[str, Any], str, str] | None:
        """The article plus its title and body as HTML with ``query``'s concepts marked."""
        article = self.article(article_id)
        if article is None:
            return None
        with self._live.using() as (gen, searcher):
            terms = self._plan(gen, searcher, query, exact).marks
            return article, highlight.highlight(article["title"], terms), highlight.highlight(article["body"], terms)

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles most like this one (shared distinctive words)."""
        with self._live.using() as (gen, searcher):
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return []
            stored = searcher.stored_fields(docnum)
            text = stored.get("title", "") + " " + stored.get("body", "")[:4000]
            results = searcher.more_like(docnum, "syl", text=text, top=limit, numterms=25)
            return [
                hit_of(searcher, h.docnum, h.score, MatchTerms(), False, self.config.snippet_chars) for h in results
            ]

    def stats(self) -> dict[str, Any]:
        """Article counts per facet, for ``searchapp stats``."""
        with self._live.using() as (gen, searcher):
            cols = gen.columns
            reader = searcher.reader()
            live = [d for d in reader.all_doc_ids()]
            dated = [d for d in cols.date_array[live].tolist() if d]
            return {
                "articles": len(live),
                "generation": gen.folder.name if gen.folder else None,
                "dated": len(dated),
                "first_date": iso_date(min(dated)) if dated else None,
                "last_date": iso_date(max(dated)) if dated else None,
                **{
                    facet.attr: Counter(v for d in live for v in cols.values[facet.name][d]).most_common()
                    for facet in COLUMN_FACETS
                },
            }

    def story_groups(self) -> dict[str, list[str]]:
        """The stories two or more articles of the index tell: story id -> their
        article ids, in index order (what a hit's ``similar`` is drawn from)."""
        with self._live.using() as (gen, searcher):
            live = set(searcher.reader().all_doc_ids())
            engine = gen.engine_for(searcher, self.weighting)
            groups = {}
            for story, members in gen.columns.stories():
                docs = [d for d in members.tolist() if d in live]
                if len(docs) > 1:
                    groups[story] = engine.unique_terms(searcher, "id", docs)
            return groups

    def completions(self, background: bool = False) -> Completions | None:
        """The search box's completion table of the open generation, built on first use.

        :param background: only start building it in a thread (``None`` is returned).
        """
        gen = self._live.current()

        def build() -> Completions:
            reader = gen.open_reader()
            try:
                return Completions.from_reader(reader, memo=gen.memo, dates=gen.columns.date_array)
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
