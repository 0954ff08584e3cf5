"""Same-story grouping on an index: how many groups, and a sample to read.

Usage: python bench/stories_report.py [--sample N]  (uses the evaluation index
that `make eval` builds over the real articles).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

import evaluate  # noqa: E402

from searchapp.search.searcher import Searcher  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=8)
    args = parser.parse_args()
    if not (evaluate.SHARED / "corpus-real").is_dir():
        print("The real articles are not available; nothing to report.")
        return 0
    config = evaluate.prepare_index()
    searcher = Searcher(config)
    groups = searcher.story_groups()
    sizes = Counter(len(m) for m in groups.values())
    grouped = sum(len(m) for m in groups.values())
    print(f"articles: {searcher.doc_count():,}; stories with 2+ articles: {len(groups):,} holding {grouped:,} articles")
    print("group sizes: " + ", ".join(f"{size}: {count}" for size, count in sorted(sizes.items())))
    rng = random.Random(7)
    for story in rng.sample(sorted(groups), min(args.sample, len(groups))):
        print("\n--")
        for article_id in groups[story]:
            article = searcher.article(article_id) or {}
            print(f"  [{article_id}] {article.get('title', '')[:90]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
