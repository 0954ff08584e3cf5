"""Speed at scale, side by side with tantivy and bm25s (``make bench-small``, ``make bench``).

Builds a deterministic corpus of ``--size`` articles from the real articles in
``$SEARCHAPP_SHARED/corpus-real`` (default: ``../shared`` beside the repository),
then measures:

* a full reindex from an empty index folder (cold segmentation cache), run in a
  child process: wall time, articles/s, segmentation share, peak memory, size;
* incremental reindexes after changing 1, 10 and 100 articles of one file;
* query latency over a fixed mix of 320 queries (top-10 with snippets and facet
  counts) through the Python API and through HTTP on the production server,
  both warm (after one pass of the mix) and over HTTP also as queries new to
  the server; each HTTP client keeps its connection, as a browser does;
* cold start: how soon ``serve`` listens on the index, its first answer, and
  the first answer after a reindex;
* throughput and errors with 8 and 32 concurrent HTTP clients, with one and
  with two server processes, and the memory of each;
* tantivy and bm25s on the same tokens (see ``peers.py``).

The figures are printed and appended to ``BENCHMARKS-speed.md`` (``--out``).
Generated data lives in ``bench/data/<size>/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

SHARED = Path(os.environ.get("SEARCHAPP_SHARED", REPO.parent / "shared"))
DATA = BENCH / "data"
DEFAULT_OUT = REPO / "BENCHMARKS-speed.md"
CLIENTS = 8
# Concurrent clients and server processes of the load runs.
LOAD_CLIENTS = (8, 32)
WORKERS = (1, 2)
INCREMENTS = (1, 10, 100)
HTTP_WARMUP = 40


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the machine and the code --------------------------------------------------------


def machine() -> dict:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count() or 1,
        "cpu": model,
        "ram_gb": ram_kb / 1024 / 1024,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# -- memory of a process tree -----------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def _proc_kb(pid: int, file: str, key: str) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def tree_pss_kb(root: int) -> int:
    """Proportional memory of a process and all its descendants (shared pages split)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _proc_kb(pid, "smaps_rollup", "Pss:") or _proc_kb(pid, "status", "VmRSS:")
        todo += _children(pid)
    return total


class TreeSampler(threading.Thread):
    """Samples :func:`tree_pss_kb` of a process until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            began = time.perf_counter()
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.pid))
            # Reading the memory of a large tree walks all its pages: on a 15 GB build one read took
            # about 80 ms, a third of a core at four reads a second. Keep the sampler near 2 % of one.
            self._stop_event.wait(max(self.every, 50 * (time.perf_counter() - began)))

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kb


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


# -- set-up ----------------------------------------------------------------------------


def write_config(folder: Path) -> Path:
    """A config file for the scale corpus; everything else keeps its default."""
    path = folder / "config.toml"
    path.write_text('[corpus]\npath = "corpus"\n\n[index]\npath = "index"\n', encoding="utf-8")
    return path


def child_reindex(config_path: str) -> int:
    """Run in the child process: one full reindex, its report as JSON on stdout."""
    from searchapp.config import load_config
    from searchapp.index.reindex import reindex

    report = reindex(load_config(config_path), full=True)
    print(
        json.dumps(
            {
                "seconds": report.seconds,
                "segment_seconds": report.segment_seconds,
                "added": report.added,
                "failed": len(report.failed),
            }
        )
    )
    return 0


# -- measurements ------------------------------------------------------------------------


@dataclass
class Results:
    size: int
    figures: dict = field(default_factory=dict)
    per_kind: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[min(len(ordered), rank) - 1]


def latency_summary(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "max": max(ms) if ms else float("nan"),
        "mean": statistics.fmean(ms) if ms else float("nan"),
    }


def measure_full_reindex(config_path: Path, index_path: Path, size: int) -> dict:
    shutil.rmtree(index_path, ignore_errors=True)
    log("full reindex (child process, empty index folder, cold segmentation cache)")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child-reindex", str(config_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(child.pid)
    sampler.start()
    out, _ = child.communicate()
    wall = time.perf_counter() - started
    peak_tree_kb = sampler.stop()
    if child.returncode != 0:
        raise SystemExit(f"the reindex child failed with status {child.returncode}")
    report = json.loads(out.strip().splitlines()[-1])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    from searchapp.index import store

    live = store.live_generation(index_path)
    return {
        "reindex_s": report["seconds"],
        "reindex_wall_s": wall,
        "articles": report["added"],
        "failed": report["failed"],
        "articles_per_s": report["added"] / report["seconds"] if report["seconds"] else 0.0,
        "segment_s": report["segment_seconds"],
        "segment_share": report["segment_seconds"] / report["seconds"] if report["seconds"] else 0.0,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_tree_pss_mb": peak_tree_kb / 1024,
        "index_mb": folder_bytes(live) / 1e6 if live else 0.0,
        "segcache_mb": (index_path / "segments.sqlite").stat().st_size / 1e6
        if (index_path / "segments.sqlite").exists()
        else 0.0,
    }


def edit_articles(path: Path, count: int, tag: str) -> None:
    """Change the first ``count`` articles of a JSONL file, as a user's edit would."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i in range(count):
        record = json.loads(lines[i])
        record["body"] += f"\nCập nhật {tag}: bài viết được bổ sung thông tin mới."
        lines[i] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Make sure the edit is seen even on a coarse-clock file system.
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1000))


