"""A bounded load test: concurrent clients against the production server, on loopback.

    python bench/load.py [--config config.toml] [--clients 8] [--seconds 60] [--workers 1]

Starts ``searchapp serve`` (waitress; gunicorn with ``--workers`` above 1) on a free 127.0.0.1 port for the given
config, whose index must exist, sends the benchmark query mix from ``--clients``
threads for ``--seconds`` seconds, then stops the server and prints requests,
throughput, errors, latency percentiles and the server's memory. The mix is
built from the articles of the config's own corpus (see ``bench/queries.py``),
so it runs on the sample corpus as well as on a benchmark index; for a
benchmark folder it is kept there as ``query-mix.json``.

Exits with status 1 when any request failed (a non-200 answer, a body that is
not the ``ok`` JSON envelope, a refused or timed-out connection). It never
talks to anything but the server it started, and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

MIN_CLIENTS, MAX_CLIENTS = 1, 64
MAX_SECONDS = 600.0


def corpus_records(config) -> list[dict]:
    """Titles and bodies of the config's corpus, enough for the query mix."""
    from searchapp.corpus.articles import Article, iter_corpus_files, read_file

    records: list[dict] = []
    for path in iter_corpus_files(config.corpus_path):
        for item in read_file(path, config.corpus_path):
            if isinstance(item, Article):
                records.append({"title": item.title, "body": item.body})
    return records


def load_mix(config_path: Path, config) -> list:
    """The query mix of the config's corpus; kept beside the config as
    ``query-mix.json`` (the file ``bench/query_compare.py`` keeps too), since
    reading a corpus of 100,000 articles for it takes minutes."""
    import json

    import queries

    cache = config_path.resolve().parent / "query-mix.json"
    if cache.exists():
        return queries.from_json(json.loads(cache.read_text(encoding="utf-8")))
    mix = queries.build_mix(corpus_records(config))
    if cache.parent != REPO:  # not beside the project's own config
        cache.write_text(json.dumps(queries.to_json(mix), ensure_ascii=False), encoding="utf-8")
    return mix


def run(config_path: Path, clients: int, seconds: float, workers: int = 1) -> dict:
    """Serve ``config_path``, load it, stop it: the figures of :func:`run.run_load`."""
    from run import Server, run_load

    from searchapp.config import load_config
    from searchapp.search.searcher import Searcher

    config = load_config(config_path)
    total = Searcher(config).doc_count()  # raises IndexMissing with the fix when there is no index
    mix = load_mix(config_path, config)
    with tempfile.TemporaryDirectory(prefix="searchapp-load-") as scratch:
        server = Server(config_path, Path(scratch) / "server.log", workers)
        try:
            server.wait_ready()
            figures = run_load(server, mix, seconds, clients)
        except BaseException:
            print(Path(scratch, "server.log").read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    return {**figures, "articles": total, "queries": len(mix), "workers": workers}


def render(figures: dict, config_path: Path) -> str:
    rows = [
        ("index", f"{figures['articles']:,} articles ({os.path.relpath(config_path)})"),
        ("query mix", f"{figures['queries']} distinct queries, top-10 with snippets and facets"),
        ("clients / duration", f"{figures['clients']} / {figures['seconds']:.1f} s"),
        ("requests / errors", f"{figures['requests']:,} / {figures['errors']:,}"),
        ("throughput", f"{figures['throughput']:.1f} requests/s"),
        ("latency p50 / p95 / p99", f"{figures['p50']:.1f} / {figures['p95']:.1f} / {figures['p99']:.1f} ms"),
        ("server RSS after (peak)", f"{figures['rss_mb']:,.0f} MB ({figures['hwm_mb']:,.0f} MB)"),
        ("of which its own memory (RssAnon)", f"{figures['anon_mb']:,.0f} MB"),
    ]
    if figures["worker_anon_mb"]:
        own = " / ".join(f"{mb:,.0f}" for mb in figures["worker_anon_mb"])
        rows.insert(2, ("server processes", f"{figures['workers']} workers and their master"))
        rows.append(("each worker's own memory (RssAnon)", f"{own} MB"))
        rows.append(("all processes, shared pages split (PSS)", f"{figures['tree_pss_mb']:,.0f} MB"))
    return "| load | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.toml", help="config of the index to serve")
    parser.add_argument("--clients", type=int, default=8, help=f"concurrent clients ({MIN_CLIENTS}-{MAX_CLIENTS})")
    parser.add_argument("--seconds", type=float, default=60.0, help=f"duration (at most {MAX_SECONDS:g})")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = parser.parse_args(argv)
    if not MIN_CLIENTS <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be between {MIN_CLIENTS} and {MAX_CLIENTS}")
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 0 and {MAX_SECONDS:g}")
    from searchapp.errors import IndexMissing

    try:
        figures = run(args.config.resolve(), args.clients, args.seconds, max(1, args.workers))
    except IndexMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render(figures, args.config))
    if figures["errors"]:
        print(f"FAILED: {figures['errors']} of {figures['requests']} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
