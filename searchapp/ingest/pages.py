"""Adding articles from the web: page URLs, saved HTML pages and RSS/Atom feeds.

A page is downloaded politely (one request at a time, a limit on each wait
and on the whole download, a size cap and a ``User-Agent`` naming
searchapp), its main text, title, date and outlet are extracted with
trafilatura, and the result is saved as one ``.json`` article under
``<corpus>/web/<year>/``. The corpus reader then treats it like any other
article (partners and topics are extracted from the text).

Identity: an article's id is ``web-`` plus a short hash of its canonical URL
(the page's own canonical link when it is on the same site, else the address
it was fetched from). Re-adding the same URL rewrites the same file, so an
article is never stored twice and a different article is never overwritten.

Feeds: the ids and links of items already fetched are remembered in
``<index>/feeds.json`` (replaced atomically), so that a page is fetched once.
Two ``fetch-feed`` runs at the same moment may forget each other's items;
the only consequence is that those pages are fetched again later and saved
to the same files.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html as html_lib
import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchapp import atomic
from searchapp.config import Config
from searchapp.corpus import metadata
from searchapp.corpus.articles import is_article_file
from searchapp.errors import SearchappError
from searchapp.progress import SILENT, Progress
from searchapp.text import fold, nfc

# Politeness and safety limits of every download.
TIMEOUT = 15.0  # seconds without a byte from the server (also the connect limit)
TOTAL_TIMEOUT = 30.0  # seconds for a whole download, redirects included, however the bytes arrive
MAX_BYTES = 5 * 1024 * 1024
DEFAULT_DELAY = 1.0  # seconds between two page requests of a feed

# A page whose extracted text is shorter than this has no article on it
# (a video page, a list of links, a cookie wall).
MIN_TEXT_CHARS = 100

WEB_FOLDER = "web"
UNDATED_FOLDER = "undated"
STATE_FILE = "feeds.json"
HTML_SUFFIXES = (".html", ".htm")
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
FEED_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1"
# Query parameters that track the reader, not the article.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|zarsrc|gidzl)$", re.IGNORECASE)
# A line that only dates the page: "18:40, 06/09/2023", "Thứ Tư, 06/09/2023 | 18:40 (GMT+7)".
_TIMESTAMP_LINE = re.compile(
    r"^(?:(?:thứ\s+\w+|chủ\s+nhật)\s*,?\s*)?(?=[^\n]*\d)[\d\s:/.,|()h+–-]*(?:GMT\s*[+-]\s*\d{1,2}\)?)?\s*$",
    re.IGNORECASE,
)
# Second-level labels under a country domain: "dantri.com.vn" is one site.
_GENERIC_SLD = {"com", "net", "org", "gov", "edu", "ac", "co", "info", "int", "name", "biz", "health"}

# Looked up at call time so that tests can replace it.
sleep = time.sleep


class IngestError(SearchappError):
    """One page, file or feed could not be added; the others are unaffected."""


@dataclass
class Outcome:
    """What happened to one argument of ``add`` or one item of a feed."""

    source: str
    status: str  # added, updated, unchanged, copied, present (already in the corpus), skipped, failed
    path: Path | None = None
    title: str = ""
    error: str = ""
    article_id: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass
class IngestResult:
    """Every outcome, the reindex report and, for a feed, what was left."""

    outcomes: list[Outcome] = field(default_factory=list)
    report: Any = None  # searchapp.index.reindex.ReindexReport, or None when nothing was indexed
    feed_title: str = ""
    left: int = 0  # new feed items not fetched because of --limit

    def count(self, *statuses: str) -> int:
        return sum(1 for o in self.outcomes if o.status in statuses)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]


OnOutcome = Callable[[Outcome], None]


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
        raise IngestError(f"cannot reach {host} ({_reason(exc.reason)})") from None
    except TimeoutError:
        raise IngestError(f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise IngestError(f"download failed ({_reason(exc)})") from None


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


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or reason.__class__.__name__


def _html_of(response: Response) -> str | bytes:
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


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------


@dataclass
class Page:
    """What trafilatura found on a page; ``body`` may be empty."""

    title: str = ""
    body: str = ""
    date: str | None = None
    sitename: str | None = None
    hostname: str | None = None
    canonical: str | None = None


def extract_page(html: str | bytes, url: str | None = None) -> Page:
    """Main text, title, date, site name and canonical URL of one HTML page."""
    import trafilatura

    try:
        doc: Any = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    except Exception as exc:  # a third-party parser on arbitrary input: report, never crash
        raise IngestError(f"the page could not be parsed ({exc.__class__.__name__}: {exc})") from None
    if doc is None:
        return Page()
    title = _one_line(doc.title or "")
    return Page(
        title=title,
        body=_paragraphs(doc.text or "", title),
        date=_iso_date(doc.date),
        sitename=_one_line(doc.sitename or "") or None,
        hostname=doc.hostname or None,
        canonical=doc.url if doc.url and is_url(doc.url) else None,
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", nfc(text)).strip()


def _paragraphs(text: str, title: str) -> str:
    """NFC paragraphs separated by blank lines.

    Leading lines that repeat the title or only give the time of publication
    ("18:40, 06/09/2023") are page furniture, not text.
    """
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in nfc(text).splitlines()]
    lines = [line for line in lines if line]
    while lines and ((title and lines[0].casefold() == title.casefold()) or _TIMESTAMP_LINE.match(lines[0])):
        lines = lines[1:]
    return "\n\n".join(lines)


def _iso_date(value: object) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        return None


def known_outlet(name: str) -> str | None:
    """The display name of a known Vietnamese outlet named ``name`` (site name or domain)."""
    # metadata resolves outlet names through extract_source only; an
    # attribution line ("Nguồn: X") is its most direct evidence and names X alone.
    name = _one_line(name)
    if not name or len(name) > 60:
        return None
    return metadata.extract_source("", f"Nguồn: {name}")


def _host_names(host: str | None) -> list[str]:
    """``www.en.vietnamplus.vn`` -> itself without www, the site domain, the site label."""
    if not host:
        return []
    host = host.lower().removeprefix("www.")
    site = _site(host)
    return list(dict.fromkeys([host, site, site.split(".")[0]]))


def _site(host: str) -> str:
    """The registrable domain: ``m.dantri.com.vn`` -> ``dantri.com.vn``."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SLD:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _hostname(url: str | None) -> str | None:
    if not url:
        return None
    host = urllib.parse.urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def _outlet(page: Page, url: str | None, title: str, body: str) -> str | None:
    """Known outlet by site name or domain, else named in the text, else the host name."""
    host = page.hostname or _hostname(url)
    for name in [page.sitename or "", *_host_names(host)]:
        if found := known_outlet(name):
            return found
    return metadata.extract_source(title, body) or (host.removeprefix("www.") if host else None)


