"""The generation a :class:`~searchapp.search.searcher.Searcher` answers from.

Opened on first use and reopened when a reindex has published a newer one or
a file changed under it. A server's searcher looks for a newer one at most
once per :data:`STALE_CHECK_SECONDS`, opens and warms it in the background
while requests are answered from the one open, and swaps it in when ready.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from searchapp.engine.segmemo import SegmentMemo
from searchapp.engine.whoosh import codec, integrity
from searchapp.errors import IndexDamaged, IndexMissing
from searchapp.index import store
from searchapp.search.generation import Generation, Outdated

# How often a serving searcher looks for a newer index (one read of CURRENT
# and a listing of the live folder); in between, requests read no files for it.
STALE_CHECK_SECONDS = 1.0
# The interpreter's thread switch interval (seconds) while a new index is opened
# in the background (see LiveGeneration._open_and_swap).
OPENING_SWITCH_INTERVAL = 0.0002
# Between the steps of a background opening, the longest wait (seconds) for the
# searches in flight to end: they go first, yet a busy server still gets the
# new generation in well under a second.
OPENING_PATIENCE = 0.05


class LiveGeneration:
    """The open generation of the index at ``index_path``, kept up to date, shared by threads."""

    def __init__(self, index_path: Path, weighting, serving: bool = False) -> None:
        self.index_path = index_path
        self.weighting = weighting
        self.serving = serving
        # The generation open now; None before the first search and after a change under it.
        self.opened: Generation | None = None
        self._lock = threading.Lock()
        self._checked = 0.0  # time.monotonic() of the last look for a newer index
        self._opening: threading.Thread | None = None
        # The generation a newer one is due to replace, once the search that
        # found it has begun (see open()).
        self._due: Generation | None = None
        # Shared by the generations opened here: each reads only the segments
        # the one before it did not have.
        self._memo = SegmentMemo()

    def current(self) -> Generation:
        """The open generation, reopened when a reindex has published a new one
        or when one of its files changed under it."""
        with self._lock:
            gen = self.opened
            if gen is not None and self.serving and gen.snapshot.only_removed():
                # Unchanged, or a commit merged some segments away: answer from
                # what is open while the newer generation is opened.
                return self._newer_in_background(gen)
            if gen is not None and not gen.snapshot.unchanged():
                # Dropped first: whatever happens next, no request reads the
                # old mapping of a file that may have been cut short.
                self._replace(None)
                gen = None
            if gen is None or self._stale(gen):
                self._replace(None)
                gen = self._open_generation()
                if self.serving:  # a server's first generation: warmed as the later ones are
                    gen.warm(self.weighting)
                self._replace(gen)
                self._checked = time.monotonic()
            return gen

    def _replace(self, gen: Generation | None) -> None:
        """Make ``gen`` the open generation (lock held); the one it replaces is retired."""
        old, self.opened = self.opened, gen
        self._due = None
        if old is not None and old is not gen:
            old.retire()

    def _newer_in_background(self, gen: Generation) -> Generation:
        """``gen``, after starting to open a newer generation if one is due (lock held)."""
        now = time.monotonic()
        if self._opening is not None or self._due is not None or now - self._checked < STALE_CHECK_SECONDS:
            return gen
        self._checked = now
        if self._stale(gen):
            self._due = gen
        return gen

    def _open_if_due(self) -> None:
        """Start opening the newer generation found by :meth:`current`: called
        once the search that found it counts as reading the one open, so the
        opening's first step waits for it to end."""
        with self._lock:
            serving, self._due = self._due, None
            if serving is None or self._opening is not None:
                return
            self._opening = threading.Thread(
                target=self._open_and_swap, args=(serving,), name="searchapp-open", daemon=True
            )
            self._opening.start()

    def _open_and_swap(self, serving: Generation) -> None:
        # The opening is a second of pure Python. With the interpreter's usual
        # 5 ms switch interval a request thread that lets go of the lock (numpy,
        # file reads) waits that long to get it back, each time: answers were
        # ten times slower while a new index was opened. A short interval while
        # opening gives the requests their turn.
        # And between its steps it waits for the searches in flight to end,
        # first of all the one that found the new index: answered at full speed
        # from the generation open, not beside the opening.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(OPENING_SWITCH_INTERVAL)

        def pause() -> None:
            serving.wait_unused(OPENING_PATIENCE)

        try:
            pause()
            gen = self._open_generation(pause)
            gen.warm(self.weighting, replacing=serving, pause=pause)
        except Exception:  # noqa: BLE001 - any failure is raised again by the next request
            gen = None  # the next request opens it in the foreground and answers with the error
        finally:
            sys.setswitchinterval(interval)
        with self._lock:
            self._replace(gen)
            self._opening = None
            self._checked = time.monotonic()

    def _open_generation(self, pause: Callable[[], None] | None = None) -> Generation:
        for _ in range(codec.OPEN_ATTEMPTS):
            try:
                return Generation(self.index_path, self._memo, pause)
            except Outdated:
                continue  # a commit removed the files just listed: read the new ones
            except integrity.UNREADABLE as exc:
                # Files that passed the checks and still cannot be read
                # (overwritten inside: Whoosh keeps no checksums).
                where = store.live_generation(self.index_path) or self.index_path
                raise IndexDamaged(str(where), f"cannot be read ({exc.__class__.__name__})") from exc
        raise IndexMissing("The index is being rewritten faster than it can be opened; try again.")

    def _stale(self, gen: Generation) -> bool:
        folder = store.live_generation(self.index_path)
        if folder is None:
            raise IndexMissing(f"No index in {self.index_path}. Run `searchapp reindex` first.")
        if folder != gen.folder:
            return True
        try:
            return gen.ix.latest_generation() != gen.commit
        except OSError as exc:
            raise IndexMissing(f"The index cannot be read ({exc.strerror}).") from exc

    def open(self) -> tuple[Generation, Any]:
        """The live generation and this thread's Whoosh searcher on it, held for
        the caller until it calls the generation's ``release`` (see :meth:`using`)."""
        for _ in range(codec.OPEN_ATTEMPTS):
            gen = self.current()
            try:
                gen.acquire()
            except Outdated:
                continue  # replaced and closed since: the next look finds the newer one
            self._open_if_due()
            try:
                return gen, gen.searcher(self.weighting)
            except Outdated:
                gen.release()
                with self._lock:
                    if self.opened is gen:
                        self._replace(None)
        raise IndexMissing("The index is being rewritten faster than it can be opened; try again.")

    @contextmanager
    def using(self) -> Iterator[tuple[Generation, Any]]:
        """``with live.using() as (gen, searcher):`` the generation stays open inside."""
        gen, searcher = self.open()
        try:
            yield gen, searcher
        finally:
            gen.release()

    def close(self) -> None:
        """Let go of the open generation (the next search opens the live one)."""
        with self._lock:
            self._replace(None)
