"""Fit the topic model on the judged set and write ``searchapp/data/topic_model.toml``.

Each (article, topic) pair of ``bench/sets/topics.jsonl`` is one example: the
features are what :func:`searchapp.corpus.metadata.topic_features` reads of the
article for that topic, the label is whether a careful reader gave the article
that topic. One logistic regression over all pairs (scikit-learn, features
standardised, L2 penalty) gives one weight per feature and one bias per topic,
so a rare topic borrows what the common ones teach about titles, leads and
ranks. The fitted weights are written back in the features' own units, so
the engine needs no scikit-learn, only a dot product.

How well it generalises is measured by leaving one split out: each split is
predicted by a model fitted on the other splits, never on itself::

    python bench/topics_fit.py            # cross-validate, then fit on all and write
    python bench/topics_fit.py --check    # cross-validate only
    python bench/topics_fit.py --verify   # exit 1 unless the shipped model is this fit
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from topics import SET, SPLITS, Counts, load_set, pool_records  # noqa: E402

from searchapp.corpus.articles import build_article  # noqa: E402
from searchapp.corpus.metadata import TOPIC_FEATURES, TOPICS, topic_features  # noqa: E402

MODEL = REPO / "searchapp" / "data" / "topic_model.toml"
# Inverse strength of the L2 penalty on standardised features: 357 articles
# are few, and a strong penalty keeps the weights of rare topics modest.
PENALTY_C = 1.0
# A topic is kept at even odds or better.
THRESHOLD = 0.5


@dataclass
class Examples:
    ids: list[str]
    splits: np.ndarray
    topics: np.ndarray  # index into TOPICS
    features: np.ndarray
    labels: np.ndarray

    def design(self) -> np.ndarray:
        """Features, then one column per topic (its bias)."""
        return np.hstack([self.features, np.eye(len(TOPICS))[self.topics]])


def judged_examples(shared: Path) -> Examples:
    judged = load_set(SET)
    ids, splits, topics, features, labels = [], [], [], [], []
    for record, file_name, number in pool_records(shared, set(judged)):
        # The text as reindex reads it; topics given in the record are not
        # extracted (the model being fitted is what would extract them).
        article = build_article({**record, "topics": []}, file_name, number, None)
        wanted, split = judged[article.id]
        for index, (slug, values) in enumerate(topic_features(article.title, article.body)):
            ids.append(article.id)
            splits.append(split)
            topics.append(index)
            features.append(values)
            labels.append(slug in wanted)
    return Examples(ids, np.array(splits), np.array(topics), np.array(features, float), np.array(labels, int))


def fit(design: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and intercept in the design's own units."""
    scaler = StandardScaler().fit(design)
    model = LogisticRegression(C=PENALTY_C, max_iter=5000).fit(scaler.transform(design), labels)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    weights = model.coef_[0] / scale
    intercept = float(model.intercept_[0] - (weights * scaler.mean_).sum())
    return weights, intercept


def kept(examples: Examples, probability: np.ndarray) -> np.ndarray:
    """The engine's rule: at even odds or better, at most three per article, most likely first."""
    keep = probability >= THRESHOLD
    by_article: dict[str, list[int]] = {}
    for row, article_id in enumerate(examples.ids):
        by_article.setdefault(article_id, []).append(row)
    for rows in by_article.values():
        for row in sorted(rows, key=lambda r: -probability[r])[3:]:
            keep[row] = False
    return keep


def probabilities(design: np.ndarray, weights: np.ndarray, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(design @ weights + intercept)))


def cross_validated(examples: Examples) -> np.ndarray:
    """Each split's pairs kept or not by a model fitted on the other splits."""
    design = examples.design()
    keep = np.zeros(len(examples.labels), bool)
    for split in sorted(set(examples.splits)):
        test = examples.splits == split
        weights, intercept = fit(design[~test], examples.labels[~test])
        keep[test] = kept(examples, probabilities(design, weights, intercept))[test]
    return keep


def figures(examples: Examples, keep: np.ndarray) -> dict[str, tuple[float, float]]:
    """split -> (precision, recall) of the kept pairs."""
    out = {}
    for split in SPLITS:
        rows = np.ones(len(keep), bool) if split == "all" else examples.splits == split
        if rows.any():
            kept_here, true_here = keep[rows], examples.labels[rows] == 1
            counts = Counts(
                tp=int((kept_here & true_here).sum()),
                fp=int((kept_here & ~true_here).sum()),
                fn=int((~kept_here & true_here).sum()),
            )
            out[split] = (counts.precision, counts.recall)
    return out


def cross_validated_figures(shared: Path) -> dict[str, tuple[float, float]]:
    examples = judged_examples(shared)
    return figures(examples, cross_validated(examples))


def report(examples: Examples, keep: np.ndarray) -> list[str]:
    lines = [f"{'split':10} {'P':>6} {'R':>6}"]
    lines += [f"{split:10} {p:6.3f} {r:6.3f}" for split, (p, r) in figures(examples, keep).items()]
    return lines


def write_model(weights: np.ndarray, intercept: float, articles: int) -> None:
    features, biases = weights[: len(TOPIC_FEATURES)], weights[len(TOPIC_FEATURES) :]
    lines = [
        "# How topic evidence becomes a topic: searchapp.corpus.metadata.extract_topics.",
        "# Fitted by bench/topics_fit.py on bench/sets/topics.jsonl; refit rather than edit.",
        f"# {articles} judged articles; features in the order of metadata.TOPIC_FEATURES.",
        f"threshold = {THRESHOLD}",
        "features = [" + ", ".join(f'"{name}"' for name in TOPIC_FEATURES) + "]",
        "weights = [" + ", ".join(f"{w:.6f}" for w in features) + "]",
        "",
        "[bias]",
        *(f'"{slug}" = {intercept + b:.6f}' for slug, b in zip(TOPICS, biases, strict=True)),
    ]
    MODEL.write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify(examples: Examples) -> int:
    """0 when the shipped model is (to rounding) what fitting the judged set gives now."""
    weights, intercept = fit(examples.design(), examples.labels)
    shipped = tomllib.loads(MODEL.read_text(encoding="utf-8"))
    expected = [*weights[: len(TOPIC_FEATURES)], *(intercept + b for b in weights[len(TOPIC_FEATURES) :])]
    found = [*shipped["weights"], *(shipped["bias"][slug] for slug in TOPICS)]
    if shipped["features"] != list(TOPIC_FEATURES) or not np.allclose(expected, found, atol=0.01):
        print(f"{MODEL.relative_to(REPO)} is not the fit of {SET.name} and the phrases: run bench/topics_fit.py")
        return 1
    print(f"{MODEL.relative_to(REPO)} is the fit of {SET.name}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="cross-validate only; do not write the model")
    parser.add_argument(
        "--verify", action="store_true", help="exit 1 unless the shipped model is the fit of today's set"
    )
    args = parser.parse_args()
    from evaluate import SHARED  # the pool is defined once, in evaluate.py

    examples = judged_examples(SHARED)
    if args.verify:
        return verify(examples)
    print("leaving one split out (each split predicted by a model fitted on the others):")
    print("\n".join(report(examples, cross_validated(examples))))
    if not args.check:
        weights, intercept = fit(examples.design(), examples.labels)
        write_model(weights, intercept, len(set(examples.ids)))
        print(f"wrote {MODEL.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
