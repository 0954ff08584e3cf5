"""Matching, accent restoration and ranking on the pool (``make eval``, ``make ablation``).

Indexes the four raw-text files of the shared real-article folder (once; the
index is reused while the files and the schema are unchanged), then reports:

* **matching**: for the queries of ``bench/sets/matching.jsonl``, typed with
  and without diacritics, the precision and recall of the whole result set
  and the precision of the ten newest results, against a truth read from the
  raw text by ``bench/matching.py`` (never from the engine's index);
* **restoration**: how often the engine reads a query typed without
  diacritics back as the person meant it, on the dev sets and on
  ``bench/sets/restoration.jsonl``, beside a syllable-bigram reference;
* **ranking**: known-item MRR@10 / Recall@10 and topical nDCG@10, each for the
  query as typed and without diacritics;
* **partners**: the main and the mentioned partners of the judged dev
  articles, micro recall and precision (``bench/partners.py``);
* **topics**: topic precision and recall on our own judged articles
  (``bench/topics.py``), read from the raw text, so ``--only topics`` needs no index.

``--only`` runs one part. ``--ablation`` runs named ranking configurations side
by side and lists per-query wins and losses against the default (ranking only,
unless ``--only`` names another part).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from matching import SYLLABLE, Pool, fold, read_articles  # noqa: E402
from partners import as_json as partners_json  # noqa: E402
from partners import evaluate_partners, print_partners  # noqa: E402
from restoration import Score, SyllableBigrams  # noqa: E402
from topics import as_json as topics_json  # noqa: E402
from topics import evaluate_topics, print_topics  # noqa: E402

from searchapp.config import load_config  # noqa: E402
from searchapp.index.reindex import reindex  # noqa: E402
from searchapp.search.searcher import Searcher  # noqa: E402

SHARED = Path(os.environ.get("SEARCHAPP_SHARED", REPO.parent / "shared"))
RAW_FILES = (
    "articles-seeds.jsonl",
    "articles-dantri-unc.jsonl",
    "articles-baomoi-magizbox.jsonl.gz",
    "articles-crawlnews-2026.jsonl",
)
WORK = REPO / ".eval"
SETS = BENCH / "sets"
PARTS = ("matching", "restoration", "ranking", "partners", "topics")
FORMS = {"query": "as typed", "query_plain": "no accents"}
# A query scoring below this on any matching figure is listed with examples.
GOOD_ENOUGH = 0.95
EXAMPLES = 2
PAGE = 100  # results per page when the engine has no iterator over all hits

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
    "baseline": {
        "coverage_power": 0.0,
        "words_weight": 0.0,
        "fold_words_weight": 0.0,
        "synonym_weight": 0.0,
        "proximity_weight": 0.0,
    },
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


def load_set(name: str) -> list[dict]:
    """One of our own query sets; a hand edit that left query_plain stale is refused."""
    with (SETS / name).open(encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    for item in items:
        if item["query_plain"] != fold(item["query"]):
            raise SystemExit(f"{name} {item['qid']}: query_plain should be {fold(item['query'])!r}")
    return items


def load_pool() -> Pool:
    started = time.perf_counter()
    pool = Pool(read_articles(SHARED / "corpus-real" / name for name in RAW_FILES))
    print(f"pool: {len(pool.articles):,} articles read ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return pool


# -- calling the engine ----------------------------------------------------
# The search core is being rewritten, so options it does not take yet are
# dropped rather than failing, and missing attributes read as "not there".


def search(searcher: Searcher, query: str, **options):
    accepted = inspect.signature(searcher.search).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        options = {k: v for k, v in options.items() if k in accepted}
    return searcher.search(query, **options)


def result_set(searcher: Searcher, query: str) -> tuple[list[str], str | None]:
    """Every article the engine returns for the query, once each, same stories not grouped;
    and the query as the engine searched it."""
    if hasattr(searcher, "iter_hits"):
        stream = searcher.iter_hits(query, sort="relevance", snippets=False)
        ids, searched_as = [hit.id for hit in stream], getattr(stream, "interpreted", None) or None
    else:
        ids, searched_as = paged_result_ids(searcher, query), interpreted(searcher, query)
    unique = list(dict.fromkeys(ids))
    if len(unique) < len(ids):
        print(f"warning: {query!r} returned {len(ids) - len(unique)} articles twice", file=sys.stderr)
    return unique, searched_as


def paged_result_ids(searcher: Searcher, query: str) -> list[str]:
    # Newest first, because relevance pages are re-ranked at a depth that
    # grows with the page, so they overlap and skip; date order is stable.
    per_page = min(PAGE, searcher.config.max_per_page)
    ids: list[str] = []
    page = 1
    while True:
        result = search(searcher, query, page=page, per_page=per_page, snippets=False, sort="newest", group=False)
        ids.extend(hit.id for hit in result.hits)
        if not result.hits or len(ids) >= result.total:
            return ids
        page += 1


def newest_ids(searcher: Searcher, query: str, k: int = 10) -> list[str]:
    result = search(searcher, query, per_page=k, snippets=False, sort="newest", group=False)
    return [hit.id for hit in result.hits]


def ranked_ids(searcher: Searcher, query: str, k: int = 10) -> list[str]:
    """The first k ids as a reader sees them: full matches, then the partial ones."""
    result = search(searcher, query, per_page=k, snippets=False)
    partial = getattr(result, "partial", None) or []
    return ([h.id for h in result.hits] + [p.id for p in partial])[:k]


def interpreted(searcher: Searcher, query: str) -> str | None:
    """The query as the engine read it, or None if the engine does not say.

    When the restored reading found nothing and the text as typed was searched
    instead, the reading is what restoration produced (``unmatched_reading``).
    """
    # No query is ever read as nothing, so an empty value means "not reported".
    result = search(searcher, query, per_page=1, snippets=False)
    return getattr(result, "unmatched_reading", None) or getattr(result, "interpreted", None) or None


# -- matching --------------------------------------------------------------


@dataclass
class MatchOutcome:
    qid: str
    query: str
    concepts: list[list[str]]
    returned: list[str]
    truth: set[str]
    newest: list[str]
    searched_as: str | None

    @property
    def overlap(self) -> int:
        return len(self.truth.intersection(self.returned))

    @property
    def precision(self) -> float:
        return share_true(self.returned, self.truth)

    @property
    def recall(self) -> float:
        return self.overlap / len(self.truth) if self.truth else 1.0

    @property
    def newest_precision(self) -> float:
        return share_true(self.newest, self.truth)

    @property
    def figures(self) -> tuple[float, float, float]:
        return self.precision, self.recall, self.newest_precision


def share_true(ids: list[str], truth: set[str]) -> float:
    # Returning nothing is only right when nothing should match.
    if not ids:
        return 0.0 if truth else 1.0
    return sum(1 for d in ids if d in truth) / len(ids)


def evaluate_matching(searcher: Searcher, pool: Pool, items: list[dict]) -> dict[str, list[MatchOutcome]]:
    out: dict[str, list[MatchOutcome]] = {field: [] for field in FORMS}
    for item in items:
        truth = pool.truth(item["concepts"])
        for field in FORMS:
            query = item[field]
            returned, searched_as = result_set(searcher, query)
            out[field].append(
                MatchOutcome(
                    qid=item["qid"],
                    query=query,
                    concepts=item["concepts"],
                    returned=returned,
                    truth=truth,
                    newest=newest_ids(searcher, query),
                    searched_as=searched_as,
                )
            )
    return out


def macro(outcomes: list[MatchOutcome]) -> tuple[float, float, float]:
    n = len(outcomes)
    return tuple(sum(o.figures[i] for o in outcomes) / n for i in range(3))  # type: ignore[return-value]


def print_matching(results: dict[str, list[MatchOutcome]], pool: Pool) -> None:
    n = len(results["query"])
    print(f"matching: {n} queries (bench/sets/matching.jsonl), macro averages, truth read from the raw text")
    print(f"{'form':<12} {'P(set)':>7} {'R(set)':>7} {'P@10 newest':>12}")
    for field, label in FORMS.items():
        p, r, p10 = macro(results[field])
        print(f"{label:<12} {p:7.3f} {r:7.3f} {p10:12.3f}")
    weak = [(field, o) for field in FORMS for o in results[field] if min(o.figures) < GOOD_ENOUGH]
    if weak:
        print(f"\nqueries below {GOOD_ENOUGH} on any figure:")
    for field, o in sorted(weak, key=lambda pair: (pair[1].qid, pair[0])):
        print_weak(field, o, pool)


def print_weak(field: str, o: MatchOutcome, pool: Pool) -> None:
    searched = f" searched as {o.searched_as!r}" if o.searched_as not in (None, o.query) else ""
    print(
        f"  {o.qid} [{FORMS[field]}] {o.query!r}{searched}: P {o.precision:.2f} R {o.recall:.2f} "
        f"P@10new {o.newest_precision:.2f}; returned {len(o.returned)}, truth {len(o.truth)}, overlap {o.overlap}"
    )
    false_positives = [d for d in o.returned if d not in o.truth][:EXAMPLES]
    false_negatives = sorted(o.truth.difference(o.returned))[:EXAMPLES]
    for doc in false_positives:
        lacks = pool.missing(doc, o.concepts)
        print(f"      false +  {doc}: lacks {' + '.join(lacks)}; {near_miss(pool, doc, lacks[0])}")
    for doc in false_negatives:
        # Where each concept is, so a missed phrase or a missed pair of concepts shows.
        places = (pool.snippet(doc, first_present_form(pool, doc, c), width=30) for c in o.concepts)
        print(f"      false -  {doc}: {' / '.join(places)}")


def near_miss(pool: Pool, doc: str, surface: str) -> str:
    """What an accent-insensitive or word-by-word engine probably matched instead."""
    found = pool.snippet(doc, surface, folded=True)
    if found:
        return f"unaccented: {found}"
    for syllable in SYLLABLE.findall(surface):
        found = pool.snippet(doc, syllable, folded=True)
        if found:
            return f"only {syllable!r}: {found}"
    return "none of it"


def first_present_form(pool: Pool, doc: str, concept: list[str]) -> str:
    return next((form for form in concept if pool.holds(doc, [form])), concept[0])


# -- restoration -----------------------------------------------------------


def restoration_sets() -> dict[str, list[dict]]:
    return {
        "dev plain (known-item + topical)": load_jsonl("dev-queries.jsonl") + load_jsonl("topical-dev.jsonl"),
        "own plain (bench/sets/restoration.jsonl)": load_set("restoration.jsonl"),
    }


def evaluate_restoration(searcher: Searcher, bigrams: SyllableBigrams) -> dict[str, dict]:
    out = {}
    for name, items in restoration_sets().items():
        engine, reference, misses = Score(), Score(), []
        engine_says = True
        for item in items:
            plain, wanted = item["query_plain"], item["query"]
            got = interpreted(searcher, plain)
            if got is None:
                engine_says = False
            elif not engine.add(got, wanted):
                misses.append(("engine", item["qid"], wanted, got))
            guess = bigrams.restore(plain)
            if not reference.add(guess, wanted):
                misses.append(("bigram", item["qid"], wanted, guess))
        out[name] = {
            "queries": len(items),
            "engine": engine if engine_says else None,
            "bigram": reference,
            "misses": misses,
        }
    return out


def print_restoration(results: dict[str, dict]) -> None:
    print("restoration of queries typed without accents (exact query / syllables right)")
    print(f"{'set':<42} {'n':>3} {'engine':>13} {'bigram ref':>13}")
    for name, res in results.items():
        engine = res["engine"]
        shown = f"{engine.exact_share:.3f} / {engine.syllable_share:.3f}" if engine else "n/a"
        ref = res["bigram"]
        print(f"{name:<42} {res['queries']:>3} {shown:>13} {ref.exact_share:.3f} / {ref.syllable_share:.3f}")
    for res in results.values():
        for who, qid, wanted, got in res["misses"]:
            print(f"  {who:<6} {qid}: {got!r}, meant {wanted!r}")


# -- ranking ---------------------------------------------------------------


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


def evaluate_ranking(config) -> dict:
    searcher = Searcher(config)
    known, topics = load_jsonl("dev-queries.jsonl"), load_jsonl("topical-dev.jsonl")
    out = {}
    for field in FORMS:
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
    print(f"{'config':<16} {'MRR@10':>7} {'MRR@10':>7} {'R@10':>5} {'R@10':>5} {'nDCG@10':>8} {'nDCG@10':>8}", end="")
    print(f" {'unjudged':>9}")
    print(f"{'':<16} {'acc':>7} {'plain':>7} {'acc':>5} {'plain':>5} {'acc':>8} {'plain':>8} {'acc/plain':>9}")
    for name, res in rows.items():
        a, p = res["query"], res["query_plain"]
        print(
            f"{name:<16} {a['mrr']:7.3f} {p['mrr']:7.3f} {a['recall']:5.2f} {p['recall']:5.2f} "
            f"{a['ndcg']:8.3f} {p['ndcg']:8.3f} {a['unjudged']:>4}/{p['unjudged']:<4}"
        )


def print_diffs(name: str, res: dict, base: dict) -> None:
    for field in FORMS:
        wins, losses = [], []
        for qid, score in res[field]["per_query"].items():
            delta = score - base[field]["per_query"][qid]
            if delta > 1e-9:
                wins.append(f"{qid}+{delta:.2f}")
            elif delta < -1e-9:
                losses.append(f"{qid}{delta:.2f}")
        print(f"  {name} [{field}] wins: {', '.join(wins) or '-'}; losses: {', '.join(losses) or '-'}")


# -- command line ----------------------------------------------------------


def as_json(matching: dict | None, restoration: dict | None, ranking: dict | None) -> dict:
    out: dict = {}
    if matching:
        out["matching"] = {
            field: dict(zip(("precision", "recall", "newest_precision"), macro(outcomes), strict=True))
            for field, outcomes in matching.items()
        }
    if restoration:
        out["restoration"] = {
            name: {
                who: None if res[who] is None else {"exact": res[who].exact_share, "syllables": res[who].syllable_share}
                for who in ("engine", "bigram")
            }
            for name, res in restoration.items()
        }
    if ranking:
        out["ranking"] = {
            k: {f: {m: v for m, v in r[f].items() if m != "per_query"} for f in r} for k, r in ranking.items()
        }
    return out


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=PARTS, help="run one part")
    parser.add_argument("--ablation", action="store_true", help="compare named ranking configurations")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the evaluation index")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        print(f"The judged sets are not at {SHARED}/eval; set SEARCHAPP_SHARED. Nothing to evaluate.")
        return 0
    parts = [args.only] if args.only else (["ranking"] if args.ablation else list(PARTS))
    config = prepare_index(args.rebuild) if parts != ["topics"] else None
    matching = restoration = ranking = None
    if "matching" in parts or "restoration" in parts:
        pool = load_pool()
        searcher = Searcher(config)
    if "matching" in parts:
        items = load_set("matching.jsonl")
        matching = timed("matching", lambda: evaluate_matching(searcher, pool, items))
    if "restoration" in parts:
        bigrams = timed("bigram counts", lambda: SyllableBigrams(pool.phrases.values()))
        restoration = timed("restoration", lambda: evaluate_restoration(searcher, bigrams))
    if "ranking" in parts:
        names = ABLATIONS if args.ablation else {"default": {}}
        ranking = {}
        for name, changes in names.items():
            variant = replace(config, ranking=replace(config.ranking, **changes))
            ranking[name] = timed(f"ranking {name}", lambda variant=variant: evaluate_ranking(variant))
    partners = None
    if "partners" in parts:
        known = load_jsonl("dev-queries.jsonl")
        partners = timed("partners", lambda: evaluate_partners(Searcher(config), known))
    topics = timed("topics", lambda: evaluate_topics(SHARED)) if "topics" in parts else None
    if args.json:
        figures = as_json(matching, restoration, ranking)
        if partners:
            figures["partners"] = partners_json(partners)
        if topics:
            figures["topics"] = topics_json(topics)
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    if matching:
        print_matching(matching, pool)
        print()
    if restoration:
        print_restoration(restoration)
        print()
    if ranking:
        print_table(ranking)
        if args.ablation:
            for name, res in ranking.items():
                if name != "default":
                    print_diffs(name, res, ranking["default"])
    if partners:
        print()
        print_partners(partners)
    if topics:
        print()
        print_topics(topics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
