"""A damaged index is named with its fix, never kills the server, and
``reindex`` (plain or ``--full``) repairs it from any damaged state.

Each test damages a copy of the session's sample index the way a disk, a
crash or a clumsy hand would: a segment file cut short, deleted or zeroed, a
junk table of contents, a binary ``CURRENT``, a corrupt segmentation cache,
half-built generations left by a full disk.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_CORPUS, write_config

from searchapp import create_app
from searchapp.cli import cli
from searchapp.config import load_config
from searchapp.index import reindex as indexer
from searchapp.index import store, wordcache
from searchapp.index.reindex import reindex

FIX = "searchapp reindex --full"
# Hang guard for the server and the reindex subprocesses: far above a normal run.
TIME_LIMIT = 120


@pytest.fixture
def project(tmp_path, sample_config):
    """A config over the sample corpus and a copy of its built index."""
    shutil.copytree(sample_config.index_path, tmp_path / "index")
    return load_config(write_config(tmp_path, SAMPLE_CORPUS))


def segment(config) -> Path:
    [path] = store.live_generation(config.index_path).glob("*.seg")
    return path


def generations(config) -> list[str]:
    return sorted(p.name for p in config.index_path.glob("gen-*"))


# -- the damage ------------------------------------------------------------------------------------


def cut_short(config) -> str:
    path = segment(config)
    os.truncate(path, path.stat().st_size // 3)
    return path.name


def deleted(config) -> str:
    path = segment(config)
    path.unlink()
    return path.name


def zeroed(config) -> str:
    path = segment(config)
    path.write_bytes(bytes(path.stat().st_size))
    return path.name


def zeroed_inside(config) -> str:
    """Header and directory intact, every part between them zeroed: only reading tells."""
    path = segment(config)
    with path.open("r+b") as fh:
        directory = struct.unpack("!q", fh.read(8))[0]
        fh.seek(12)
        fh.write(bytes(directory - 12))
    return store.live_generation(config.index_path).name


def junk_toc(config) -> str:
    [path] = store.live_generation(config.index_path).glob("*.toc")
    path.write_bytes(os.urandom(path.stat().st_size))
    return path.name


def binary_current(config) -> str:
    (config.index_path / store.POINTER).write_bytes(b"\x00\xff\xfegen\x81\n")
    return store.POINTER


DAMAGE = [cut_short, deleted, zeroed, zeroed_inside, junk_toc, binary_current]


def api_search(client, query="ASEAN"):
    response = client.get(f"/api/search?q={query}")
    return response.status_code, response.get_json()


def assert_damage_answer(status: int, data: dict, damaged: str) -> None:
    """503, the English error naming the file and the fix, a Vietnamese message with the fix."""
    assert status == 503, data
    assert data["ok"] is False and data["status"] == 503
    assert damaged in data["error"] and FIX in data["error"]
    assert "bị hỏng" in data["message"] and damaged in data["message"] and FIX in data["message"]


# -- CLI: one line, the file, the fix; plain reindex repairs -------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGE)
def test_cli_names_the_damaged_file_and_the_fix_in_one_line(project, damage):
    damaged = damage(project)
    run = CliRunner().invoke(cli, ["--config", str(project.source_file), "search", "ASEAN"], catch_exceptions=False)
    assert run.exit_code == 1
    [line] = run.stderr.splitlines()
    assert line.startswith("Error: The index is damaged: ") and damaged in line and line.endswith(f"`{FIX}`.")


@pytest.mark.parametrize("damage", DAMAGE)
def test_plain_reindex_rebuilds_a_damaged_index(project, damage):
    damaged = damage(project)
    report = reindex(project)
    assert report.full and report.added > 0  # never "unchanged"
    assert any(damaged in warning and "rebuilt" in warning for warning in report.warnings)
    assert len(generations(project)) == 1
    status, data = api_search(create_app(project).test_client())
    assert status == 200 and data["total"] > 0


# -- the app: 503 with the fix, then serves again after the repair, without a restart -----------------------------


@pytest.mark.parametrize("damage", DAMAGE)
def test_app_answers_503_with_the_fix_and_recovers_after_reindex_full(project, damage):
    client = create_app(project).test_client()
    status, data = api_search(client)
    assert status == 200
    total = data["total"]
    damaged = damage(project)
    assert_damage_answer(*api_search(client), damaged)
    page = client.get("/?q=ASEAN")
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and "Chỉ mục tìm kiếm bị hỏng" in html and FIX in html
    assert str(project.index_path) not in html  # a public page names the file, not the server's folders
    reindex(project, full=True)
    status, data = api_search(client)
    assert status == 200 and data["total"] == total
    assert client.get("/?q=ASEAN").status_code == 200


def test_a_segment_overwritten_in_place_is_noticed_by_an_open_app(project):
    """Same size, same file, new bytes: the open generation is checked again, not trusted."""
    client = create_app(project).test_client()
    assert api_search(client)[0] == 200
    path = segment(project)
    with path.open("r+b") as fh:
        fh.write(bytes(64))
    assert_damage_answer(*api_search(client), path.name)


# -- reindex --full from any damaged state ----------------------------------------------------------------------


def test_binary_current_reindex_full_leaves_no_orphan_generation(project):
    binary_current(project)
    report = reindex(project, full=True)
    assert report.full and report.added > 0
    [live] = generations(project)  # the one that was live is discarded with the pointer
    assert store.live_generation(project.index_path).name == live


def test_corrupt_segment_cache_is_discarded_and_filled_again(project):
    cache = project.index_path / wordcache.CACHE_FILE
    cache.write_bytes(os.urandom(20_000))
    report = reindex(project, full=True)
    assert report.added > 0
    assert any(wordcache.CACHE_FILE in warning and "discarded" in warning for warning in report.warnings)
    cached = wordcache.WordCache(project.index_path)
    try:
        assert cached.lookup([wordcache.key("x")]) == {}  # a working database again
        assert cached._db.execute("SELECT count(*) FROM spans").fetchone()[0] > 0
    finally:
        cached.close()


def test_partial_generations_do_not_pile_up(project, monkeypatch):
    """A full disk fails every rebuild; each failure removes its own half-built
    generation, and one a killed run left is removed by the next reindex."""
    before = generations(project)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(indexer, "_apply", disk_full)
        for _ in range(3):
            with pytest.raises(OSError, match="No space left"):
                reindex(project, full=True)
            assert generations(project) == before
    killed = project.index_path / "gen-20240101-000000-000000001"
    killed.mkdir()
    (killed / "articles_half.seg").write_bytes(b"\0" * 1000)
    (project.index_path / ".CURRENT.x1y2.tmp").write_text("gen-", encoding="utf-8")
    report = reindex(project)
    assert any(killed.name in warning for warning in report.warnings)
    assert generations(project) == before
    assert not list(project.index_path.glob(".CURRENT*.tmp"))


# -- a real server: a segment cut short under it --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# One worker thread: every request reads through the reader (and the mapping)
# that the first request opened, as a busy server's threads all do.
SERVE_ARGS = ("--threads", "1")


@pytest.fixture
def server(project, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "searchapp",
                "--config",
                str(project.source_file),
                "serve",
                "--port",
                str(port),
                *SERVE_ARGS,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIME_LIMIT
    try:
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if _get(base + "/api/search?q=ASEAN")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"server not up after {TIME_LIMIT} s:\n{log.read_text()}"
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_segment_cut_short_under_a_running_server_gives_503_not_sigbus(project, server):
    base, proc = server
    status, data = _get(base + "/api/search?q=ASEAN")
    assert status == 200
    total = data["total"]
    damaged = cut_short(project)  # the server has this file mapped
    for path in ("/api/search?q=ASEAN", "/api/search?q=Vi%E1%BB%87t+Nam", "/api/search?q=ASEAN&page=2"):
        try:
            answer = _get(base + path)
        except (ConnectionError, urllib.error.URLError) as exc:
            pytest.fail(f"the server died ({exc}); exit status {proc.wait(10)}")
        assert_damage_answer(*answer, damaged)
    assert proc.poll() is None
    repair = subprocess.run(
        [sys.executable, "-m", "searchapp", "--config", str(project.source_file), "reindex", "--full"],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
    )
    assert repair.returncode == 0, repair.stderr
    status, data = _get(base + "/api/search?q=ASEAN")
    assert status == 200 and data["total"] == total  # the same process, serving again
    assert proc.poll() is None
