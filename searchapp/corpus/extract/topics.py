"""The topics an article is about: phrase evidence weighed by a fitted model."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from math import exp, log1p

from searchapp.corpus.extract.common import canonical_tone_cached, load, lookup_key
from searchapp.corpus.extract.mentions import gazetteer_organisations
from searchapp.corpus.extract.partners import extract_partners, pair_strength
from searchapp.text import syllables

_TOPIC_TITLE_FACTOR = 3
_TOPIC_BODY_CAP = 3
# The lead (the first syllables of the body, where a news story says what it
# is about) counts again on top of the body.
_TOPIC_LEAD_SYLLABLES = 100
_TOPIC_LEAD_FACTOR = 2
# Phrases of at least this weight name or strongly cue a topic.
_TOPIC_STRONG = 2.0
# No article is about more than a few topics.
_TOPIC_MAX = 3


@dataclass(frozen=True)
class _Topic:
    slug: str
    label: str
    label_en: str
    description: str
    threshold: float
    phrases: dict[tuple[str, ...], float]
    pair: bool = False
    partners: frozenset[str] = frozenset()
    abroad: bool = False


def _analyze(text: str) -> list[str]:
    return list(map(canonical_tone_cached, syllables(text)))


@cache
def _topics() -> tuple[_Topic, ...]:
    topics = []
    for entry in load("topics.toml")["topic"]:
        phrases: dict[tuple[str, ...], float] = {}
        for phrase, weight in entry["phrases"].items():
            key = tuple(_analyze(phrase))
            phrases[key] = max(float(weight), phrases.get(key, 0.0))
        topics.append(
            _Topic(
                entry["slug"],
                entry["label"],
                entry["label_en"],
                entry["description"],
                float(entry["threshold"]),
                phrases,
                bool(entry.get("pair", False)),
                frozenset(entry.get("partners", ())),
                bool(entry.get("abroad", False)),
            )
        )
    return tuple(topics)


@cache
def _topic_blockers() -> frozenset[tuple[str, ...]]:
    """Phrases weighted 0: names of something else that hold a key phrase."""
    return frozenset(p for t in _topics() for p, weight in t.phrases.items() if weight == 0)


@cache
def _phrase_prefixes() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """Every key phrase of the taxonomy (blockers too), and every prefix of one."""
    phrases = frozenset(p for t in _topics() for p in t.phrases)
    prefixes = frozenset(p[:k] for p in phrases for k in range(1, len(p) + 1))
    return phrases, prefixes


def _phrase_counts(words: list[str], max_len: int) -> dict[tuple[str, ...], int]:
    """How often each key phrase of the taxonomy occurs in ``words``.

    Only key phrases are counted (scores never look at other n-grams), and a
    run stops as soon as it is no longer the prefix of a key phrase.
    """
    phrases, prefixes = _phrase_prefixes()
    blockers = _topic_blockers()
    found: list[tuple[int, tuple[str, ...]]] = []
    blocked: set[int] = set()
    total = len(words)
    for start in range(total):
        if (words[start],) not in prefixes:
            continue
        for length in range(1, min(max_len, total - start) + 1):
            key = tuple(words[start : start + length])
            if key not in prefixes:
                break
            if key in blockers:
                blocked.update(range(start, start + length))
            elif key in phrases:
                found.append((start, key))
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for start, key in found:
        if not blocked or blocked.isdisjoint(range(start, start + len(key))):
            counts[key] += 1
    return counts


@cache
def _offices() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]], frozenset[str]]:
    """Vietnam's own offices, the shared ones and the surnames (``[vietnam_leaders]``
    of ``data/topics.toml``), as analysed syllables."""
    leaders = load("topics.toml")["vietnam_leaders"]
    own = frozenset(tuple(_analyze(office)) for office in leaders["own_offices"])
    shared = frozenset(tuple(_analyze(office)) for office in leaders["shared_offices"])
    return own, shared, frozenset(_analyze(" ".join(leaders["surnames"])))


def _names_vietnamese_leader(title: str) -> bool:
    """True when the title names one of Vietnam's leaders by office, as the press names them."""
    own, shared, surnames = _offices()
    words = _analyze(title)
    for start in range(len(words)):
        for length in (2, 3, 4):
            office, after = tuple(words[start : start + length]), words[start + length : start + length + 1]
            if office in own or (office in shared and after and after[0] in surnames):
                return True
    return False


def _strong_hits(topic: _Topic, counts: dict[tuple[str, ...], int]) -> int:
    return sum(counts.get(phrase, 0) for phrase, weight in topic.phrases.items() if weight >= _TOPIC_STRONG)


