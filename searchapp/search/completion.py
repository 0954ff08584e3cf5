"""Query completion for the search box: partners, topics, frequent phrases, titles.

A :class:`Completions` table is built once per index generation from a Whoosh
reader and answers a prefix with at most :data:`LIMIT` suggestions. Matching
ignores case and diacritics ("hoi ng" finds "hội nghị", "nhat" finds "Nhật
Bản"); typed diacritics are still preferred when they match. Every kind of
suggestion is one list sorted by key, so a prefix is a :func:`bisect` range;
prefixes whose range is long ("t", "ng") have their best entries precomputed,
so no lookup scans more than :data:`SCAN_LIMIT` entries.

>>> table = Completions.from_entries([("hội nghị", "phrase", 12, None), ("Nhật Bản", "partner", 5, "JP")])
>>> [s.text for s in table.complete("hoi ng")]
['hội nghị']
"""

from __future__ import annotations

import heapq
import logging
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from searchapp.corpus import metadata
from searchapp.engine.segmemo import SegmentMemo, part_holding, per_segment, term_frequencies
from searchapp.text import fold, iter_syllables, syllable_keys, syllables

logger = logging.getLogger(__name__)

LIMIT = 8
KINDS = ("partner", "topic", "phrase", "title")
# Suggestions of one kind shown before the next kinds get their turn; the
# slots left over are then filled in kind order again.
KIND_CAPS = {"partner": 3, "topic": 2, "phrase": 5, "title": 3}
# A prefix range longer than this is answered from the precomputed table.
SCAN_LIMIT = 1000
# Entries kept per precomputed prefix: room for duplicates removed later.
PRECOMPUTED = 24
# Bounds on memory: the most recent titles, the most frequent phrases.
MAX_TITLES = 20_000
MAX_PHRASES = 50_000
MAX_TITLE_CHARS = 160
# A compound must be in this many articles (and one in 2,000 of them).
MIN_PHRASE_DF = 3
PHRASE_DF_SHARE = 2000
MAX_PHRASE_SYLLABLES = 3
# Typed text longer than this is not a prefix anyone wants completed.
MAX_INPUT_CHARS = 100
# "quan hệ việt n": also complete the last few words, keeping the words before.
TAIL_WORDS = 3
TAIL_BELOW = 3
MIN_TAIL_CHARS = 3
_END = "\U0010ffff"


@dataclass(frozen=True)
class Suggestion:
    """One completion: the text to put in the box and where it comes from."""

    text: str
    kind: str
    # The partner's or topic's Vietnamese name when ``text`` is another of its
    # names ("Japan" -> "Nhật Bản"); empty otherwise.
    label: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"text": self.text, "kind": self.kind}
        if self.label:
            out["label"] = self.label
        return out


def key(text: str, keep_marks: bool = False) -> str:
    """Lowercased syllables joined by single spaces, folded unless ``keep_marks``
    (then with their tone placement normalized: "hoà" and "hòa" are one).

    >>> key("Việt Nam - Nhật Bản")
    'viet nam nhat ban'
    """
    return " ".join(syllable_keys(text) if keep_marks else syllables(fold(text)))


class _Sorted:
    """Entries of one kind, sorted by key: ``keys[i]`` is the key of ``items[i]``."""

    def __init__(self, rows: list[tuple[str, tuple]]) -> None:
        rows.sort()
        self.keys = [k for k, _ in rows]
        self.items = [item for _, item in rows]
        self.top: dict[str, list[tuple]] = {}
        self._precompute()

    def _range(self, prefix: str) -> tuple[int, int]:
        return bisect_left(self.keys, prefix), bisect_left(self.keys, prefix + _END)

    def _precompute(self) -> None:
        """Best entries of every prefix whose range exceeds :data:`SCAN_LIMIT`.

        Level by level: a prefix can only be long if the one a character
        shorter was, so the work stops once no prefix of a length is long.
        """
        long_ranges = [("", 0, len(self.keys))] if len(self.keys) > SCAN_LIMIT else []
        while long_ranges:
            longer = []
            for prefix, lo, hi in long_ranges:
                self.top[prefix] = heapq.nsmallest(PRECOMPUTED, self.items[lo:hi])
                length = len(prefix) + 1
                start = lo
                while start < hi:
                    sub = self.keys[start][:length]
                    if len(sub) < length:  # the key is the prefix itself (keys are unique)
                        start += 1
                        continue
                    end = bisect_left(self.keys, sub + _END, start, hi)
                    if end - start > SCAN_LIMIT:
                        longer.append((sub, start, end))
                    start = end
            long_ranges = longer

    def best(self, prefix: str, count: int) -> list[tuple]:
        """The ``count`` best-ranked items whose key starts with ``prefix``."""
        lo, hi = self._range(prefix)
        if hi - lo > SCAN_LIMIT:
            return self.top[prefix][:count]
        return heapq.nsmallest(count, self.items[lo:hi])


