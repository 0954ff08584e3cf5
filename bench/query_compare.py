"""Identical results and query latency, before and after a change to searching.

    python bench/query_compare.py dump  FOLDER OUT.json     # run the 320-query mix, save results
    python bench/query_compare.py diff  A.json B.json        # compare two dumps
    python bench/query_compare.py time  FOLDER [--passes 3]  # p50/p95/p99 over the mix, warm

FOLDER holds ``config.toml`` (with [corpus] and [index] paths) and the
corpus the index was built from, as ``bench/run.py`` or ``bench/scale_corpus.py``
leaves it (``corpus/`` plus ``corpus-stamp.json``). The mix is the one of
``bench/queries.py``, built from that corpus. A dump keeps, per query, the
ordered top-10 ids with their same-story lists, the total, the facet counts,
the timeline, the suggestion and the snippets. To compare against older code,
run ``dump`` with ``PYTHONPATH`` pointing at a copy of the old package.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
sys.path.insert(0, str(BENCH))

SHARED = Path(os.environ.get("SEARCHAPP_SHARED", REPO.parent / "shared"))


def load_mix(folder: Path) -> list:
    import queries

    cache = folder / "query-mix.json"
    if cache.exists():
        return queries.from_json(json.loads(cache.read_text(encoding="utf-8")))
    records = _records(folder / "corpus")
    mix = queries.build_mix(records)
    cache.write_text(json.dumps(queries.to_json(mix), ensure_ascii=False), encoding="utf-8")
    return mix


def _records(corpus: Path):
    for path in sorted(corpus.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def _searcher(folder: Path):
    from searchapp.config import load_config
    from searchapp.search.searcher import Searcher

    return Searcher(load_config(folder / "config.toml"))


def _row(result) -> dict:
    return {
        "total": result.total,
        "ids": [h.id for h in result.hits],
        "similar": [h.similar for h in result.hits],
        "scores": [h.score for h in result.hits],
        "snippets": [h.snippet for h in result.hits],
        "facets": {k: [(v.value, v.count, v.selected) for v in vals] for k, vals in result.facets.items()},
        "timeline": result.timeline,
        "suggestion": result.suggestion,
    }


def dump(folder: Path, out: Path) -> None:
    mix = load_mix(folder)
    searcher = _searcher(folder)
    rows = []
    for q in mix:
        rows.append({"query": [q.kind, *map(str, q.key())], **_row(searcher.search(q.q, **q.api_kwargs()))})
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(rows)} queries saved to {out}")


def diff(a: Path, b: Path, show: int = 10) -> int:
    left = json.loads(a.read_text(encoding="utf-8"))
    right = json.loads(b.read_text(encoding="utf-8"))
    if len(left) != len(right):
        print(f"different number of queries: {len(left)} vs {len(right)}")
        return 1
    keys = ("ids", "total", "facets", "similar", "timeline", "suggestion", "snippets", "scores")
    bad = {k: 0 for k in keys}
    shown = 0
    for x, y in zip(left, right, strict=True):
        for k in keys:
            vx, vy = x[k], y[k]
            if k == "scores":
                same = all(abs(p - q) <= 1e-3 for p, q in zip(vx, vy, strict=False)) and len(vx) == len(vy)
            else:
                same = vx == vy
            if not same:
                bad[k] += 1
                if shown < show:
                    shown += 1
                    print(f"{x['query']}: {k} differs\n  before {str(vx)[:300]}\n  after  {str(vy)[:300]}")
    print(f"{len(left)} queries; differing: " + ", ".join(f"{k} {n}" for k, n in bad.items()))
    return 1 if any(bad.values()) else 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = share * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def timing(folder: Path, passes: int) -> None:
    mix = load_mix(folder)
    searcher = _searcher(folder)
    for q in mix:  # warm
        searcher.search(q.q, **q.api_kwargs())
    per_query: list[list[float]] = [[] for _ in mix]
    per_kind: dict[str, list[float]] = {}
    for _ in range(passes):
        for i, q in enumerate(mix):
            started = time.perf_counter()
            searcher.search(q.q, **q.api_kwargs())
            ms = (time.perf_counter() - started) * 1000
            per_query[i].append(ms)
    # The best of the passes per query: other work on the machine only adds time.
    best = [min(t) for t in per_query]
    every = [t for ts in per_query for t in ts]
    for q, ms in zip(mix, best, strict=True):
        per_kind.setdefault(q.kind, []).append(ms)
    print(
        f"{len(mix)} queries x {passes}: all runs p50 {percentile(every, 0.5):.1f} p95 {percentile(every, 0.95):.1f} "
        f"p99 {percentile(every, 0.99):.1f} mean {statistics.fmean(every):.1f} ms; best-of-{passes} p50 "
        f"{percentile(best, 0.5):.1f} p95 {percentile(best, 0.95):.1f} p99 {percentile(best, 0.99):.1f} ms"
    )
    for kind, ms in per_kind.items():
        print(f"  {kind:10s} p50 {percentile(ms, 0.5):7.1f}  p95 {percentile(ms, 0.95):7.1f}  max {max(ms):7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("dump")
    p.add_argument("folder", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("diff")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p = sub.add_parser("time")
    p.add_argument("folder", type=Path)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--no-cache", action="store_true", help="keep no posting lists between searches")
    args = parser.parse_args()
    if getattr(args, "no_cache", False):
        from searchapp.engine import arrays

        arrays.POSTINGS_CACHE = 0
    if args.what == "dump":
        dump(args.folder, args.out)
    elif args.what == "diff":
        return diff(args.a, args.b)
    else:
        timing(args.folder, args.passes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