def measure_incremental(config, corpus, repeats: dict[int, int]) -> dict:
    from searchapp.index.reindex import reindex

    index = len(corpus.files) - 1
    target = corpus.files[index]
    figures = {}
    try:
        for count in INCREMENTS:
            times = []
            for r in range(repeats[count]):
                corpus.restore_file(index)
                edit_articles(target, count, f"{count}-{r}")
                report = reindex(config)
                if report.updated != count:
                    raise SystemExit(f"incremental reindex updated {report.updated}, expected {count}")
                times.append(report.seconds)
                log(f"incremental reindex of {count} article(s): {report.seconds:.2f} s")
            figures[count] = statistics.median(times)
    finally:
        # The corpus is left as generated; the index catches up at the next run
        # (a full reindex, or the incremental one of --reuse-index).
        corpus.restore_file(index)
    return figures


def query_mix(corpus, folder: Path) -> list:
    """The query mix, cached beside the corpus it was built from."""
    import hashlib

    import queries

    stamp = (folder / "corpus-stamp.json").read_bytes()
    key = hashlib.blake2b(stamp + Path(queries.__file__).read_bytes(), digest_size=12).hexdigest()
    cache = folder / "queries.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(cache.read_text(encoding="utf-8"))
        if saved["key"] == key:
            return queries.from_json(saved["queries"])
    mix = queries.build_mix(corpus.articles())
    cache.write_text(json.dumps({"key": key, "queries": queries.to_json(mix)}, ensure_ascii=False), encoding="utf-8")
    return mix


