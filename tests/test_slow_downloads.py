"""Downloads against servers on 127.0.0.1 that send a byte at a time: `add URL`
and `fetch-feed` stop at the total limit, naming the address and the reason.

The limits are lowered (a second without data, three in all) so that each test
takes seconds; the servers give up by themselves after :data:`SERVER_GIVES_UP`,
so a download that ignored the limit ends the test with a failure, not a hang.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config

from searchapp.cli import cli
from searchapp.config import load_config
from searchapp.index.reindex import reindex
from searchapp.ingest import download

IDLE_LIMIT = 1.0
TOTAL_LIMIT = 3.0
# Well under the idle limit: every receive gets a byte in time.
DRIP_EVERY = 0.05
SERVER_GIVES_UP = 12.0
# The total limit plus room for a slow machine; far less than SERVER_GIVES_UP.
STOPPED_WITHIN = TOTAL_LIMIT + 4.0

# A real article page of the test data (a few KB), so a fast download is saved.
PAGE = (
    Path(__file__).resolve().parent
    / "data"
    / "web"
    / "the-gioi"
    / "viet-nam-nhat-ban-doi-tac-chien-luoc-toan-dien.html"
).read_bytes()


def headers_for(body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()


class Trickler:
    """A loopback server that sends each answer a byte at a time from a chosen point on."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.answers: dict[str, tuple[bytes, int]] = {}  # path -> (answer, bytes sent at once)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode()
            answer, at_once = self.answers.get(path, (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 10**9))
            try:
                conn.sendall(answer[:at_once])
                for i in range(at_once, len(answer)):
                    if self.stop.is_set() or time.monotonic() - started > SERVER_GIVES_UP:
                        return
                    conn.sendall(answer[i : i + 1])
                    time.sleep(DRIP_EVERY)
            except OSError:
                return  # the client hung up: what the limit is for

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def trickler(monkeypatch) -> Iterator[Trickler]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(download, "TIMEOUT", IDLE_LIMIT)
    monkeypatch.setattr(download, "TOTAL_TIMEOUT", TOTAL_LIMIT)
    server = Trickler()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def project(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.json").write_text(
        json.dumps({"id": "a", "title": "Việt Nam và Lào", "body": "Giáo dục.", "date": "2021-01-05"}),
        encoding="utf-8",
    )
    config = write_config(tmp_path, corpus)
    reindex(load_config(config))
    return config, corpus


@contextmanager
def timed() -> Iterator[list[float]]:
    took: list[float] = []
    started = time.monotonic()
    yield took
    took.append(time.monotonic() - started)


def run(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args])


STOPPED = f"the server took more than {TOTAL_LIMIT:g} s to send it; stopped"


@pytest.mark.parametrize(
    "at_once",
    [
        pytest.param(0, id="status-line"),
        pytest.param(len(b"HTTP/1.1 200 OK\r\n"), id="headers"),
        pytest.param(None, id="body"),
    ],
)
def test_add_url_stops_a_page_sent_a_byte_at_a_time(project, trickler, at_once):
    config, corpus = project
    answer = headers_for(PAGE) + PAGE
    trickler.answers["/cham.html"] = (answer, len(headers_for(PAGE)) if at_once is None else at_once)
    with timed() as took:
        result = run(config, "add", trickler.url("/cham.html"))
    assert took[0] < STOPPED_WITHIN, result.output
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"error: {trickler.url('/cham.html')}: {STOPPED}" in result.output
    assert not (corpus / "web").exists()


def test_a_body_without_a_length_cut_at_the_limit_is_not_saved(project, trickler):
    config, corpus = project
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + PAGE
    trickler.answers["/khong-do-dai.html"] = (answer, answer.index(b"<p>") + 200)
    with timed() as took:
        result = run(config, "add", trickler.url("/khong-do-dai.html"))
    assert took[0] < STOPPED_WITHIN
    assert f"error: {trickler.url('/khong-do-dai.html')}: {STOPPED}" in result.output
    assert not (corpus / "web").exists()


def test_fetch_feed_stops_a_feed_sent_a_byte_at_a_time(project, trickler):
    config, _ = project
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Tin</title>' + b" " * 400 + b"</channel></rss>"
    trickler.answers["/tin.rss"] = (headers_for(feed, "application/rss+xml") + feed, 60)
    with timed() as took:
        result = run(config, "fetch-feed", "--delay", "0", trickler.url("/tin.rss"))
    assert took[0] < STOPPED_WITHIN
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {trickler.url('/tin.rss')}: {STOPPED}")


def test_fetch_feed_stops_a_slow_item_and_keeps_the_others(project, trickler):
    config, _ = project
    items = "".join(f"<item><title>Bài {p}</title><link>{trickler.url(p)}</link></item>" for p in ("/nhanh", "/cham"))
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Tin</title>{items}</channel></rss>'.encode()
    trickler.answers["/tin.rss"] = (headers_for(feed, "application/rss+xml") + feed, 10**9)
    trickler.answers["/nhanh"] = (headers_for(PAGE) + PAGE, 10**9)
    trickler.answers["/cham"] = (headers_for(PAGE) + PAGE, 40)
    with timed() as took:
        result = run(config, "fetch-feed", "--delay", "0", trickler.url("/tin.rss"))
    assert took[0] < STOPPED_WITHIN + 5.0  # one slow item plus indexing the other
    assert f"error: {trickler.url('/cham')}: {STOPPED}" in result.output
    assert "1 new, 0 skipped (already fetched), 1 failed" in result.output


def test_a_fast_download_is_not_cut_by_the_limit(project, trickler):
    config, corpus = project
    trickler.answers["/nhanh.html"] = (headers_for(PAGE) + PAGE, 10**9)
    result = run(config, "add", trickler.url("/nhanh.html"))
    assert result.exit_code == 0, result.output
    assert len(list((corpus / "web").rglob("*.json"))) == 1
