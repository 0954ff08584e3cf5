"""Building and updating the index from the corpus folder.

``reindex`` is incremental: files whose size and modification time are those
recorded in the manifest are not even read; in changed files, only articles
whose content checksum changed are rewritten. ``full=True`` builds a new
generation aside and swaps it in (see :mod:`searchapp.store`).

Duplicate ids: the first file in path order (then line order) wins; the others
are reported and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import LockError

from searchapp import analysis, store
from searchapp.config import Config
from searchapp.corpus import Article, Unchanged, iter_corpus_files, read_file, relative_id
from searchapp.errors import ArticleError, IndexBusy
from searchapp.schema import SCHEMA_VERSION, build_schema, search_text, to_document
from searchapp.segcache import SegmentCache
from searchapp.stories import StoryIndex

# Articles written per batch: bounds memory for the segmentation results.
BATCH = 512

Progress = Callable[[int, int], None]


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


@dataclass
class _Plan:
    """The outcome of comparing the corpus with the manifest."""

    files: dict[str, dict] = field(default_factory=dict)
    docs: dict[str, dict] = field(default_factory=dict)
    write: list[Article] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    new_ids: set[str] = field(default_factory=set)


def check_corpus(corpus: Path) -> tuple[int, list[ArticleError], list[str]]:
    """Read every article without indexing: (good count, errors, warnings)."""
    good, errors, warnings, owners = 0, [], [], {}
    for path in iter_corpus_files(corpus):
        for item in read_file(path, corpus):
            if isinstance(item, ArticleError):
                errors.append(item)
            elif item.id in owners:
                errors.append(_duplicate(item, owners[item.id]))
            else:
                owners[item.id] = _where(item)
                good += 1
                warnings.extend(f"{_where(item)}: {w}" for w in item.warnings)
    return good, errors, warnings


def reindex(
    config: Config,
    full: bool = False,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> ReindexReport:
    """Bring the index in line with the corpus folder.

    :param full: rebuild everything into a new generation.
    :param progress: called with (done, total) while articles are written.
    :param on_wait: told once when another reindex holds the lock.
    :raises IndexBusy: another reindex kept the lock past ``lock_timeout``.
    """
    started = time.perf_counter()
    with store.reindex_lock(config.index_path, config.lock_timeout, on_wait):
        live = None if full else store.live_generation(config.index_path)
        manifest = store.read_manifest(live) if live else {}
        if live and not _manifest_usable(manifest, live):
            live, manifest = None, {}
        report = ReindexReport(full=live is None)
        plan = _plan(config.corpus_path, manifest, report)
        if live is None:
            folder = store.new_generation(config.index_path)
            ix = whoosh_index.create_in(str(folder), build_schema(), indexname=store.INDEX_NAME)
        else:
            folder = live
            ix = whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME)
        if plan.write or plan.delete or live is None:
            _apply(config, ix, folder, plan, report, progress, fresh=live is None)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "generation": ix.latest_generation(),
            "title_repeat": config.ranking.title_repeat,
            "files": plan.files,
            "docs": plan.docs,
        }
        store.write_manifest(folder, manifest)
        if live is None:
            store.publish_generation(config.index_path, folder)
    report.seconds = time.perf_counter() - started
    return report


def _manifest_usable(manifest: dict, folder: Path) -> bool:
    """A manifest that matches its index; anything else means a full rebuild.

    A reindex killed between Whoosh's commit and the manifest write leaves the
    manifest one generation behind: rebuilding is the safe answer.
    """
    if manifest.get("schema_version") != SCHEMA_VERSION:
        return False
    try:
        ix = whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME, readonly=True)
        return manifest.get("generation") == ix.latest_generation()
    except (whoosh_index.EmptyIndexError, OSError):
        return False


def _plan(corpus: Path, manifest: dict, report: ReindexReport) -> _Plan:
    old_files: dict[str, dict] = manifest.get("files", {})
    old_docs: dict[str, dict] = manifest.get("docs", {})
    plan = _Plan()
    owners: dict[str, str] = {}
    known_by_path: dict[str, dict[str, str]] = {}
    for doc_id, doc in old_docs.items():
        known_by_path.setdefault(doc.get("path", ""), {})[doc_id] = doc.get("checksum", "")
    for path in iter_corpus_files(corpus):
        rel = relative_id(path, corpus)
        entry = _unchanged_entry(path, old_files.get(rel))
        if entry is not None and all(old_docs.get(i, {}).get("path") == rel and i not in owners for i in entry["ids"]):
            _carry_over(plan, rel, entry, old_docs, owners, report)
        else:
            _read_into(plan, path, corpus, rel, old_docs, owners, report, known_by_path.get(rel, {}))
    plan.delete = [doc_id for doc_id in old_docs if doc_id not in plan.docs]
    report.deleted = len(plan.delete)
    return plan


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


def _carry_over(plan, rel, entry, old_docs, owners, report) -> None:
    plan.files[rel] = entry
    for doc_id in entry["ids"]:
        if doc_id in owners:
            continue
        owners[doc_id] = rel
        plan.docs[doc_id] = old_docs[doc_id]
        report.unchanged += 1


def _read_into(plan, path, corpus, rel, old_docs, owners, report, known: dict[str, str]) -> None:
    try:
        info = path.stat()
        stat = {"size": info.st_size, "mtime": info.st_mtime_ns}
    except OSError:
        stat = {"size": -1, "mtime": -1}
    ids: list[str] = []
    for item in read_file(path, corpus, known):
        if isinstance(item, ArticleError):
            report.failed.append(item)
            continue
        if item.id in owners:
            report.failed.append(_duplicate(item, owners[item.id]))
            continue
        owners[item.id] = _where(item)
        ids.append(item.id)
        if isinstance(item, Unchanged):
            plan.docs[item.id] = {"path": rel, "checksum": item.checksum}
            report.unchanged += 1
            continue
        report.warnings.extend(f"{_where(item)}: {w}" for w in item.warnings)
        plan.docs[item.id] = {"path": rel, "checksum": item.checksum}
        old = old_docs.get(item.id)
        if old and old.get("checksum") == item.checksum and old.get("path") == rel:
            report.unchanged += 1
        else:
            plan.write.append(item)
            if old:
                report.updated += 1
            else:
                report.added += 1
                plan.new_ids.add(item.id)
    # A file with a broken item is re-read next time, so a fix is noticed
    # even when the fix keeps the size and the timestamp.
    broken = any(e.path == rel for e in report.failed)
    plan.files[rel] = {**(stat if not broken else {"size": -1, "mtime": -1}), "ids": ids}


def _where(article: Article) -> str:
    return f"{article.path}:{article.line}" if article.line else article.path


def _duplicate(article: Article, first: str) -> ArticleError:
    return ArticleError(
        article.path,
        f"duplicate id {article.id!r}, already used by {first}; the first in path order wins",
        article.line,
    )


def _apply(config, ix, folder: Path, plan: _Plan, report: ReindexReport, progress, fresh: bool) -> None:
    try:
        writer = ix.writer(timeout=config.lock_timeout, limitmb=256)
    except LockError as exc:
        raise IndexBusy("another process is writing the index; try again shortly") from exc
    stories = StoryIndex() if fresh else StoryIndex.load(folder)
    try:
        for doc_id in plan.delete:
            writer.delete_by_term("id", doc_id)
            stories.remove(doc_id)
        total = len(plan.write)
        done = 0
        cache = SegmentCache(config.index_path)
        try:
            for batch in _batches(plan.write, BATCH):
                report.segment_seconds += _segment(config, cache, batch)
                for article in batch:
                    story = stories.assign(article.id, f"{article.title}\n{article.body}")
                    doc = to_document(article, config.ranking.title_repeat, story)
                    if fresh or article.id in plan.new_ids:
                        writer.add_document(**doc)
                    else:
                        writer.update_document(**doc)
                analysis.forget_compounds()
                done += len(batch)
                if progress:
                    progress(done, total)
        finally:
            cache.close()
        writer.commit(optimize=fresh)
        # Saved after the commit: a crash in between leaves the manifest one
        # generation behind, which makes the next reindex rebuild everything.
        stories.save(folder)
    except BaseException:
        writer.cancel()
        analysis.forget_compounds()
        raise


def _segment(config: Config, cache: SegmentCache, batch: list[Article]) -> float:
    started = time.perf_counter()
    texts = [search_text(a, config.ranking.title_repeat) for a in batch]
    for text, spans in cache.segment_all(texts, config.index_workers):
        analysis.remember_compounds(text, spans)
    return time.perf_counter() - started


def _batches(items: list[Article], size: int) -> Iterable[list[Article]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def add_files(config: Config, files: list[Path], progress: Progress | None = None) -> tuple[list[Path], ReindexReport]:
    """Copy article files into the corpus folder, then reindex.

    :raises FileExistsError: a file of that name is already in the corpus.
    """
    import shutil

    target = config.corpus_path / "added"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for src in files:
        dest = target / src.name
        if dest.exists():
            raise FileExistsError(f"{dest} already exists; rename the file or edit the existing one")
        shutil.copy2(src, dest)
        copied.append(dest)
    return copied, reindex(config, progress=progress)
