"""What every command shares: the configuration, read once, library errors told as
Click's, and progress bars on a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import click

from searchapp import progress
from searchapp.config import Config, load_config
from searchapp.errors import SearchappError


class Context:
    """What the group's options give every command: the configuration, read on first use."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except SearchappError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config


def fail(exc: Exception) -> click.ClickException:
    """A library error as Click prints it: one line, exit status 1."""
    return click.ClickException(str(exc))


@contextlib.contextmanager
def terminal_progress() -> Iterator[progress.Progress]:
    """Bars on a terminal, nothing otherwise: a log gets the summary line alone."""
    shown = progress.for_terminal(sys.stderr)
    try:
        yield shown
    finally:
        shown.close()


def echo_above(shown: progress.Progress, echo: Callable[..., None]) -> Callable[..., None]:
    """``echo`` that prints above the progress bar instead of through it."""

    def printed(*args, **kwargs) -> None:
        with shown.printing():
            echo(*args, **kwargs)

    return printed
