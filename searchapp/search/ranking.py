"""From a parsed query to a scored Whoosh query.

The rules, each measured on the judged sets (see BENCHMARKS.md):

* a query typed with diacritics matches exact syllables (``syl``); a query typed
  without any is sent to the folded field (``fold``) alone, at full weight;
* in a query that mixes both, an unaccented syllable is read as folded unless
  its bare form is itself the common reading ("an ninh", "ASEAN");
* pyvi's compound words of the query add a bonus in the ``words`` field, so a
  document holding "Biển Đông" as a unit beats one with "biển" and "đông" apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.analysis import LowercaseFilter

from searchapp.analysis.tokenizers import SyllableTokenizer, VietnameseTokenizer
from searchapp.config import RankingConfig
from searchapp.search.interpret import Concept, Form
from searchapp.search.querylang import Clause, ParsedQuery
from searchapp.search.synonyms import find_synonyms
from searchapp.text import fold, has_diacritics, syllables

_LOWER = LowercaseFilter()
# A typed name is expanded to another name of the same thing only when the
# other name is this many times more frequent in the index.
RARE_FACTOR = 10


@dataclass
class MatchTerms:
    """What to mark in snippets: each concept's forms, numbered by concept.

    A syllable is marked only as part of a concept that matched.
    """

    forms: list[tuple[Form, int]] = field(default_factory=list)


def match_terms(concepts: list[Concept]) -> MatchTerms:
    """The marks of an interpretation's concepts."""
    return MatchTerms(forms=[(form, i) for i, c in enumerate(concepts) for form in c.forms])


def form_query(form: Form) -> wq.Query:
    """Consecutive syllables: one syllable term, one pair term, or, for longer
    forms, every pair (a cheap filter) and the syllables as a phrase.

    Folded (accent-insensitive) forms, asked for only when the text is
    searched exactly as typed, are phrases of folded syllables.
    """
    words = list(form.words)
    syllable_field = "fold" if form.folded else "syl"
    if len(words) == 1:
        return wq.Term(syllable_field, words[0])
    if form.folded:
        return wq.Phrase(syllable_field, words)
    pairs = [wq.Term("pair", f"{a} {b}") for a, b in zip(words, words[1:], strict=False)]
    if len(pairs) == 1:
        return pairs[0]
    return wq.And([*dict.fromkeys(pairs), wq.Phrase(syllable_field, words)])


def concept_query(concept: Concept) -> wq.Query:
    """Any of the concept's forms."""
    queries = list(dict.fromkeys(form_query(f) for f in concept.forms))
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def matching_query(queries: list[wq.Query]) -> wq.Query | None:
    """Every concept required, given each concept's :func:`concept_query`."""
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else wq.And(queries)


@dataclass
class BuiltQuery:
    """The scoring query. Which articles match is the concepts' business
    (:func:`matching_query`); this only orders them."""

    query: wq.Query | None
    # One entry per query concept: its alternatives, each a set of
    # (field, term) pairs that must all match. Used for coverage scoring.
    concepts: list[list[frozenset[tuple[str, str]]]] = field(default_factory=list)

    def coverage(self, matched: set[tuple[str, str]]) -> float:
        """Share of the query's concepts a document matches (1.0 when trivial)."""
        if len(self.concepts) < 2:
            return 1.0
        hit = sum(1 for alts in self.concepts if any(alt <= matched for alt in alts))
        return hit / len(self.concepts)


