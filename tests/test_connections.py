"""Idle connections cannot lock people out of ``searchapp serve``.

A real server in a child process on loopback; the test opens idle sockets (a
connection that never sends a request) and checks that an ordinary request
is still answered within a few seconds. With waitress's own defaults (100
connections, idle ones closed after 120 s, looked for every 30 s) 101 idle
sockets kept every other client waiting for minutes.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import time

import pytest
from waitress.adjustments import Adjustments

from searchapp.cli.serving import server_settings
from searchapp.config import load_config

START_LIMIT = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(folder, sample_config, **server) -> str:
    """A config over the session's sample index, with these [server] keys."""
    lines = [
        f'[corpus]\npath = "{sample_config.corpus_path}"\n',
        f'[index]\npath = "{sample_config.index_path}"\n',
        "[server]\n" + "".join(f"{key} = {value}\n" for key, value in server.items()),
    ]
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


@contextlib.contextmanager
def running_server(config_file: str):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchapp", "--config", config_file, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_LIMIT
        while True:
            assert proc.poll() is None, f"serve exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"serve did not listen within {START_LIMIT} s"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        assert _search(port, timeout=30) == 200  # warm: the index is open
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _search(port: int, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/api/search?q=ASEAN")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _idle_sockets(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def test_the_settings_are_chosen_and_waitress_takes_them(sample_config, tmp_path):
    settings = server_settings(sample_config)
    assert settings["connection_limit"] >= 1000 > Adjustments.connection_limit
    assert settings["channel_timeout"] <= 30 < Adjustments.channel_timeout
    assert settings["cleanup_interval"] <= 5 < Adjustments.cleanup_interval
    assert settings["asyncore_use_poll"] is True
    Adjustments(**settings)  # every name and value is one waitress knows
    config = load_config(_config(tmp_path, sample_config, threads=3, connection_limit=50, channel_timeout=7))
    assert server_settings(config) | {"asyncore_use_poll": True} == {
        "threads": 3,
        "connection_limit": 50,
        "channel_timeout": 7,
        "cleanup_interval": 5,
        "asyncore_use_poll": True,
    }
    assert server_settings(config, threads=12)["threads"] == 12


def test_150_idle_connections_do_not_keep_a_request_out(sample_config, tmp_path):
    with running_server(_config(tmp_path, sample_config)) as (port, _pid):
        idle = _idle_sockets(port, 150)
        try:
            started = time.monotonic()
            assert _search(port, timeout=10) == 200
            assert time.monotonic() - started < 5
        finally:
            for sock in idle:
                sock.close()


def test_past_the_limit_idle_connections_are_closed_and_the_request_served(sample_config, tmp_path):
    config = _config(tmp_path, sample_config, connection_limit=20, channel_timeout=2, cleanup_interval=1)
    with running_server(config) as (port, _pid):
        idle = _idle_sockets(port, 30)  # the limit is reached; the rest wait in the listen queue
        try:
            started = time.monotonic()
            assert _search(port, timeout=30) == 200
            # Two rounds of idle connections closed, each after about 2 + 1 s.
            assert time.monotonic() - started < 15
            first = idle[0]
            first.settimeout(5)
            assert first.recv(1) == b"", "an idle connection should have been closed by the server"
        finally:
            for sock in idle:
                sock.close()


@pytest.mark.parametrize("key", ["threads", "connection_limit", "channel_timeout", "cleanup_interval"])
def test_server_limits_below_one_are_refused(sample_config, tmp_path, key):
    from searchapp.errors import ConfigError

    with pytest.raises(ConfigError, match=f"server.{key} must be at least 1"):
        load_config(_config(tmp_path, sample_config, **{key: 0}))
