"""``reindex`` and ``check``: the corpus folder indexed, or only read and checked."""

from __future__ import annotations

import click

from searchapp.cli.shared import Context, echo_above, fail, terminal_progress
from searchapp.errors import SearchappError


def print_report(report, strict: bool) -> None:
    """A reindex's problems on stderr, then its summary line.

    :param strict: exit with status 1 when an article failed.
    """
    for error in report.failed:
        click.echo(f"error: {error}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    kind = "Full rebuild" if report.full else "Reindex"
    click.echo(f"{kind}: {report.summary()}")
    if strict and report.failed:
        raise SystemExit(1)


@click.command()
@click.option("--full", is_flag=True, help="Rebuild the whole index aside and swap it in.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any article failed.")
@click.pass_obj
def reindex(obj: Context, full: bool, strict: bool) -> None:
    """Index new, changed and deleted articles of the corpus folder."""
    from searchapp.index.reindex import reindex as run_reindex

    config = obj.config
    if not config.corpus_path.is_dir():
        raise click.ClickException(f"corpus folder {config.corpus_path} does not exist; create it or fix [corpus] path")
    with terminal_progress() as shown:
        on_wait = echo_above(shown, lambda message: click.echo(message, err=True))
        try:
            report = run_reindex(config, full=full, progress=shown, on_wait=on_wait)
        except SearchappError as exc:
            raise fail(exc) from None
    print_report(report, strict)


@click.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Validate the corpus folder without indexing; exit 1 on any problem."""
    from searchapp.index.changes import check_corpus

    config = obj.config
    if not config.corpus_path.is_dir():
        raise click.ClickException(f"corpus folder {config.corpus_path} does not exist")
    good, errors, warnings = check_corpus(config.corpus_path, config.max_file_mb)
    for error in errors:
        click.echo(f"error: {error}", err=True)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{good:,} articles readable, {len(errors):,} problems")
    if errors:
        raise SystemExit(1)
