"""What a downloaded page says: its main text, title, date and outlet (trafilatura)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from searchapp.corpus import metadata
from searchapp.corpus.extract.dates import is_timestamp_line
from searchapp.ingest.download import IngestError, is_url
from searchapp.text import nfc

# Second-level labels under a country domain: "dantri.com.vn" is one site.
_GENERIC_SLD = {"com", "net", "org", "gov", "edu", "ac", "co", "info", "int", "name", "biz", "health"}


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
    site = site_of(host)
    return list(dict.fromkeys([host, site, site.split(".")[0]]))


def site_of(host: str) -> str:
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


def outlet_of(page: Page, url: str | None, title: str, body: str) -> str | None:
    """Known outlet by site name or domain, else named in the text, else the host name."""
    host = page.hostname or _hostname(url)
    for name in [page.sitename or "", *_host_names(host)]:
        if found := known_outlet(name):
            return found
    return metadata.extract_source(title, body) or (host.removeprefix("www.") if host else None)
