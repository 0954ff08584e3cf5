"""Snippets and highlighting over the original text.

Text is escaped first and ``<mark>`` is added around the matched syllables
afterwards, so nothing from an article can become markup. Matching runs over
syllables found by a regular expression, not by pyvi, so it is cheap, has
exact offsets and has no length limit (Whoosh's highlighter stops at 32 KB).
"""

from __future__ import annotations

from html import escape

from searchapp.ranking import MatchTerms
from searchapp.text import fold, iter_syllables

# Longer articles are only scanned this far for the snippet window.
SCAN_LIMIT = 2_000_000

Match = tuple[int, int, str]


def find_matches(text: str, terms: MatchTerms, limit: int = SCAN_LIMIT) -> list[Match]:
    """``(start, end, key)`` for every syllable of ``text`` the query matches."""
    found: list[Match] = []
    if not (terms.exact or terms.folded):
        return found
    folded_only: list[bool] = []
    for match in iter_syllables(text[:limit]):
        lower = match.group().lower()
        if terms.matches(lower):
            found.append((match.start(), match.end(), fold(lower)))
            folded_only.append(lower not in terms.exact)
    return _drop_stray_folded(found, folded_only)


def _drop_stray_folded(found: list[Match], folded_only: list[bool]) -> list[Match]:
    """Unmark a folded match standing alone when its word also occurs joined.

    For "bien dong", "Biển Đông" is what was meant; "đồng" and "động"
    elsewhere fold to "dong" too but are noise once the pair is in the text.
    """
    joined = [False] * len(found)
    for i in range(1, len(found)):
        if found[i][0] - found[i - 1][1] <= 1 and found[i][2] != found[i - 1][2]:
            joined[i] = joined[i - 1] = True
    seen_joined = {m[2] for m, j in zip(found, joined, strict=True) if j}
    return [
        m
        for m, j, folded in zip(found, joined, folded_only, strict=True)
        if j or not folded or m[2] not in seen_joined
    ]


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
    # A match right next to a match of another query word ("Biển Đông" as
    # typed) says more than scattered single words ("đồng", "động").
    joined = [
        i > 0 and matches[i][0] - matches[i - 1][1] <= 1 and matches[i][2] != matches[i - 1][2]
        for i in range(len(matches))
    ]
    left = 0
    for right in range(len(matches)):
        while matches[right][1] - matches[left][0] > width:
            left += 1
        keys = {m[2] for m in matches[left : right + 1]}
        pairs = sum(joined[left + 1 : right + 1])
        score = len(keys) * 100 + pairs * 60 + (right - left)
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
