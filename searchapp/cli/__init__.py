"""The ``searchapp`` command line: reindex, check, add, fetch-feed, search, stats, serve.

A thin shell over the library, one module a group of commands:
:mod:`~searchapp.cli.indexing`, :mod:`~searchapp.cli.adding`,
:mod:`~searchapp.cli.searching` and :mod:`~searchapp.cli.serving`, with what
they share in :mod:`~searchapp.cli.shared`.
"""

from __future__ import annotations

import click

from searchapp.cli.adding import add, fetch_feed
from searchapp.cli.indexing import check, reindex
from searchapp.cli.searching import search, stats
from searchapp.cli.serving import serve
from searchapp.cli.shared import Context
from searchapp.config import ENV_VAR


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar=ENV_VAR,
    type=click.Path(dir_okay=False),
    help=f"Configuration file (default: config.toml here, or ${ENV_VAR}).",
)
@click.version_option(package_name="searchapp")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Full-text search over Vietnamese diplomatic news."""
    ctx.obj = Context(config_path)


for command in (reindex, add, fetch_feed, search, stats, check, serve):
    cli.add_command(command)


def main() -> None:
    """Entry point for ``searchapp`` and ``python -m searchapp``."""
    cli(prog_name="searchapp")
