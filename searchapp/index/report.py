"""What a reindex did: :class:`ReindexReport`, filled in as it goes and returned."""

from __future__ import annotations

from dataclasses import dataclass, field

from searchapp.errors import ArticleError


@dataclass
class ReindexReport:
    """What a reindex did."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[ArticleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    segment_seconds: float = 0.0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.deleted

    def summary(self) -> str:
        return (
            f"added {self.added:,}, updated {self.updated:,}, deleted {self.deleted:,}, "
            f"unchanged {self.unchanged:,}, failed {len(self.failed):,} in {self.seconds:.1f} s"
        )
