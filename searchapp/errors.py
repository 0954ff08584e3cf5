"""The exceptions searchapp raises; the CLI and the web layer translate them."""

from __future__ import annotations


class SearchappError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(SearchappError):
    """The configuration file is missing or has a bad key."""


class IndexMissing(SearchappError):
    """There is no index yet, or it cannot be read."""


class IndexDamaged(IndexMissing):
    """A file of the index is missing, cut short or unreadable.

    The message names the file and what is wrong with it, then the fix; the
    web layer shows the fix in Vietnamese.
    """

    FIX = "Run `searchapp reindex --full`."

    def __init__(self, path: str, problem: str) -> None:
        self.path = printable(path)
        self.problem = printable(problem)
        super().__init__(f"The index is damaged: {self.path} {self.problem}. {self.FIX}")


class IndexBusy(SearchappError):
    """Another reindex holds the index lock."""


class QueryError(SearchappError):
    """A search parameter (not the query text) is invalid: page, dates, sort.

    ``str()`` is the English description API clients have always read;
    :attr:`vietnamese` is what a reader of the page is told.
    """

    def __init__(self, message: str, vietnamese: str | None = None) -> None:
        super().__init__(message)
        self.vietnamese = vietnamese or "Một tham số trong địa chỉ trang không đúng."


class ArticleError(SearchappError):
    """One article could not be read; the rest of the corpus is unaffected.

    The path and reason are kept printable: a file name that is not UTF-8
    shows its odd bytes as ``\\xNN`` instead of breaking the report.
    """

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = printable(path)
        self.reason = printable(reason)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {self.reason}")


def printable(text: str) -> str:
    """``text`` with any surrogate (an undecodable byte of a file name, a lone
    JSON escape) shown as a backslash escape, so that it can be printed."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class WhooshVersionError(SearchappError):
    """The installed Whoosh is not the version the engine reads and writes files for."""
