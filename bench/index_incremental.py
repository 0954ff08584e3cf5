"""Time incremental reindexes after changing 1, 10 and 100 articles of a scale corpus.

    python bench/index_incremental.py FOLDER [--counts 1 10 100] [--repeats 3] [--cli]

``FOLDER`` holds ``corpus/`` made by ``bench/scale_corpus.py`` (size read from
its stamp) and ``config.toml`` whose index is already built. The last corpus
file is edited as ``bench/run.py`` does, reindexed, and restored at the end
(the index then catches up at the next reindex). ``--cli`` times a whole
``python -m searchapp reindex`` process (start-up included) instead of the
in-process ``reindex()`` call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> int:
    from run import edit_articles
    from scale_corpus import ScaleCorpus

    from searchapp.config import load_config
    from searchapp.index.reindex import reindex

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cli", action="store_true")
    parser.add_argument("--real", type=Path, default=REPO.parent / "shared" / "corpus-real")
    args = parser.parse_args()
    stamp = json.loads((args.folder / "corpus-stamp.json").read_text(encoding="utf-8"))
    corpus = ScaleCorpus(args.real, args.folder, stamp["stamp"]["size"])
    config_path = args.folder / "config.toml"
    config = load_config(config_path)
    index = len(corpus.files) - 1
    target = corpus.files[index]
    try:
        # Bring the index in line with the generated corpus first.
        corpus.restore_file(index)
        os.utime(target, ns=(time.time_ns(), time.time_ns() + 1000))
        reindex(config)
        for count in args.counts:
            times = []
            for r in range(args.repeats):
                corpus.restore_file(index)
                edit_articles(target, count, f"{count}-{r}-{time.time_ns()}")
                started = time.perf_counter()
                if args.cli:
                    done = subprocess.run(
                        [sys.executable, "-m", "searchapp", "--config", str(config_path), "reindex"],
                        capture_output=True,
                        text=True,
                        check=True,
                        cwd=REPO,
                    )
                    ok = f"updated {count:,}," in done.stdout + done.stderr
                else:
                    ok = reindex(config).updated == count
                times.append(time.perf_counter() - started)
                if not ok:
                    raise SystemExit(f"the reindex did not update {count} article(s)")
            print(
                f"{count:>4} changed: median {statistics.median(times):.2f} s  ({', '.join(f'{t:.2f}' for t in times)})"
            )
    finally:
        corpus.restore_file(index)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