def run_api(config, mix: list, passes: int) -> tuple[dict, dict[str, list[float]], list[int]]:
    from searchapp.search.searcher import Searcher

    searcher = Searcher(config)
    totals: list[int] = []
    for q in mix:  # warm-up pass: opens the index, loads pyvi, fills caches
        totals.append(searcher.search(q.q, **q.api_kwargs()).total)
    per_kind: dict[str, list[float]] = {}
    all_ms: list[float] = []
    for _ in range(passes):
        for q in mix:
            started = time.perf_counter()
            result = searcher.search(q.q, **q.api_kwargs())
            ms = (time.perf_counter() - started) * 1000
            assert result.hits is not None and result.facets is not None
            per_kind.setdefault(q.kind, []).append(ms)
            all_ms.append(ms)
    searcher.close()
    return latency_summary(all_ms), per_kind, totals


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m searchapp serve`` in a child process."""

    def __init__(self, config_path: Path, log_path: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("w")
        serve = ["serve", "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "searchapp", "--config", str(config_path), *serve],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with status {self.process.returncode}; see {self._log.name}")
            try:
                with urllib.request.urlopen(self.base + "/api/search?q=ASEAN", timeout=30) as response:
                    response.read()
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise SystemExit(f"the server did not answer within {timeout:.0f} s")

    def rss_mb(self) -> tuple[float, float]:
        pid = self.process.pid
        return _proc_kb(pid, "status", "VmRSS:") / 1024, _proc_kb(pid, "status", "VmHWM:") / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class Client:
    """One HTTP client as a browser is one: a kept-alive connection, opened again
    when the server has closed it (idle timeout, restart)."""

    def __init__(self, base: str) -> None:
        address = urllib.parse.urlsplit(base)
        self._host, self._port = address.hostname or "127.0.0.1", address.port or 80
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        """``(status, body)`` of one GET, the body read to its end."""
        for attempt in range(2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
            try:
                self._connection.request("GET", path)
                response = self._connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def answered(status: int, body: bytes) -> bool:
    """True when a search answered ``ok`` with hits and facets."""
    if status != 200:
        return False
    data = json.loads(body)
    return data.get("ok") is True and "facets" in data


def timed_search(client: Client, q) -> tuple[float, bool]:
    """Milliseconds from the request to the last byte of the answer, and whether
    it was a good one; the client's own JSON parsing is not timed."""
    started = time.perf_counter()
    try:
        status, body = client.get(f"/api/search?{q.url_query()}")
    except (OSError, http.client.HTTPException):
        return (time.perf_counter() - started) * 1000, False
    ms = (time.perf_counter() - started) * 1000
    try:
        return ms, answered(status, body)
    except ValueError:
        return ms, False


