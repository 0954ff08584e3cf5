"""Where an added article is saved, and under which id.

Identity: an article's id is ``web-`` plus a short hash of its canonical URL
(the page's own canonical link when it is on the same site, else the address
it was fetched from). Re-adding the same URL rewrites the same file, so an
article is never stored twice and a different article is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from searchapp import atomic
from searchapp.corpus import metadata
from searchapp.ingest.download import IngestError
from searchapp.ingest.page import Page, outlet_of, site_of
from searchapp.text import fold, nfc

# A page whose extracted text is shorter than this has no article on it
# (a video page, a list of links, a cookie wall).
MIN_TEXT_CHARS = 100

WEB_FOLDER = "web"
UNDATED_FOLDER = "undated"


# Query parameters that track the reader, not the article.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|zarsrc|gidzl)$", re.IGNORECASE)


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
        if a.hostname and b.hostname and site_of(a.hostname) == site_of(b.hostname) and b.path not in ("", "/"):
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


def page_record(page: Page, fetched_url: str | None, fallback: dict[str, Any] | None = None) -> dict[str, Any]:
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
        "source": outlet_of(page, url, title, body),
        "url": url,
    }
    return {k: v for k, v in record.items() if v is not None}
