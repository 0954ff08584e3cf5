"""How far long work has gone: what the library reports, and how a terminal shows it.

The indexer and the ingest code report to a :class:`Progress`, stage by stage
("Reading", "Indexing", "Fetching"), with running counts. They never import a
terminal library: :func:`for_terminal` picks the display, and this module is
the only one that knows it is tqdm. Off a terminal (a log, a pipe, cron) the
display is :data:`SILENT`, so the command's own summary line is all there is.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import TextIO


class Progress:
    """Where long work reports how far it is; this base class shows nothing."""

    def stage(self, label: str, total: int | None = None, unit: str = "article") -> None:
        """A new stage of ``total`` units begins (``None``: not known); the previous one is over."""

    def step(self, label: str) -> None:
        """A stage that cannot be counted (a commit, a merge): only what is being done now."""

    def update(self, done: int) -> None:
        """``done`` units of the current stage are finished (a running count, not an increment)."""

    def close(self) -> None:
        """The work is over, or failed: take the display away."""

    @contextlib.contextmanager
    def printing(self) -> Iterator[None]:
        """Around a message printed while a stage runs, so that it does not garble the display."""
        yield


SILENT = Progress()


class TerminalProgress(Progress):
    """One tqdm bar per stage, with the count, the rate and the time left.

    A finished stage's bar is cleared rather than left behind: the command
    prints its summary once everything is done.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar = None
        self._drawn = 0.0

    def stage(self, label: str, total: int | None = None, unit: str = "article") -> None:
        from tqdm import tqdm

        self.close()
        columns, rows = _size(self._stream)
        self._bar = tqdm(
            total=total,
            desc=label,
            unit=unit,
            leave=False,
            file=self._stream,
            # Without a total, tqdm's "12article" reads badly; the count gets its plural.
            bar_format=None if total is not None else f"{{desc}}: {{n_fmt}} {unit}s [{{elapsed}}, {{rate_fmt}}]",
            # Follow a resized window. A terminal that reports no size (a bare
            # pseudo-terminal, some CI runners) would otherwise get a bar of
            # zero characters, or none at all: tqdm hides bars below row 0.
            dynamic_ncols=bool(columns),
            ncols=None if columns else DEFAULT_SIZE.columns,
            nrows=None if rows else DEFAULT_SIZE.lines,
        )

    def step(self, label: str) -> None:
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(total=None, desc=label, leave=False, file=self._stream, bar_format="{desc}…")

    def update(self, done: int) -> None:
        bar = self._bar
        if bar is None:
            return
        if done <= bar.n:
            # Nothing new, but a caller that polls (the parallel build) keeps
            # the elapsed time ticking through a long wait.
            if time.monotonic() - self._drawn >= 1:
                bar.refresh()
                self._drawn = time.monotonic()
            return
        if bar.total is not None and done > bar.total:
            # An estimate (such as last run's article count) fell short.
            bar.total = done
        bar.update(done - bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @contextlib.contextmanager
    def printing(self) -> Iterator[None]:
        from tqdm import tqdm

        # Clears the bar, lets the message through, draws the bar again below it.
        with tqdm.external_write_mode(file=self._stream):
            yield


DEFAULT_SIZE = os.terminal_size((80, 24))


def _size(stream: TextIO) -> tuple[int, int]:
    """The terminal's columns and rows, zeros when it does not say."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return 0, 0
    return size.columns, size.lines


def for_terminal(stream: TextIO | None = None) -> Progress:
    """A bar display when ``stream`` (standard error by default) is a terminal, else :data:`SILENT`."""
    stream = stream if stream is not None else sys.stderr
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):  # no such method, or already closed
        interactive = False
    return TerminalProgress(stream) if interactive else SILENT
