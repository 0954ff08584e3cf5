"""Telling headlines from photo captions and lead sentences.

Scraped pages often start with a caption ("… (Ảnh: Reuters)") or the lead
sentence instead of the headline. Such a first line must neither dominate the
ranking (a headline is repeated in the searchable text, a caption is not) nor
fill the result list with a paragraph. When the text has a better headline in
its first lines, it is used; otherwise the first sentence, shortened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Quang cảnh hội nghị. (Ảnh: TTXVN)", "Ảnh: Reuters", "(Nguồn: AFP)".
CAPTION_RE = re.compile(
    r"(\((ảnh|nguồn|photo|video|clip)(\s+minh\s+họa)?\s*:?[^)]*\)\s*\.?\s*$)"
    r"|(^\s*(ảnh|nguồn|photo)(\s+minh\s+họa)?\s*:)"
    r"|(^\s*\|\s*$)",
    re.IGNORECASE,
)
# Headlines are short and carry no final full stop; leads are sentences.
MAX_HEADLINE_CHARS = 160
MIN_HEADLINE_CHARS = 2
DISPLAY_CHARS = 140
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ỹ\"“])")


@dataclass(frozen=True)
class Headline:
    """The title to show and to weigh, and the body that goes with it."""

    title: str
    body: str
    is_headline: bool


def is_caption(line: str) -> bool:
    """True for photo captions and credits."""
    return bool(CAPTION_RE.search(line))


def looks_like_headline(line: str) -> bool:
    """Short, no final full stop, not a caption."""
    text = line.strip()
    return MIN_HEADLINE_CHARS <= len(text) <= MAX_HEADLINE_CHARS and not text.endswith(".") and not is_caption(text)


def refine(title: str, body: str) -> Headline:
    """Keep a real headline; otherwise find a better one and keep all the text.

    >>> refine("Quang cảnh hội nghị (Ảnh: TTXVN)", "Hội nghị ASEAN khai mạc\\nNội dung.").title
    'Hội nghị ASEAN khai mạc'
    """
    if looks_like_headline(title):
        return Headline(title, body, True)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if is_caption(title):
        for index, line in enumerate(lines[:2]):
            if looks_like_headline(line):
                rest = lines[:index] + lines[index + 1 :]
                return Headline(line, "\n".join([title, *rest]), True)
    # No headline in the text: show the first sentence, shortened, and keep
    # the whole line searchable once, as ordinary body text.
    source = lines[0] if is_caption(title) and lines else title
    return Headline(shorten(first_sentence(source)), f"{title}\n{body}" if body else title, False)


def first_sentence(text: str) -> str:
    """The text up to the end of its first sentence."""
    return _SENTENCE_END_RE.split(text.strip(), maxsplit=1)[0]


def shorten(text: str, limit: int = DISPLAY_CHARS) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:–-") + "…"
