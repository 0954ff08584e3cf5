"""The costly work of each article before it is written: pyvi's segmentation (unless
the word cache has it), the analysed fields' terms and the same-story sketch.

It runs in the worker processes while the writer adds the results of earlier
chunks; :func:`prepare_chunk` is what a worker runs.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from searchapp.analysis import segmentation
from searchapp.config import Config
from searchapp.corpus.articles import Article
from searchapp.index import wordcache
from searchapp.index.report import ReindexReport
from searchapp.index.schema import analysed_fields, search_text
from searchapp.index.stories import sketch as stories_sketch
from searchapp.index.wordcache import WordCache

# Articles sent to a worker at a time, and chunks in flight: bounds the memory
# of finished results waiting for the writer.
_CHUNK = 8
_WINDOW = 24
# Below this many articles to write, everything runs in this process.
PARALLEL_MIN = 48


def prepared(config: Config, cache: WordCache, articles: list[Article], workers, report: ReindexReport):
    """``(article, analysed fields, story sketch)`` for every article, in order.

    The costly per-article work (pyvi segmentation on a cache miss, analysis of
    the text fields, the MinHash) runs in the worker processes while this
    process writes the results of earlier chunks.
    """
    title_repeat = config.ranking.title_repeat
    pool = workers.get() if len(articles) >= PARALLEL_MIN else None

    def finish(keys, results):
        fresh = [(k, blob) for k, (blob, _, _, _) in zip(keys, results, strict=True) if blob is not None]
        if fresh:
            cache.store(fresh)
        report.segment_seconds += sum(r[3] for r in results)

    chunks = batches(articles, _CHUNK)
    if pool is None:
        for chunk in chunks:
            keys, jobs = cached_jobs(cache, chunk, title_repeat)
            results = prepare_chunk((jobs, title_repeat, True))
            finish(keys, results)
            for article, (_, fields, sketch, _) in zip(chunk, results, strict=True):
                yield article, fields, sketch
        return
    pending: deque = deque()
    for chunk in chunks:
        keys, jobs = cached_jobs(cache, chunk, title_repeat)
        pending.append((chunk, keys, pool.apply_async(prepare_chunk, ((jobs, title_repeat, True),))))
        if len(pending) < _WINDOW:
            continue
        yield from _drain(pending.popleft(), finish)
    while pending:
        yield from _drain(pending.popleft(), finish)


def cached_jobs(cache: WordCache, chunk: list[Article], title_repeat: int):
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


def prepare_chunk(job):
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


def batches(items: list[Article], size: int) -> Iterable[list[Article]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
