"""``serve`` with several processes (gunicorn): all answer, a dead one is
replaced, and links never come from the Host header."""

from __future__ import annotations

import http.client
import os
import signal
import time
from pathlib import Path

from test_connections import _config, _search, running_server

REPLACE_LIMIT = 30


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _workers(server_pid: int) -> set[int]:
    # The serve process is the gunicorn master; its children are the workers.
    return _children(server_pid)


def _wait_for_workers(server_pid: int, count: int, gone: int | None = None) -> set[int]:
    """The workers once there are ``count`` of them (``gone`` not among them)."""
    deadline = time.monotonic() + REPLACE_LIMIT
    while time.monotonic() < deadline:
        now = _workers(server_pid)
        if len(now) == count and gone not in now:
            return now
        time.sleep(0.2)
    raise AssertionError(f"not {count} workers within {REPLACE_LIMIT} s: {now}")


def test_two_workers_answer_and_a_dead_one_is_replaced(sample_config, tmp_path):
    with running_server(_config(tmp_path, sample_config, workers=2)) as (port, pid):
        victim = min(_wait_for_workers(pid, 2))
        assert all(_search(port, timeout=10) == 200 for _ in range(10))
        os.kill(victim, signal.SIGKILL)
        _wait_for_workers(pid, 2, gone=victim)
        assert all(_search(port, timeout=10) == 200 for _ in range(10))


def test_links_name_the_bound_address_not_the_host_header(sample_config, tmp_path):
    with running_server(_config(tmp_path, sample_config, workers=2)) as (port, _pid):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/opensearch.xml", headers={"Host": "evil.example"})
        body = conn.getresponse().read().decode("utf-8")
        conn.close()
        assert "evil.example" not in body
        assert f"http://127.0.0.1:{port}/" in body
