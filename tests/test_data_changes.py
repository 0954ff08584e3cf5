"""Editing the gazetteer or the topic rules is a change: the next reindex extracts again.

The package's own data files are never edited here: a copy in a temporary
folder stands for the edited ones.
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import as_file, files

from conftest import build_index

from searchapp.corpus import fields as corpus_fields
from searchapp.corpus.articles import EXTRACTION_DATA, EXTRACTION_VERSION, extraction_version
from searchapp.index import reindex as indexer
from searchapp.index.reindex import reindex


def data_copy(tmp_path):
    with as_file(files("searchapp") / "data") as folder:
        shutil.copytree(folder, tmp_path / "data")
    return tmp_path / "data"


def test_the_version_follows_every_data_file_that_extraction_reads(tmp_path):
    data = data_copy(tmp_path)
    assert extraction_version(data) == EXTRACTION_VERSION
    seen = {EXTRACTION_VERSION}
    for name in EXTRACTION_DATA:
        with (data / name).open("a", encoding="utf-8") as fh:
            fh.write("\n# edited\n")
        seen.add(extraction_version(data))
    assert len(seen) == len(EXTRACTION_DATA) + 1


def test_an_edited_gazetteer_makes_the_next_reindex_extract_every_article(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        record = {"title": f"Bài {i} về Nhật Bản", "body": "Hai bên nhất trí tăng cường hợp tác."}
        (corpus / f"a{i}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    config = build_index(tmp_path, corpus)
    assert reindex(config).changed == 0
    data = data_copy(tmp_path)
    with (data / "gazetteer.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n# a new alias would go here\n")
    for module in (corpus_fields, indexer):
        monkeypatch.setattr(module, "EXTRACTION_VERSION", extraction_version(data))
    report = reindex(config)
    assert (report.updated, report.unchanged) == (3, 0)
    assert reindex(config).changed == 0
