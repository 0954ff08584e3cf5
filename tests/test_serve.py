"""``searchapp serve`` on a port that another program holds: one line, status 1.

The server runs in a child process with a time limit: were the port
wrongly taken as free, the child would serve forever instead of failing.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from conftest import SAMPLE_CORPUS, write_config

TIME_LIMIT = 60


@pytest.fixture
def busy_port():
    """A loopback port that this test listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def serve(tmp_path, *args: str) -> subprocess.CompletedProcess:
    config_file = write_config(tmp_path, SAMPLE_CORPUS)
    try:
        return subprocess.run(
            [sys.executable, "-m", "searchapp", "--config", str(config_file), "serve", *args],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve on a busy port was still running after {TIME_LIMIT} s")


@pytest.mark.parametrize("mode", [[], ["--debug"]], ids=["waitress", "debug"])
def test_a_port_in_use_is_one_line_and_status_1(tmp_path, busy_port, mode):
    run = serve(tmp_path, "--port", str(busy_port), *mode)
    assert run.returncode == 1
    assert run.stderr == f"Error: port {busy_port} is in use; choose another with --port\n"
    assert "Serving" not in run.stdout
