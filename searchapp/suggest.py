"""'Did you mean': accents for unaccented queries, fixes for misspelled syllables.

The index knows which accented form of a folded word is frequent: "bien dong"
is far more often "biển đông" than anything else, so that is suggested.
"""

from __future__ import annotations

from searchapp.querylang import ParsedQuery
from searchapp.text import fold, has_diacritics, syllables

# A suggestion must be this much more frequent than what was typed.
DOMINANCE = 3
MIN_DF = 1


class Suggester:
    """Built once per index generation from the term lists of the reader.

    Each call takes the calling thread's reader: a Whoosh reader must not be
    shared between threads.
    """

    def __init__(self, reader) -> None:
        self.syllables = _best_forms(reader, "syl", separator=None)
        self.words = _best_forms(reader, "words", separator="_")

    def suggest(self, query: str, parsed: ParsedQuery, reader) -> str | None:
        """A better query string, or ``None`` when the query looks right."""
        sylls = syllables(parsed.positive_text())
        if not sylls:
            return None
        if has_diacritics(query):
            fixed = [self._respell(s, reader) for s in sylls]
        else:
            fixed = self._accent(sylls, reader)
        suggestion = " ".join(fixed)
        return suggestion if suggestion != " ".join(sylls) else None

    def _accent(self, sylls: list[str], reader) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(sylls):
            for size in (3, 2):
                key = "_".join(fold(s) for s in sylls[i : i + size])
                best = self.words.get(key) if i + size <= len(sylls) else None
                if best and best[1] >= MIN_DF:
                    out.extend(best[0].split("_"))
                    i += size
                    break
            else:
                out.append(self._accent_one(sylls[i], reader))
                i += 1
        return out

    def _accent_one(self, syll: str, reader) -> str:
        best = self.syllables.get(fold(syll))
        if not best or best[0] == syll:
            return syll
        typed_df = reader.doc_frequency("syl", syll)
        return best[0] if best[1] >= max(MIN_DF, DOMINANCE * typed_df) else syll

    def _respell(self, syll: str, reader) -> str:
        if reader.doc_frequency("syl", syll) > 0 or not syll.isalpha():
            return syll
        candidates = reader.corrector("syl").suggest(syll, limit=5, maxdist=1)
        best = max(candidates, key=lambda c: reader.doc_frequency("syl", c), default=None)
        return best or syll


def _best_forms(reader, field: str, separator: str | None) -> dict[str, tuple[str, int]]:
    """Folded form → (most frequent original form, its document frequency)."""
    best: dict[str, tuple[str, int]] = {}
    if field not in reader.schema:
        return best
    for term, info in reader.iter_field(field):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        df = info.doc_frequency()
        key = fold(text)
        current = best.get(key)
        if current is None or df > current[1]:
            best[key] = (text, df)
    return best