def run_http(server: Server, mix: list, passes: int) -> tuple[dict, dict, dict[str, list[float]], int]:
    """Latency over HTTP: a pass over queries the server has not seen yet, then
    ``passes`` warm ones, in the state the Python API is timed in (after one
    pass of the whole mix: its posting lists and caches loaded).

    :returns: the first pass's summary, the warm passes' summary, the warm
        passes' times by kind of query, and how many requests failed.
    """
    errors = 0
    client = Client(server.base)
    # Warm-up: the index files are already in the page cache (the API pass read
    # them); this opens the server's searchers and loads pyvi and the tables.
    for q in mix[:: max(1, len(mix) // HTTP_WARMUP)]:
        errors += not timed_search(client, q)[1]
    summaries, per_kind = [], {}
    for number in range(1 + passes):
        kinds: dict[str, list[float]] = {}
        all_ms: list[float] = []
        for q in mix:
            ms, good = timed_search(client, q)
            errors += not good
            kinds.setdefault(q.kind, []).append(ms)
            all_ms.append(ms)
        summaries.append(all_ms)
        if number:
            for kind, times in kinds.items():
                per_kind.setdefault(kind, []).extend(times)
    client.close()
    warm = [ms for times in summaries[1:] for ms in times]
    return latency_summary(summaries[0]), latency_summary(warm), per_kind, errors


def run_load(server: Server, mix: list, seconds: float, clients: int = CLIENTS) -> dict:
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    done, errors, latencies = [0], [0], []

    def client(start: int) -> None:
        i = start
        mine: list[float] = []
        ok = bad = 0
        web = Client(server.base)
        while time.perf_counter() < deadline:
            q = mix[i % len(mix)]
            i += 1
            ms, good = timed_search(web, q)
            ok += good
            bad += not good
            mine.append(ms)
        web.close()
        with lock:
            done[0] += ok
            errors[0] += bad
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n * len(mix) // clients,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    rss, hwm = server.rss_mb()
    # Index pages the kernel mapped in from disk count in RSS but are shared,
    # reclaimable page cache; the process's own memory is RssAnon.
    anon = _proc_kb(server.process.pid, "status", "RssAnon:") / 1024
    # With several workers the serve process is their master: each worker's own
    # memory, and the whole tree's with shared pages split between them.
    workers = _children(server.process.pid)
    worker_anon = [_proc_kb(pid, "status", "RssAnon:") / 1024 for pid in workers]
    summary = latency_summary(latencies)
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": done[0] + errors[0],
        "throughput": (done[0] + errors[0]) / elapsed,
        "errors": errors[0],
        "p50": summary["p50"],
        "p95": summary["p95"],
        "p99": summary["p99"],
        "rss_mb": rss,
        "hwm_mb": hwm,
        "anon_mb": anon,
        "worker_anon_mb": worker_anon,
        "tree_pss_mb": tree_pss_kb(server.process.pid) / 1024,
    }


# Memory a peer may add to the benchmark process before it is stopped (bytes).
PEER_MEMORY = 12 * 1024**3


def run_peers(config, mix: list, folder: Path, passes: int) -> tuple[dict, dict]:
    import peers

    log("peers: reading our documents and their tokens")
    docs, prep_s = peers.load_documents(config)
    tokenized = [peers.tokenize_query(q) for q in mix]
    figures, per_kind = {"prep_s": prep_s}, {}
    for peer in (peers.TantivyPeer(folder / "tantivy"), peers.Bm25sPeer(folder / "bm25s")):
        log(f"peers: {peer.name} indexing {len(docs):,} documents")
        outcome = _in_child(lambda peer=peer: _measure_peer(peer, docs, mix, tokenized, passes))
        if isinstance(outcome, str):
            log(f"peers: {peer.name} failed: {outcome}")
            figures[peer.name] = {"failed": outcome}
            continue
        figures[peer.name], per_kind[peer.name] = outcome
    return figures, per_kind


def _measure_peer(peer, docs, mix, tokenized, passes) -> tuple[dict, dict]:
    build_s = peer.build(docs)
    for q in tokenized:  # warm-up pass
        peer.search(q)
    kinds: dict[str, list[float]] = {}
    all_ms = []
    for _ in range(passes):
        for q, pq in zip(mix, tokenized, strict=True):
            started = time.perf_counter()
            peer.search(pq)
            ms = (time.perf_counter() - started) * 1000
            kinds.setdefault(q.kind, []).append(ms)
            all_ms.append(ms)
    figures = {
        "index_s": build_s,
        "docs_per_s": len(docs) / build_s if build_s else 0.0,
        "size_mb": peer.size_bytes() / 1e6,
        **latency_summary(all_ms),
    }
    return figures, kinds


def _in_child(work):
    """``work()`` in a forked child capped at :data:`PEER_MEMORY` more memory:
    its result, or a string saying why it failed (a peer running out of memory
    must not take the whole benchmark, or the machine, down with it)."""
    import pickle

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            used = _proc_kb(os.getpid(), "status", "VmSize:") * 1024
            resource.setrlimit(resource.RLIMIT_AS, (used + PEER_MEMORY, used + PEER_MEMORY))
            payload = pickle.dumps(work())
        except MemoryError:
            payload = pickle.dumps(f"out of memory (more than {PEER_MEMORY / 1024**3:.0f} GB)")
        except Exception as exc:  # noqa: BLE001 - reported in the table
            payload = pickle.dumps(f"{type(exc).__name__}: {exc}")
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as inp:
        payload = inp.read()
    _, status = os.waitpid(pid, 0)
    if not payload:
        return f"the process died (wait status {status})"
    return pickle.loads(payload)


# -- report ---------------------------------------------------------------------------------


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:
            return "–"
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(ours, theirs) -> str:
    if not ours or not theirs:
        return "–"
    return f"{ours / theirs:,.0f}×" if ours / theirs >= 10 else f"{ours / theirs:,.1f}×"


def _cold_lines(cold: dict | None) -> list[str]:
    if not cold:
        return []
    return [
        "",
        f"| cold start, `serve --workers {cold['workers']}` on this index (its files in the page cache) | value |",
        "|---|---:|",
        f"| `serve` listening (it opens and warms the index first) | {_fmt(cold['listening_s'], 2)} s |",
        f"| first answer after listening / warm median | {_fmt(cold['first_ms'], 0)} / {_fmt(cold['warm_ms'], 0)} ms |",
        f"| first answer after a reindex (one article added; median of {cold.get('after_reindex_rounds', 1)} "
        f"reindexes) / slowest of all answers until found "
        f"| {_fmt(cold['after_reindex_first_ms'], 0)} / {_fmt(cold['after_reindex_max_ms'], 0)} ms |",
    ]


def _load_lines(loads: list[dict]) -> list[str]:
    if not loads:
        return []
    lines = [
        "",
        "Concurrent HTTP clients, each for the whole run; own memory is `RssAnon` (the rest of RSS is index",
        "pages mapped from disk, shared between workers)",
        "",
        "| workers | clients | s | requests/s | vs 1 worker | errors | p50 / p95 ms | own memory per worker, MB | "
        "all processes, PSS MB |",
        "|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    single = {load["clients"]: load["throughput"] for load in loads if load["workers"] == 1}
    for load in loads:
        per_worker = load["worker_anon_mb"] if load["workers"] > 1 else [load["anon_mb"]]
        base = single.get(load["clients"])
        lines.append(
            f"| {load['workers']} | {load['clients']} | {load['seconds']:.0f} | {_fmt(load['throughput'])} | "
            f"{_ratio(load['throughput'], base) if base else '–'} | {load['errors']:,} | "
            f"{_fmt(load['p50'])} / {_fmt(load['p95'])} | {', '.join(_fmt(mb, 0) for mb in per_worker)} | "
            f"{_fmt(load['tree_pss_mb'], 0)} |"
        )
    return lines


def render(res: Results, info: dict) -> str:
    f = res.figures
    lines = [
        f"## {info['date']}: {res.size:,} articles",
        "",
        f"- command: `{info['command']}`",
        f"- data: {res.size:,} generated articles ({info['corpus_mb']:.0f} MB of JSONL, "
        f"{info['files']} files) from {info['sources']:,} real articles of `corpus-real`; "
        "partners and topics extracted by the indexer",
        f"- code: commit `{info['commit']}`",
        f"- machine: {info['cores']} cores, {info['cpu']}, {info['ram_gb']:.0f} GB RAM, "
        f"Python {info['python']}, {info['os']}",
        f"- took: {info['elapsed_s'] / 60:.1f} min in all; load average (1 min) "
        f"{info['load_start']:.2f} at the start, {info['load_end']:.2f} at the end "
        "(other work on the machine skews every figure)",
        "",
    ]
    if "reindex_s" in f:
        lines += [
            "| indexing | value |",
            "|---|---:|",
            f"| full reindex (empty folder, cold segmentation cache) | {_fmt(f['reindex_s'])} s |",
            f"| articles/s | {_fmt(f['articles_per_s'])} |",
            f"| segmentation share (`segment_seconds / seconds`) | {f['segment_share'] * 100:.0f} % |",
            f"| peak RSS, largest process (`ru_maxrss`) | {_fmt(f['peak_rss_mb'], 0)} MB |",
            f"| peak PSS, reindex process + workers (sampled) | {_fmt(f['peak_tree_pss_mb'], 0)} MB |",
            f"| index size on disk (+ segmentation cache) | {_fmt(f['index_mb'], 0)} MB "
            f"(+ {_fmt(f['segcache_mb'], 0)} MB) |",
        ]
    if "incremental" in f:
        if "reindex_s" not in f:  # a reused index: the rows still need the table's head
            lines += ["| indexing | value |", "|---|---:|"]
        for count, seconds in f["incremental"].items():
            lines.append(
                f"| incremental reindex, {count} changed article{'s' if count != 1 else ''} "
                f"(median of {f['incremental_repeats'][count]}) | {_fmt(seconds, 2)} s |"
            )
    lines.append("")
    rows = [
        ("Python API, warm", f.get("api")),
        ("HTTP `/api/search`, warm", f.get("http")),
        ("HTTP `/api/search`, each query new to the server", f.get("http_first")),
    ]
    lines += [
        f"Query latency, ms, over {f.get('queries', 0)} distinct queries (top-10, snippets, facet counts); "
        f"median matches per query: {_fmt(f.get('median_total'), 0)} of {res.size:,}",
        "",
        "| path | p50 | p95 | p99 | max | mean | n |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows:
        if row:
            lines.append(
                f"| {name} | {_fmt(row['p50'])} | {_fmt(row['p95'])} | {_fmt(row['p99'])} | {_fmt(row.get('max'))} | "
                f"{_fmt(row['mean'])} | {row['n']} |"
            )
    lines += _cold_lines(f.get("cold")) + _load_lines(f.get("loads") or [])
    if f.get("http_errors"):
        lines.append(f"\nHTTP errors in the latency passes: {f['http_errors']}")
    peers = f.get("peers")
    if peers:
        ours_index = f.get("reindex_s")
        ours_noseg = ours_index - f["segment_s"] if ours_index else None
        api = f.get("api") or {}
        lines += [
            "",
            "Peers on the same tokens (their query times exclude query tokenization; ratios are ours / theirs)",
            "",
            "| engine | index s | docs/s | size MB | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        if ours_index:
            lines.append(
                f"| searchapp (Whoosh) | {_fmt(ours_index)} | {_fmt(f['articles_per_s'])} | "
                f"{_fmt(f['index_mb'], 0)} | {_fmt(api.get('p50'))} | {_fmt(api.get('p95'))} | {_fmt(api.get('p99'))} |"
            )
        for name in ("tantivy", "bm25s"):
            p = peers[name]
            if "failed" in p:
                lines.append(f"| {name} | failed: {p['failed']} | | | | | |")
                continue
            lines.append(
                f"| {name} | {_fmt(p['index_s'], 2)} | {_fmt(p['docs_per_s'], 0)} | {_fmt(p['size_mb'], 0)} | "
                f"{_fmt(p['p50'], 2)} | {_fmt(p['p95'], 2)} | {_fmt(p['p99'], 2)} |"
            )
        lines += ["", "| ratio, searchapp / peer | index time | index time without segmentation | p50 | p95 |"]
        lines.append("|---|---:|---:|---:|---:|")
        for name in ("tantivy", "bm25s"):
            p = peers[name]
            if "failed" in p:
                continue
            lines.append(
                f"| vs {name} | {_ratio(ours_index, p['index_s'])} | {_ratio(ours_noseg, p['index_s'])} | "
                f"{_ratio(api.get('p50'), p['p50'])} | {_ratio(api.get('p95'), p['p95'])} |"
            )
        lines.append(f"\n(peer token preparation from our index: {peers['prep_s']:.1f} s, not counted)")
    if res.per_kind:
        engines = list(res.per_kind)
        lines += [
            "",
            "p50 / p95 ms by kind of query",
            "",
            "| kind | n | " + " | ".join(engines) + " |",
            "|---|---:|" + "---:|" * len(engines),
        ]
        kinds = list(next(iter(res.per_kind.values())))
        for kind in kinds:
            cells = []
            n = 0
            for engine in engines:
                ms = res.per_kind[engine].get(kind, [])
                n = n or len(ms)
                cells.append(f"{_fmt(percentile(ms, 0.5))} / {_fmt(percentile(ms, 0.95))}" if ms else "–")
            lines.append(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    for note in res.notes:
        lines.append(f"\n{note}")
    return "\n".join(lines) + "\n"


HEADER = """# Speed benchmarks

Written by `bench/run.py` (`make bench-small`: 10,000 articles; `make bench`: 100,000).
Each run appends one section. The corpus is generated from the real articles of
`corpus-real` (see `bench/scale_corpus.py`); the query mix is in `bench/queries.py`.

"""


def write_report(path: Path, text: str) -> None:
    if path.exists():
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    else:
        path.write_text(HEADER + text, encoding="utf-8")


# -- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="number of articles (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="10 s of concurrent load instead of 60 s, fewer repeats")
    parser.add_argument("--skip-http", action="store_true", help="no server: no HTTP latency, no load test")
    parser.add_argument("--skip-peers", action="store_true", help="no tantivy / bm25s comparison")
    parser.add_argument("--reuse-index", action="store_true", help="keep an existing index (no full reindex figure)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to append to")
    parser.add_argument("--child-reindex", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_reindex:
        return child_reindex(args.child_reindex)
    real = SHARED / "corpus-real"
    if not real.is_dir():
        print(f"The real articles are not at {real}; set SEARCHAPP_SHARED. Nothing to benchmark.")
        return 0
    if args.size < 1000:
        parser.error("--size must be at least 1000")

    from scale_corpus import ScaleCorpus

    from searchapp.config import load_config
    from searchapp.index.reindex import reindex

    began = time.perf_counter()
    load_start = os.getloadavg()[0]
    folder = DATA / str(args.size)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = ScaleCorpus(real, folder, args.size)
    log(f"corpus: {args.size:,} articles in {corpus.corpus}")
    corpus.ensure()
    config_path = write_config(folder)
    config = load_config(config_path)
    res = Results(args.size)
    f = res.figures

    saved = folder / "full-reindex.json"
    if args.reuse_index and (config.index_path / "CURRENT").exists():
        log("reusing the existing index (incremental reindex only)")
        reindex(config)
        if saved.exists():
            f.update(json.loads(saved.read_text(encoding="utf-8")))
            res.notes.append(f"The full-reindex figures are those of the last full run ({f.get('measured_at')}).")
    else:
        f.update(measure_full_reindex(config_path, config.index_path, args.size))
        f["measured_at"] = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        saved.write_text(json.dumps(f), encoding="utf-8")
        log(
            f"full reindex: {f['reindex_s']:.1f} s, {f['articles_per_s']:.1f} articles/s, "
            f"segmentation {f['segment_share'] * 100:.0f} %"
        )

    mix = query_mix(corpus, folder)
    f["queries"] = len(mix)
    passes = 1
    log(f"Python API: {len(mix)} queries, warm-up pass then {passes} timed pass(es)")
    f["api"], res.per_kind["searchapp API"], totals = run_api(config, mix, passes)
    f["median_total"] = statistics.median(totals)
    log(f"Python API: p50 {f['api']['p50']:.1f} ms, p95 {f['api']['p95']:.1f} ms")

    if not args.skip_http:
        from cold_start import measure_indexed

        log("cold start: serve on this index, first answer, then one article added and reindexed")
        f["cold"] = measure_indexed(config_path, corpus.corpus, workers=1)
        log(
            f"cold start: listening after {f['cold']['listening_s']:.1f} s, first answer "
            f"{f['cold']['first_ms']:.0f} ms, after a reindex {f['cold']['after_reindex_first_ms']:.0f} ms"
        )
        seconds = 10 if args.quick else 60
        f["loads"] = []
        for workers in WORKERS:
            server = Server(config_path, folder / f"serve-{workers}.log", workers=workers)
            try:
                server.wait_ready()
                if workers == 1:
                    log("HTTP: warm-up pass then timed pass")
                    f["http_first"], f["http"], res.per_kind["searchapp HTTP"], f["http_errors"] = run_http(
                        server, mix, passes
                    )
                    log(f"HTTP: p50 {f['http']['p50']:.1f} ms, p95 {f['http']['p95']:.1f} ms")
                else:
                    run_http(server, mix[:: max(1, len(mix) // HTTP_WARMUP)], 1)  # warm every worker
                for clients in LOAD_CLIENTS:
                    log(f"HTTP load: {workers} worker(s), {clients} clients for {seconds} s")
                    load = {"workers": workers, **run_load(server, mix, seconds, clients)}
                    f["loads"].append(load)
                    log(f"HTTP load: {load['throughput']:.1f} requests/s, {load['errors']} errors")
            finally:
                server.stop()

    if not args.skip_peers:
        f["peers"], peer_kinds = run_peers(config, mix, folder / "peers", passes)
        for name, kinds in peer_kinds.items():
            res.per_kind[name] = kinds
        for name in ("tantivy", "bm25s"):
            p = f["peers"][name]
            if "failed" in p:
                continue
            log(f"{name}: index {p['index_s']:.2f} s, p50 {p['p50']:.2f} ms, p95 {p['p95']:.2f} ms")

    repeats = {1: 1, 10: 1, 100: 1} if args.quick else {1: 3, 10: 3, 100: 1}
    f["incremental_repeats"] = repeats
    f["incremental"] = measure_incremental(config, corpus, repeats)

    info = {
        **machine(),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": "python bench/run.py " + " ".join(sys.argv[1:]),
        "commit": git_commit(),
        "corpus_mb": sum(p.stat().st_size for p in corpus.files) / 1e6,
        "files": len(corpus.files),
        "sources": corpus.source_count(),
        "elapsed_s": time.perf_counter() - began,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
    }
    text = render(res, info)
    print(text)
    write_report(args.out, text)
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
