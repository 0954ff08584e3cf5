"""The short form of ``make load``: the production server under 8 concurrent clients.

Runs ``bench/load.py`` as a user would, against a copy of the sample index, for
a few seconds. It checks that every request succeeds and that the tool reports
what it measured; it never asserts on timings (those belong to ``make load``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO, SAMPLE_CORPUS, build_index, write_config

LOAD = REPO / "bench" / "load.py"
SHORT_SECONDS = "4"
CLIENTS = "8"


def _load(config_path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(LOAD),
            "--config",
            str(config_path),
            "--clients",
            CLIENTS,
            "--seconds",
            SHORT_SECONDS,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


def test_eight_clients_get_no_errors(tmp_path):
    build_index(tmp_path, SAMPLE_CORPUS)
    result = _load(tmp_path / "config.toml")
    assert result.returncode == 0, result.stderr[-3000:]
    table = dict(
        (cells[1].strip(), cells[2].strip())
        for cells in (line.split("|") for line in result.stdout.splitlines() if line.startswith("| "))
    )
    requests, errors = (int(v.replace(",", "")) for v in table["requests / errors"].split(" / "))
    assert errors == 0 and requests > int(CLIENTS)
    assert table["clients / duration"].startswith(CLIENTS + " /")
    assert "MB" in table["server RSS after (peak)"]


# Runs load.py in-process with the server's index removed right after start-up,
# so every search answers 503.
BROKEN_SERVER = """
import shutil, sys
sys.path[:0] = [{repo!r}, {bench!r}]
import load, run
ready = run.Server.wait_ready
def ready_then_remove_index(self, timeout=120.0):
    ready(self, timeout)
    shutil.rmtree({index!r})
run.Server.wait_ready = ready_then_remove_index
raise SystemExit(load.main(["--config", {config!r}, "--clients", "2", "--seconds", "2"]))
"""


def test_failing_requests_make_it_fail(tmp_path):
    """The load tool counts a broken server's answers as failures and exits 1."""
    config = build_index(tmp_path, SAMPLE_CORPUS)
    script = BROKEN_SERVER.format(
        repo=str(REPO), bench=str(REPO / "bench"), index=str(config.index_path), config=str(tmp_path / "config.toml")
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "requests failed" in result.stderr


def test_refuses_a_missing_index(tmp_path):
    config_path = write_config(tmp_path, SAMPLE_CORPUS)
    result = _load(config_path)
    assert result.returncode == 2
    assert "searchapp reindex" in result.stderr


@pytest.mark.parametrize(
    "flag, value", [("--clients", "0"), ("--clients", "1000"), ("--seconds", "0"), ("--seconds", "100000")]
)
def test_it_is_bounded(tmp_path, flag, value):
    result = subprocess.run(
        [sys.executable, str(LOAD), flag, value], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 2 and flag in result.stderr
