"""Ranking evaluation on the judged sets (``make eval``, ``make ablation``).

Indexes the four raw-text files of the shared real-article folder (once; the
index is reused while the files and the schema are unchanged) and reports
known-item MRR@10 / Recall@10 and topical nDCG@10, each for the query as typed
and without diacritics. ``--ablation`` runs named ranking configurations side
by side and lists per-query wins and losses against the default.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from searchapp.config import load_config  # noqa: E402
from searchapp.indexer import reindex  # noqa: E402
from searchapp.search import Searcher  # noqa: E402

SHARED = Path(os.environ.get("SEARCHAPP_SHARED", REPO.parent / "shared"))
RAW_FILES = (
    "articles-seeds.jsonl",
    "articles-dantri-unc.jsonl",
    "articles-baomoi-magizbox.jsonl.gz",
    "articles-crawlnews-2026.jsonl",
)
WORK = REPO / ".eval"

# Named ranking variants for the ablation table: each differs from the
# default in one rule, so the table shows what each rule is worth.
ABLATIONS: dict[str, dict] = {
    "default": {},
    "no-coverage": {"coverage_power": 0.0},
    "coverage-2": {"coverage_power": 2.0},
    "no-words": {"words_weight": 0.0},
    "words-0.5": {"words_weight": 0.5},
    "no-foldwords": {"fold_words_weight": 0.0},
    "foldwords-1.0": {"fold_words_weight": 1.0},
    "no-synonyms": {"synonym_weight": 0.0},
    "synonyms-1.0": {"synonym_weight": 1.0},
    "no-proximity": {"proximity_weight": 0.0},
    "proximity-0.4-s8": {"proximity_weight": 0.4, "proximity_slop": 8},
    "baseline": {"coverage_power": 0.0, "words_weight": 0.0, "fold_words_weight": 0.0, "synonym_weight": 0.0, "proximity_weight": 0.0},
}


def prepare_index(rebuild: bool = False):
    """Build (or reuse) the evaluation index over the raw-text files."""
    corpus = WORK / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name in RAW_FILES:
        link = corpus / name
        if not link.exists():
            link.symlink_to(SHARED / "corpus-real" / name)
    config = load_config(REPO / "config.toml").with_paths(corpus=corpus, index=WORK / "index")
    started = time.perf_counter()
    report = reindex(config, full=rebuild)
    print(f"index: {report.summary()} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return config


def load_jsonl(name: str) -> list[dict]:
    with (SHARED / "eval" / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ranked_ids(searcher: Searcher, query: str, k: int = 10) -> list[str]:
    result = searcher.search(query, per_page=k, snippets=False)
    return [h.id for h in result.hits]


def known_item(searcher: Searcher, items: list[dict], field: str) -> tuple[float, float, dict]:
    rr_total, found, per_query = 0.0, 0, {}
    for item in items:
        wanted = {item["target_id"], *item.get("also_relevant", [])}
        ids = ranked_ids(searcher, item[field])
        rank = next((i for i, d in enumerate(ids, 1) if d in wanted), None)
        rr = 1.0 / rank if rank else 0.0
        rr_total += rr
        found += rank is not None
        per_query[item["qid"]] = rr
    n = len(items)
    return rr_total / n, found / n, per_query


def ndcg(ids: list[str], judgments: dict[str, int], k: int = 10) -> float:
    dcg = sum(judgments.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ids[:k]))
    ideal = sorted(judgments.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def topical(searcher: Searcher, items: list[dict], field: str) -> tuple[float, dict, int]:
    total, per_query, unjudged = 0.0, {}, 0
    for item in items:
        ids = ranked_ids(searcher, item[field])
        score = ndcg(ids, item["judgments"])
        unjudged += sum(1 for d in ids if d not in item["judgments"])
        total += score
        per_query[item["qid"]] = score
    return total / len(items), per_query, unjudged


def evaluate(config) -> dict:
    searcher = Searcher(config)
    known, topics = load_jsonl("dev-queries.jsonl"), load_jsonl("topical-dev.jsonl")
    out = {}
    for field in ("query", "query_plain"):
        mrr, recall, per_known = known_item(searcher, known, field)
        score, per_topic, unjudged = topical(searcher, topics, field)
        out[field] = {
            "mrr": mrr,
            "recall": recall,
            "ndcg": score,
            "unjudged": unjudged,
            "per_query": {**per_known, **per_topic},
        }
    return out


def print_table(rows: dict[str, dict]) -> None:
    header = f"{'config':<16} {'MRR@10':>7} {'MRR@10':>7} {'R@10':>5} {'R@10':>5} {'nDCG@10':>8} {'nDCG@10':>8} {'unjudged':>9}"
    print(header)
    print(f"{'':<16} {'acc':>7} {'plain':>7} {'acc':>5} {'plain':>5} {'acc':>8} {'plain':>8} {'acc/plain':>9}")
    for name, res in rows.items():
        a, p = res["query"], res["query_plain"]
        print(
            f"{name:<16} {a['mrr']:7.3f} {p['mrr']:7.3f} {a['recall']:5.2f} {p['recall']:5.2f} "
            f"{a['ndcg']:8.3f} {p['ndcg']:8.3f} {a['unjudged']:>4}/{p['unjudged']:<4}"
        )


def print_diffs(name: str, res: dict, base: dict) -> None:
    for field in ("query", "query_plain"):
        wins, losses = [], []
        for qid, score in res[field]["per_query"].items():
            delta = score - base[field]["per_query"][qid]
            if delta > 1e-9:
                wins.append(f"{qid}+{delta:.2f}")
            elif delta < -1e-9:
                losses.append(f"{qid}{delta:.2f}")
        print(f"  {name} [{field}] wins: {', '.join(wins) or '-'}; losses: {', '.join(losses) or '-'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ablation", action="store_true", help="compare named ranking configurations")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the evaluation index")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        print(f"The judged sets are not at {SHARED}/eval; set SEARCHAPP_SHARED. Nothing to evaluate.")
        return 0
    config = prepare_index(args.rebuild)
    rows = {}
    names = ABLATIONS if args.ablation else {"default": {}}
    for name, changes in names.items():
        variant = replace(config, ranking=replace(config.ranking, **changes))
        rows[name] = evaluate(variant)
    if args.json:
        print(json.dumps({k: {f: {m: v for m, v in r[f].items() if m != "per_query"} for f in r} for k, r in rows.items()}))
        return 0
    print_table(rows)
    if args.ablation:
        for name, res in rows.items():
            if name != "default":
                print_diffs(name, res, rows["default"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
