"""The facets: the one registry the searcher, the page, the API and the command line read them from.

Each :class:`Facet` says what its URL parameter, filter and index field are
called (the field itself is the index's: :mod:`searchapp.index.facetfields`),
how a value asked for is made canonical, how the page heads, labels and names
it, and how the query box and the command line spell it. Everything that lists, resolves,
applies or counts facets goes through :data:`REGISTRY`, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from searchapp.corpus import metadata
from searchapp.index.facetfields import FIELDS_BY_NAME, FacetField
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
    """One facet, as the URL, the searcher, the command line and the page name it.

    Adding a facet with an index field of its own takes two entries and a bump:

    - its :class:`~searchapp.index.facetfields.FacetField` in
      :data:`~searchapp.index.facetfields.FACET_FIELDS` (the field's name, how
      it holds values, what an article gives it), and ``SCHEMA_VERSION`` in
      :mod:`searchapp.index.schema` bumped, since it changes what an index
      holds (the next reindex rebuilds);
    - its entry in :data:`REGISTRY`, ``indexed`` naming that field.

    The rest follows from the two: the schema and each document's value, the
    columns, filters, counts and notices, the searcher's ``filters``
    (``Searcher.search(filters={attr: [...]})``), the API's filters, the
    page's state, URL parameter, side panel, chips and links, the ``search``
    command's option (``option_help``) and the query box's field names
    (``name`` and ``aliases``); ``tests/test_facets.py`` checks each with a
    facet that is not in the registry. The keyword parameters ``partners=``,
    ``mentioned=``, ``topics=``, ``sources=`` and ``years=`` of
    ``Searcher.search`` and ``iter_hits`` are the first five facets'
    ``filters`` by name, kept for the callers that use them; a new facet gets
    none. A facet without a field (the year, read from the date) also needs
    its own code where the year's is.
    """

    name: str  # URL parameter, JSON key, query-box field, command-line option and index field: "partner"
    # The filter's name for Searcher.search's ``filters`` (and its keyword), the
    # API's filters and the page's state: "partners"
    attr: str
    heading: str  # the side panel's heading
    label: Callable[[str], str]  # how a value reads
    hint: str | None = None  # what the heading means, under it
    # The index field of its name (the kind of column it holds), or None for the
    # year, read from the date.
    indexed: FacetField | None = None
    # The canonical value for what is typed ("Nhật Bản" -> "JP"), None when it
    # names nothing; without one, values are the index's own, however spelled.
    canonical: Callable[[str], str | None] | None = None
    noun: str = ""  # what a notice calls one of its values: "Không có {noun} “…”"
    aliases: tuple[str, ...] = ()  # the query box's other names for its field: "doitac:"
    option_help: str = ""  # the ``search`` command's help for its option

    def __post_init__(self) -> None:
        if self.indexed is not None and self.indexed.name != self.name:
            raise ValueError(f"facet {self.name!r} names the index field {self.indexed.name!r}")

    @property
    def column(self) -> str | None:
        """How the index field holds a document's values: ``"list"``
        (comma-separated keywords) or ``"value"`` (one); None for the year."""
        return self.indexed.kind if self.indexed is not None else None

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
        indexed=FIELDS_BY_NAME["partner"],
        canonical=metadata.resolve_partner,
        noun="đối tác",
        aliases=("doitac", "country"),
        option_help=(
            "A partner the article is mainly about, code or name: JP, Nhật Bản, Japan (repeatable: any of them)."
        ),
    ),
    Facet(
        "mentioned",
        "mentioned",
        "Có nhắc đến",
        metadata.partner_label,
        "Mọi nước, tổ chức được nêu tên trong bài",
        indexed=FIELDS_BY_NAME["mentioned"],
        canonical=metadata.resolve_partner,
        noun="đối tác",
        # Partners the article names anywhere, not only the ones it is about.
        aliases=("nhacden", "mentions"),
        option_help="A partner the article names anywhere, code or name (repeatable: any of them).",
    ),
    Facet(
        "topic",
        "topics",
        "Chủ đề",
        metadata.topic_label,
        indexed=FIELDS_BY_NAME["topic"],
        canonical=metadata.resolve_topic,
        noun="chủ đề",
        aliases=("chude",),
        option_help="Topic slug or name (repeatable: any of them).",
    ),
    Facet(
        YEAR,
        "years",
        "Năm",
        year_label,
        aliases=("nam",),
        option_help="Year, or 'undated' for articles without a date (repeatable).",
    ),
    Facet(
        "source",
        "sources",
        "Nguồn tin",
        str,
        indexed=FIELDS_BY_NAME["source"],
        noun="nguồn tin",
        aliases=("nguon",),
        option_help="Outlet (repeatable).",
    ),
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