class QueryBuilder:
    """Turns a :class:`ParsedQuery` into Whoosh queries for one index reader."""

    def __init__(self, reader, ranking: RankingConfig) -> None:
        self.reader = reader
        self.ranking = ranking

    def build(self, parsed: ParsedQuery) -> BuiltQuery:
        accented = has_diacritics(parsed.positive_text())
        items = [self._item(alts, accented) for alts in parsed.items]
        # A concept typed twice weighs once, as it is required once
        # (interpret's concepts are distinct too); each repeat cost a full
        # evaluation among the ranked candidates.
        items = list(dict.fromkeys(q for q in items if q is not None))
        concepts = [[_leaf_terms(q) for q in _alternatives(item)] for item in items]
        positive = None
        if items:
            synonyms = self._synonyms(parsed, concepts)
            bonus = self._compound_bonus(parsed, accented) + self._proximity(parsed, accented)
            positive = wq.Or(items + synonyms + bonus)
        return BuiltQuery(positive, concepts)

    def _synonyms(self, parsed: ParsedQuery, concepts) -> list[wq.Query]:
        """Other names of what the query names ("WTO" → "Tổ chức Thương mại Thế giới").

        A document using the other name covers the same query concepts.
        """
        weight = self.ranking.synonym_weight
        if weight <= 0:
            return []
        sylls: list[str] = []
        owner: list[int] = []
        for index, alts in enumerate(parsed.items):
            if len(alts) == 1 and not alts[0].phrase:
                for syll in syllables(alts[0].text):
                    sylls.append(syll)
                    owner.append(index)
        extra: list[wq.Query] = []
        for start, end, names in find_synonyms(sylls):
            # Only when the typed name is the rare form ("Japan" in Vietnamese
            # news): expanding a common name ("Mỹ") only adds noise, as the
            # topical set showed.
            typed = self._name_frequency(sylls[start:end])
            rare = [n for n in names if typed * RARE_FACTOR < self._name_frequency(syllables(n))]
            queries = [self._name_query(name, weight) for name in rare]
            queries = [q for q in queries if q is not None]
            if not queries:
                continue
            extra.extend(queries)
            for index in set(owner[start:end]):
                if index < len(concepts):
                    concepts[index].extend(_leaf_terms(q) for q in queries)
        return extra

    def _name_frequency(self, sylls: list[str]) -> int:
        """Upper bound of a name's document frequency: its rarest syllable's."""
        if not sylls:
            return 0
        if any(has_diacritics(s) for s in sylls):
            return min(self.reader.doc_frequency("syl", s) for s in sylls)
        return min(self.reader.doc_frequency("fold", fold(s)) for s in sylls)

    def _name_query(self, name: str, weight: float) -> wq.Query | None:
        sylls = syllables(name)
        if not sylls:
            return None
        if has_diacritics(name):
            field_name, words = "syl", sylls
        else:
            words = [fold(s) for s in sylls]
            field_name = "fold"
        if len(words) == 1:
            return wq.Term(field_name, words[0], boost=weight)
        return wq.Phrase(field_name, words, boost=weight)

    def _item(self, alts: list[Clause], accented: bool) -> wq.Query | None:
        parts = [self._clause(c, accented) for c in alts]
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def _clause(self, clause: Clause, accented: bool) -> wq.Query | None:
        sylls = syllables(clause.text)
        if not sylls:
            return None
        if clause.phrase or len(sylls) > 1:
            return self._phrase(sylls, accented)
        return self._syllable(sylls[0], accented)

    def _phrase(self, sylls: list[str], accented: bool) -> wq.Query:
        """A quoted phrase, or one typed word of several syllables ("12/6",
        "AMM-56"): its parts must stand together, not be scattered."""
        if accented and all(self._exact_reading(s) for s in sylls):
            return wq.Phrase("syl", sylls, boost=self.ranking.exact_weight)
        folded = [fold(s) for s in sylls]
        return wq.Phrase("fold", folded, boost=self.ranking.fold_weight)

    def _syllable(self, syll: str, accented: bool) -> wq.Query:
        weights = self.ranking
        if not accented:
            return wq.Term("fold", fold(syll), boost=weights.fold_weight)
        if has_diacritics(syll) or self._exact_reading(syll):
            return wq.Term("syl", syll, boost=weights.exact_weight)
        # Typed bare in an accented query: most likely a missed accent.
        return wq.Term("fold", syll, boost=weights.fold_weight)

    def _exact_reading(self, syll: str) -> bool:
        """True when the bare syllable is the usual reading of its folded form."""
        if has_diacritics(syll):
            return True
        exact = self.reader.doc_frequency("syl", syll)
        folded = self.reader.doc_frequency("fold", fold(syll))
        return folded == 0 or exact >= 0.5 * folded

    def _compound_bonus(self, parsed: ParsedQuery, accented: bool) -> list[wq.Query]:
        """Bonus terms for the query's multi-syllable words.

        Accented queries are segmented by pyvi like the text. Unaccented ones
        cannot be (pyvi needs the accents), so every run of two or three
        adjacent syllables is looked up among the folded words of the text;
        runs that are not words simply match nothing.
        """
        weight = self.ranking.words_weight
        if weight <= 0:
            return []
        text = " ".join(c.text for alts in parsed.items for c in alts if not c.phrase)
        if accented:
            words = {t.text for t in _LOWER(VietnameseTokenizer(compounds_only=True)(text))}
            return [wq.Term("words", w, boost=weight) for w in sorted(words)]
        if self.ranking.fold_words_weight <= 0:
            return []
        sylls = [fold(s) for s in syllables(text)]
        runs = {"_".join(sylls[i : i + n]) for n in (2, 3) for i in range(len(sylls) - n + 1)}
        boost = self.ranking.fold_words_weight
        return [wq.Term("wfold", r, boost=boost) for r in sorted(runs) if self.reader.doc_frequency("wfold", r)]

    def _proximity(self, parsed: ParsedQuery, accented: bool) -> list[wq.Query]:
        """Bonus for adjacent query syllables found near each other in the text."""
        weight = self.ranking.proximity_weight
        if weight <= 0:
            return []
        text = " ".join(c.text for alts in parsed.items for c in alts if not c.phrase)
        sylls = [t.text for t in _LOWER(SyllableTokenizer()(text))]
        field_name = "syl" if accented else "fold"
        if not accented:
            sylls = [fold(s) for s in sylls]
        slop = self.ranking.proximity_slop
        pairs = {(a, b) for a, b in zip(sylls, sylls[1:], strict=False) if a != b}
        return [wq.Phrase(field_name, [a, b], slop=slop, boost=weight) for a, b in sorted(pairs)]


def _alternatives(query: wq.Query) -> list[wq.Query]:
    return list(query.subqueries) if isinstance(query, wq.Or) else [query]


def _leaf_terms(query: wq.Query) -> frozenset[tuple[str, str]]:
    return frozenset((name, str(text)) for name, text in query.iter_all_terms())
