"""Snippets and highlighting over the original text.

Text is escaped first and ``<mark>`` is added around each matched concept
afterwards, so nothing from an article can become markup. Matching runs over
syllables found by a regular expression, not by pyvi, so it is cheap, has
exact offsets and has no length limit (Whoosh's highlighter stops at 32 KB).
"""

from __future__ import annotations

from html import escape

from searchapp.ranking import MatchTerms
from searchapp.text import breaks, fold, iter_syllables, syllable_key

# Longer articles are only scanned this far for the snippet window.
SCAN_LIMIT = 2_000_000

Match = tuple[int, int, str]


def find_matches(text: str, terms: MatchTerms, limit: int = SCAN_LIMIT) -> list[Match]:
    """``(start, end, concept)`` for every place a query concept occurs in ``text``.

    A concept is marked whole, from its first syllable to its last (one mark
    over "Biển Đông"), and only where its syllables stand together; a lone
    syllable of it is never marked. The longest concept wins where two start
    at the same syllable.
    """
    found: list[Match] = []
    if not terms.forms:
        return found
    by_first: dict[tuple[str, bool], list[tuple[tuple[str, ...], int]]] = {}
    for form, concept in terms.forms:
        by_first.setdefault((form.words[0], form.folded), []).append((form.words, concept))
    for options in by_first.values():
        options.sort(key=lambda o: -len(o[0]))
    matches = list(iter_syllables(text[:limit]))
    keys = [syllable_key(m.group()) for m in matches]
    i = 0
    while i < len(matches):
        size, concept = _longest_form_at(text, matches, keys, i, by_first)
        if size:
            found.append((matches[i].start(), matches[i + size - 1].end(), str(concept)))
            i += size
        else:
            i += 1
    return found


def _longest_form_at(text, matches, keys, i, by_first) -> tuple[int, int]:
    best = (0, 0)
    for folded in (False, True):
        first = fold(keys[i]) if folded else keys[i]
        for words, concept in by_first.get((first, folded), ()):
            n = len(words)
            if n <= best[0] or i + n > len(matches):
                continue
            if all(
                (fold(keys[i + j]) if folded else keys[i + j]) == words[j]
                and not breaks(text[matches[i + j - 1].end() : matches[i + j].start()])
                for j in range(1, n)
            ):
                best = (n, concept)
    return best


def mark(text: str, matches: list[Match], start: int = 0, end: int | None = None) -> str:
    """Escaped ``text[start:end]`` with ``<mark>`` around each match inside it."""
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    for m_start, m_end, _ in matches:
        if m_start < start or m_end > end:
            continue
        out.append(escape(text[pos:m_start]))
        out.append(f"<mark>{escape(text[m_start:m_end])}</mark>")
        pos = m_end
    out.append(escape(text[pos:end]))
    return "".join(out)


def _best_window(matches: list[Match], width: int) -> int:
    """Start offset of the ``width``-char window holding the most distinct matches."""
    best_start, best_score = matches[0][0], -1
    left = 0
    for right in range(len(matches)):
        while matches[right][1] - matches[left][0] > width:
            left += 1
        # Distinct concepts first, then how many marks in all.
        keys = {m[2] for m in matches[left : right + 1]}
        score = len(keys) * 100 + (right - left)
        if score > best_score:
            best_start, best_score = matches[left][0], score
    return best_start


def _expand_to_spaces(text: str, start: int, end: int) -> tuple[int, int]:
    if start > 0:
        space = text.rfind(" ", max(0, start - 30), start)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.find(" ", end, end + 30)
        end = space if space >= 0 else end
    return start, end


def snippet(text: str, terms: MatchTerms, width: int = 240) -> str:
    """A short HTML extract around the densest cluster of matches."""
    text = " ".join(text[: SCAN_LIMIT].split())
    matches = find_matches(text, terms)
    if not matches:
        end = min(len(text), width)
        start, end = _expand_to_spaces(text, 0, end)
        return escape(text[start:end]) + ("…" if end < len(text) else "")
    centre = _best_window(matches, width)
    start = max(0, centre - width // 4)
    end = min(len(text), start + width)
    start, end = _expand_to_spaces(text, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + mark(text, matches, start, end) + suffix


def highlight(text: str, terms: MatchTerms) -> str:
    """The whole text as escaped HTML with every match marked."""
    return mark(text, find_matches(text, terms, limit=len(text)))
