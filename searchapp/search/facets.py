"""The facets: each one's URL parameter, filter name, heading and how its values read.

The searcher, the page and the API list the facets of :data:`REGISTRY`, in its order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from searchapp.corpus import metadata

# The year facet's bucket (and filter value) for articles without a date.
UNDATED = "undated"
UNDATED_LABEL = "Không rõ ngày"


def year_label(value: str) -> str:
    return UNDATED_LABEL if value == UNDATED else str(value)


@dataclass(frozen=True)
class Facet:
    """One facet, as the URL, the searcher and the page name it.

    Adding a facet: an entry here, its field in the schema and the document
    (:mod:`searchapp.index.schema`), its column (:mod:`searchapp.search.columns`)
    and its field of :class:`~searchapp.search.filters.Filters`, resolved and
    applied there. The page lists every facet of :data:`REGISTRY` with the
    same templates.
    """

    name: str  # URL parameter, JSON key and index field: "partner"
    attr: str  # the filter's name for Searcher.search, Filters and the page's state: "partners"
    heading: str  # the side panel's heading
    label: Callable[[str], str]  # how a value reads
    hint: str | None = None  # what the heading means, under it


REGISTRY = (
    Facet("partner", "partners", "Đối tác chính", metadata.partner_label, "Nước, tổ chức mà bài chủ yếu nói về"),
    Facet("mentioned", "mentioned", "Có nhắc đến", metadata.partner_label, "Mọi nước, tổ chức được nêu tên trong bài"),
    Facet("topic", "topics", "Chủ đề", metadata.topic_label),
    Facet("year", "years", "Năm", year_label),
    Facet("source", "sources", "Nguồn tin", str),
)
FACETS = {facet.name: facet for facet in REGISTRY}
# facet name -> Filters attribute
FACET_FILTERS = {facet.name: facet.attr for facet in REGISTRY}
