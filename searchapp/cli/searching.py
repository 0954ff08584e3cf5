"""``search`` and ``stats``: results and counts printed for a terminal, or as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import click

from searchapp.cli.shared import Context, fail
from searchapp.errors import SearchappError
from searchapp.search.facets import REGISTRY, Facet


def facet_options(registry: Sequence[Facet] = REGISTRY) -> Callable[[Callable], Callable]:
    """One repeatable option a facet, named as the facet (``--partner``), in the registry's order."""

    def decorate(command: Callable) -> Callable:
        for facet in reversed(registry):
            command = click.option(f"--{facet.name}", facet.name, multiple=True, help=facet.option_help)(command)
        return command

    return decorate


def chosen_filters(options: dict[str, Any], registry: Sequence[Facet] = REGISTRY) -> dict[str, tuple[str, ...]]:
    """The facet options' values taken out of ``options``, by each facet's filter name."""
    return {facet.attr: options.pop(facet.name) for facet in registry}


@click.command()
@click.argument("query", nargs=-1)
@facet_options()
@click.option("--from", "date_from", help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last day, YYYY-MM-DD.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--limit", type=int, default=10, show_default=True, help="Results per page.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON document as /api/search.")
@click.option("--exact", is_flag=True, help="Search the text as typed: no accents restored, any accents match.")
@click.pass_obj
def search(obj, query, date_from, date_to, sort, limit, page, as_json, exact, **facets) -> None:
    """Search the index and print ranked hits with snippets and facet counts.

    Several values of one filter mean any of them; different filters must all hold.
    """
    from searchapp.search.searcher import Searcher

    try:
        result = Searcher(obj.config).search(
            " ".join(query),
            filters=chosen_filters(facets),
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            page=page,
            per_page=limit,
            exact=exact,
        )
    except SearchappError as exc:
        raise fail(exc) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    _print_result(result)


def _terminal_snippet(html: str) -> str:
    from html import unescape

    marked = html.replace("<mark>", "\x00").replace("</mark>", "\x01")
    text = unescape(marked)
    return text.replace("\x00", click.style("", bold=True, reset=False)).replace("\x01", click.style("", reset=True))


def _print_result(result) -> None:
    if result.restored:
        click.echo(f"Results for: {result.interpreted}   (--exact searches the text as typed)")
    click.echo(f"{result.total:,} results ({result.took_ms:.0f} ms), page {result.page}/{result.pages}")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    for notice in result.notices:
        if notice["code"] == "unknown_value":
            click.echo(f"Note: no {notice['facet']} {notice['value']!r} in the index; that filter matches nothing.")
        else:
            click.echo("Note: the first day came after the last; the two dates were swapped.")
    if result.undated and result.sort != "relevance":
        click.echo(f"{result.undated:,} undated articles come last.")
    start = (result.page - 1) * result.per_page
    for rank, hit in enumerate(result.hits, start=start + 1):
        meta = " · ".join(x for x in (hit.date, hit.source, ", ".join(hit.partners)) if x)
        click.echo(f"\n{rank}. {click.style(hit.title, bold=True)}  [{hit.id}]")
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {_terminal_snippet(hit.snippet)}")
    if result.partial:
        click.echo("\nNear misses (not counted above), each lacking one concept:")
    for hit in result.partial:
        click.echo(f"  - {hit.title}  [{hit.id}]  lacks: {', '.join(hit.missing or [])}")
    for name, values in result.facets.items():
        if values:
            shown = ", ".join(f"{v.label} ({v.count})" for v in values[:8])
            click.echo(f"\n{name}: {shown}", nl=False)
    click.echo()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def stats(obj: Context, as_json: bool) -> None:
    """Show how many articles the index holds, by partner, topic and source."""
    from searchapp.corpus import metadata
    from searchapp.search.searcher import Searcher

    try:
        data = Searcher(obj.config).stats()
    except SearchappError as exc:
        raise fail(exc) from None
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"Articles: {data['articles']:,} ({data['dated']:,} dated, {data['first_date']} … {data['last_date']})")
    click.echo("Partners: " + ", ".join(f"{metadata.partner_label(p)} {n}" for p, n in data["partners"][:15]))
    click.echo("Topics: " + ", ".join(f"{metadata.topic_label(t)} {n}" for t, n in data["topics"][:15]))
    click.echo("Sources: " + ", ".join(f"{s} {n}" for s, n in data["sources"][:15]))
