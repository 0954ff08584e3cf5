"""Query interpretation: what the user means, as concepts that must all match.

One place turns the query box text into what is searched, for the page, the
JSON API, the command line, feeds and exports:

1. syllables typed without marks are restored to their most likely accented
   reading (:mod:`searchapp.search.accents`), unless the user asked for the text
   exactly as typed;
2. the query is split into **concepts**: quoted phrases, known names
   (:mod:`searchapp.search.names`), pyvi words that the index holds, and the
   remaining syllables;
3. a concept matches only as consecutive syllables, never by one of its
   syllables alone; its alternatives (``OR``, other names of the same thing)
   are other ways to match it.

Every concept is required: the result set is the articles that hold all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from searchapp.analysis.segmentation import dictionary_words, segment
from searchapp.search.accents import Restorer
from searchapp.search.names import (
    alternatives,
    is_country_name,
    longest_name_at,
    name_table,
    office_at,
    office_country_names,
)
from searchapp.search.querylang import Clause, ParsedQuery, parse_query
from searchapp.text import SYLLABLE_RE, fold, has_diacritics, syllable_key, syllable_keys

# Capitalised syllables that pyvi joins are one name unless they stand
# together in less than this share of the articles of the rarer one.
COHESION = 0.05
# Syllables restored per query, at most.
MAX_RESTORED = 64


@dataclass(frozen=True)
class Form:
    """One way a concept appears in the text: consecutive syllables.

    ``words`` are syllable keys ("biển", "đông"), or folded syllables when
    ``folded`` (accent-insensitive).
    """

    words: tuple[str, ...]
    folded: bool = False


@dataclass
class Concept:
    """One thing the user asked for, with the ways it can appear."""

    label: str
    forms: tuple[Form, ...]


@dataclass
class Interpretation:
    """The query as searched."""

    # The typed text as the parser reads it (NFC, cut, quotes made plain).
    typed: str
    # The query text as searched: the typed text with restored syllables.
    text: str
    parsed: ParsedQuery
    concepts: list[Concept] = field(default_factory=list)
    excluded: list[Concept] = field(default_factory=list)
    # Searched as typed, accent-insensitive (no restoration).
    exact: bool = False
    # The restored reading this replaces, when that found nothing.
    fallback_from: str | None = None

    @property
    def changed(self) -> bool:
        """True when the searched text differs from the typed one."""
        return self.text != self.typed

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.concepts]


def interpret(query: str, reader, restorer: Restorer | None, exact: bool = False, docs_of=None) -> Interpretation:
    """Interpret ``query`` against one index reader.

    :param restorer: the generation's accent restorer; ``None`` restores nothing.
    :param exact: search the syllables as typed; those without marks match any marks.
    """
    typed = parse_query(query)
    text = typed.text if exact or restorer is None else _restored_text(typed, reader, restorer, docs_of)
    parsed = parse_query(text) if text != typed.text else typed
    builder = _ConceptBuilder(reader, exact)
    concepts = builder.concepts(parsed.items)
    excluded = [builder.phrase(c) for c in parsed.excluded]
    return Interpretation(
        typed=typed.text,
        text=text,
        parsed=parsed,
        concepts=_distinct(concepts),
        excluded=_distinct(excluded),
        exact=exact,
    )


def _distinct(concepts: list[Concept | None]) -> list[Concept]:
    """The concepts, each asked once: a concept typed twice ("Nga … nga", a
    pasted paragraph) requires nothing more and should weigh no more, and
    each repetition cost a full share of scoring and marking."""
    seen: set[frozenset[Form]] = set()
    out = []
    for concept in concepts:
        if concept is None or frozenset(concept.forms) in seen:
            continue
        seen.add(frozenset(concept.forms))
        out.append(concept)
    return out


# --------------------------------------------------------------------------
# Restoring the typed text
# --------------------------------------------------------------------------


def _restored_text(parsed: ParsedQuery, reader, restorer: Restorer, docs_of=None) -> str:
    """The typed text with every unmarked syllable of a clause restored in place."""
    text = parsed.text
    positive = sorted((c for alts in parsed.items for c in alts), key=lambda c: c.span)
    groups = [positive] + [[c] for c in parsed.excluded]
    replacements: list[tuple[int, int, str]] = []
    for clauses in groups:
        # Bounded: a pasted wall of syllables is searched, not read syllable by syllable.
        matches = [m for c in clauses for m in SYLLABLE_RE.finditer(text, *c.span)][:MAX_RESTORED]
        if not matches or not any(_restorable(m.group()) for m in matches):
            continue
        typed = [m.group() for m in matches]
        keys = restorer.restore(typed, reader, docs_of)
        shown = restorer.display(keys, typed, reader)
        for match, form in zip(matches, shown, strict=True):
            if form != match.group():
                replacements.append((match.start(), match.end(), form))
    out, pos = [], 0
    for start, end, form in sorted(replacements):
        out.append(text[pos:start])
        out.append(form)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _restorable(syllable: str) -> bool:
    return syllable.isalpha() and not has_diacritics(syllable)


# --------------------------------------------------------------------------
# Concepts
# --------------------------------------------------------------------------


class _ConceptBuilder:
    def __init__(self, reader, exact: bool) -> None:
        self.reader = reader
        self.exact = exact

    def concepts(self, items: list[list[Clause]]) -> list[Concept | None]:
        out: list[Concept | None] = []
        run: list[Clause] = []
        for alts in items:
            clause = alts[0]
            if len(alts) == 1 and not clause.phrase and len(SYLLABLE_RE.findall(clause.text)) == 1:
                run.append(clause)
                continue
            out.extend(self._run(run))
            run = []
            if len(alts) == 1:
                out.append(self.phrase(clause))
            else:
                out.append(self._either(alts))
        out.extend(self._run(run))
        return out

    def phrase(self, clause: Clause) -> Concept | None:
        """A quoted phrase or a typed word of several syllables ("AMM-56", "3/8")."""
        sylls = [m.group() for m in SYLLABLE_RE.finditer(clause.text)]
        if not sylls:
            return None
        return self._concept(sylls)

    def _either(self, alts: list[Clause]) -> Concept | None:
        parts = [p for p in (self.phrase(c) for c in alts) if p is not None]
        if not parts:
            return None
        forms = tuple(dict.fromkeys(f for p in parts for f in p.forms))
        return Concept(" OR ".join(p.label for p in parts), forms)

    def _run(self, clauses: list[Clause]) -> list[Concept]:
        """Concepts of syllables typed one after another: names, words, syllables."""
        if not clauses:
            return []
        # One syllable each, without what surrounds it ("22%" is the syllable "22").
        sylls = [_syllable_of(c.text) for c in clauses]
        keys = [syllable_key(s) for s in sylls]
        folded = [fold(k) for k in keys]
        plain = self.exact and not all(has_diacritics(s) for s in sylls)
        pieces: list[tuple[int, int]] = []
        i = 0
        words = self._word_ends(sylls)
        while i < len(sylls):
            size = longest_name_at(folded if plain else keys, i, folded=plain)
            if not size:
                size = self._word_at(words, sylls, keys, i)
            pieces.append((i, i + size))
            i += size
        out = []
        for a, split, b in _join_offices(pieces, folded if plain else keys, plain):
            if split is None:
                out.append(self._concept(sylls[a:b]))
            else:
                out.append(self._office_concept(sylls, a, split, b))
        return out

    def _office_concept(self, sylls: list[str], start: int, split: int, end: int) -> Concept:
        """An office and the partner it belongs to, each with its other names
        ("Ngoại trưởng Mỹ" is also "Bộ trưởng Ngoại giao Hoa Kỳ")."""
        office, partner = self._concept(sylls[start:split]), self._concept(sylls[split:end])
        country = list(partner.forms)
        for name in office_country_names(tuple(syllable_key(s) for s in sylls[split:end])):
            other = [m.group() for m in SYLLABLE_RE.finditer(name)]
            country.append(self._form(other, syllable_keys(name)))
        forms = (_joined(o, p) for o in office.forms for p in country)
        return Concept(" ".join(sylls[start:end]), tuple(dict.fromkeys(forms)))

    def _word_ends(self, sylls: list[str]) -> dict[int, int]:
        """pyvi's words over the typed syllables: first syllable index → end index."""
        text = " ".join(sylls)
        starts = {}
        offset = 0
        for i, s in enumerate(sylls):
            starts[offset] = i
            offset += len(s) + 1
        ends = {}
        for start, end in segment(text):
            first = starts.get(start)
            if first is None:
                continue
            count = len(SYLLABLE_RE.findall(text, start, end))
            if count > 1:
                ends[first] = first + count
        return ends

    def _word_at(self, words: dict[int, int], sylls: list[str], keys: list[str], i: int) -> int:
        """Syllables of the pyvi word at ``i`` when the index holds it as a unit, else 1."""
        end = words.get(i)
        if end is None:
            return 1
        form = self._form(sylls[i:end], keys[i:end])
        if not self._occurs(form):
            return 1
        if all(s[:1].isupper() for s in sylls[i:end]) and self._side_by_side(form):
            return 1  # names side by side ("Nga Ukraine", "Putin Trump"), not one name
        return end - i

    def _side_by_side(self, form: Form) -> bool:
        """True when capitalised syllables that pyvi joined are separate names:
        each is a known name of its own ("Nga Ukraine"), or they seldom stand
        together compared with the rarer one ("Putin Trump"). A word of
        pyvi's dictionary is always one."""
        pairs, triples = dictionary_words()
        if " ".join(form.words) in pairs or " ".join(form.words) in triples:
            return False
        if all((w,) in name_table() for w in form.words):
            return True
        if form.folded:
            return False  # no pair statistics of folded syllables: trust pyvi
        try:
            rarest = min(self.reader.doc_frequency("syl", w) for w in form.words)
            neighbours = zip(form.words, form.words[1:], strict=False)
            together = min(self.reader.doc_frequency("pair", f"{a} {b}") for a, b in neighbours)
        except (KeyError, ValueError):
            return False
        return together < COHESION * rarest

    def _occurs(self, form: Form) -> bool:
        """True when every pair of the form is in the index (folded forms: always)."""
        if form.folded:
            return True
        pairs = [f"{a} {b}" for a, b in zip(form.words, form.words[1:], strict=False)]
        try:
            return all(self.reader.doc_frequency("pair", p) > 0 for p in pairs)
        except (KeyError, ValueError):
            return False

    def _form(self, sylls: list[str], keys: list[str]) -> Form:
        if self.exact and not all(has_diacritics(s) for s in sylls if s.isalpha()):
            return Form(tuple(fold(k) for k in keys), folded=True)
        return Form(tuple(keys))

    def _concept(self, sylls: list[str]) -> Concept:
        """The syllables as one concept, with the other names of what they name."""
        keys = [syllable_key(s) for s in sylls]
        forms = [self._form(sylls, keys)]
        for name in alternatives(tuple(keys)):
            other = [m.group() for m in SYLLABLE_RE.finditer(name)]
            forms.append(self._form(other, syllable_keys(name)))
        return Concept(" ".join(sylls), tuple(dict.fromkeys(forms)))


def _join_offices(pieces: list[tuple[int, int]], keys: list[str], folded: bool) -> list[tuple[int, int | None, int]]:
    """Pieces as (start, split, end): an office followed by a partner's name
    becomes one piece split between the two; other pieces have no split."""
    ends = {end: n for n, (_, end) in enumerate(pieces)}
    out: list[tuple[int, int | None, int]] = []
    n = 0
    while n < len(pieces):
        start, end = pieces[n]
        size = office_at(keys, start, folded)
        last = ends.get(start + size) if size else None  # the office ends where a piece ends
        if last is not None and last + 1 < len(pieces):
            split, stop = pieces[last + 1]
            if is_country_name(tuple(keys[split:stop]), folded):
                out.append((start, split, stop))
                n = last + 2
                continue
        out.append((start, None, end))
        n += 1
    return out


def _joined(first: Form, second: Form) -> Form:
    if first.folded == second.folded:
        return Form(first.words + second.words, first.folded)
    return Form(tuple(fold(w) for w in first.words + second.words), folded=True)


def _syllable_of(text: str) -> str:
    """The syllable of a clause of a run (the parser makes one of each syllable)."""
    match = SYLLABLE_RE.search(text)
    assert match is not None, text
    return match.group()
