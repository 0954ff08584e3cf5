"""A full rebuild written by several processes at once, one segment each."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import pickle
from pathlib import Path

from whoosh.writing import LockError

from searchapp import atomic
from searchapp.corpus.articles import Article
from searchapp.engine.whoosh.segments import FastWriter, commit_parts, finish_part, part_writer
from searchapp.errors import IndexBusy
from searchapp.index.changes import Changes
from searchapp.index.pool import worker_init
from searchapp.index.prepare import batches, cached_jobs, prepare_chunk
from searchapp.index.report import ReindexReport
from searchapp.index.schema import ANALYSED_FIELDS, to_document
from searchapp.index.stories import StoryIndex
from searchapp.index.stories import sketch as stories_sketch
from searchapp.index.wordcache import WordCache
from searchapp.progress import Progress


def write_in_parts(config, ix, folder: Path, changes: Changes, report: ReindexReport, progress, workers) -> None:
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
        articles = changes.write
        stories = StoryIndex()
        story_of: list[str] = []
        chunks = list(batches(articles, 32))
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
        # Saved after the commit, as in serial.write_changes.
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
            keys, jobs = cached_jobs(cache, chunk, title_repeat)
            results = prepare_chunk((jobs, title_repeat, False))
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
