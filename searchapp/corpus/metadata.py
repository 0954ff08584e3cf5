"""Facets read from an article's own text: date, outlet, partners, topics.

The extractors live in ``corpus/extract/``, one module per facet; this
module is their public face. Everything it knows about names lives in
three data files beside it, so that adding an outlet, a country spelling or a
topic phrase never needs a code change:

* ``data/gazetteer.toml``: foreign countries and organisations, their
  Vietnamese, old phonetic and English names, capitals, and the guards that
  keep common words and person names ("mỹ phẩm", "Tuấn Anh") out.
* ``data/sources.toml``: Vietnamese outlets and their aliases.
* ``data/topics.toml``: the topic taxonomy with weighted key phrases, and
  ``data/topic_model.toml``: how their evidence becomes a topic (fitted).

All inputs are NFC ``str``. Every extractor returns ``None`` or an empty list
rather than guess.
"""

from __future__ import annotations

from searchapp.corpus.extract.dates import extract_date
from searchapp.corpus.extract.partners import (
    all_partners,
    extract_mentioned_partners,
    extract_partners,
    partner_aliases,
    partner_label,
    resolve_partner,
)
from searchapp.corpus.extract.sources import extract_source
from searchapp.corpus.extract.topics import (
    PAIR_TOPICS,
    TOPIC_FEATURES,
    TOPICS,
    all_topics,
    closed_topics,
    extract_topics,
    resolve_topic,
    topic_features,
    topic_label,
)

__all__ = [
    "PAIR_TOPICS",
    "TOPICS",
    "TOPIC_FEATURES",
    "all_partners",
    "all_topics",
    "closed_topics",
    "extract_date",
    "extract_mentioned_partners",
    "extract_partners",
    "extract_source",
    "extract_topics",
    "partner_aliases",
    "partner_label",
    "resolve_partner",
    "resolve_topic",
    "topic_features",
    "topic_label",
]
