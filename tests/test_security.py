"""Security checks that need the real command line or the real server.

Stored XSS through title, body, source, url and query, path traversal through
article ids and the CSP live in ``test_web.py`` (``hostile`` fixture); hostile
query text in ``test_hostile_queries.py``. Here: how ``searchapp serve`` starts,
and what the production server (waitress) does with oversized or odd requests.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time

import pytest
import waitress
from click.testing import CliRunner
from conftest import REPO, SAMPLE_CORPUS, build_index

from searchapp.cli import cli
from searchapp.cli.serving import MAX_REQUEST_BODY

# -- how serve starts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secure")
    build_index(folder, SAMPLE_CORPUS)
    return folder / "config.toml"


@pytest.fixture
def served(monkeypatch):
    """Capture what ``serve`` would hand to waitress instead of listening."""
    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


def serve(config_file, *args):
    return CliRunner().invoke(cli, ["--config", str(config_file), "serve", *args])


def test_serve_uses_waitress_on_loopback_without_debug(config_file, served):
    result = serve(config_file)
    assert result.exit_code == 0, result.output
    ((app, kwargs),) = served
    assert kwargs["host"] == "127.0.0.1"
    assert app.debug is False
    assert kwargs["max_request_body_size"] == MAX_REQUEST_BODY


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.vn"])
def test_serve_refuses_public_addresses_without_the_flag(config_file, served, host):
    result = serve(config_file, "--host", host)
    assert result.exit_code == 1 and "--allow-remote" in result.output
    assert served == []


def test_allow_remote_is_explicit(config_file, served):
    result = serve(config_file, "--host", "0.0.0.0", "--allow-remote")
    assert result.exit_code == 0, result.output
    assert served[0][1]["host"] == "0.0.0.0" and served[0][0].debug is False


def test_debugger_never_leaves_loopback(config_file, served, monkeypatch):
    import flask

    ran = []
    monkeypatch.setattr(flask.Flask, "run", lambda self, **kwargs: ran.append(kwargs))
    result = serve(config_file, "--host", "0.0.0.0", "--allow-remote", "--debug")
    assert result.exit_code == 1 and "--debug" in result.output
    assert ran == [] and served == []


# -- the production server ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(config_file):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "searchapp", "--config", str(config_file), "serve", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(10)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_server_is_alive_and_sends_the_security_headers(server):
    status, headers, body = request(server, "GET", "/api/search?q=ASEAN")
    assert status == 200 and b'"ok":true' in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Server"] == "searchapp"


def test_oversized_bodies_are_refused_before_the_app(server):
    status, _, _ = request(server, "POST", "/api/search", body=b"x" * (MAX_REQUEST_BODY + 1))
    assert status == 413
    assert request(server, "GET", "/api/search?q=ASEAN")[0] == 200


def test_oversized_urls_are_refused_and_the_server_lives_on(server):
    status, _, _ = request(server, "GET", "/api/search?q=" + "a" * 1_000_000)
    assert 400 <= status < 500
    assert request(server, "GET", "/api/search?q=ASEAN")[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/static/../config.toml",
        "/static/..%2f..%2fconfig.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/article/../../config.toml",
        "/api/article/..%2f..%2fconfig.toml",
        "/article/%2fetc%2fpasswd",
    ],
)
def test_raw_traversal_paths_reveal_no_files(server, path):
    status, _, body = request(server, "GET", path)
    assert status in (400, 404)
    assert b"[corpus]" not in body and b"[project]" not in body and b"root:" not in body
