"""Building and updating the index from the corpus folder: one reindex, from the
lock to the manifest.

``reindex`` is incremental: only what changed since the last one is read and
written (:mod:`searchapp.index.changes`). ``full=True`` builds a new
generation aside and swaps it in (see :mod:`searchapp.index.store`). The
writing is done by this process (:mod:`searchapp.index.serial`) or, for a big
full rebuild, by several at once (:mod:`searchapp.index.parallel`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from whoosh import index as whoosh_index

from searchapp.config import Config
from searchapp.corpus.articles import EXTRACTION_VERSION, mb_to_bytes
from searchapp.index import parallel, repair, serial, store
from searchapp.index.changes import Changes, find_changes
from searchapp.index.pool import WorkerPool
from searchapp.index.report import ReindexReport
from searchapp.index.schema import SCHEMA_VERSION, build_schema
from searchapp.progress import SILENT, Progress


def reindex(
    config: Config,
    full: bool = False,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> ReindexReport:
    """Bring the index in line with the corpus folder.

    :param full: rebuild everything into a new generation.
    :param progress: told each stage (reading, indexing) and how far it is.
    :param on_wait: told once when another reindex holds the lock.
    :raises IndexBusy: another reindex kept the lock past ``lock_timeout``.
    """
    started = time.perf_counter()
    progress = progress or SILENT
    with store.reindex_lock(config.index_path, config.lock_timeout, on_wait):
        live, repairs = repair.before_reindex(config.index_path, full)
        manifest = store.read_manifest(live) if live else {}
        if live and not _manifest_usable(manifest, live):
            live, manifest = None, {}
        if manifest.get("extraction_version") != EXTRACTION_VERSION:
            # Metadata rules changed: read every file again; only articles
            # whose extracted fields differ are rewritten.
            manifest = {**manifest, "files": {}}
        report = ReindexReport(full=live is None)
        report.warnings.extend(repairs)
        workers = WorkerPool(config.index_workers)
        try:
            progress.stage("Reading", _expected_articles(config.index_path, manifest))
            max_bytes = mb_to_bytes(config.max_file_mb)
            changes = find_changes(config.corpus_path, manifest, report, workers.imap, max_bytes, progress)
            if live is None:
                folder = store.new_generation(config.index_path)
                ix = whoosh_index.create_in(str(folder), build_schema(), indexname=store.INDEX_NAME)
            else:
                folder = live
                ix = whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME)
            if changes.write or changes.delete or live is None:
                _apply(config, ix, folder, changes, report, progress, live is None, workers)
        finally:
            workers.close()
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "extraction_version": EXTRACTION_VERSION,
            "generation": ix.latest_generation(),
            "title_repeat": config.ranking.title_repeat,
            "files": changes.files,
            "docs": changes.docs,
        }
        store.write_manifest(folder, manifest)
        if live is None:
            store.publish_generation(config.index_path, folder)
    report.seconds = time.perf_counter() - started
    return report


def _expected_articles(index_path: Path, manifest: dict) -> int | None:
    """How many articles the last reindex saw: the reading stage's estimate
    (none on a first build), so that a terminal shows the time left."""
    docs = manifest.get("docs")
    if not docs:
        live = store.live_generation(index_path)
        docs = store.read_manifest(live).get("docs") if live else None
    return len(docs) if isinstance(docs, dict) and docs else None


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


# A full rebuild of at least this many articles is written as one segment per
# worker process, side by side (see :mod:`searchapp.index.parallel`).
_SPLIT_MIN = 1000


def _apply(config, ix, folder: Path, changes: Changes, report: ReindexReport, progress, fresh: bool, workers) -> None:
    """Write ``changes``: a big full rebuild by several processes, anything else by this one."""
    if fresh and workers.count > 1 and len(changes.write) >= _SPLIT_MIN and not changes.delete:
        parallel.write_in_parts(config, ix, folder, changes, report, progress, workers)
    else:
        serial.write_changes(config, ix, folder, changes, report, progress, fresh, workers)


def same_content(a: Path, b: Path) -> bool:
    """True when two files hold the same bytes (False when either cannot be read)."""
    import filecmp

    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False
