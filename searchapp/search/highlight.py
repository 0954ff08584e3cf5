"""Snippets and highlighting over the original text.

Text is escaped first and ``<mark>`` is added around each matched concept
afterwards, so nothing from an article can become markup. Matching runs over
syllables found by a regular expression, not by pyvi, so it is cheap, has
exact offsets and has no length limit (Whoosh's highlighter stops at 32 KB).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from searchapp.search.ranking import MatchTerms
from searchapp.text import fold, fold_lower, spaced_and_folded, syllable_keys

# Longer articles are only scanned this far for the snippet window.
SCAN_LIMIT = 2_000_000

Match = tuple[int, int, str]


def find_matches(text: str, terms: MatchTerms, limit: int = SCAN_LIMIT) -> list[Match]:
    """``(start, end, concept)`` for every place a query concept occurs in ``text``.

    A concept is marked whole, from its first syllable to its last (one mark
    over "Biển Đông"), and only where its syllables stand together; a lone
    syllable of it is never marked. The longest concept wins where two start
    at the same syllable.

    The scan is one regular expression over the text folded and lowercased
    (folding keeps one character for one, so offsets are the text's own); a
    concept asked for with its accents is then checked on the syllables found.
    """
    text = text[:limit]
    return _matches(text, fold_lower(text), terms) if terms.forms else []


def _matches(text: str, scanned: str, terms: MatchTerms) -> list[Match]:
    """:func:`find_matches` over ``text``, given ``scanned``, its :func:`fold_lower`."""
    if not terms.forms:
        return []
    pattern, options = _pattern(tuple(terms.forms))
    found: list[Match] = []
    for match in pattern.finditer(scanned):
        exact, any_accents, concept = options[(match.lastindex or 0) - 1]  # one group per form matches
        if not any_accents and _keys(text[match.start() : match.end()]) not in exact:
            continue
        found.append((match.start(), match.end(), str(concept)))
    return found


@lru_cache(maxsize=4096)
def _keys(written: str) -> tuple[str, ...]:
    """The syllable keys of a matched place: the same words recur through an
    article and from one article to the next."""
    return tuple(syllable_keys(written))


# Between two syllables of one concept: a lone "." or "," (3.5, 1,000), or
# anything that is not a letter or digit and breaks no sentence or clause
# (the rule of :func:`searchapp.text.breaks`).
_JOINED_GAP = r"(?:[.,]|(?:[^\w.,;:!?()\[\]{}…|\n]|_)+)"


@lru_cache(maxsize=256)
def _pattern(forms: tuple) -> tuple[re.Pattern[str], list[tuple[set, bool, int]]]:
    """One alternation over every concept form, folded and lowercased, longest
    first, and what each alternative stands for."""
    grouped: dict[tuple[str, ...], tuple[set, list[bool], int]] = {}
    for form, concept in forms:
        folded = tuple(fold(w) for w in form.words)
        exact, loose, _ = grouped.setdefault(folded, (set(), [False], concept))
        if form.folded:
            loose[0] = True
        else:
            exact.add(tuple(form.words))
    ordered = sorted(grouped.items(), key=lambda item: -len(item[0]))
    alternatives = [_alternative([w.lower() for w in words]) for words, _ in ordered]
    pattern = re.compile("(?:" + "|".join(alternatives) + r")(?![^\W_])")
    return pattern, [(exact, loose[0], concept) for _, (exact, loose, concept) in ordered]


def _alternative(words: list[str]) -> str:
    """One concept form as a pattern that starts with a plain character.

    The start-of-word check comes after the first character instead of
    before it, so every alternative begins with a literal and the regular
    expression engine skips ahead to the next place one of those characters
    stands (about three times faster over a long article than trying each
    position). The empty group at the end tells which alternative matched.
    """
    first = re.escape(words[0][0])
    rest = [re.escape(words[0][1:])] + [re.escape(w) for w in words[1:]]
    return first + r"(?<![^\W_]" + first + ")" + _JOINED_GAP.join(rest) + "()"


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
    text, scanned = spaced_and_folded(text[:SCAN_LIMIT])
    matches = _matches(text, scanned, terms)
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
