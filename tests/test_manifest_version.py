"""A generation's schema version is read from the head of its manifest, which
lists every file and document; any other manifest is read whole."""

from __future__ import annotations

import json

from conftest import build_index

from searchapp.index import store
from searchapp.index.schema import SCHEMA_VERSION


def test_the_version_of_a_written_manifest_is_read_from_its_head(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Việt Nam và Nhật Bản\n\nHai bên bàn về hợp tác.\n", encoding="utf-8")
    config = build_index(tmp_path, corpus)
    folder = store.live_generation(config.index_path)
    assert folder is not None
    head = (folder / store.MANIFEST).read_text(encoding="utf-8")[:40]
    assert head.startswith('{"schema_version": ')
    assert store.schema_version(folder) == SCHEMA_VERSION == store.read_manifest(folder)["schema_version"]


def test_other_manifests_are_read_whole(tmp_path):
    manifest = tmp_path / store.MANIFEST
    manifest.write_text(json.dumps({"files": {"a": 1}, "schema_version": 3}), encoding="utf-8")
    assert store.schema_version(tmp_path) == 3
    manifest.write_text(json.dumps({"files": {}}), encoding="utf-8")
    assert store.schema_version(tmp_path) is None
    manifest.write_text('{"schema_version": "seven", "files": {}}', encoding="utf-8")
    assert store.schema_version(tmp_path) == "seven"
    manifest.write_text("{broken", encoding="utf-8")
    assert store.schema_version(tmp_path) is None
    manifest.unlink()
    assert store.schema_version(tmp_path) is None
