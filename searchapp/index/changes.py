"""What a reindex has to do: the corpus folder compared with the manifest of the last one.

Files whose size and modification time are those the manifest records are
not even read; in the others, an article is written again only when its
content checksum changed. Duplicate ids: the first file in path order (then
line order) wins; the others are reported and skipped. The same rule checks
a corpus without indexing it (:func:`check_corpus`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from searchapp.corpus.articles import (
    DEFAULT_MAX_FILE_MB,
    Article,
    Unchanged,
    is_text,
    iter_corpus_files,
    mb_to_bytes,
    read_file,
    relative_id,
)
from searchapp.errors import ArticleError
from searchapp.index.report import ReindexReport
from searchapp.progress import SILENT, Progress


@dataclass
class Changes:
    """The outcome of comparing the corpus with the manifest: the next manifest's
    ``files`` and ``docs``, the articles to ``write`` (those of ``new_ids`` are
    not in the index yet) and the ids to ``delete``."""

    files: dict[str, dict] = field(default_factory=dict)
    docs: dict[str, dict] = field(default_factory=dict)
    write: list[Article] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    new_ids: set[str] = field(default_factory=set)


def check_corpus(corpus: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> tuple[int, list[ArticleError], list[str]]:
    """Read every article without indexing: (good count, errors, warnings).

    :param max_file_mb: files bigger than this (once decompressed) are reported.
    """
    good = 0
    errors: list[ArticleError] = []
    warnings: list[str] = []
    owners: dict[str, str] = {}
    max_bytes = mb_to_bytes(max_file_mb)
    for path in iter_corpus_files(corpus):
        for item in read_file(path, corpus, max_bytes=max_bytes):
            if isinstance(item, ArticleError):
                errors.append(item)
            elif item.id in owners:
                errors.append(duplicate(item, owners[item.id]))
            elif isinstance(item, Article):  # no Unchanged: nothing is known
                owners[item.id] = where(item)
                good += 1
                warnings.extend(f"{where(item)}: {w}" for w in item.warnings)
    return good, errors, warnings


def find_changes(
    corpus: Path,
    manifest: dict,
    report: ReindexReport,
    mapper=None,
    max_bytes: int | None = None,
    progress: Progress = SILENT,
) -> Changes:
    """What the corpus holds that the manifest does not say; counts and problems go into ``report``.

    :param mapper: ``map`` or a pool's ``imap``, for reading articles in the workers.
    :param max_bytes: files bigger than this (once decompressed) are reported, not read.
    """
    old_files: dict[str, dict] = manifest.get("files", {})
    old_docs: dict[str, dict] = manifest.get("docs", {})
    changes = Changes()
    owners: dict[str, str] = {}
    known_by_path: dict[str, dict[str, str]] = {}
    for doc_id, doc in old_docs.items():
        known_by_path.setdefault(doc.get("path", ""), {})[doc_id] = doc.get("checksum", "")

    def read_one() -> None:
        progress.update(len(changes.docs) + len(report.failed))

    for path in iter_corpus_files(corpus):
        rel = relative_id(path, corpus)
        entry = _unchanged_entry(path, old_files.get(rel))
        if entry is not None and all(old_docs.get(i, {}).get("path") == rel and i not in owners for i in entry["ids"]):
            _carry_over(changes, rel, entry, old_docs, owners, report)
        else:
            known = known_by_path.get(rel, {})
            _read_into(changes, path, corpus, rel, old_docs, owners, report, known, mapper, max_bytes, read_one)
        read_one()
    changes.delete = [doc_id for doc_id in old_docs if doc_id not in changes.docs]
    report.deleted = len(changes.delete)
    return changes


def _unchanged_entry(path: Path, entry: dict | None) -> dict | None:
    if entry is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    if entry.get("size") == info.st_size and entry.get("mtime") == info.st_mtime_ns:
        return entry
    return None


def _carry_over(changes, rel, entry, old_docs, owners, report) -> None:
    changes.files[rel] = entry
    for doc_id in entry["ids"]:
        if doc_id in owners:
            continue
        owners[doc_id] = rel
        changes.docs[doc_id] = old_docs[doc_id]
        report.unchanged += 1


def _read_into(
    changes,
    path,
    corpus,
    rel,
    old_docs,
    owners,
    report,
    known: dict[str, str],
    mapper=None,
    max_bytes=None,
    on_item=None,
) -> None:
    try:
        info = path.stat()
        stat = {"size": info.st_size, "mtime": info.st_mtime_ns}
    except OSError:
        stat = {"size": -1, "mtime": -1}
    ids: list[str] = []
    for item in read_file(path, corpus, known, mapper, max_bytes):
        if on_item is not None:
            # One call an item, whichever way it goes below; the caller counts once more per file.
            on_item()
        if isinstance(item, ArticleError):
            report.failed.append(item)
            continue
        if item.id in owners:
            report.failed.append(duplicate(item, owners[item.id]))
            continue
        owners[item.id] = where(item)
        ids.append(item.id)
        if isinstance(item, Unchanged):
            changes.docs[item.id] = {"path": rel, "checksum": item.checksum}
            report.unchanged += 1
            continue
        report.warnings.extend(f"{where(item)}: {w}" for w in item.warnings)
        changes.docs[item.id] = {"path": rel, "checksum": item.checksum}
        old = old_docs.get(item.id)
        if old and old.get("checksum") == item.checksum and old.get("path") == rel:
            report.unchanged += 1
        else:
            changes.write.append(item)
            if old:
                report.updated += 1
            else:
                report.added += 1
                changes.new_ids.add(item.id)
    # A file with a broken item is re-read next time, so a fix is noticed
    # even when the fix keeps the size and the timestamp.
    broken = any(e.path == rel for e in report.failed)
    if is_text(rel):  # an undecodable name has been reported; it cannot be a manifest key
        changes.files[rel] = {**(stat if not broken else {"size": -1, "mtime": -1}), "ids": ids}


def where(article: Article | Unchanged) -> str:
    return f"{article.path}:{article.line}" if article.line else article.path


def duplicate(article: Article | Unchanged, first: str) -> ArticleError:
    return ArticleError(
        article.path,
        f"duplicate id {article.id!r}, already used by {first}; the first in path order wins",
        article.line,
    )