# What the topic model reads of each (article, topic): the evidence of the
# title, lead and body relative to the topic's threshold, how often strong
# phrases name it where the story says what it is about, how densely the body
# speaks of it (an article about a topic keeps coming back to it, one that
# brushes it names it once in a long text), how it ranks among the article's
# topics, whether a partner tied to the topic (North Korea, the UN) is one the
# article is mainly about, whether one tied to another topic is (two countries
# at odds over Qatar or North Korea are that crisis before they are a
# relationship), and for a pair topic how plainly the article is about two
# countries and whether one of Vietnam's leaders is in the title (the press
# names them by office, not by the country: "Thủ tướng Nguyễn Xuân Phúc thăm
# Mỹ"). Two more tell evidence that only brushes a topic: how much of the
# body's evidence comes from words weighted 1 (words that go with the topic
# without naming it: "doanh nghiệp" and "thị trường" fill every economy story,
# "đại sứ" every embassy anecdote), and, for a topic told beyond or across
# Vietnam's borders (``abroad`` in ``data/topics.toml``), an article with no
# main partner at all (no country, no organisation: the GDP target, a Party
# resolution on the market economy, voters' petitions to the National
# Assembly). And for every other topic, one of Vietnam's leaders in the title
# with a foreign main partner while the topic is not named there: the trade,
# the investment and the forums a visit's report goes through are parts of
# the visit, not what the story is about, unless its title says so.
# ``bench/topics_fit.py`` fits one weight per feature and one bias per topic
# on the judged set, plus the pair topic's own weights, and writes them to
# ``data/topic_model.toml``.
TOPIC_FEATURES = (
    "evidence",
    "title evidence",
    "lead evidence",
    "body evidence",
    "strong phrases in the title",
    "strong phrases in the lead",
    "strong phrases in the body",
    "body evidence per 100 syllables",
    "mainly about a partner of the topic",
    "mainly about a partner of another topic",
    "mainly about two countries",
    "two countries in the title",
    "share of the strongest topic",
    "strongest topic",
    "second topic",
    "third topic",
    "a Vietnamese leader in the title",
    "share of the body evidence from words weighted 1",
    "no main partner, for a topic told abroad",
    "a Vietnamese leader in the title, another topic not named there",
)


def topic_features(title: str, body: str) -> list[tuple[str, list[float]]]:
    """``(slug, features)`` for every topic of the taxonomy, in its order (see TOPIC_FEATURES)."""
    longest = max(len(p) for t in _topics() for p in t.phrases)
    body_words = _analyze(body)
    in_body = _phrase_counts(body_words, longest)
    counts = {
        "title": _phrase_counts(_analyze(title), longest),
        "lead": _phrase_counts(body_words[:_TOPIC_LEAD_SYLLABLES], longest),
        "body": {p: min(n, _TOPIC_BODY_CAP) for p, n in in_body.items()},
    }
    # Density counts every repetition (no cap): coming back to a topic
    # throughout the text is what it measures.
    per_hundred = 100 / max(len(body_words), 1)
    factor = {"title": _TOPIC_TITLE_FACTOR, "lead": _TOPIC_LEAD_FACTOR, "body": 1}
    pair = pair_strength(title, body) if any(t.pair for t in _topics()) else 0
    main_partners = frozenset(extract_partners(title, body))
    # One of Vietnam's leaders in the title and a foreign main partner: the
    # visit, talks or reception of a relationship with Vietnam.
    vietnam_and_partner = bool(main_partners) and _names_vietnamese_leader(title)
    tied = {topic.slug: not topic.partners.isdisjoint(main_partners) for topic in _topics()}
    raw = []
    for topic in _topics():
        evidence = {
            part: factor[part] * sum(w * found.get(p, 0) for p, w in topic.phrases.items()) / topic.threshold
            for part, found in counts.items()
        }
        strong = {part: _strong_hits(topic, found) for part, found in counts.items()}
        in_full = sum(w * in_body.get(p, 0) for p, w in topic.phrases.items())
        weak = sum(w * in_body.get(p, 0) for p, w in topic.phrases.items() if w < _TOPIC_STRONG)
        density = per_hundred * in_full / topic.threshold
        raw.append((topic, sum(evidence.values()), evidence, strong, density, weak / in_full if in_full else 0.0))
    strongest = max(total for _, total, *_ in raw) or 1.0
    rank = {topic.slug: place for place, (topic, *_) in enumerate(sorted(raw, key=lambda item: -item[1]))}
    features = []
    for topic, total, evidence, strong, density, weak_share in raw:
        place = rank[topic.slug] if total > 0 else _TOPIC_MAX
        features.append(
            (
                topic.slug,
                [
                    log1p(total),
                    log1p(evidence["title"]),
                    log1p(evidence["lead"]),
                    log1p(evidence["body"]),
                    min(strong["title"], 3),
                    min(strong["lead"], 3),
                    log1p(strong["body"]),
                    log1p(density),
                    float(tied[topic.slug]),
                    float(any(tied[other.slug] for other in _topics() if other is not topic)),
                    float(topic.pair and pair == 1),
                    float(topic.pair and pair == 2),
                    total / strongest,
                    float(place == 0),
                    float(place == 1),
                    float(place == 2),
                    float(topic.pair and vietnam_and_partner),
                    weak_share,
                    float(topic.abroad and not main_partners),
                    float(not topic.pair and vietnam_and_partner and evidence["title"] == 0),
                ],
            )
        )
    return features


