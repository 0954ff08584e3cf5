"""Writing the changes from this process: deletions first, then the new and changed
articles, in one commit (an incremental reindex, or a full one that is not split
across processes, see :mod:`searchapp.index.parallel`)."""

from __future__ import annotations

from pathlib import Path

from whoosh.writing import LockError

from searchapp.engine.whoosh.segments import FastWriter
from searchapp.errors import IndexBusy
from searchapp.index.changes import Changes
from searchapp.index.prepare import prepared
from searchapp.index.report import ReindexReport
from searchapp.index.schema import ANALYSED_FIELDS, to_document
from searchapp.index.stories import StoryIndex
from searchapp.index.wordcache import WordCache

# Share of the index a reindex must replace before it merges every segment.
MERGE_SHARE = 0.2


def rewrites_much(ix, changes: Changes) -> bool:
    """True when so many articles change that deleted copies would skew the
    term statistics (accent restoration reads them) until segments merge."""
    before = ix.doc_count_all()
    return bool(before) and len(changes.write) + len(changes.delete) > MERGE_SHARE * before


def write_changes(
    config, ix, folder: Path, changes: Changes, report: ReindexReport, progress, fresh: bool, workers
) -> None:
    try:
        writer = ix.writer(timeout=config.lock_timeout, limitmb=256)
    except LockError as exc:
        raise IndexBusy("another process is writing the index; try again shortly") from exc
    fast = FastWriter(writer, ANALYSED_FIELDS)
    try:
        stories = StoryIndex() if fresh else StoryIndex.load(folder)
        for doc_id in changes.delete:
            writer.delete_by_term("id", doc_id)
            stories.remove(doc_id)
        if changes.write:
            progress.stage("Indexing", len(changes.write))
        done = 0
        cache = WordCache(config.index_path)
        try:
            for article, fields, sketch in prepared(config, cache, changes.write, workers, report):
                story = stories.assign(article.id, "", sketch)
                doc = to_document(article, config.ranking.title_repeat, story, analysed=False)
                if not (fresh or article.id in changes.new_ids):
                    # What update_document does: the id is the only unique field.
                    writer.delete_by_term("id", article.id)
                fast.add_document(doc, fields)
                done += 1
                progress.update(done)
        finally:
            cache.close()
        # Sorting and writing the postings, and merging segments: no count to show.
        progress.step("Writing the index")
        writer.commit(optimize=fresh or rewrites_much(ix, changes))
        # Saved after the commit: a crash in between leaves the manifest one
        # generation behind, which makes the next reindex rebuild everything.
        stories.save(folder)
    except BaseException:
        writer.cancel()
        raise
