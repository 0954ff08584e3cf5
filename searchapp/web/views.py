"""The pages and the JSON API: search, article, completion."""

from __future__ import annotations

import json
from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from searchapp.corpus import metadata
from searchapp.search.facets import UNDATED as UNDATED_YEAR
from searchapp.search.params import MAX_PAGE, SORTS
from searchapp.web.present import (
    active_filters,
    category_label,
    facet_views,
    filter_groups,
    hit_view,
    page_numbers,
    paragraphs,
    safe_url,
    timeline_view,
)
from searchapp.web.state import SORT_LABELS, SearchState, current_searcher, query_text, read_state

RECENT_ARTICLES = 5
RELATED_ARTICLES = 5
EXAMPLE_QUERIES = ("Biển Đông", "bien dong", "quan hệ Việt Nam Nhật Bản", '"đối tác chiến lược toàn diện"')
# Completion input longer than this is cut: nobody wants 100 characters completed.
MAX_SUGGEST_CHARS = 100

bp = Blueprint("search", __name__)

# -- routes -------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """The search page; without a query and filters, the introduction and recent articles."""
    state = read_state()
    searcher = current_searcher()
    # The box on this page will ask for completions: have the table ready.
    searcher.completions(background=True)
    if state.is_home:
        recent = replace(state, per_page=RECENT_ARTICLES).search(searcher)
        return render_template(
            "home.html",
            state=state,
            total=recent.total,
            recent=[hit_view(h, state) for h in recent.hits],
            facets=facet_views(recent, state),
            years=[int(v.value) for v in recent.facets.get("year", []) if v.value != UNDATED_YEAR],
            undated=recent.undated,
            undated_url=state.url(years=(UNDATED_YEAR,)),
            examples=[(q, state.url(q=q)) for q in EXAMPLE_QUERIES],
        )
    result = state.search(searcher)
    # Links and chips carry what was searched: no unknown value, dates in order.
    state = state.as_searched(result)
    first_rank = (result.page - 1) * result.per_page + 1
    return render_template(
        "search.html",
        state=state,
        result=result,
        hits=[hit_view(h, state) for h in result.hits],
        partial=[hit_view(h, state) for h in result.partial],
        first_rank=first_rank,
        facets=facet_views(result, state),
        active_filters=active_filters(state),
        filter_groups=filter_groups(state),
        notices=result.notices,
        undated_url=state.url(years=(UNDATED_YEAR,), date_from="", date_to="", page=1),
        sorts=[(s, SORT_LABELS[s]) for s in SORTS if s != "relevance" or state.q.strip()],
        pages=page_numbers(result.page, result.pages),
        last_page=min(result.pages, MAX_PAGE),
        examples=[(q, state.url(q=q, page=1)) for q in EXAMPLE_QUERIES],
        timeline=timeline_view(result, state),
    )


@bp.get("/article/<path:article_id>")
def article(article_id: str) -> str:
    """One article, with the query's words marked when ``q`` is given."""
    query = query_text()
    searcher = current_searcher()
    found = searcher.highlighted_article(article_id, query)
    if found is None:
        raise NotFound(f"no article with id {article_id[:200]!r}")
    data, title_html, body_html = found
    browse = SearchState()
    return render_template(
        "article.html",
        state=SearchState(q=query),
        article=data,
        # Both come from the engine's highlighter, which escapes the text first.
        title_html=Markup(title_html),
        paragraphs=paragraphs(body_html),
        original_url=safe_url(data.get("url")),
        category=category_label(data.get("category")),
        partners=[(metadata.partner_label(p), browse.toggle_url("partner", p)) for p in data["partners"]],
        also_named=[
            (metadata.partner_label(p), browse.toggle_url("mentioned", p))
            for p in data.get("mentioned", [])
            if p not in data["partners"]
        ],
        topics=[(metadata.topic_label(t), browse.toggle_url("topic", t)) for t in data["topics"]],
        source_href=browse.toggle_url("source", data["source"]) if data.get("source") else None,
        related=[hit_view(h, browse) for h in searcher.related(article_id, limit=RELATED_ARTICLES)],
        back_url=SearchState(q=query).url() if query.strip() else None,
    )


@bp.get("/api/search")
def api_search() -> Response:
    """The search page's parameters in, :meth:`SearchResult.to_json` out."""
    return jsonify(read_state().search(current_searcher()).to_json())


@bp.get("/api/article/<path:article_id>")
def api_article(article_id: str) -> Response:
    """``{"ok": true, "article": {...}}`` or a 404 envelope."""
    found = current_searcher().article(article_id)
    if found is None:
        raise NotFound(f"no article with id {article_id[:200]!r}")
    return jsonify({"ok": True, "article": found})


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Completions of the search box text: ``{"ok", "query", "suggestions": [{"text", "kind"}]}``.

    ``format=opensearch`` answers in the OpenSearch suggestions format
    (``[query, [completions]]``) that browsers ask for.
    """
    query = request.args.get("q", "")[:MAX_SUGGEST_CHARS]
    table = current_searcher().completions() if query.strip() else None
    suggestions = table.complete(query) if table is not None else []
    if request.args.get("format") == "opensearch":
        body = json.dumps([query, [s.text for s in suggestions]], ensure_ascii=False)
        response = current_app.response_class(body, mimetype="application/x-suggestions+json")
    else:
        response = jsonify({"ok": True, "query": query, "suggestions": [s.to_json() for s in suggestions]})
    # Typing the same prefix again is common; a reindex is rare.
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response
