"""What one article is once read: its text and facet values, or a note that it is unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unchanged:
    """An article whose content matches what the index already holds."""

    id: str
    checksum: str
    path: str
    line: int | None = None


@dataclass(frozen=True)
class Article:
    """One news article with its facet values."""

    id: str
    title: str
    body: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    category: str | None = None
    partners: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    path: str = ""
    line: int | None = None
    checksum: str = ""
    # False when the first line was a caption or a lead sentence, not a headline.
    headline: bool = True
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The public fields as JSON-ready values."""
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "category": self.category,
            "partners": list(self.partners),
            "topics": list(self.topics),
        }
