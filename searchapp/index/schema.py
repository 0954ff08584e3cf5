"""The Whoosh schema and how an :class:`Article` becomes a Whoosh document.

Text is indexed several ways (see :mod:`searchapp.analysis.tokenizers`): exact syllables
(``syl``), folded syllables (``fold``), pyvi compound words (``words``,
``wfold``), neighbouring syllable pairs (``pair``) and which
syllables are written with capitals (``caps``). The
title is repeated inside that text: measured on the judged sets, this beats a
separately boosted title field by a wide margin, because BM25's length
normalisation treats a short title field badly.
"""

from __future__ import annotations

from collections.abc import Sequence

from whoosh import fields
from whoosh.formats import Frequency

from searchapp.analysis.segmentation import Span
from searchapp.analysis.tokenizers import (
    caps_analyzer,
    fold_analyzer,
    folded_word_analyzer,
    pair_analyzer,
    syllable_analyzer,
    word_analyzer,
)
from searchapp.corpus.articles import Article
from searchapp.index.facetfields import FACET_FIELDS, FacetField, mentioned_partners
from searchapp.index.terms import index_items

# Bump when the schema or analysis changes; an index of another version is
# rebuilt by the next reindex.
SCHEMA_VERSION = 8


def build_schema(facet_fields: Sequence[FacetField] = FACET_FIELDS) -> fields.Schema:
    """A fresh schema instance (Whoosh pickles it into the index).

    :param facet_fields: the facets' fields (tests give others).
    """
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.STORED(),
        body=fields.STORED(),
        syl=fields.TEXT(analyzer=syllable_analyzer(), phrase=True),
        fold=fields.TEXT(analyzer=fold_analyzer(), phrase=True),
        words=fields.FieldType(Frequency(), analyzer=word_analyzer(), scorable=True),
        wfold=fields.FieldType(Frequency(), analyzer=folded_word_analyzer(), scorable=True),
        # Neighbouring syllables as one term: a two-syllable word is one lookup.
        pair=fields.FieldType(Frequency(), analyzer=pair_analyzer(), scorable=True),
        # How often a syllable or pair is written with capitals (names).
        caps=fields.FieldType(Frequency(), analyzer=caps_analyzer(), scorable=True),
        # Each facet's field (see :mod:`searchapp.index.facetfields`).
        **{facet.name: facet.field_type() for facet in facet_fields},
        datenum=fields.NUMERIC(int, bits=32, sortable=True, default=0),
        story=fields.ID(sortable=True),
        meta=fields.STORED(),
    )


# The analysed text fields, in the order of :func:`searchapp.index.terms.index_items`.
ANALYSED_FIELDS = ("syl", "fold", "words", "wfold", "pair", "caps")


def analysed_fields(text: str, spans: list[Span]) -> dict[str, tuple[list, int]]:
    """``{field: (items, length)}`` for the analysed fields of ``text``.

    The same terms, weights and values as Whoosh's ``field.index(text)``, in
    one pass over the text (see :func:`searchapp.index.terms.index_items`).
    """
    return dict(zip(ANALYSED_FIELDS, index_items(text, spans), strict=True))


def search_text(article: Article, title_repeat: int) -> str:
    """The text the search fields index: the title ``title_repeat`` times, then the body.

    A title that is not a headline (a caption or a lead sentence) already
    starts the body and gets no extra weight.
    """
    if not article.headline:
        return article.body
    return "\n".join([article.title] * max(1, title_repeat) + [article.body])


def date_number(date: str | None) -> int:
    """``2021-07-06`` → 20210706; 0 when the article has no date."""
    return int(date.replace("-", "")) if date else 0


def to_document(
    article: Article,
    title_repeat: int,
    story: str | None = None,
    analysed: bool = True,
    facet_fields: Sequence[FacetField] = FACET_FIELDS,
) -> dict:
    """The Whoosh document for one article; ``story`` groups near-duplicates.

    :param analysed: include the analysed text fields; without them the caller
        supplies their terms (see :func:`analysed_fields`).
    :param facet_fields: the facets' fields (tests give others).
    """
    held = {facet.name: list(facet.values(article)) for facet in facet_fields}
    doc = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "datenum": date_number(article.date),
        "story": story or article.id,
        "meta": {
            "date": article.date,
            "source": article.source,
            "url": article.url,
            "category": article.category,
            "partners": list(article.partners),
            "mentioned": held["mentioned"] if "mentioned" in held else mentioned_partners(article),
            "topics": list(article.topics),
            "path": article.path,
            "line": article.line,
            "checksum": article.checksum,
            "headline": article.headline,
        },
    }
    if analysed:
        text = search_text(article, title_repeat)
        doc.update(dict.fromkeys(ANALYSED_FIELDS, text))
    for facet in facet_fields:
        value = facet.document_value(held[facet.name])
        if value is not None:
            doc[facet.name] = value
    return doc
