"""An article as a search shows it, read from the index's stored fields: a
:class:`~searchapp.search.results.Hit` with its snippet, or the whole article."""

from __future__ import annotations

from typing import Any

from searchapp.search import highlight
from searchapp.search.ranking import MatchTerms
from searchapp.search.results import Hit


def hit_of(searcher, docnum: int, score: float, terms: MatchTerms, snippets: bool, width: int) -> Hit:
    """The hit for document ``docnum`` of ``searcher`` (a Whoosh searcher).

    :param snippets: give it a snippet of about ``width`` characters, ``terms`` marked.
    """
    stored = searcher.stored_fields(docnum)
    meta = stored.get("meta", {})
    body = stored.get("body", "")
    text = highlight.snippet(body, terms, width) if snippets else ""
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


def article_of(stored: dict) -> dict[str, Any]:
    """The article as :meth:`Searcher.article` gives it, from its stored fields."""
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
