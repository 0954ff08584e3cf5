"""A segment file that vanishes while a generation is opened: a newer commit, or damage.

An incremental reindex commits into the live folder and removes the files of
the commit before it. A searcher that read the old table of contents just
before finds one of its files gone; that must make it reopen (the newer
commit), while a file missing from the newest commit is still damage.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import SAMPLE_CORPUS, build_index

from searchapp.errors import IndexDamaged
from searchapp.search import generation
from searchapp.search.generation import Generation, Outdated


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("race"), SAMPLE_CORPUS)


def _files_gone(*_args):
    raise IndexDamaged("segment", "cannot be read (FileNotFoundError)")


def test_a_file_gone_under_a_newer_commit_means_reopen(config, monkeypatch) -> None:
    opened = Generation(config.index_path).commit
    monkeypatch.setattr(generation.integrity, "check_segments", _files_gone)
    monkeypatch.setattr(generation.integrity, "read_toc", lambda *_: SimpleNamespace(generation=opened + 1))
    with pytest.raises(Outdated):
        Generation(config.index_path)


def test_a_file_missing_from_the_newest_commit_is_damage(config, monkeypatch) -> None:
    monkeypatch.setattr(generation.integrity, "check_segments", _files_gone)
    with pytest.raises(IndexDamaged):
        Generation(config.index_path)
