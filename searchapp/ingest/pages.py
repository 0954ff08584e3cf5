"""Adding articles from the web: page URLs, saved HTML pages and article files.

A page is downloaded (:mod:`~searchapp.ingest.download`), its main text,
title, date and outlet are extracted with trafilatura, and the result is
saved as one ``.json`` article under ``<corpus>/web/<year>/``. The corpus
reader then treats it like any other article (partners and topics are
extracted from the text).

Identity: an article's id is ``web-`` plus a short hash of its canonical URL
(the page's own canonical link when it is on the same site, else the address
it was fetched from). Re-adding the same URL rewrites the same file, so an
article is never stored twice and a different article is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
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
from searchapp.corpus.extract.dates import is_timestamp_line
from searchapp.ingest.download import IngestError, describe_reason, fetch, html_of, is_url
from searchapp.progress import SILENT, Progress
from searchapp.text import fold, nfc

# A page whose extracted text is shorter than this has no article on it
# (a video page, a list of links, a cookie wall).
MIN_TEXT_CHARS = 100

WEB_FOLDER = "web"
UNDATED_FOLDER = "undated"

HTML_SUFFIXES = (".html", ".htm")

# Query parameters that track the reader, not the article.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|zarsrc|gidzl)$", re.IGNORECASE)
# Second-level labels under a country domain: "dantri.com.vn" is one site.
_GENERIC_SLD = {"com", "net", "org", "gov", "edu", "ac", "co", "info", "int", "name", "biz", "health"}


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
    title = one_line(doc.title or "")
    return Page(
        title=title,
        body=article_paragraphs(doc.text or "", title),
        date=_iso_date(doc.date),
        sitename=one_line(doc.sitename or "") or None,
        hostname=doc.hostname or None,
        canonical=doc.url if doc.url and is_url(doc.url) else None,
    )


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", nfc(text)).strip()


def article_paragraphs(text: str, title: str) -> str:
    """NFC paragraphs separated by blank lines.

    Leading lines that repeat the title or only give the time of publication
    ("18:40, 06/09/2023") are page furniture, not text.
    """
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in nfc(text).splitlines()]
    lines = [line for line in lines if line]
    while lines and ((title and lines[0].casefold() == title.casefold()) or is_timestamp_line(lines[0])):
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
    name = one_line(name)
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
        html = html_of(response)
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
        raise IngestError(f"cannot read file ({describe_reason(exc)})") from None
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
