"""Atomic, durable writes: the old file or the whole new one, and fsync before and after the rename."""

from __future__ import annotations

import os
import stat

import pytest

from searchapp import atomic
from searchapp.index import store
from searchapp.index.stories import StoryIndex
from searchapp.ingest import feeds


@pytest.fixture
def calls(monkeypatch):
    """Record fsync (file or folder) and rename, in order."""
    seen: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file"
        seen.append((kind, os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        seen.append(("rename", os.fspath(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def _assert_durable(seen, path):
    """A temporary file beside ``path`` reached the disk, was renamed to ``path``, then the folder was synced."""
    rename = seen.index(("rename", str(path)))
    before, after = seen[:rename], seen[rename + 1 :]
    assert before and before[-1][0] == "fsync-file", seen
    temporary = before[-1][1]
    assert os.path.dirname(temporary) == str(path.parent)
    assert os.path.basename(temporary).startswith(f".{path.name}.")
    assert ("fsync-dir", str(path.parent)) in after, seen


def test_write_text_fsyncs_renames_and_fsyncs_the_folder(tmp_path, calls):
    target = tmp_path / "sub" / "a.json"
    atomic.write_text(target, "xin chào")
    assert target.read_text(encoding="utf-8") == "xin chào"
    assert [kind for kind, _ in calls] == ["fsync-file", "rename", "fsync-dir"]
    _assert_durable(calls, target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_a_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "feeds.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic.replacing(target, "w") as fh:
        fh.write("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.json"]


def test_a_new_file_gets_the_usual_mode_not_a_private_one(tmp_path):
    target = tmp_path / "article.json"
    atomic.write_bytes(target, b"{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_copy_keeps_mode_and_times(tmp_path, calls):
    src = tmp_path / "src.txt"
    src.write_bytes(b"bai bao" * 1000)
    os.chmod(src, 0o640)
    os.utime(src, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    dest = tmp_path / "out" / "dest.txt"
    dest.parent.mkdir()
    atomic.copy_file(src, dest)
    assert dest.read_bytes() == src.read_bytes()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert dest.stat().st_mtime_ns == 1_600_000_000_000_000_000
    _assert_durable(calls, dest)


@pytest.mark.parametrize(
    "write, name",
    [
        (lambda folder: store.publish_generation(folder, store.new_generation(folder)), store.POINTER),
        (lambda folder: store.write_manifest(folder, {"files": {}}), store.MANIFEST),
        (lambda folder: feeds.save_state(folder, {"version": 1, "feeds": {}, "items": {}}), feeds.STATE_FILE),
        (lambda folder: StoryIndex().save(folder), "stories.pickle"),
        (lambda folder: store.copy_atomically(folder.parent / "src.json", folder / "added.json"), "added.json"),
    ],
    ids=["CURRENT", "manifest", "feeds.json", "story cache", "add"],
)
def test_every_state_file_is_written_durably(tmp_path, calls, write, name):
    folder = tmp_path / "index"
    folder.mkdir()
    (tmp_path / "src.json").write_text("{}", encoding="utf-8")
    write(folder)
    _assert_durable(calls, folder / name)