# --------------------------------------------------------------------------
# Identity and saving
# --------------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """``url`` without fragment, default port and tracking parameters; lower-case host."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = urllib.parse.urlencode([(k, v) for k, v in params if not _TRACKING_PARAMS.match(k)])
    return urllib.parse.urlunsplit((scheme, host, parts.path or "/", query, ""))


def _identity_url(fetched: str | None, page_canonical: str | None) -> str | None:
    """The URL an article is known by.

    The page's canonical link wins when it is an article on the same site
    (AMP and mobile pages, tracking parameters); a canonical link to another
    site or to a home page is not trusted, since it would merge articles.
    """
    if page_canonical:
        canon = canonical_url(page_canonical)
        if fetched is None:
            return canon
        a, b = urllib.parse.urlsplit(fetched), urllib.parse.urlsplit(canon)
        if a.hostname and b.hostname and _site(a.hostname) == _site(b.hostname) and b.path not in ("", "/"):
            return canon
    return canonical_url(fetched) if fetched else None


def article_id(key: str) -> str:
    """``web-`` plus 12 hex digits of the SHA-1 of ``key``."""
    return "web-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def slugify(title: str, limit: int = 60) -> str:
    """ASCII file-name words of ``title``: "Việt Nam - Nhật Bản" -> "viet-nam-nhat-ban"."""
    slug = ""
    for word in re.findall(r"[a-z0-9]+", fold(nfc(title)).lower()):
        if len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "bai-viet"


