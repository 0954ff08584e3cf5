"""Search-box completion latency: build the completion table of an index, time lookups.

    python bench/suggest_bench.py INDEX_PATH [--lookups 1000] [--seed 1]

INDEX_PATH is an ``[index] path`` folder (the one holding ``CURRENT``). The
prefixes are what people type on the way to a word: 1 to 12 characters of
stored titles and frequent phrases, with and without diacritics, plus a few
fixed ones. Prints the build time and p50/p95/max per lookup. Not part of
``make test``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from searchapp.index import store
from searchapp.search.completion import Completions
from searchapp.text import fold

FIXED = ["n", "t", "hoi ng", "nhat", "Nhật", "bien dong", "quan hệ việt n", "japan", "asean", "thu tuong"]


def prefixes(table: Completions, count: int, rng: random.Random) -> list[str]:
    displays = [item[2] for kind in table.folded.values() for item in kind.items]
    out = list(FIXED)
    while len(out) < count:
        text = rng.choice(displays)
        prefix = text[: rng.randint(1, min(12, len(text)))]
        out.append(fold(prefix) if rng.random() < 0.5 else prefix)
    rng.shuffle(out)
    return out[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path, help="the [index] path folder")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    ix = store.open_live_index(args.index)
    reader = ix.reader()
    try:
        started = time.perf_counter()
        table = Completions.from_reader(reader)
        build_s = time.perf_counter() - started
        docs = reader.doc_count()
    finally:
        reader.close()
    print(f"index: {docs:,} articles; table: {table.size:,} entries, built in {build_s:.2f} s")

    queries = prefixes(table, args.lookups, random.Random(args.seed))
    for q in queries[:50]:  # warm-up
        table.complete(q)
    times = []
    empty = 0
    for q in queries:
        started = time.perf_counter()
        found = table.complete(q)
        times.append((time.perf_counter() - started) * 1000)
        empty += not found
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"{len(times):,} lookups: p50 {p50:.3f} ms, p95 {p95:.3f} ms, max {times[-1]:.3f} ms")
    print(f"{empty} prefixes without suggestions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
