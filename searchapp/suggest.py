"""'Did you mean': fixes for syllables the index has never seen.

Accents are not a matter for this module: a query typed without them is
already searched in its restored reading (:mod:`searchapp.restore`). What is
left is spelling: "Bien Dongg" → "Biển Đông", "ASEN" → "ASEAN". An unknown
syllable is corrected among the folded syllables of the index (one edit, two
for longer Latin-script names), the whole query is then read again with its
accents restored, and names keep their capitals. The caller proposes the
result only when it finds articles.
"""

from __future__ import annotations

from searchapp.interpret import Interpretation
from searchapp.restore import Restorer, case_like
from searchapp.text import SYLLABLE_RE, fold, has_diacritics, syllable_key

# Unknown syllables corrected per query, at most: each correction scans the term list.
MAX_CORRECTIONS = 3
# Longest syllable worth correcting (longer runs are codes, links or noise).
MAX_LENGTH = 20


def suggest(interp: Interpretation, reader, restorer: Restorer) -> str | None:
    """A corrected query text, or ``None`` when every syllable is known.

    Takes the calling thread's reader: a Whoosh reader must not be shared
    between threads.
    """
    text = interp.text
    matches = [m for m in SYLLABLE_RE.finditer(text)][:64]
    fixes: dict[int, str] = {}
    for m in matches:
        if len(fixes) >= MAX_CORRECTIONS:
            break
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


def _correct(syllable: str, reader) -> str | None:
    """A known folded syllable one or two edits away, or ``None``."""
    key = syllable_key(syllable)
    if not syllable.isalpha() or len(syllable) > MAX_LENGTH or len(syllable) < 3:
        return None
    if reader.doc_frequency("syl", key) or (not has_diacritics(key) and reader.doc_frequency("fold", key)):
        return None
    folded = fold(key)
    distance = 2 if len(folded) >= 5 and folded.isascii() and not has_diacritics(key) else 1
    candidates = reader.corrector("fold").suggest(folded, limit=5, maxdist=distance)
    if not candidates:
        return None
    return max(candidates, key=lambda c: reader.doc_frequency("fold", c))
