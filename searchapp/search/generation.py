"""One opened generation of the index, shared by threads: its readers, columns and engine."""

from __future__ import annotations

import threading
from collections.abc import Callable

from whoosh import searching as whoosh_searching

from searchapp.engine.arrays import Engine
from searchapp.engine.segmemo import Frequencies, SegmentMemo
from searchapp.engine.whoosh import codec, integrity
from searchapp.errors import IndexDamaged, IndexMissing
from searchapp.index import store
from searchapp.index.schema import SCHEMA_VERSION
from searchapp.search.accents import Restorer
from searchapp.search.columns import Columns, go_on

# Posting lists a new generation reads again from the one it replaces (the most
# recently used first), and the most time spent reading them, in seconds.
AUTOWARM_TERMS = 64
AUTOWARM_SECONDS = 0.3


class Outdated(Exception):
    """The generation's files were replaced by a newer commit; reopen."""


class Generation:
    """One opened index generation, shared by threads.

    Every reader of a generation is opened from the same table of contents, so
    all threads see the same documents as the facet columns, even while an
    incremental reindex commits into the live folder.
    """

    def __init__(self, index_path, memo: SegmentMemo | None = None, pause: Callable[[], None] | None = None) -> None:
        """``pause``, when given, is called between the steps of building the
        facet columns: an opening in the background lets searches go first."""
        # What earlier generations read from the segments this one shares with them.
        self.memo = memo if memo is not None else SegmentMemo()
        self.folder = store.live_generation(index_path)
        if self.folder is not None:
            version = store.schema_version(self.folder)
            if version is not None and version != SCHEMA_VERSION:
                raise IndexMissing("The index was built by another version of searchapp. Run `searchapp reindex`.")
        self.ix = store.open_live_index(index_path)
        folder = self.ix.storage.folder
        try:
            self._toc = codec.latest_toc(self.ix)
        except integrity.UNREADABLE as exc:
            raise integrity.damaged_toc(folder, store.INDEX_NAME, exc) from exc
        # Checked before anything is mapped, and compared before each use: a
        # mapped file cut short would kill the process (see integrity).
        try:
            self.snapshot = integrity.check_segments(folder, store.INDEX_NAME, self._toc)
        except IndexDamaged:
            # A file of this commit may have gone because an incremental
            # reindex committed a newer one in between: that is a reason to
            # reopen, not damage. Damage is what the newest commit still shows.
            if integrity.read_toc(folder, store.INDEX_NAME).generation != self._toc.generation:
                raise Outdated from None
            raise
        # Whoosh numbers each commit's table of contents (its "generation");
        # here a generation is a folder, and this is the commit opened in it.
        self.commit = self._toc.generation
        self.local = threading.local()
        # Document frequencies, shared by the readers of all threads.
        self._frequencies = Frequencies(self.memo)
        reader = self.open_reader()
        self.columns = Columns(reader, self.memo, pause)
        self.doc_count = reader.doc_count()
        self.engine: Engine | None = None
        # Readers opened ahead, each taken by the first search of a thread.
        self._spare = [reader]
        self._restorer: Restorer | None = None
        self._lock = threading.Lock()
        self._unused = threading.Condition(self._lock)  # notified when the last search ends
        # Every Whoosh searcher opened on this generation (one per thread), the
        # searches using it now, and whether a newer generation replaced it:
        # a replaced generation closes its readers when its last search ends.
        self._searchers: list = []
        self._users = 0
        self._retired = False
        self.closed = False

    def open_reader(self):
        """A reader of exactly this generation's segments, for the caller to close.

        :raises Outdated: a commit since removed one of its files.
        """
        toc = self._toc
        try:
            reader = codec.open_reader(self.ix, toc)
        except OSError as exc:
            # A commit since this generation was opened removed a segment file.
            raise Outdated from exc
        self._frequencies.answer(reader)
        return reader

    def searcher(self, weighting):
        s = getattr(self.local, "searcher", None)
        if s is None:
            with self._lock:
                if self.closed:
                    raise Outdated
                reader = self._spare.pop() if self._spare else None
            s = whoosh_searching.Searcher(reader or self.open_reader(), fromindex=self.ix, weighting=weighting)
            with self._lock:
                self._searchers.append(s)
                closed = self.closed
            if closed:  # retired while this reader was opened
                s.close()
                raise Outdated
            self.local.searcher = s
        return s

    def acquire(self) -> None:
        """Count a search that reads this generation (until :meth:`release`).

        :raises Outdated: it was replaced and its readers are closed.
        """
        with self._lock:
            if self.closed:
                raise Outdated
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if not self._users:
                self._unused.notify_all()
                if self._retired:
                    self._close()

    def wait_unused(self, timeout: float) -> None:
        """Return once no search reads this generation, or after ``timeout`` seconds."""
        with self._unused:
            self._unused.wait_for(lambda: not self._users, timeout)

    def reader_count(self) -> int:
        """How many threads have searched this generation (a reader each)."""
        with self._lock:
            return len(self._searchers)

    def retire(self) -> None:
        """A newer generation replaced this one: close its readers once no search reads them."""
        with self._lock:
            self._retired = True
            if not self._users:
                self._close()

    def _close(self) -> None:
        self.closed = True
        searchers, self._searchers = self._searchers, []
        spare, self._spare = self._spare, []
        for s in searchers:
            s.close()
        for reader in spare:
            reader.close()

    def engine_for(self, searcher, weighting) -> Engine:
        with self._lock:
            if self.engine is None:
                self.engine = Engine(searcher.reader(), weighting, self.memo)
            return self.engine

    def restorer(self, searcher) -> Restorer:
        with self._lock:
            if self._restorer is None:
                self._restorer = Restorer(searcher.reader(), self.memo)
        return self._restorer

    def warm(self, weighting, replacing: Generation | None = None, pause: Callable[[], None] | None = None) -> None:
        """Build what the first searches would: the engine, the accent restorer
        and the bitmaps that count facets over large result sets. In place of
        ``replacing``, also a reader for each thread that searched it, and the
        posting lists it read last, read again here (their scores follow the
        new statistics): a query asked again after a reindex finds them.
        ``pause``, when given, is called between the steps."""
        pause = pause or go_on
        searcher = self.searcher(weighting)  # this thread's own
        engine = self.engine_for(searcher, weighting)
        pause()
        self.restorer(searcher)
        pause()
        self.columns.warm()
        if replacing is None:
            return
        self._open_spares(replacing.reader_count(), pause)
        if replacing.engine is not None:
            engine.autowarm(searcher, replacing.engine.recent_terms(AUTOWARM_TERMS), pause, AUTOWARM_SECONDS)

    def _open_spares(self, count: int, pause: Callable[[], None]) -> None:
        """Open readers until ``count`` wait for the threads' first searches."""
        while True:
            with self._lock:
                if self.closed or len(self._spare) >= count:
                    return
            pause()
            opened = self.open_reader()
            with self._lock:
                if self.closed:
                    opened.close()
                    return
                self._spare.append(opened)