def save_article(corpus: Path, record: dict[str, Any]) -> tuple[Path, str]:
    """Write one article as ``<corpus>/web/<year>/<slug>-<hash>.json``.

    :returns: the file and "added", "updated" or "unchanged".
    :raises IngestError: a file of that name holds a different article.
    """
    web = corpus / WEB_FOLDER
    suffix = record["id"].removeprefix("web-")
    year = record["date"][:4] if record.get("date") else UNDATED_FOLDER
    existing = sorted(web.glob(f"*/*-{suffix}.json")) if web.is_dir() else []
    for path in existing:
        other = _read_json(path)
        if other is not None and other.get("id") != record["id"]:
            raise IngestError(f"{path} holds another article ({other.get('id')!r}); not overwritten")
    same_folder = [p for p in existing if p.parent.name == year]
    target = same_folder[0] if same_folder else web / year / f"{slugify(record['title'])}-{suffix}.json"
    if target.exists() and _read_json(target) == record:
        status = "unchanged"
    else:
        atomic.write_text(target, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        status = "updated" if existing else "added"
    for old in existing:
        if old != target:
            old.unlink(missing_ok=True)
    return target, status


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _record(page: Page, fetched_url: str | None, fallback: dict[str, Any] | None = None) -> dict[str, Any]:
    """The article to save; ``fallback`` (a feed item) fills a page without text.

    :raises IngestError: no text and no fallback, or no title.
    """
    fallback = fallback or {}
    title, body = page.title, page.body
    if len(body) < MIN_TEXT_CHARS:
        if not fallback.get("body"):
            raise IngestError("no article text found on the page")
        # The page had no article: the item's own headline goes with its summary.
        title, body = fallback.get("title") or title, fallback["body"]
    title = title or fallback.get("title") or ""
    if not title:
        raise IngestError("the page has no title")
    key = _identity_url(fetched_url, page.canonical)
    url = key
    if key is None:
        # A saved page without a canonical link: its headline and date are its identity.
        key = f"page:{title}|{page.date or ''}"
    date = page.date or fallback.get("date") or metadata.extract_date(title, body)
    record = {
        "id": article_id(key),
        "title": title,
        "body": body,
        "date": date,
        "source": _outlet(page, url, title, body),
        "url": url,
    }
    return {k: v for k, v in record.items() if v is not None}


# --------------------------------------------------------------------------
# add: URLs, HTML files and article files
# --------------------------------------------------------------------------


def ingest_url(corpus: Path, url: str, fallback: dict[str, Any] | None = None) -> Outcome:
    """Fetch one page and save its article; a feed item's summary fills a page without text."""
    response = fetch(url)
    try:
        html = _html_of(response)
    except IngestError:
        if not (fallback and fallback.get("body")):
            raise
        page = Page()
    else:
        page = extract_page(html, url=response.url)
    record = _record(page, response.url, fallback)
    path, status = save_article(corpus, record)
    return Outcome(url, status, path, record["title"], article_id=record["id"])


def ingest_html_file(corpus: Path, path: Path) -> Outcome:
    """Extract the article of a saved HTML page and save it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read file ({_reason(exc)})") from None
    record = _record(extract_page(raw), None)
    target, status = save_article(corpus, record)
    return Outcome(str(path), status, target, record["title"], article_id=record["id"])


def add_sources(
    config: Config,
    sources: Iterable[str],
    progress: Progress = SILENT,
    on_outcome: OnOutcome | None = None,
) -> IngestResult:
    """Add URLs, saved HTML pages and article files, then reindex once.

    Article files (``.txt``, ``.md``, ``.json``, ``.jsonl``, ``.jsonl.gz``)
    are copied into ``<corpus>/added/`` as they are, each atomically. A file
    that is already in the corpus (in place, or copied by an earlier ``add``
    with the same content) is not copied: it is only indexed. A failure is
    recorded for its argument; the other arguments are still added.
    """
    from searchapp.index.reindex import reindex

    corpus = config.corpus_path
    result = IngestResult()
    copied: list[Outcome] = []
    names: set[str] = set()

    def done(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        if on_outcome and outcome.status != "copied":
            on_outcome(outcome)

    sources = list(sources)
    # Counted in arguments: a download is what takes the time, and each is one argument.
    progress.stage("Adding", len(sources), unit="item")
    for number, source in enumerate(sources):
        progress.update(number)
        try:
            if is_url(source):
                done(ingest_url(corpus, source))
                continue
            path = Path(source)
            if not path.exists():
                raise IngestError("no such file")
            if path.is_dir():
                raise IngestError("is a folder; give the files in it")
            if not path.is_file():
                raise IngestError("not a regular file (a pipe or a device)")
            if path.name.lower().endswith(HTML_SUFFIXES):
                done(ingest_html_file(corpus, path))
            elif is_article_file(path):
                outcome = _add_article_file(corpus, path, source, names)
                if outcome.status == "copied":
                    result.outcomes.append(outcome)
                    copied.append(outcome)
                else:
                    done(outcome)
            else:
                raise IngestError(
                    "not an article file (.txt, .md, .json, .jsonl, .jsonl.gz), "
                    "an HTML page (.html, .htm) or an http(s):// address"
                )
        except IngestError as exc:
            done(Outcome(source, "failed", error=str(exc)))
    progress.update(len(sources))

    if len(result.failed) < len(result.outcomes):
        result.report = reindex(config, progress=progress)
    if on_outcome:
        for outcome in copied:
            on_outcome(outcome)
    return result


def _add_article_file(corpus: Path, path: Path, source: str, names: set[str]) -> Outcome:
    """Copy one article file into ``<corpus>/added/`` unless the corpus already has it.

    :returns: an outcome "copied" or "present" (already in the corpus).
    :raises IngestError: another file of that name is there, or the copy failed.
    """
    from searchapp.index import store
    from searchapp.index.reindex import same_content

    inside = _inside_corpus(path, corpus)
    if inside is not None:
        return Outcome(source, "present", inside)
    dest = corpus / "added" / path.name
    if path.name in names:
        raise IngestError(f"{dest} is given twice; rename one of the files")
    if dest.exists():
        if not same_content(path, dest):
            raise IngestError(f"{dest} already exists; rename the file or edit the existing one")
        # Copied by an earlier add that stopped before indexing (a busy index, a kill).
        names.add(path.name)
        return Outcome(source, "present", dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        store.copy_atomically(path, dest)
    except OSError as exc:
        raise IngestError(f"cannot copy it into {dest.parent} ({exc.strerror or exc})") from None
    names.add(path.name)
    return Outcome(source, "copied", dest)


def _inside_corpus(path: Path, corpus: Path) -> Path | None:
    """The file's place in the corpus when the corpus reader already sees it there."""
    try:
        relative = path.resolve().relative_to(corpus.resolve())
    except (OSError, ValueError):
        return None
    if any(part.startswith(".") for part in relative.parts):
        return None  # a hidden folder: the reader skips it, so a copy is needed
    return corpus / relative


# --------------------------------------------------------------------------
# fetch-feed
# --------------------------------------------------------------------------


def load_state(index_path: Path) -> dict[str, Any]:
    """The remembered feeds and items; empty when there is no state yet."""
    path = index_path / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": 1, "feeds": {}, "items": {}}
    except (OSError, ValueError) as exc:
        raise IngestError(
            f"{path} cannot be read ({exc}); delete it to start over (already fetched pages are then fetched again)"
        ) from None
    if not isinstance(state, dict):
        raise IngestError(f"{path} is not a JSON object; delete it to start over")
    state.setdefault("version", 1)
    state.setdefault("feeds", {})
    state.setdefault("items", {})
    return state


def save_state(index_path: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically."""
    atomic.write_text(index_path / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def _parse_feed(response: Response):
    import feedparser

    headers = {"content-location": response.url}
    if response.content_type:
        charset = f"; charset={response.charset}" if response.charset else ""
        headers["content-type"] = response.content_type + charset
    parsed = feedparser.parse(response.body, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({reason})" if reason else ""
        raise IngestError(f"not an RSS or Atom feed{detail}")
    return parsed


def _entry_text(entry) -> str:
    """The item's summary (or content) as plain NFC paragraphs."""
    value = entry.get("summary") or ""
    for content in entry.get("content") or []:
        if len(content.get("value", "")) > len(value):
            value = content["value"]
    value = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h[1-6]|/blockquote)\b[^>]*>", "\n", value)
    value = html_lib.unescape(re.sub(r"<[^>]+>", " ", value))
    return _paragraphs(value, "")


def _entry_date(entry) -> str | None:
    for key in ("published_parsed", "updated_parsed"):
        stamp = entry.get(key)
        if stamp:
            return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).date().isoformat()
    return None


