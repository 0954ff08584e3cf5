"""The facets: the one registry the searcher, the page and the API read them from.

Each :class:`Facet` says what its URL parameter, filter and index field are
called, where its values come from, how a value asked for is made canonical,
and how the page heads, labels and names it. Everything that lists, resolves,
applies or counts facets goes through :data:`REGISTRY`, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from searchapp.corpus import metadata
from searchapp.text import fold, nfc

# The year facet's bucket (and filter value) for articles without a date.
UNDATED = "undated"
UNDATED_LABEL = "Không rõ ngày"
# The facet read from each article's date rather than from a column of its own.
YEAR = "year"


def year_label(value: str) -> str:
    return UNDATED_LABEL if value == UNDATED else str(value)


@dataclass(frozen=True)
class Facet:
    """One facet, as the URL, the searcher and the page name it.

    Adding a facet: an entry in :data:`REGISTRY`, and the index field of its
    ``name`` (:mod:`searchapp.index.schema`: the field and what each document
    holds in it, a ``SCHEMA_VERSION`` bump since it changes what an index
    holds). The columns, the filters, the counts, the notices and the page's
    side panel, chips and links follow from the entry. Named one by one still:
    the keyword parameter of ``Searcher.search`` and ``iter_hits``, the field
    of the page's ``SearchState``, the ``search`` command's option and the
    query box's field names; ``tests/test_facets.py`` checks each against
    the registry.
    """

    name: str  # URL parameter, JSON key, query-box field and index field: "partner"
    attr: str  # the filter's name for Searcher.search, the API's filters and the page's state: "partners"
    heading: str  # the side panel's heading
    label: Callable[[str], str]  # how a value reads
    hint: str | None = None  # what the heading means, under it
    # How the index field holds a document's values: "list" (comma-separated
    # keywords) or "value" (one); None for the year, read from the date.
    column: str | None = "list"
    # The canonical value for what is typed ("Nhật Bản" -> "JP"), None when it
    # names nothing; without one, values are the index's own, however spelled.
    canonical: Callable[[str], str | None] | None = None
    noun: str = ""  # what a notice calls one of its values: "Không có {noun} “…”"

    def resolve(self, value: str, held: Collection[str]) -> str | None:
        """The canonical form of ``value``, or ``None`` when nothing can hold it.

        :param held: the values the index holds.
        """
        if self.canonical is not None:
            # A value the index holds counts even when the gazetteer no longer knows it.
            return self.canonical(value) or (value if value in held else None)
        value = nfc(value)
        if value in held:
            return value
        wanted = fold(value).casefold().strip()
        return next((v for v in held if fold(v).casefold() == wanted), None)

    def as_asked(self, value: str) -> str:
        """``value`` as a URL's filter keeps it: canonical when it can be told without the index."""
        return (self.canonical(value) if self.canonical is not None else None) or value


REGISTRY = (
    Facet(
        "partner",
        "partners",
        "Đối tác chính",
        metadata.partner_label,
        "Nước, tổ chức mà bài chủ yếu nói về",
        canonical=metadata.resolve_partner,
        noun="đối tác",
    ),
    Facet(
        "mentioned",
        "mentioned",
        "Có nhắc đến",
        metadata.partner_label,
        "Mọi nước, tổ chức được nêu tên trong bài",
        canonical=metadata.resolve_partner,
        noun="đối tác",
    ),
    Facet("topic", "topics", "Chủ đề", metadata.topic_label, canonical=metadata.resolve_topic, noun="chủ đề"),
    Facet(YEAR, "years", "Năm", year_label, column=None),
    Facet("source", "sources", "Nguồn tin", str, column="value", noun="nguồn tin"),
)
FACETS = {facet.name: facet for facet in REGISTRY}
# The facets with a column of their own, in the registry's order, then the
# year: the order filters are resolved in, their notices given and the API's
# ``filters`` lists them.
COLUMN_FACETS = tuple(facet for facet in REGISTRY if facet.column is not None)
FILTER_ORDER = (*COLUMN_FACETS, FACETS[YEAR])


def asked_filters(filters: Mapping[str, Sequence] | None = None, **named: Sequence) -> dict[str, Sequence]:
    """Each facet's values asked for, by its filter name: ``named`` (the
    searcher's keywords, ``partners=``…) then ``filters``'s, in the registry's order.

    :raises TypeError: a filter no facet is called.
    """
    attrs = [facet.attr for facet in REGISTRY]
    unknown = [key for key in (*(filters or {}), *named) if key not in attrs]
    if unknown:
        raise TypeError(f"no facet filter {unknown[0]!r} (one of {', '.join(attrs)})")
    return {attr: [*named.get(attr, ()), *(filters or {}).get(attr, ())] for attr in attrs}
