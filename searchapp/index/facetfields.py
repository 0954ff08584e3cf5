"""The facets' index fields: what each is called, how it holds values, what an article gives it.

The index side of each facet of :data:`searchapp.search.facets.REGISTRY`
(which refers to this table by name: the index knows no searching). The
schema and every document are built from :data:`FACET_FIELDS`, in its order;
the year facet has no field here, it is read from the date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from searchapp.corpus import metadata

if TYPE_CHECKING:
    # Only named: the command line reads this table through the facet
    # registry at start, and neither is needed to list its options.
    from whoosh import fields

    from searchapp.corpus.model import Article

# How a field holds a document's values.
LIST = "list"  # comma-separated keywords
VALUE = "value"  # one value


@dataclass(frozen=True)
class FacetField:
    """One facet's index field."""

    name: str  # the index field, and the facet's name: "partner"
    kind: str  # :data:`LIST` or :data:`VALUE`
    values: Callable[[Article], Sequence[str]]  # what an article holds, in order

    def field_type(self) -> fields.FieldType:
        """The Whoosh field: sortable, so that its values are read as a column."""
        from whoosh import fields

        if self.kind == LIST:
            return fields.KEYWORD(commas=True, sortable=True)
        if self.kind == VALUE:
            return fields.ID(sortable=True)
        raise ValueError(f"facet field {self.name!r} has no kind {self.kind!r}")

    def document_value(self, values: Sequence[str]) -> str | None:
        """What the document holds in the field, ``None`` for nothing."""
        if not values:
            return None
        if self.kind == LIST:
            return ",".join(values)
        (value,) = values
        return value


def mentioned_partners(article: Article) -> list[str]:
    """Every partner the article names: its main partners first (also when the
    file gave them), then the others the text names, most mentioned first."""
    named = metadata.extract_mentioned_partners(article.title, article.body)
    return list(dict.fromkeys([*article.partners, *named]))


FACET_FIELDS = (
    # The partners an article is mainly about, and every partner it names
    # (a superset): two facets, because a count of the first is read as
    # "how many of these results" and falls short of it.
    FacetField("partner", LIST, lambda article: article.partners),
    FacetField("mentioned", LIST, mentioned_partners),
    FacetField("topic", LIST, lambda article: article.topics),
    FacetField("source", VALUE, lambda article: (article.source,) if article.source else ()),
)
FIELDS_BY_NAME = {field.name: field for field in FACET_FIELDS}