class Completions:
    """Completion table of one index generation; read-only once built."""

    def __init__(self, entries: Iterable[tuple[str, str, float, str | None]]) -> None:
        folded: dict[str, list[tuple[str, tuple]]] = {kind: [] for kind in KINDS}
        marked: dict[str, list[tuple[str, tuple]]] = {kind: [] for kind in KINDS}
        seen: set[tuple[str, str]] = set()
        labels: dict[str, str] = {}
        for serial, (display, kind, weight, group) in enumerate(entries):
            display = " ".join(display.split())
            plain = key(display)
            if not plain or (kind, plain) in seen:
                continue
            seen.add((kind, plain))
            # The first name of a group is its label.
            label = labels.setdefault(group, display) if group else ""
            # Sorted by (weight descending, then input order): a plain tuple
            # comparison, never reaching the strings.
            item = (-weight, serial, display, group or plain, "" if label == display else label)
            folded[kind].append((plain, item))
            marked[kind].append((key(display, keep_marks=True), item))
        self.folded = {kind: _Sorted(rows) for kind, rows in folded.items()}
        self.marked = {kind: _Sorted(rows) for kind, rows in marked.items()}
        self.size = sum(len(s.keys) for s in self.folded.values())

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[str, str, float, str | None]]) -> Completions:
        """A table from ``(display text, kind, weight, group)`` rows.

        :param entries: ``kind`` is one of :data:`KINDS`; a higher ``weight``
            ranks first within its kind; entries sharing a ``group`` (the
            names of one partner) are suggested once.
        """
        return cls(entries)

    @classmethod
    def from_reader(
        cls,
        reader,
        max_titles: int = MAX_TITLES,
        max_phrases: int = MAX_PHRASES,
        memo: SegmentMemo | None = None,
        dates=None,
    ) -> Completions:
        """The table of an open Whoosh reader: partner and topic names weighted
        by their article counts, frequent compounds, the most recent titles.

        :param memo: what earlier generations read from the same segments
            (term counts, headlines): a table built after an incremental
            reindex reads only the new segment.
        :param dates: each document's YYYYMMDD date (0: none), when already read.
        """
        return cls(_reader_entries(reader, max_titles, max_phrases, memo, dates))

    def complete(self, text: str, limit: int = LIMIT) -> list[Suggestion]:
        """At most ``limit`` completions of ``text``, best first; [] for nothing useful."""
        text = text[:MAX_INPUT_CHARS]
        matches = list(iter_syllables(text))
        if not matches:
            return []
        # A trailing space means the last word is complete: "hoi " is not "hoian".
        trailing = " " if not text[matches[-1].end() :].strip() and text[matches[-1].end() :] else ""
        per_kind = self._ranked(text, matches, 0, trailing, KINDS, limit)
        # Next to nothing? Complete the last words alone, keeping the words
        # before: "quan hệ việt n" -> "quan hệ việt nam". Longer tails first.
        for words in range(min(len(matches) - 1, TAIL_WORDS), 0, -1):
            if sum(len(v) for v in per_kind.values()) >= TAIL_BELOW:
                break
            first = len(matches) - words
            if len(text) - matches[first].start() < MIN_TAIL_CHARS:
                continue
            # One word alone is completed to names only: "quan hệ nhật" ->
            # "quan hệ Nhật Bản", not to every compound starting "nhật".
            kinds = ("partner", "topic", "phrase") if words > 1 else ("partner", "topic")
            tail = self._ranked(text, matches, first, trailing, kinds, limit)
            for kind, found in tail.items():
                per_kind[kind].extend(found)
        typed = " ".join(text.lower().split())
        return _pick(per_kind, limit, skip=typed)

    def _ranked(self, text, matches, first: int, trailing: str, kinds, limit: int) -> dict[str, list[Suggestion]]:
        head = text[: matches[first].start()] if first else ""
        typed = text[matches[first].start() :]
        plain = key(typed) + trailing
        exact = key(typed, keep_marks=True) + trailing
        out: dict[str, list[Suggestion]] = {kind: [] for kind in KINDS}
        for kind in kinds:
            want = KIND_CAPS[kind] + limit
            rows = []
            if exact != plain:  # diacritics typed: matching ones first
                rows = self.marked[kind].best(exact, want)
            rows += self.folded[kind].best(plain, want)
            groups: set[str] = set()
            for _, _, display, group, label in rows:
                if group in groups:
                    continue
                groups.add(group)
                if label and key(display) == key(typed):
                    display, label = label, ""  # "japan" typed in full: offer "Nhật Bản"
                out[kind].append(Suggestion(head + display, kind, label))
        return out


def _pick(per_kind: dict[str, list[Suggestion]], limit: int, skip: str = "") -> list[Suggestion]:
    """Each kind up to its cap, in kind order, then leftovers; one of each text,
    and not ``skip`` (what is already typed)."""
    chosen: list[Suggestion] = []
    seen: set[str] = {skip}

    def take(suggestion: Suggestion) -> None:
        folded = suggestion.text.lower()
        if folded not in seen and len(chosen) < limit:
            seen.add(folded)
            chosen.append(suggestion)

    for kind in KINDS:
        for suggestion in per_kind[kind][: KIND_CAPS[kind]]:
            take(suggestion)
    for kind in KINDS:
        for suggestion in per_kind[kind][KIND_CAPS[kind] :]:
            take(suggestion)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(chosen, key=lambda s: order[s.kind])


