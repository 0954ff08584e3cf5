"""Where the time goes: pyinstrument profiles of indexing and of searching.

    python bench/profile.py index [--articles 500]   # a full reindex of N articles, in one process
    python bench/profile.py query [--size 10000]     # 50 queries of the benchmark mix, warm, Python API

Indexing runs with ``index_workers = 1`` so that segmentation happens in the
profiled process. Querying uses the index that ``bench/run.py --size N`` left
in ``bench/data/<N>/``. Each run prints the call tree and two flat tables
(inclusive and self time per function) and saves them in ``bench/out/``.
Needs ``pip install pyinstrument``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

SHARED = Path(os.environ.get("SEARCHAPP_SHARED", REPO.parent / "shared"))
OUT = BENCH / "out"


def _key(frame) -> str:
    path = frame.file_path_short or frame.file_path or "?"
    return f"{frame.function} ({path}:{frame.line_no})"


def flat_tables(root, top: int = 25) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(inclusive, self) seconds per function; recursion is counted once per stack."""
    inclusive: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)

    def walk(frame, active: frozenset[str]) -> None:
        if frame.is_synthetic:
            return
        key = _key(frame)
        if key not in active:
            inclusive[key] += frame.time
        own[key] += frame.total_self_time
        for child in frame.children:
            walk(child, active | {key})

    walk(root, frozenset())
    by_total = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    by_self = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    return by_total, by_self


def report(profiler, title: str, name: str) -> None:
    session = profiler.last_session
    root = session.root_frame()
    total = root.time if root else session.duration
    tree = profiler.output_text(unicode=True, color=False, show_all=False)
    by_total, by_self = flat_tables(root)
    lines = [f"# {title}", "", f"wall {session.duration:.2f} s, CPU {session.cpu_time:.2f} s", ""]
    lines.append("## inclusive time (share of the profiled wall time)")
    lines += [f"{sec:8.3f} s {sec / total * 100:5.1f} %  {key}" for key, sec in by_total]
    lines += ["", "## self time"]
    lines += [f"{sec:8.3f} s {sec / total * 100:5.1f} %  {key}" for key, sec in by_self]
    lines += ["", "## call tree", tree]
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"profile-{name}.txt").write_text(text, encoding="utf-8")
    (OUT / f"profile-{name}.html").write_text(profiler.output_html(), encoding="utf-8")
    print(f"\nsaved {OUT / f'profile-{name}.txt'} and .html", file=sys.stderr)


def profile_index(articles: int) -> None:
    from pyinstrument import Profiler
    from scale_corpus import ScaleCorpus

    from searchapp.analysis import segmentation as analysis
    from searchapp.config import load_config
    from searchapp.index.reindex import reindex

    source = ScaleCorpus(SHARED / "corpus-real", BENCH / "data" / "1000", 1000)
    source.ensure()
    work = BENCH / "data" / "profile"
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    lines = source.files[0].read_text(encoding="utf-8").splitlines()[:articles]
    (work / "corpus" / "part.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(REPO / "config.toml").with_paths(corpus=work / "corpus", index=work / "index")
    config = dataclasses.replace(config, index_workers=1)
    analysis.pyvi_model()  # model loading is not what we are after
    profiler = Profiler(interval=0.001)
    profiler.start()
    result = reindex(config, full=True)
    profiler.stop()
    print(f"{result.summary()}; segmentation {result.segment_seconds:.1f} s", file=sys.stderr)
    report(profiler, f"Full reindex of {len(lines)} articles, one process", "index")


def profile_query(size: int, count: int) -> None:
    from pyinstrument import Profiler
    from run import query_mix
    from scale_corpus import ScaleCorpus

    from searchapp.config import load_config
    from searchapp.search.searcher import Searcher

    folder = BENCH / "data" / str(size)
    if not (folder / "index" / "CURRENT").exists():
        raise SystemExit(f"no index in {folder}; run `python bench/run.py --size {size}` first")
    config = load_config(folder / "config.toml")
    mix = query_mix(ScaleCorpus(SHARED / "corpus-real", folder, size), folder)
    queries = random.Random(3).sample(mix, count)
    searcher = Searcher(config)
    for q in queries:  # warm
        searcher.search(q.q, **q.api_kwargs())
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for q in queries:
        searcher.search(q.q, **q.api_kwargs())
    profiler.stop()
    took = time.perf_counter() - started
    print(f"{count} queries in {took:.2f} s ({took / count * 1000:.1f} ms each, profiler on)", file=sys.stderr)
    report(profiler, f"{count} warm queries of the mix, Python API, {size:,} articles", "query")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("index", "query"))
    parser.add_argument("--articles", type=int, default=500, help="articles to index (index)")
    parser.add_argument("--size", type=int, default=10_000, help="benchmark index to query (query)")
    parser.add_argument("--queries", type=int, default=50, help="queries to run (query)")
    args = parser.parse_args()
    if not (SHARED / "corpus-real").is_dir():
        print(f"The real articles are not at {SHARED}/corpus-real; set SEARCHAPP_SHARED.")
        return 0
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        raise SystemExit("pyinstrument is not installed: pip install pyinstrument") from None
    if args.what == "index":
        profile_index(args.articles)
    else:
        profile_query(args.size, args.queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
