"""Downloading politely: one request at a time, a limit on each wait and on the
whole download, a size cap and a ``User-Agent`` naming searchapp.
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from searchapp.errors import SearchappError

# Politeness and safety limits of every download.
TIMEOUT = 15.0  # seconds without a byte from the server (also the connect limit)
TOTAL_TIMEOUT = 30.0  # seconds for a whole download, redirects included, however the bytes arrive
MAX_BYTES = 5 * 1024 * 1024

HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


class IngestError(SearchappError):
    """One page, file or feed could not be added; the others are unaffected."""


# --------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------


def user_agent() -> str:
    """``searchapp/<version> (+local news search)``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("searchapp")
    except PackageNotFoundError:
        number = "0"
    return f"searchapp/{number} (+local news search)"


def is_url(text: str) -> bool:
    """True for an ``http://`` or ``https://`` address."""
    return text.strip().lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Response:
    """A finished download."""

    url: str  # after redirects
    content_type: str | None  # "text/html", or None when the server sent none
    charset: str | None
    body: bytes


class _WebOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) addresses only (never ftp: or file:)."""

    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get("Location") or headers.get("URI") or ""
        if target and not is_url(urllib.parse.urljoin(req.full_url, target)):
            fp.close()
            raise IngestError(f"redirected to {target}, which is not a web address")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _Deadline:
    """The end of one download, enforced on its sockets.

    A socket timeout only bounds each wait: a server that sends a byte every
    few seconds, in its headers or its body, keeps every ``recv`` short and the
    download endless (``http.client`` reads headers line by line and ``read(n)``
    waits for all n bytes). So a timer shuts the download's sockets down when
    the total time is up, which wakes whatever read is blocked on them.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._done = False
        self._lock = threading.Lock()
        # Duplicates of the connections' sockets: shutting one down ends the shared
        # connection, also once TLS has wrapped (and detached) the original.
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            copy = sock.dup()
            self._sockets.append(copy)
            if self.expired:
                _shutdown(copy)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def close(self) -> None:
        """The download is over: stop the timer and let go of the sockets."""
        self._timer.cancel()
        with self._lock:
            self._done = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def handlers(self) -> list[urllib.request.BaseHandler]:
        """urllib handlers whose connections put their socket under this deadline."""
        deadline = self

        class Watched(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                deadline.watch(self.sock)

        # HTTPSConnection.connect opens the plain connection through super() before the
        # TLS handshake, so the handshake is under the deadline too.
        class WatchedTLS(http.client.HTTPSConnection, Watched):
            pass

        class HTTP(urllib.request.HTTPHandler):
            def do_open(self, http_class, req, **kwargs):
                return super().do_open(Watched, req, **kwargs)

        class HTTPS(urllib.request.HTTPSHandler):
            def do_open(self, http_class, req, **kwargs):
                return super().do_open(WatchedTLS, req, **kwargs)

        return [HTTP(), HTTPS()]


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side


def fetch(url: str, accept: str = HTML_ACCEPT, timeout: float | None = None, max_bytes: int | None = None) -> Response:
    """Download ``url``: at most ``max_bytes`` (:data:`MAX_BYTES`), ``timeout`` (:data:`TIMEOUT`) per wait,
    :data:`TOTAL_TIMEOUT` in all.

    :raises IngestError: with one line of reason, for every kind of failure.
    """
    timeout = timeout or TIMEOUT
    max_bytes = max_bytes or MAX_BYTES
    if not is_url(url):
        raise IngestError("not an http:// or https:// address")
    deadline = _Deadline(TOTAL_TIMEOUT)
    too_slow = IngestError(f"the server took more than {TOTAL_TIMEOUT:g} s to send it; stopped")
    try:
        response = _fetch(url, accept, timeout, max_bytes, deadline)
    except IngestError:
        if deadline.expired:
            raise too_slow from None
        raise
    finally:
        deadline.close()
    if deadline.expired:  # a body without a length ends early when its socket is shut
        raise too_slow
    return response


def _fetch(url: str, accept: str, timeout: float, max_bytes: int, deadline: _Deadline) -> Response:
    request = urllib.request.Request(
        url, headers={"User-Agent": user_agent(), "Accept": accept, "Accept-Language": "vi,en;q=0.5"}
    )
    # Built per call: proxy settings are read from the environment now.
    opener = urllib.request.build_opener(_WebOnlyRedirects, *deadline.handlers())
    try:
        with opener.open(request, timeout=timeout) as response:
            headers = response.headers
            length = headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise IngestError(f"larger than {_size(max_bytes)} ({_size(int(length))}); not downloaded")
            body = _read_capped(response, max_bytes, deadline)
            return Response(
                url=response.geturl(),
                content_type=headers.get_content_type() if headers.get("Content-Type") else None,
                charset=headers.get_content_charset(),
                body=body,
            )
    except urllib.error.HTTPError as exc:
        exc.close()
        raise IngestError(f"HTTP {exc.code} {exc.reason}".rstrip()) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise IngestError(f"no answer within {timeout:g} s") from None
        host = urllib.parse.urlsplit(url).netloc or url
        raise IngestError(f"cannot reach {host} ({describe_reason(exc.reason)})") from None
    except TimeoutError:
        raise IngestError(f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise IngestError(f"download failed ({describe_reason(exc)})") from None


def _read_capped(response, max_bytes: int, deadline: _Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while not deadline.expired:
        # read1 returns what one receive brought: read(n) would wait for all n bytes.
        chunk = response.read1(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise IngestError(f"larger than {_size(max_bytes)}; not downloaded")
        chunks.append(chunk)
    raise IngestError("stopped at the total time limit")


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def describe_reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or reason.__class__.__name__


def html_of(response: Response) -> str | bytes:
    """The page as text (bytes when the charset is left to trafilatura).

    :raises IngestError: the content is not an HTML page.
    """
    declared = response.content_type
    if declared not in HTML_TYPES:
        vague = declared in (None, "application/octet-stream", "text/plain")
        if not (vague and _looks_like_html(response.body)):
            raise IngestError(f"not an HTML page (content type {declared or 'unknown'})")
    if response.charset:
        try:
            return response.body.decode(response.charset, errors="replace")
        except LookupError:
            pass
    return response.body


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