def _reader_entries(
    reader, max_titles: int, max_phrases: int, memo: SegmentMemo | None, dates
) -> list[tuple[str, str, float, str | None]]:
    entries: list[tuple[str, str, float, str | None]] = []
    partner_counts = term_frequencies(reader, "partner", memo)
    for code, label in metadata.all_partners():
        weight = partner_counts.get(code, 0)
        # The Vietnamese label first: it wins over the aliases of the same partner.
        for name in dict.fromkeys([label, *metadata.partner_aliases(code)]):
            entries.append((name, "partner", weight, code))
    topic_counts = term_frequencies(reader, "topic", memo)
    for slug, label in metadata.all_topics():
        entries.append((label, "topic", topic_counts.get(slug, 0), slug))
    min_df = max(MIN_PHRASE_DF, reader.doc_count() // PHRASE_DF_SHARE)
    entries.extend(_phrases(term_frequencies(reader, "words", memo), max_phrases, min_df))
    entries.extend(_titles(reader, max_titles, memo, _dates(reader) if dates is None else dates))
    return entries


def _phrases(counts_of: dict[str, int], limit: int, min_df: int) -> list[tuple[str, str, float, str | None]]:
    """Frequent 2-3 syllable compounds from pyvi's ``words`` field ("hội_nghị")."""
    counts = []
    for term, df in counts_of.items():
        parts = term.split("_")
        if df < min_df or not 2 <= len(parts) <= MAX_PHRASE_SYLLABLES:
            continue
        if any(part.isdigit() or not part for part in parts):
            continue  # "10_000_000", dates and phone numbers are not phrases
        counts.append((df, term))
    return [(" ".join(term.split("_")), "phrase", df, None) for df, term in heapq.nlargest(limit, counts)]


def _titles(reader, limit: int, memo: SegmentMemo | None, dates) -> list[tuple[str, str, float, str | None]]:
    """Headlines of the ``limit`` most recent articles, newest weighted highest.

    A headline is read from the article's stored fields (the whole article),
    once per segment when ``memo`` keeps them: the next generation reads
    only the articles it adds.
    """
    live = list(reader.all_doc_ids())
    recent = heapq.nlargest(limit, live, key=lambda d: (int(dates[d]), d))
    parts = per_segment(reader, "headlines", _no_headlines, memo)
    starts = [offset for offset, _ in parts]
    out: list[tuple[str, str, float, str | None]] = []
    for rank, docnum in enumerate(recent):
        offset, known = part_holding(parts, starts, docnum)
        title = known.get(docnum - offset)
        if title is None:
            stored = reader.stored_fields(docnum)
            # "" for a first line that is no headline (see ``meta.headline``).
            title = stored.get("title", "") if stored.get("meta", {}).get("headline", True) else ""
            known[docnum - offset] = title
        if not title or len(title) > MAX_TITLE_CHARS:
            continue
        out.append((title, "title", float(limit - rank), None))
    return out


def _no_headlines(leaf) -> dict[int, str]:
    """A segment's headlines read so far, by segment docnum (filled by :func:`_titles`)."""
    return {}


def _dates(reader) -> list[int]:
    """``datenum`` of every document (YYYYMMDD, 0 when undated), read from its column."""
    dates = [0] * reader.doc_count_all()
    for leaf, offset in reader.leaf_readers():
        if not leaf.has_column("datenum"):
            continue
        for docnum, value in enumerate(leaf.column_reader("datenum")):
            if value:
                dates[offset + docnum] = int(value)
    return dates


class CompletionCache:
    """One :class:`Completions` per index generation, shared by threads.

    While a new generation's table is being built, other requests keep
    answering from the previous one instead of waiting. :meth:`warm` builds
    it in the background, so the first keystroke does not pay for it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = None
        self._table: Completions | None = None

    def warm(self, generation: Any, build: Callable[[], Completions]) -> None:
        """Start building the table for ``generation`` in a thread, unless it is built or being built."""
        if self._key == generation or self._lock.locked():
            return

        def run() -> None:
            try:
                self.get(generation, build)
            except Exception:  # a thread's boundary: log it, the next request retries
                logger.exception("building the completion table failed")

        threading.Thread(target=run, name="searchapp-completions", daemon=True).start()

    def get(self, generation: Any, build: Callable[[], Completions]) -> Completions:
        """The table for ``generation`` (any hashable), built with ``build()`` if needed."""
        table = self._table
        if table is not None and self._key == generation:
            return table
        if not self._lock.acquire(blocking=table is None):
            return table  # type: ignore[return-value]  # another thread is rebuilding
        try:
            if self._table is None or self._key != generation:
                self._table = build()
                self._key = generation
            return self._table
        finally:
            self._lock.release()