def closed_topics(title: str, body: str) -> frozenset[str]:
    """The topics the article cannot be about, whatever its evidence.

    Bilateral relations (the pair topic) are between two countries, one of
    them foreign: an article none of whose main partners is a foreign country
    (Vietnam's own affairs, a meeting with Interpol or the UN alone) is not
    about them, however many talks and meetings it names.
    """
    organisations = gazetteer_organisations()
    if any(code not in organisations for code in extract_partners(title, body)):
        return frozenset()
    return frozenset(t.slug for t in _topics() if t.pair)


@dataclass(frozen=True)
class _TopicModel:
    weights: tuple[float, ...]
    # Added to ``weights`` for a pair topic: bilateral relations, told through
    # two countries, read the same evidence otherwise than the other topics
    # (a dash-joined pair in the title means more to it, the rank less).
    pair_weights: tuple[float, ...]
    pair_slugs: frozenset[str]
    bias: dict[str, float]
    threshold: float

    def probability(self, slug: str, features: list[float]) -> float:
        weights = self.weights
        if slug in self.pair_slugs:
            weights = tuple(w + extra for w, extra in zip(weights, self.pair_weights, strict=True))
        score = self.bias.get(slug, 0.0) + sum(w * x for w, x in zip(weights, features, strict=True))
        return 1.0 / (1.0 + exp(-score))


@cache
def _topic_model() -> _TopicModel:
    data = load("topic_model.toml")
    if tuple(data["features"]) != TOPIC_FEATURES:
        raise ValueError("data/topic_model.toml was fitted on other features: run bench/topics_fit.py")
    return _TopicModel(
        tuple(map(float, data["weights"])),
        tuple(map(float, data["pair_weights"])),
        frozenset(t.slug for t in _topics() if t.pair),
        dict(data["bias"]),
        float(data["threshold"]),
    )


def extract_topics(title: str, body: str) -> list[str]:
    """Slugs of the topics the article is about, most likely first.

    The taxonomy and its weighted phrases are in ``data/topics.toml``; how
    evidence becomes a topic is the model of ``data/topic_model.toml``, fitted
    on the judged set: a topic is kept when the model's probability reaches
    the threshold chosen there by cross-validation, and no article has more
    than ``_TOPIC_MAX`` topics. A topic the article cannot be about
    (:func:`closed_topics`) is never kept.
    """
    model = _topic_model()
    closed = closed_topics(title, body)
    scored = [
        (model.probability(slug, features), slug)
        for slug, features in topic_features(title, body)
        if slug not in closed
    ]
    kept = sorted((item for item in scored if item[0] >= model.threshold), key=lambda item: -item[0])
    return [slug for _, slug in kept[:_TOPIC_MAX]]


def topic_label(slug: str) -> str:
    """Vietnamese label of a topic slug; an unknown slug is returned as is."""
    return next((t.label for t in _topics() if t.slug == slug), slug)


def resolve_topic(name: str) -> str | None:
    """Slug for a slug, Vietnamese label or English label (case/accent-insensitive)."""
    key = lookup_key(name)
    for topic in _topics():
        if key in {lookup_key(topic.slug), lookup_key(topic.label), lookup_key(topic.label_en)}:
            return topic.slug
    return None


def all_topics() -> list[tuple[str, str]]:
    """(slug, Vietnamese label) for every topic, in taxonomy order."""
    return [(t.slug, t.label) for t in _topics()]


TOPICS: tuple[str, ...] = tuple(slug for slug, _ in all_topics())
# Topics told through two countries (``pair = true``): the model gives them
# weights of their own on top of the shared ones.
PAIR_TOPICS: frozenset[str] = frozenset(t.slug for t in _topics() if t.pair)
