"""Cold start: the first answers after ``serve`` starts and after a reindex.

    python bench/cold_start.py [--corpus FOLDER] [--workers 1]

Copies the corpus folder (default: the bundled sample corpus) into a
temporary folder, indexes it, starts ``searchapp serve`` on a free loopback
port and measures:

- how long ``serve`` takes to listen, and the first answer after it listens,
  against the median of warm answers;
- after one article is added and ``reindex`` has run (the server keeps
  serving), the first answer and the slowest of the next ones, until the new
  article is found; five times, one more article each time, as the median
  and the slowest of the five (one reindex is one sample of a noisy figure).

Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERY = "bien dong"
SWAP_LIMIT = 60.0
WARM_REPEATS = 20
# Reindexes after each of which the first answers are timed.
REINDEX_ROUNDS = 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _searchapp(config: Path, *args: str, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    command = [sys.executable, "-m", "searchapp", "--config", str(config), *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    return subprocess.run(command, capture_output=True, text=True, check=True, **kwargs)


def _ask(port: int) -> tuple[float, int]:
    """Seconds for one search, and its total."""
    url = f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": QUERY})
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        total = json.loads(response.read())["total"]
    return time.perf_counter() - began, total


def measure(corpus: Path, workers: int) -> dict:
    """Cold start on a scratch copy of ``corpus``, indexed first."""
    with tempfile.TemporaryDirectory(prefix="searchapp-cold-") as scratch:
        folder = Path(scratch)
        shutil.copytree(corpus, folder / "corpus")
        config = folder / "config.toml"
        config.write_text('[corpus]\npath = "corpus"\n[index]\npath = "index"\n', encoding="utf-8")
        _searchapp(config, "reindex")
        return measure_indexed(config, folder / "corpus", workers)


def measure_indexed(config: Path, corpus: Path, workers: int) -> dict:
    """Cold start of ``serve`` on the index ``config`` names, which must be up to date.

    One article file per round is added to ``corpus`` for the after-reindex
    figures; they are removed, and the index reindexed again, before this
    returns, so the folder is left as it was found.
    """
    added = [corpus / f"cold-start-added-{n}.txt" for n in range(REINDEX_ROUNDS)]
    port = _free_port()
    began = time.perf_counter()
    server = _searchapp(config, "serve", "--port", str(port), "--workers", str(workers), background=True)
    rounds: list[list[float]] = []
    try:
        server.stdout.readline()  # "Serving searchapp on …": listening
        listening = time.perf_counter() - began
        first, total = _ask(port)
        warm = statistics.median(_ask(port)[0] for _ in range(WARM_REPEATS))
        for n, path in enumerate(added):
            after, found = _after_a_reindex(config, port, path, n, total)
            rounds.append(after)
            if found is None:
                break
            total = found
    finally:
        server.terminate()
        server.wait(timeout=30)
        if any(path.exists() for path in added):
            for path in added:
                path.unlink(missing_ok=True)
            _searchapp(config, "reindex")
    swapped = found is not None  # every round found its article (a miss ends the rounds)
    answers = [s for after in rounds for s in after]
    return {
        "workers": workers,
        "listening_s": listening,
        "first_ms": first * 1000,
        "warm_ms": warm * 1000,
        "after_reindex_rounds": len(rounds),
        "after_reindex_first_ms": statistics.median(after[0] for after in rounds) * 1000,
        "after_reindex_firsts_ms": [after[0] * 1000 for after in rounds],
        "after_reindex_max_ms": max(answers) * 1000,
        "answers_until_new": max(len(after) for after in rounds),
        "swapped": swapped,
    }


def _after_a_reindex(config: Path, port: int, path: Path, n: int, total: int) -> tuple[list[float], int | None]:
    """Add one article, reindex, and ask until the server finds it: the seconds of
    each answer, and the new total (None when it never found it)."""
    path.write_text(f"Biển Đông trong hội đàm mới {n}\n\nHai bên trao đổi về Biển Đông, lần {n}.\n", encoding="utf-8")
    _searchapp(config, "reindex")
    after: list[float] = []
    deadline = time.monotonic() + SWAP_LIMIT
    while time.monotonic() < deadline:
        seconds, now = _ask(port)
        after.append(seconds)
        if now > total:
            return after, now
        time.sleep(0.05)
    return after, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="corpus folder to copy and index")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = parser.parse_args(argv)
    f = measure(args.corpus.resolve(), max(1, args.workers))
    print(f"serve listening after {f['listening_s']:.2f} s (the warm-up included)")
    print(f"first answer after listening {f['first_ms']:.0f} ms; warm median {f['warm_ms']:.0f} ms")
    print(
        f"after a reindex (median of {f['after_reindex_rounds']}): first answer {f['after_reindex_first_ms']:.0f} ms; "
        f"slowest {f['after_reindex_max_ms']:.0f} ms over at most {f['answers_until_new']} answers until the new "
        "article was found"
    )
    if not f["swapped"]:
        print(f"FAILED: the new article was not found within {SWAP_LIMIT:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