def fetch_feed(
    config: Config,
    feed_url: str,
    limit: int | None = None,
    delay: float = DEFAULT_DELAY,
    progress: Progress = SILENT,
    on_outcome: OnOutcome | None = None,
) -> IngestResult:
    """Fetch the pages of a feed's items never fetched before, save them, reindex once.

    :param limit: fetch at most this many new items (the rest wait for the next run).
    :param delay: seconds to wait before each page request.
    :raises IngestError: the feed itself cannot be fetched or is not a feed.
    """
    from searchapp.index.reindex import reindex

    if not is_url(feed_url):
        raise IngestError(f"{feed_url}: give the feed's http:// or https:// address")
    try:
        response = fetch(feed_url, accept=FEED_ACCEPT)
        parsed = _parse_feed(response)
    except IngestError as exc:
        raise IngestError(f"{feed_url}: {exc}") from None
    state = load_state(config.index_path)
    items: dict[str, dict] = state["items"]
    known_links = {item.get("link") for item in items.values()}
    result = IngestResult(feed_title=_one_line(parsed.feed.get("title", "")))

    def done(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    todo: list[tuple[str, str, Any]] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = urllib.parse.urljoin(response.url, (entry.get("link") or "").strip())
        if not is_url(link):
            done(Outcome(entry.get("title") or "(untitled item)", "failed", error="the item has no web link"))
            continue
        key = (entry.get("id") or "").strip() or canonical_url(link)
        if key in seen or canonical_url(link) in seen:
            continue  # the same item twice in one feed
        seen.update((key, canonical_url(link)))
        if key in items or canonical_url(link) in known_links:
            done(Outcome(link, "skipped"))
        else:
            todo.append((key, link, entry))
    if limit is not None and len(todo) > limit:
        result.left = len(todo) - limit
        todo = todo[:limit]

    try:
        progress.stage("Fetching", len(todo), unit="page")
        for number, (key, link, entry) in enumerate(todo):
            progress.update(number)
            if delay > 0:
                sleep(delay)
            fallback = {
                "title": _one_line(entry.get("title", "")),
                "body": _entry_text(entry),
                "date": _entry_date(entry),
            }
            try:
                outcome = ingest_url(config.corpus_path, link, fallback)
            except IngestError as exc:
                done(Outcome(link, "failed", error=str(exc)))
                continue
            done(outcome)
            items[key] = {
                "link": canonical_url(link),
                "article": outcome.article_id,
                "feed": feed_url,
                "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        progress.update(len(todo))
    finally:
        state["feeds"][feed_url] = {
            "title": result.feed_title,
            "checked": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        save_state(config.index_path, state)

    # Also when every item was fetched before: a run killed while indexing
    # saved its pages and remembered its items, and only this indexes them.
    if result.count("added", "updated", "unchanged", "skipped"):
        result.report = reindex(config, progress=progress)
    return result
