"""What a reindex settles before it reads the corpus: leftovers and damage.

Nothing a damaged index holds is needed to rebuild it (the corpus folder is
the source of truth), so whatever cannot be trusted is discarded: a
``CURRENT`` that names no sound generation, together with that generation;
generations that interrupted runs left; a segmentation cache that SQLite
finds damaged. A plain reindex over a damaged index therefore rebuilds it
instead of reporting it "unchanged".
"""

from __future__ import annotations

import shutil
from pathlib import Path

from searchapp.engine.whoosh import integrity
from searchapp.errors import IndexDamaged
from searchapp.index import store, wordcache


def before_reindex(index_path: Path, full: bool) -> tuple[Path | None, list[str]]:
    """Clean ``index_path`` for a reindex; call it holding the reindex lock.

    :param full: a full rebuild follows; the live generation, if sound, is
        kept for the readers until the new one replaces it.
    :returns: the live generation to update in place (``None``: build a new
        one) and a warning for each thing repaired.
    """
    notes: list[str] = []
    live = _sound_live(index_path, notes)
    # Only a generation without its manifest is worth a word: the one that was
    # live before the last swap is removed too, as a matter of course.
    half_built = sorted(p.name for p in index_path.glob("gen-*") if p != live and not (p / store.MANIFEST).exists())
    store.discard_leftovers(index_path, live)
    if half_built:
        notes.append(f"removed half-built generations left by an interrupted reindex: {', '.join(half_built)}")
    cache_note = wordcache.discard_if_damaged(index_path)
    if cache_note:
        notes.append(cache_note)
    return (None if full else live), notes


def _sound_live(index_path: Path, notes: list[str]) -> Path | None:
    """The live generation if every file it needs is sound; else discard the
    pointer and the generation it names, and say why."""
    folder = None
    try:
        folder = store.live_generation(index_path)
        if folder is not None:
            integrity.check_generation(folder, store.INDEX_NAME)
        return folder
    except IndexDamaged as exc:
        notes.append(f"{exc.path} {exc.problem}: the index is rebuilt from the corpus")
    pointer = index_path / store.POINTER
    if pointer.is_dir() and not pointer.is_symlink():
        shutil.rmtree(pointer, ignore_errors=True)
    else:
        pointer.unlink(missing_ok=True)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    return None
