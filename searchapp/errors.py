"""The exceptions searchapp raises; the CLI and the web layer translate them."""

from __future__ import annotations


class SearchappError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(SearchappError):
    """The configuration file is missing or has a bad key."""


class IndexMissing(SearchappError):
    """There is no index yet, or it cannot be read."""


class IndexBusy(SearchappError):
    """Another reindex holds the index lock."""


class QueryError(SearchappError):
    """A search parameter (not the query text) is invalid: page, dates, sort."""


class ArticleError(SearchappError):
    """One article could not be read; the rest of the corpus is unaffected."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")
