"""Adding articles from the web: page URLs, saved HTML pages and article files.

A page is downloaded (:mod:`~searchapp.ingest.download`), its main text,
title, date and outlet are extracted with trafilatura, and the result is
saved as one ``.json`` article under ``<corpus>/web/<year>/``. The corpus
reader then treats it like any other article (partners and topics are
extracted from the text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchapp.config import Config
from searchapp.corpus.articles import is_article_file
from searchapp.ingest.download import IngestError, describe_reason, fetch, html_of, is_url
from searchapp.ingest.page import Page, extract_page
from searchapp.ingest.saving import page_record, save_article
from searchapp.progress import SILENT, Progress

HTML_SUFFIXES = (".html", ".htm")


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
    record = page_record(page, response.url, fallback)
    path, status = save_article(corpus, record)
    return Outcome(url, status, path, record["title"], article_id=record["id"])


def ingest_html_file(corpus: Path, path: Path) -> Outcome:
    """Extract the article of a saved HTML page and save it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read file ({describe_reason(exc)})") from None
    record = page_record(extract_page(raw), None)
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
