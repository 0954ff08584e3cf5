"""Fewer malloc arenas in the server process.

glibc gives each thread that allocates at the same time as another an arena
of its own, up to eight per core, and memory freed in an arena stays with it.
A search allocates and frees large arrays, so with eight request threads the
server held a fifth more memory than with two arenas (460 against 377 MB at
100,000 articles under 8 clients, ``bench/load.py``), for no gain in speed.
"""

from __future__ import annotations

import ctypes
import os

# mallopt's parameter number for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8
SERVER_ARENAS = 2


def limit_arenas(count: int = SERVER_ARENAS) -> bool:
    """Cap the process's malloc arenas at ``count``, unless ``MALLOC_ARENA_MAX``
    already says how many; True when the C library took it."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: its allocator has its own rules
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_ARENA_MAX, count))
