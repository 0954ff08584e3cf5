"""'Did you mean': fixes for syllables the index has never seen.

Accents are not a matter for this module: a query typed without them is
already searched in its restored reading (:mod:`searchapp.search.accents`). What is
left is spelling: "Bien Dongg" → "Biển Đông", "ASEN" → "ASEAN". An unknown
syllable is corrected among the folded syllables of the index (one edit, two
for longer Latin-script names), the whole query is then read again with its
accents restored, and names keep their capitals. The caller proposes the
result only when it finds articles.
"""

from __future__ import annotations

import time

from searchapp.search.accents import Restorer, case_like
from searchapp.search.interpret import Interpretation
from searchapp.text import SYLLABLE_RE, fold, has_diacritics, syllable_key

# Unknown syllables corrected per query, at most: each correction scans the term list.
MAX_CORRECTIONS = 3
# Longest syllable worth correcting (longer runs are codes, links or noise).
MAX_LENGTH = 20
# Look-ups in the term list per query, whether they find a fix or not: each
# compares the syllable with every folded term under its first letter, so
# this (not the number of fixes) is what bounds the work of a wall of unknown
# syllables.
MAX_LOOKUPS = 4
# Letters taken as typed: a look-up reads the terms under one letter instead
# of the whole list (about twenty times fewer), at the price of not fixing a
# wrong first letter.
PREFIX = 1
# Syllables of the query read, at most (restoration reads no more either).
MAX_SYLLABLES = 64


def suggest(interp: Interpretation, reader, restorer: Restorer, deadline: float | None = None) -> str | None:
    """A corrected query text, or ``None`` when every syllable is known.

    Takes the calling thread's reader: a Whoosh reader must not be shared
    between threads.

    :param deadline: a :func:`time.perf_counter` value after which no more
        look-ups start (the request's time budget).
    """
    text = interp.text
    matches = [m for m in SYLLABLE_RE.finditer(text)][:MAX_SYLLABLES]
    fixes: dict[int, str] = {}
    lookups = 0
    for m in matches:
        if len(fixes) >= MAX_CORRECTIONS or lookups >= MAX_LOOKUPS:
            break
        if not _unknown(m.group(), reader):
            continue
        if deadline is not None and time.perf_counter() > deadline:
            break
        lookups += 1
        fixed = _correct(m.group(), reader)
        if fixed is not None:
            fixes[m.start()] = fixed
    if not fixes:
        return None
    typed = [fixes.get(m.start(), m.group()) for m in matches]
    keys = restorer.restore(typed, reader)
    shown = restorer.display(keys, [case_like(t, m.group()) for t, m in zip(typed, matches, strict=True)], reader)
    out, pos = [], 0
    for m, form in zip(matches, shown, strict=True):
        out.append(text[pos : m.start()])
        out.append(form)
        pos = m.end()
    out.append(text[pos:])
    suggestion = "".join(out)
    return suggestion if suggestion != text else None


def _unknown(syllable: str, reader) -> bool:
    """True for a syllable worth correcting: a word's length, and not in the index."""
    if not syllable.isalpha() or len(syllable) > MAX_LENGTH or len(syllable) < 3:
        return False
    key = syllable_key(syllable)
    return not (reader.doc_frequency("syl", key) or (not has_diacritics(key) and reader.doc_frequency("fold", key)))


def _correct(syllable: str, reader) -> str | None:
    """A known folded syllable one or two edits away, or ``None`` (one look-up)."""
    key = syllable_key(syllable)
    folded = fold(key)
    distance = 2 if len(folded) >= 5 and folded.isascii() and not has_diacritics(key) else 1
    candidates = reader.corrector("fold").suggest(folded, limit=5, maxdist=distance, prefix=PREFIX)
    if not candidates:
        return None
    return max(candidates, key=lambda c: reader.doc_frequency("fold", c))
