"""The one process pool: analysis of articles in forked workers that share pyvi's model."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from searchapp.analysis import segmentation


class WorkerPool:
    """A fork pool made on first use, after pyvi is loaded (the workers share it)."""

    def __init__(self, count: int) -> None:
        self.count = count or os.cpu_count() or 1
        self.pool = None

    def get(self):
        if self.pool is None and self.count > 1:
            segmentation.pyvi_model()
            self.pool = multiprocessing.get_context("fork").Pool(self.count, initializer=worker_init)
        return self.pool

    def imap(self, function: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]:
        """``map(function, iterable)`` in order, in the workers when there are several."""
        pool = self.get()
        if pool is None:
            return map(function, iterable)
        return pool.imap(function, iterable)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def worker_init() -> None:
    # A worker must not outlive a killed reindex: it would keep the inherited
    # lock file descriptor open and block the next reindex.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(0)
