"""``add`` and ``fetch-feed``: articles added to the corpus from files, pages and feeds, then indexed."""

from __future__ import annotations

import click

from searchapp.cli.indexing import print_report
from searchapp.cli.shared import Context, echo_above, fail, terminal_progress
from searchapp.errors import SearchappError


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.pass_obj
def add(obj: Context, sources: tuple[str, ...]) -> None:
    """Add article files, saved HTML pages or web page URLs to the corpus and index them.

    Article files (.txt, .md, .json, .jsonl, .jsonl.gz) are copied into the
    corpus folder. An http(s):// URL is downloaded and a .html/.htm file read;
    the article's text, title, date and outlet are extracted and saved under
    web/<year>/ in the corpus. Adding the same URL again updates its article.
    Exit status 1 if any argument failed; the others are still added.
    """
    from searchapp.ingest.pages import add_sources

    with terminal_progress() as shown:
        try:
            result = add_sources(obj.config, sources, progress=shown, on_outcome=echo_above(shown, _print_outcome))
        except SearchappError as exc:
            raise fail(exc) from None
    _finish_ingest(result, f"{len(result.failed)} of {len(sources)} failed")


def _print_outcome(outcome) -> None:
    if outcome.failed:
        click.echo(f"error: {outcome.source}: {outcome.error}", err=True)
    elif outcome.status == "copied":
        click.echo(f"added {outcome.path}")
    elif outcome.status == "present":
        click.echo(f"already in the corpus: {outcome.path}")
    elif outcome.status != "skipped":
        click.echo(f"{outcome.status} {outcome.path} ({outcome.title}) from {outcome.source}")


def _finish_ingest(result, failure_line: str) -> None:
    if result.report is not None:
        print_report(result.report, strict=False)
    if result.failed:
        click.echo(failure_line, err=True)
        raise SystemExit(1)


@click.command("fetch-feed")
@click.argument("feed_url")
@click.option("--limit", type=click.IntRange(min=0), help="Fetch at most N new items (the rest wait for the next run).")
@click.option(
    "--delay", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Seconds to wait between requests."
)
@click.pass_obj
def fetch_feed(obj: Context, feed_url: str, limit: int | None, delay: float) -> None:
    """Fetch the pages of an RSS/Atom feed's new items, save their articles and index them.

    Items already fetched (remembered in feeds.json in the index folder) are
    skipped. A page without extractable text is saved with the item's summary.
    """
    from searchapp.ingest.feeds import fetch_feed as run_fetch_feed

    with terminal_progress() as shown:
        on_outcome = echo_above(shown, _print_outcome)
        try:
            result = run_fetch_feed(
                obj.config, feed_url, limit=limit, delay=delay, progress=shown, on_outcome=on_outcome
            )
        except SearchappError as exc:
            raise fail(exc) from None
    new = result.count("added", "updated", "unchanged")
    summary = f"{new} new, {result.count('skipped')} skipped (already fetched), {len(result.failed)} failed"
    if result.left:
        summary += f", {result.left} left for the next run (--limit)"
    click.echo(f"{result.feed_title or feed_url}: {summary}")
    _finish_ingest(result, f"{len(result.failed)} items failed; they are tried again on the next run")
