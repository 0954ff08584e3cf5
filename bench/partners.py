"""Partner tags against the judged dev articles (``make eval``, ``--only partners``).

Each known-item query of ``dev-queries.jsonl`` names one article and the
partners a reader found in it: ``partners_main`` (what it is mainly about)
and ``partners_mentioned`` (every foreign country or organisation it names).
The engine's two notions are read back from the index, as the page shows
them, and scored with micro recall and precision: every (article, partner)
pair counts once, so an article naming ten partners weighs ten times one
naming a single partner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOTIONS = {"main": ("partners", "partners_main"), "mentioned": ("mentioned", "partners_mentioned")}
EXAMPLES = 6


@dataclass
class Score:
    """Micro counts of one notion, and the articles where it went wrong."""

    found: int = 0
    relevant: int = 0
    correct: int = 0
    articles: int = 0
    # (article id, partners missed, partners wrongly given)
    errors: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.correct / self.relevant if self.relevant else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    def add(self, article_id: str, got: set[str], truth: set[str]) -> None:
        self.articles += 1
        self.found += len(got)
        self.relevant += len(truth)
        self.correct += len(got & truth)
        if got != truth:
            self.errors.append((article_id, sorted(truth - got), sorted(got - truth)))


def evaluate_partners(searcher, queries: list[dict]) -> dict[str, Score]:
    """Score both notions on the judged articles the index holds."""
    scores = {name: Score() for name in NOTIONS}
    for query in queries:
        article = searcher.article(query["target_id"])
        if article is None:
            continue
        for name, (engine_key, judged_key) in NOTIONS.items():
            scores[name].add(article["id"], set(article.get(engine_key, [])), set(query[judged_key]))
    return scores


def print_partners(scores: dict[str, Score]) -> None:
    articles = max(s.articles for s in scores.values())
    print(f"partners ({articles} judged articles, micro)   recall  precision  found/judged")
    for name, score in scores.items():
        print(f"  {name:<32} {score.recall:6.3f}  {score.precision:9.3f}  {score.found:>5}/{score.relevant}")
    for name, score in scores.items():
        for article_id, missed, wrong in score.errors[:EXAMPLES]:
            print(f"    {name} {article_id}: missed {', '.join(missed) or '-'}; wrong {', '.join(wrong) or '-'}")


def as_json(scores: dict[str, Score]) -> dict:
    return {name: {"recall": s.recall, "precision": s.precision, "articles": s.articles} for name, s in scores.items()}
