"""Which pool articles truly match a query, read straight from the raw text.

The evaluation must not trust the engine's own analyzer to say what should
match, so this module re-reads the article files with rules a reader would
apply: whole syllables, case-insensitive, hòa = hoà, and a phrase may not run
across a sentence or a clause. Everything here is plain Python over the
JSON Lines files; nothing from ``searchapp`` is imported.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SYLLABLE = re.compile(r"[^\W_]+")
# Text between two syllables that ends a phrase. A lone "." or "," does not
# (3.5, 1,000, U.S), which is checked separately.
PHRASE_BREAK = re.compile(r"[\n.,;:!?()\[\]{}…|]")
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
VOWELS = set("aăâeêioôơuưy")
# Old and new spelling disagree on where the tone goes only in these clusters
# when nothing follows them: hoà/hòa, khoẻ/khỏe, thuỷ/thủy.
MOVABLE_TONE = re.compile(r"(.*?)(oa|oe|uy)")
# Runs of syllables are kept in one string per article, each syllable between
# spaces and runs separated by this mark, so a phrase is a substring test.
RUN_SEPARATOR = " | "


def fold(text: str) -> str:
    """Remove every diacritic, the way someone types without accents.

    >>> fold("Đối tác chiến lược Việt Nam")
    'Doi tac chien luoc Viet Nam'
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@lru_cache(maxsize=200_000)
def canonical_syllable(syllable: str) -> str:
    """Lowercase one syllable and put its tone where the old spelling puts it.

    >>> [canonical_syllable(s) for s in ("hoà", "Thuỷ", "khoẻ", "Uỷ", "hoàng", "quý")]
    ['hòa', 'thủy', 'khỏe', 'ủy', 'hoàng', 'quý']
    """
    lowered = unicodedata.normalize("NFC", syllable.lower())
    tone, letters = "", []
    for char in lowered:
        parts = unicodedata.normalize("NFD", char)
        marks = [c for c in parts if c in TONE_MARKS]
        if marks:
            tone = marks[0]
        letters.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS)))
    base = "".join(letters)
    match = MOVABLE_TONE.fullmatch(base)
    # "qu" is a consonant, so in "quý" the tone already sits on the only vowel.
    if not tone or not match or set(match[1]) & VOWELS or match[1].endswith("q"):
        return lowered
    first = len(match[1])
    letters[first] = unicodedata.normalize("NFC", letters[first] + tone)
    return "".join(letters)


def syllables(text: str) -> list[str]:
    """The canonical syllables of ``text``, punctuation dropped."""
    return [canonical_syllable(m[0]) for m in SYLLABLE.finditer(text)]


def breaks_phrase(between: str) -> bool:
    """Whether the text between two syllables keeps them out of one phrase."""
    if between in (".", ","):
        return False
    return PHRASE_BREAK.search(between) is not None


def phrase_spans(text: str) -> Iterator[list[re.Match]]:
    """Runs of syllables that a phrase may span, as regex matches (with offsets)."""
    run: list[re.Match] = []
    for match in SYLLABLE.finditer(text):
        if run and breaks_phrase(text[run[-1].end() : match.start()]):
            yield run
            run = []
        run.append(match)
    if run:
        yield run


def phrase_text(text: str) -> str:
    """One searchable string: canonical syllables, space-separated, runs apart.

    >>> phrase_text("Biển Đông, 3.5 tỷ; hoà bình")
    ' biển đông | 3 5 tỷ | hòa bình '
    """
    runs = (" ".join(canonical_syllable(m[0]) for m in run) for run in phrase_spans(text))
    return " " + RUN_SEPARATOR.join(runs) + " "


def surface_key(surface: str) -> str:
    """How a concept's surface form is looked up in :func:`phrase_text`."""
    return " " + " ".join(syllables(surface)) + " "


@dataclass
class Article:
    id: str
    title: str
    body: str
    date: str | None

    @property
    def text(self) -> str:
        return unicodedata.normalize("NFC", self.title + "\n" + self.body)


def read_articles(paths: Iterable[Path]) -> list[Article]:
    """Every article of the given JSON Lines files (plain or gzipped)."""
    articles = []
    for path in paths:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    articles.append(Article(row["id"], row.get("title") or "", row.get("body") or "", row.get("date")))
    return articles


class Pool:
    """The pool's articles, each kept once as phrase text for concept lookups."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = {a.id: a for a in articles}
        self.phrases = {a.id: phrase_text(a.text) for a in articles}

    def holds(self, article_id: str, concept: list[str]) -> bool:
        """Whether the article has one of the concept's surface forms as a phrase."""
        text = self.phrases[article_id]
        return any(surface_key(form) in text for form in concept)

    def truth(self, concepts: list[list[str]]) -> set[str]:
        """Ids of the articles that hold every concept."""
        return {aid for aid in self.phrases if all(self.holds(aid, c) for c in concepts)}

    def missing(self, article_id: str, concepts: list[list[str]]) -> list[str]:
        """The first surface form of each concept the article lacks."""
        return [c[0] for c in concepts if not self.holds(article_id, c)]

    def snippet(self, article_id: str, surface: str, width: int = 40, folded: bool = False) -> str:
        """Text around the first place the surface form occurs as a phrase.

        With ``folded``, accents are ignored too, which shows what an
        accent-insensitive engine may have matched instead.
        """
        text = self.articles[article_id].text
        wanted = syllables(surface)
        if folded:
            wanted = [fold(s) for s in wanted]
        for run in phrase_spans(text):
            words = [canonical_syllable(m[0]) for m in run]
            if folded:
                words = [fold(w) for w in words]
            for i in range(len(words) - len(wanted) + 1):
                if words[i : i + len(wanted)] == wanted:
                    start, end = run[i].start(), run[i + len(wanted) - 1].end()
                    return _around(text, start, end, width)
        return ""


def _around(text: str, start: int, end: int, width: int) -> str:
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    return " ".join(f"…{left}[{text[start:end]}]{right}…".split())
