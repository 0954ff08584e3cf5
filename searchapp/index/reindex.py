"""Building and updating the index from the corpus folder.

``reindex`` is incremental: files whose size and modification time are those
recorded in the manifest are not even read; in changed files, only articles
whose content checksum changed are rewritten. ``full=True`` builds a new
generation aside and swaps it in (see :mod:`searchapp.index.store`).

Duplicate ids: the first file in path order (then line order) wins; the others
are reported and skipped.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import pickle
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import LockError

from searchapp import atomic
from searchapp.analysis import segmentation
from searchapp.config import Config
from searchapp.corpus.articles import (
    DEFAULT_MAX_FILE_MB,
    EXTRACTION_VERSION,
    Article,
    Unchanged,
    is_text,
    iter_corpus_files,
    mb_to_bytes,
    read_file,
    relative_id,
)
from searchapp.engine.whoosh.segments import FastWriter, commit_parts, finish_part, part_writer
from searchapp.errors import ArticleError, IndexBusy
from searchapp.index import repair, store, wordcache
from searchapp.index.pool import WorkerPool, worker_init
from searchapp.index.schema import (
    ANALYSED_FIELDS,
    SCHEMA_VERSION,
    analysed_fields,
    build_schema,
    search_text,
    to_document,
)
from searchapp.index.stories import StoryIndex
from searchapp.index.stories import sketch as stories_sketch
from searchapp.index.wordcache import WordCache
from searchapp.progress import SILENT, Progress


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
                errors.append(_duplicate(item, owners[item.id]))
            elif isinstance(item, Article):  # no Unchanged: nothing is known
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
            plan = _plan(config.corpus_path, manifest, report, workers.imap, max_bytes, progress)
            if live is None:
                folder = store.new_generation(config.index_path)
                ix = whoosh_index.create_in(str(folder), build_schema(), indexname=store.INDEX_NAME)
            else:
                folder = live
                ix = whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME)
            if plan.write or plan.delete or live is None:
                _apply(config, ix, folder, plan, report, progress, live is None, workers)
        finally:
            workers.close()
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "extraction_version": EXTRACTION_VERSION,
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


def _plan(
    corpus: Path,
    manifest: dict,
    report: ReindexReport,
    mapper=None,
    max_bytes: int | None = None,
    progress: Progress = SILENT,
) -> _Plan:
    old_files: dict[str, dict] = manifest.get("files", {})
    old_docs: dict[str, dict] = manifest.get("docs", {})
    plan = _Plan()
    owners: dict[str, str] = {}
    known_by_path: dict[str, dict[str, str]] = {}
    for doc_id, doc in old_docs.items():
        known_by_path.setdefault(doc.get("path", ""), {})[doc_id] = doc.get("checksum", "")

    def read_one() -> None:
        progress.update(len(plan.docs) + len(report.failed))

    for path in iter_corpus_files(corpus):
        rel = relative_id(path, corpus)
        entry = _unchanged_entry(path, old_files.get(rel))
        if entry is not None and all(old_docs.get(i, {}).get("path") == rel and i not in owners for i in entry["ids"]):
            _carry_over(plan, rel, entry, old_docs, owners, report)
        else:
            known = known_by_path.get(rel, {})
            _read_into(plan, path, corpus, rel, old_docs, owners, report, known, mapper, max_bytes, read_one)
        read_one()
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


def _read_into(
    plan, path, corpus, rel, old_docs, owners, report, known: dict[str, str], mapper=None, max_bytes=None, on_item=None
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
    if is_text(rel):  # an undecodable name has been reported; it cannot be a manifest key
        plan.files[rel] = {**(stat if not broken else {"size": -1, "mtime": -1}), "ids": ids}


# Share of the index a reindex must replace before it merges every segment.
MERGE_SHARE = 0.2


def _rewrites_much(ix, plan: _Plan) -> bool:
    """True when so many articles change that deleted copies would skew the
    term statistics (accent restoration reads them) until segments merge."""
    before = ix.doc_count_all()
    return bool(before) and len(plan.write) + len(plan.delete) > MERGE_SHARE * before


def _where(article: Article | Unchanged) -> str:
    return f"{article.path}:{article.line}" if article.line else article.path


def _duplicate(article: Article | Unchanged, first: str) -> ArticleError:
    return ArticleError(
        article.path,
        f"duplicate id {article.id!r}, already used by {first}; the first in path order wins",
        article.line,
    )


def _apply(config, ix, folder: Path, plan: _Plan, report: ReindexReport, progress, fresh: bool, workers) -> None:
    if fresh and workers.count > 1 and len(plan.write) >= _SPLIT_MIN and not plan.delete:
        _apply_split(config, ix, folder, plan, report, progress, workers)
        return
    try:
        writer = ix.writer(timeout=config.lock_timeout, limitmb=256)
    except LockError as exc:
        raise IndexBusy("another process is writing the index; try again shortly") from exc
    fast = FastWriter(writer, ANALYSED_FIELDS)
    try:
        stories = StoryIndex() if fresh else StoryIndex.load(folder)
        for doc_id in plan.delete:
            writer.delete_by_term("id", doc_id)
            stories.remove(doc_id)
        if plan.write:
            progress.stage("Indexing", len(plan.write))
        done = 0
        cache = WordCache(config.index_path)
        try:
            for article, fields, sketch in _prepared(config, cache, plan.write, workers, report):
                story = stories.assign(article.id, "", sketch)
                doc = to_document(article, config.ranking.title_repeat, story, analysed=False)
                if not (fresh or article.id in plan.new_ids):
                    # What update_document does: the id is the only unique field.
                    writer.delete_by_term("id", article.id)
                fast.add_document(doc, fields)
                done += 1
                progress.update(done)
        finally:
            cache.close()
        # Sorting and writing the postings, and merging segments: no count to show.
        progress.step("Writing the index")
        writer.commit(optimize=fresh or _rewrites_much(ix, plan))
        # Saved after the commit: a crash in between leaves the manifest one
        # generation behind, which makes the next reindex rebuild everything.
        stories.save(folder)
    except BaseException:
        writer.cancel()
        raise


# A full rebuild of at least this many articles is written as one segment per
# worker process, side by side (see _apply_split).
_SPLIT_MIN = 1000


def _apply_split(config, ix, folder: Path, plan: _Plan, report: ReindexReport, progress, workers) -> None:
    """A full rebuild written by several processes at once, one segment each.

    Story ids depend on every earlier article, so they are settled first (the
    MinHashes in the workers, the grouping here, in corpus order). Then the
    articles are cut into contiguous parts of similar size; each part is
    segmented, analysed and written by its own process into its own segment,
    and the segments are committed together, in corpus order: document
    numbers, postings and stored fields are those of a one-process build; the
    index only has one segment per part instead of one in all.
    """
    try:
        writer = ix.writer(timeout=config.lock_timeout)
    except LockError as exc:
        raise IndexBusy("another process is writing the index; try again shortly") from exc
    children: list = []
    try:
        articles = plan.write
        stories = StoryIndex()
        story_of: list[str] = []
        chunks = list(_batches(articles, 32))
        progress.stage("Finding reprints", len(articles))
        for chunk, sketches in zip(chunks, workers.imap(_sketch_chunk, chunks), strict=True):
            for article, sketch in zip(chunk, sketches, strict=True):
                story_of.append(stories.assign(article.id, "", sketch))
            progress.update(len(story_of))
        count = workers.count
        workers.close()  # the cores go to the segment writers
        context = multiprocessing.get_context("fork")
        # Articles written so far by all the parts together, for the progress display.
        written = context.Value("q", 0)
        progress.stage("Indexing", len(articles))
        for number, (start, end) in enumerate(_parts(articles, count)):
            out = folder / f".part-{number}.pickle"
            child = context.Process(
                target=_write_part, args=(config, ix, articles, story_of, start, end, out, written), daemon=True
            )
            child.start()
            children.append((child, out))
        _wait_for_parts([child for child, _ in children], written, len(articles), progress)
        segments, blobs = [], []
        for _child, out in children:
            with out.open("rb") as fh:
                segment, new_blobs, seconds = pickle.load(fh)
            out.unlink()
            segments.append(segment)
            blobs.extend(new_blobs)
            report.segment_seconds += seconds
        cache = WordCache(config.index_path)
        try:
            cache.store(blobs)
        finally:
            cache.close()
        # What commit() does, with the parts' segments as the new segment list.
        commit_parts(writer, segments)
        # Saved after the commit, as in _apply.
        stories.save(folder)
    except BaseException:
        for child, _ in children:
            if child.is_alive():
                child.kill()
                child.join()
        if not writer.is_closed:
            writer.cancel()
        raise


# How often the parent looks at the segment writers' joint count.
_POLL_SECONDS = 0.25


def _wait_for_parts(children: list, written, written_total: int, progress: Progress) -> None:
    """Wait for every segment writer, showing their joint count as it grows.

    :raises RuntimeError: a writer failed (the first failure ends the wait:
        the others' work would be thrown away anyway).
    """
    running, total = list(children), None
    while running:
        multiprocessing.connection.wait([child.sentinel for child in running], timeout=_POLL_SECONDS)
        for child in [child for child in running if not child.is_alive()]:
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"a segment writer failed (exit code {child.exitcode})")
            running.remove(child)
        if total is None:
            progress.update(written.value)
            if written.value >= written_total:
                # Every article is in; sorting and writing the postings of each
                # segment takes longer still, so the display says so, part by part.
                total = len(children)
                progress.stage("Writing segments", total, unit="part")
        if total is not None:
            progress.update(total - len(running))


def _parts(articles: list[Article], count: int) -> list[tuple[int, int]]:
    """``count`` contiguous ranges of about the same amount of text."""
    sizes = [len(a.title) + len(a.body) for a in articles]
    total = sum(sizes)
    bounds: list[tuple[int, int]] = []
    running, start = 0, 0
    for index, size in enumerate(sizes):
        running += size
        if len(bounds) < count - 1 and running >= total * (len(bounds) + 1) / count:
            bounds.append((start, index + 1))
            start = index + 1
    bounds.append((start, len(articles)))
    return [b for b in bounds if b[0] < b[1]]


def _sketch_chunk(chunk: list[Article]) -> list:
    return [stories_sketch(f"{a.title}\n{a.body}") for a in chunk]


# Articles a segment writer prepares at a time; it reports its count after each.
_PART_CHUNK = 64


def _write_part(config, ix, articles, story_of, start: int, end: int, out: Path, written=None) -> None:
    """Child process: write ``articles[start:end]`` into a segment of its own."""
    worker_init()
    writer = part_writer(ix, limitmb=256)
    fast = FastWriter(writer, ANALYSED_FIELDS)
    title_repeat = config.ranking.title_repeat
    cache = WordCache(config.index_path)
    blobs, seconds = [], 0.0
    try:
        for offset in range(start, end, _PART_CHUNK):
            chunk = articles[offset : min(end, offset + _PART_CHUNK)]
            keys, jobs = _cached_jobs(cache, chunk, title_repeat)
            results = _prepare_chunk((jobs, title_repeat, False))
            for i, (article, key, (blob, fields, _, took)) in enumerate(zip(chunk, keys, results, strict=True)):
                if blob is not None:
                    blobs.append((key, blob))
                seconds += took
                doc = to_document(article, title_repeat, story_of[offset + i], analysed=False)
                fast.add_document(doc, fields)
            if written is not None:
                with written.get_lock():
                    written.value += len(chunk)
    finally:
        cache.close()
    segment = finish_part(writer)
    with atomic.replacing(out) as fh:  # the parent reads it whole or not at all
        pickle.dump((segment, blobs, seconds), fh, protocol=pickle.HIGHEST_PROTOCOL)


# Articles sent to a worker at a time, and chunks in flight: bounds the memory
# of finished results waiting for the writer.
_CHUNK = 8
_WINDOW = 24
# Below this many articles to write, everything runs in this process.
_PARALLEL_MIN = 48


def _prepared(config: Config, cache: WordCache, articles: list[Article], workers, report: ReindexReport):
    """``(article, analysed fields, story sketch)`` for every article, in order.

    The costly per-article work (pyvi segmentation on a cache miss, analysis of
    the text fields, the MinHash) runs in the worker processes while this
    process writes the results of earlier chunks.
    """
    title_repeat = config.ranking.title_repeat
    pool = workers.get() if len(articles) >= _PARALLEL_MIN else None

    def finish(keys, results):
        fresh = [(k, blob) for k, (blob, _, _, _) in zip(keys, results, strict=True) if blob is not None]
        if fresh:
            cache.store(fresh)
        report.segment_seconds += sum(r[3] for r in results)

    chunks = _batches(articles, _CHUNK)
    if pool is None:
        for chunk in chunks:
            keys, jobs = _cached_jobs(cache, chunk, title_repeat)
            results = _prepare_chunk((jobs, title_repeat, True))
            finish(keys, results)
            for article, (_, fields, sketch, _) in zip(chunk, results, strict=True):
                yield article, fields, sketch
        return
    pending: deque = deque()
    for chunk in chunks:
        keys, jobs = _cached_jobs(cache, chunk, title_repeat)
        pending.append((chunk, keys, pool.apply_async(_prepare_chunk, ((jobs, title_repeat, True),))))
        if len(pending) < _WINDOW:
            continue
        yield from _drain(pending.popleft(), finish)
    while pending:
        yield from _drain(pending.popleft(), finish)


def _cached_jobs(cache: WordCache, chunk: list[Article], title_repeat: int):
    """The segmentation cache keys of ``chunk`` and its jobs: each article with
    its cached spans, or ``None`` where the worker must segment it."""
    keys = [wordcache.key(search_text(a, title_repeat)) for a in chunk]
    found = cache.lookup(keys)
    return keys, [(a, found.get(k)) for a, k in zip(chunk, keys, strict=True)]


def _drain(entry, finish):
    chunk, keys, result = entry
    results = result.get()
    finish(keys, results)
    for article, (_, fields, sketch, _) in zip(chunk, results, strict=True):
        yield article, fields, sketch


def _prepare_chunk(job):
    """Worker side: segment (unless cached), analyse and sketch each article."""
    jobs, title_repeat, with_sketch = job
    out = []
    for article, blob in jobs:
        text = search_text(article, title_repeat)
        started = time.perf_counter()
        if blob is None:
            spans = segmentation.compound_spans(text)
            new = wordcache.pack(spans)
        else:
            spans, new = wordcache.unpack(blob), None
        seconds = time.perf_counter() - started
        fields = analysed_fields(text, spans)
        sketch = stories_sketch(f"{article.title}\n{article.body}") if with_sketch else None
        out.append((new, fields, sketch, seconds))
    return out


def _batches(items: list[Article], size: int) -> Iterable[list[Article]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def same_content(a: Path, b: Path) -> bool:
    """True when two files hold the same bytes (False when either cannot be read)."""
    import filecmp

    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False
