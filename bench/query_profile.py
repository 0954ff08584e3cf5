"""pyinstrument profile of the query mix on any folder ``query_compare.py`` accepts.

python bench/query_profile.py FOLDER [--kind "2-4 words"] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from query_compare import _searcher, load_mix  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--kind", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from pyinstrument import Profiler

    mix = [q for q in load_mix(args.folder) if args.kind is None or q.kind == args.kind]
    searcher = _searcher(args.folder)
    for q in mix:
        searcher.search(q.q, **q.api_kwargs())
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for q in mix:
        searcher.search(q.q, **q.api_kwargs())
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
