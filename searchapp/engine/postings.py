"""Query evaluation over whole posting lists, with numpy.

Whoosh evaluates a query one posting at a time in Python. The queries of
:class:`QueryBuilder` only hold Term, Phrase and Or nodes, so they are
evaluated here with numpy over whole posting lists instead, with the same
BM25F arithmetic as Whoosh's scorer (same operations in the same order, so
the same scores). Positions (phrases, proximity) are only read for the
documents that hold every word; proximity bonuses, which never add a
document, are only checked for the candidates that could still reach the
top of the ranking.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from itertools import chain
from typing import Any

import numpy as np
from whoosh import query as wq

from searchapp.engine.whoosh import codec

# Posting lists kept per generation, counted in postings.
POSTINGS_CACHE = 4_000_000
# A posting list at least this many times longer than the documents it is
# wanted at is read only where they are (see Engine.postings_among).
_PARTIAL_SHARE = 4
_MISSING = object()
# A phrase needing the positions of more than one posting in this many
# decodes all of the term's positions at once, and keeps them.
_DECODE_ALL_SHARE = 8


class _Postings:
    """One term's postings over the whole index: global docnums, BM25F scores."""

    __slots__ = ("docs", "scores", "blob", "ends", "flat", "starts", "decode", "field", "text", "size")

    def __init__(self, docs, scores, values: list[bytes] | None, decode, field: str, text: str) -> None:
        self.docs = docs
        self.scores = scores
        # Encoded positions, one bytes object per posting, joined (a cached
        # posting costs its bytes plus 8 instead of a Python object each) until
        # a phrase first needs them; then decoded once, for every posting, into
        # one flat array of positions.
        self.blob = b"".join(values) if values is not None else b""
        self.ends: Any = np.cumsum([len(v) for v in values], dtype=np.int64) if values is not None else None
        self.flat: Any = None
        self.starts: Any = None
        self.decode = decode
        self.field = field
        self.text = text
        self.size = len(docs)

    def among(self, within) -> _Postings:
        """These postings at the documents ``within`` (sorted docnums) only."""
        inside = np.isin(self.docs, within, assume_unique=True)
        if inside.all():
            return self
        return _Part(self, np.flatnonzero(inside))

    def _decoded(self) -> None:
        if self.flat is None:
            self.flat, self.starts = codec.flat_positions(self.blob, self.ends, self.decode)
            self.blob, self.ends = b"", None

    def _value(self, index: int) -> bytes:
        start = int(self.ends[index - 1]) if index else 0
        return self.blob[start : int(self.ends[index])]

    def positions(self, index: int) -> list[int]:
        if self.flat is None:  # one posting: not worth decoding them all
            return self.decode(self._value(index))
        return self.flat[self.starts[index] : self.starts[index + 1]].tolist()

    def positions_at(self, indexes):
        """The positions of the postings at ``indexes``, flat, and which of ``indexes`` each belongs to.

        A few postings are decoded one by one; for many, every posting of the
        term is decoded at once and kept.
        """
        if self.flat is None and len(indexes) * _DECODE_ALL_SHARE < self.size:
            lists = [self.decode(self._value(i)) for i in indexes.tolist()]
            counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
            return flat, np.repeat(np.arange(len(indexes)), counts)
        self._decoded()
        starts = self.starts[indexes]
        counts = self.starts[indexes + 1] - starts
        owner = np.repeat(np.arange(len(indexes)), counts)
        first = np.cumsum(counts) - counts
        at = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first - starts, counts)
        return self.flat[at], owner


class _Part(_Postings):
    """Some of a term's postings; their positions are read from the whole list."""

    __slots__ = ("whole", "index")

    def __init__(self, whole: _Postings, index) -> None:
        super().__init__(whole.docs[index], whole.scores[index], None, whole.decode, whole.field, whole.text)
        self.whole = whole
        self.index = index

    def positions(self, index: int) -> list[int]:
        return self.whole.positions(int(self.index[index]))

    def positions_at(self, indexes):
        return self.whole.positions_at(self.index[indexes])


EMPTY_DOCS = np.zeros(0, dtype=np.int64)
EMPTY_SCORES = np.zeros(0, dtype=np.float64)


class _Scored:
    """Documents (sorted docnums) with their scores."""

    __slots__ = ("docs", "scores")

    def __init__(self, docs, scores) -> None:
        self.docs = docs
        self.scores = scores


class Engine:
    """Per-generation posting and length arrays, shared by threads."""

    def __init__(self, reader, weighting) -> None:
        self.size = reader.doc_count_all()
        self.schema = reader.schema
        self.live = np.ones(self.size, dtype=bool)
        for leaf, offset in reader.leaf_readers():
            if leaf.has_deletions():
                self.live[[offset + d for d in codec.deleted_docs(leaf)]] = False
        self.has_deletions = not bool(self.live.all())
        self.B = weighting.B
        self.K1 = weighting.K1
        self.field_B = codec.bm25_field_b(weighting)
        self._lengths: dict[str, Any] = {}
        self._cache: OrderedDict = OrderedDict()
        self._cached_count = 0
        self._lock = threading.Lock()

    # -- per-field and per-term arrays

    def lengths(self, searcher, field: str):
        """Field lengths of every document, read once (under the lock: the
        reader's files are read through its own position)."""
        found = self._lengths.get(field)
        if found is not None:
            return found
        with self._lock:
            return self._read_lengths(searcher, field)

    def _read_lengths(self, searcher, field: str):
        found = self._lengths.get(field)
        if found is None:
            found = np.ones(self.size, dtype=np.int64)  # Whoosh's default length: 1
            for leaf, offset in searcher.reader().leaf_readers():
                lengths = codec.field_lengths(leaf, field)
                if lengths is not None:
                    found[offset : offset + len(lengths)] = lengths
            self._lengths[field] = found
        return found

    def _cached(self, key):
        with self._lock:
            found = self._cache.get(key, _MISSING)
            if found is not _MISSING:
                self._cache.move_to_end(key)
            return found

    def postings(self, searcher, field: str, text: str) -> _Postings | None:
        key = (field, text)
        found = self._cached(key)
        if found is not _MISSING:
            return found
        found = self._read(searcher, field, text)
        with self._lock:
            self._cache[key] = found
            self._cached_count += found.size if found else 1
            while self._cached_count > POSTINGS_CACHE and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_count -= old.size if old else 1
        return found

    def count(self, searcher, field: str, text: str) -> int:
        """How many live articles hold the term, without reading its postings where it can."""
        found = self._cached((field, text))
        if found is not _MISSING:
            return found.size if found else 0
        if self.has_deletions:  # the term statistics count deleted articles too
            found = self.postings(searcher, field, text)
            return found.size if found else 0
        btext = self._term_bytes(field, text)
        return searcher.reader().doc_frequency(field, btext) if btext is not None else 0

    def postings_among(self, searcher, field: str, text: str, within) -> _Postings | None:
        """The term's postings at the documents ``within`` (sorted docnums) only.

        A long posting list wanted at a few documents is read a block at a time
        and only the blocks that can hold one of them are decoded; it is not
        kept. Otherwise the whole list is read (and kept) and cut.
        """
        found = self._cached((field, text))
        if found is _MISSING and len(within) * _PARTIAL_SHARE < self.count(searcher, field, text):
            return self._read(searcher, field, text, within)
        if found is _MISSING:
            found = self.postings(searcher, field, text)
        return found.among(within) if found is not None else None

    def _term_bytes(self, field: str, text: str) -> bytes | None:
        if field not in self.schema:
            return None
        try:
            return self.schema[field].to_bytes(text)
        except ValueError:
            return None

    def _read(self, searcher, field: str, text: str, within=None) -> _Postings | None:
        btext = self._term_bytes(field, text)
        if btext is None:
            return None
        fieldobj = self.schema[field]
        reader = searcher.reader()
        if (field, btext) not in reader:
            return None
        positional = fieldobj.format.supports("positions")
        id_parts, weight_parts, values = [], [], []
        # The calling thread's own reader: a reader's files keep one read
        # position, so two threads reading through one reader corrupt each other.
        for leaf, offset in reader.leaf_readers():
            if (field, btext) not in leaf:
                continue
            wanted = None
            if within is not None:
                lo, hi = np.searchsorted(within, [offset, offset + leaf.doc_count_all()])
                if lo == hi:
                    continue
                wanted = within[lo:hi] - offset
            for ids, tf, vals in codec.posting_blocks(leaf, field, btext, positional, wanted):
                id_parts.append(ids + offset)
                weight_parts.append(tf)
                if vals is not None:
                    values.extend(vals)
        docs = np.concatenate(id_parts) if id_parts else EMPTY_DOCS
        tf = np.concatenate(weight_parts) if weight_parts else EMPTY_SCORES
        keep = None
        if self.has_deletions and len(docs):
            keep = self.live[docs]
        if within is not None and len(docs):
            inside = np.isin(docs, within, assume_unique=True)
            keep = inside if keep is None else keep & inside
        if keep is not None and not keep.all():
            docs, tf = docs[keep], tf[keep]
            values = [v for v, k in zip(values, keep.tolist(), strict=True) if k] if positional else values
        # BM25F exactly as whoosh.scoring.bm25, from the top-level statistics.
        idf = searcher.idf(field, btext)
        avgfl = searcher.avg_field_length(field) or 1
        B = self.field_B.get(field, self.B)
        K1 = self.K1
        fl = self.lengths(searcher, field)[docs]
        scores = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        decode = codec.position_decoder(fieldobj.format) if positional else None
        return _Postings(docs, scores, values if positional else None, decode, field, text)


def _tree_sum(parts: list):
    """Sum like Whoosh's binary tree of intersection matchers (halves, left first)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _phrase_at(lists: list[list[int]], slop: int) -> bool:
    """Whoosh's SpanNear2 (ordered, mindist 1) on one document's positions."""
    if slop == 1:
        found = set(lists[0])
        for shift, positions in enumerate(lists[1:], start=1):
            found &= {p - shift for p in positions}
            if not found:
                return False
        return bool(found)
    if len(lists) == 2:
        b = lists[1]
        for a in lists[0]:
            j = bisect_left(b, a + 1)
            if j < len(b) and b[j] - a <= slop:
                return True
        return False
    aspans = [(p, p) for p in lists[0]]
    for positions in lists[1:]:
        if not aspans:
            return False
        bspans = [(p, p) for p in positions]
        starts = [s for s, _ in bspans]
        spans = set()
        for a_start, a_end in aspans:
            j = bisect_left(starts, a_start)
            while j < len(bspans):
                b_start, b_end = bspans[j]
                j += 1
                if b_end < a_start - slop or a_start > b_start:
                    continue
                if b_start > a_end + slop:
                    break
                if (b_start <= a_start <= b_end) or (b_start <= a_end <= b_end):
                    dist = 0
                elif a_end < b_start:
                    dist = b_start - a_end
                else:
                    dist = a_start - b_end
                if 1 <= dist <= slop:
                    spans.add((min(a_start, b_start), max(a_end, b_end)))
        aspans = sorted(spans)
    return bool(aspans)


class Evaluation:
    """One query evaluated against one generation."""

    def __init__(self, engine: Engine, searcher) -> None:
        self.engine = engine
        self.searcher = searcher
        # The matching set and the ranking share the query's clauses: each is
        # evaluated (a phrase verified) once per search. Keyed by identity; the
        # query is kept so its id stays its own.
        self._done: dict[int, tuple[Any, _Scored]] = {}
        # Phrases verified everywhere, by what they ask for rather than by
        # identity: a query naming one thing many times verifies it once.
        self._phrases: dict[tuple[str, tuple[str, ...], int], _Scored] = {}
        # Restricted evaluations, by query (whoosh queries compare by value)
        # and the identity of the array they are restricted to, kept alive here.
        self._restricted: dict[tuple[Any, int], tuple[Any, _Scored]] = {}
        # Terms read for a part of the index only: (field, text) -> (where, postings).
        self._partial: dict[tuple[str, str], tuple[Any, _Postings | None]] = {}
        # Phrases with slop whose proximity top() checked: query id -> (query, docnum -> verified).
        self.proximity: dict[int, tuple[Any, dict[int, bool]]] = {}

    def term(self, field: str, text: str) -> _Postings | None:
        return self.engine.postings(self.searcher, field, text)

    def docs_of(self, field: str, text: str):
        """Sorted docnums of the articles holding a term (empty when none)."""
        p = self.term(field, text)
        return p.docs if p is not None else EMPTY_DOCS

    def evaluate(self, query) -> _Scored:
        """Every matching document with its score (phrases checked exactly)."""
        done = self._done.get(id(query))
        if done is None:
            done = self._done[id(query)] = (query, self._evaluate(query))
        return done[1]

    def among(self, query, docs) -> _Scored:
        """``query`` evaluated where only ``docs`` (sorted) matter: a phrase's
        positions are read for those documents alone."""
        return self._within(query, docs)

    def _within(self, query, within) -> _Scored:
        """``query``'s matches, only those among ``within`` (sorted; ``None``: everywhere).

        Not cached unless ``within`` is ``None``: the point is to do less work
        than the whole evaluation, and the result is only valid for ``within``.
        """
        if within is None:
            return self.evaluate(query)
        done = self._done.get(id(query))
        if done is not None:
            return _restrict(done[1], within)
        key = (query, id(within))
        found = self._restricted.get(key)
        if found is None:
            found = self._restricted[key] = (within, self._within_once(query, within))
        return found[1]

    def _within_once(self, query, within) -> _Scored:
        if isinstance(query, wq.Phrase):
            return self._phrase(query, within)
        if isinstance(query, wq.And):
            return self._and(query, within)
        if isinstance(query, wq.Or):
            result = _union([self._within(q, within) for q in query.subqueries])
            if query.boost != 1.0:
                result.scores = result.scores * query.boost
            return result
        if isinstance(query, wq.Term):
            return self._term_among(query, within)
        return _restrict(self.evaluate(query), within)

    def _term_among(self, query, within) -> _Scored:
        p = self._postings_among(query.fieldname, query.text, within)
        if p is None:
            return _Scored(EMPTY_DOCS, EMPTY_SCORES)
        return _Scored(p.docs, p.scores * query.boost if query.boost != 1.0 else p.scores)

    def _evaluate(self, query) -> _Scored:
        if isinstance(query, wq.Term):
            p = self.term(query.fieldname, query.text)
            if p is None:
                return _Scored(EMPTY_DOCS, EMPTY_SCORES)
            return _Scored(p.docs, p.scores * query.boost if query.boost != 1.0 else p.scores)
        if isinstance(query, wq.Phrase):
            return self._phrase(query)
        if isinstance(query, wq.And):
            return self._and(query)
        if isinstance(query, wq.Or):
            subs = [self.evaluate(q) for q in query.subqueries]
            result = _union(subs)
            if query.boost != 1.0:
                result.scores = result.scores * query.boost
            return result
        raise TypeError(type(query).__name__)

    def _and(self, query, within=None) -> _Scored:
        """Every subquery, cheapest first, each of the others only where all before it matched.

        Terms are whole posting lists; then the alternatives of a concept
        (``Or``, nested ``And``) and phrases are evaluated only among the
        documents still in the running. A query of many concepts thus costs
        about what its rarest concepts cost, not the sum of all.
        """
        # Rarest first by the whole posting list (as before any restriction),
        # so that scores add up in the same order wherever they are evaluated.
        terms = sorted(
            (q for q in query.subqueries if isinstance(q, wq.Term)),
            key=lambda q: self.engine.count(self.searcher, q.fieldname, q.text),
        )
        # Each later term is read only where the rarer ones all matched.
        subs = []
        current = within
        for q in terms:
            found = self._within(q, current)
            subs.append(found)
            current = found.docs
        current = _intersection(subs).docs if subs else within
        later = [q for q in query.subqueries if not isinstance(q, (wq.Term, wq.Phrase))]
        later += [q for q in query.subqueries if isinstance(q, wq.Phrase)]
        # Before any position is read, keep only the documents that hold every
        # word of every concept: a phrase is then verified where all the other
        # concepts could still match, not wherever its own words occur.
        if current is None and later:
            current = np.flatnonzero(self.engine.live)
        for q in later:
            if current is None or not len(current):
                break
            current = self._still_holding(q, current)
        seen: dict[Any, _Scored] = {}
        for q in later:
            if current is not None and not len(current):
                subs.append(_Scored(EMPTY_DOCS, EMPTY_SCORES))
                break
            if q in seen:
                # The same concept asked again ("a" "a" "a" ...): it narrows nothing,
                # and its scores count again as they would have.
                subs.append(seen[q])
                continue
            found = seen[q] = self._within(q, current)
            subs.append(found)
            current = found.docs if current is None else np.intersect1d(current, found.docs, assume_unique=True)
        result = _intersection(subs)
        if query.boost != 1.0:
            result.scores = result.scores * query.boost
        return result

    def _still_holding(self, query, docs):
        """Those of ``docs`` (sorted) that hold every word ``query`` needs.

        Each posting list is probed at the few documents still in the running
        rather than merged whole; an alternative (``Or``) keeps what any of
        its parts keeps, and a query of another kind keeps everything.
        """
        if isinstance(query, wq.Term):
            return self._holding(query.fieldname, query.text, docs)
        if isinstance(query, wq.Phrase):
            for word in query.words:
                docs = self._holding(query.fieldname, word, docs)
            return docs
        if isinstance(query, wq.And):
            for q in query.subqueries:
                docs = self._still_holding(q, docs)
            return docs
        if isinstance(query, wq.Or):
            kept = [self._still_holding(q, docs) for q in query.subqueries]
            return np.unique(np.concatenate(kept)) if kept else docs
        return docs

    def _holding(self, field: str, text: str, docs):
        """Those of ``docs`` (sorted) that hold the term."""
        if not len(docs):
            return docs
        p = self._postings_among(field, text, docs)
        return p.docs if p is not None else docs[:0]

    def _postings_among(self, field: str, text: str, within) -> _Postings | None:
        """A term's postings among ``within``, read once per search where it can:
        the matching set, and then the ranking of a part of it, read the same terms."""
        held = self._partial.get((field, text))
        if held is not None and _covers(held[0], within):
            return held[1].among(within) if held[1] is not None else None
        found = self.engine.postings_among(self.searcher, field, text, within)
        self._partial[(field, text)] = (within, found)
        return found

    def _phrase(self, query, within=None) -> _Scored:
        """A phrase, its positions checked exactly; only among ``within`` when given."""
        key = (query.fieldname, tuple(query.words), query.slop)
        done = self._phrases.get(key)
        if done is None and within is None:
            done = self._phrases[key] = self._verified_phrase(query, None)
        if done is not None:
            found = done if within is None else _restrict(done, within)
            return _Scored(found.docs, found.scores * query.boost) if query.boost != 1.0 else found
        found = self._verified_phrase(query, within)
        return _Scored(found.docs, found.scores * query.boost) if query.boost != 1.0 else found

    def _verified_phrase(self, query, within) -> _Scored:
        """The phrase's documents (among ``within``) with their scores, boost not applied."""
        docs, parts, plist = self._phrase_candidates(query, within)
        if not len(docs):
            return _Scored(EMPTY_DOCS, EMPTY_SCORES)
        keep = self._verify(plist, docs, query.slop)
        docs = docs[keep]
        return _Scored(docs, _tree_sum([s[keep] for s in parts]))

    def _phrase_candidates(self, query, within=None):
        """Docs (among ``within`` when given) holding every word of a phrase, each word's scores there, postings."""
        if within is None:
            plist = [self.term(query.fieldname, w) for w in query.words]
        else:
            plist = [self._postings_among(query.fieldname, w, within) for w in query.words]
        if not plist or any(p is None for p in plist):
            return EMPTY_DOCS, [], []
        docs = plist[0].docs
        for p in plist[1:]:
            docs = np.intersect1d(docs, p.docs, assume_unique=True)
        parts = [p.scores[np.searchsorted(p.docs, docs)] for p in plist]
        return docs, parts, plist

    def _verify(self, plist: list[_Postings], docs, slop: int):
        """Boolean mask: which of ``docs`` have the words within ``slop``, in order."""
        if len(plist) == 1:
            return np.ones(len(docs), dtype=bool)
        where = [np.searchsorted(p.docs, docs) for p in plist]
        if slop == 1:
            return _consecutive(plist, where, len(docs))
        out = np.zeros(len(docs), dtype=bool)
        lists = [w.tolist() for w in where]
        for i in range(len(docs)):
            out[i] = _phrase_at([p.positions(w[i]) for p, w in zip(plist, lists, strict=True)], slop)
        return out

    def top(self, query, allowed, keep, k: int) -> list[tuple[int, float]]:
        """The ``k`` best of ``allowed`` for ``query``, as Whoosh's top collector ranks them.

        Proximity bonuses (phrases with slop) are first counted as if they matched
        wherever both words occur, then checked on the candidates that reach the
        top, until the top is made only of checked documents.
        """
        subs = list(query.subqueries) if isinstance(query, wq.Or) else [query]
        base = np.zeros(len(allowed), dtype=np.float64)
        lazy = []
        for q in subs:
            if isinstance(q, wq.Phrase) and q.slop > 1 and len(q.words) > 1:
                lazy.append(q)
            else:
                base += _lookup(self.among(q, allowed), allowed)[0]
        exact = base
        if lazy:
            upper = base.copy()
            exact = base.copy()
            pending = np.zeros(len(allowed), dtype=bool)
            checks: list[tuple[Any, ...]] = []
            for q in lazy:
                docs, parts, plist = self._phrase_candidates(q, allowed)
                inside = keep[docs] if len(docs) else np.zeros(0, dtype=bool)
                docs = docs[inside]
                bonus = _tree_sum([p[inside] for p in parts]) if len(docs) else EMPTY_SCORES
                if q.boost != 1.0:
                    bonus = bonus * q.boost
                where = np.searchsorted(allowed, docs)
                full = np.zeros(len(allowed), dtype=np.float64)
                full[where] = bonus
                upper += full
                pending[where] = True
                checks.append((q, where, bonus, plist, {}))
            while True:
                current = np.where(pending, upper, exact)
                best = _top(allowed, current, k)
                todo = best[pending[best]]
                if not len(todo):
                    break
                for q, where, bonus, plist, verified in checks:
                    pos = np.searchsorted(where, todo)
                    pos[pos >= len(where)] = 0
                    hit = where[pos] == todo if len(where) else np.zeros(len(todo), dtype=bool)
                    for i, j in zip(todo[hit].tolist(), pos[hit].tolist(), strict=True):
                        doc = int(allowed[i])
                        lists = [p.positions(int(np.searchsorted(p.docs, doc))) for p in plist]
                        verified[doc] = _phrase_at(lists, q.slop)
                        if verified[doc]:
                            exact[i] += bonus[j]
                pending[todo] = False
            self.proximity = {id(q): (q, verified) for q, _, _, _, verified in checks}
            best = _top(allowed, exact, k)
        else:
            best = _top(allowed, exact, k)
        if isinstance(query, wq.Or) and query.boost != 1.0:
            exact = exact * query.boost
        return [(int(allowed[i]), float(exact[i])) for i in best]

    def matched_terms(self, query, docs: list[int]) -> list[set[tuple[str, str]]]:
        """Per document, the (field, text) of the query's term matchers matching it
        (what Whoosh's ``terms=True`` records: a phrase's words only where it matches)."""
        out: list[set[tuple[str, str]]] = [set() for _ in docs]
        array = np.asarray(docs, dtype=np.int64)
        proximity = self.proximity

        def walk(q) -> None:
            if isinstance(q, wq.Or):
                for sub in q.subqueries:
                    walk(sub)
                return
            if isinstance(q, wq.Phrase) and id(q) in proximity:
                verified = proximity[id(q)][1]
                hits = [bool(verified.get(d)) for d in docs]
            else:
                hits = _lookup(self.among(q, np.unique(array)), array)[1].tolist()
            terms = [(q.fieldname, q.text)] if isinstance(q, wq.Term) else [(q.fieldname, w) for w in q.words]
            for terms_of_doc, hit in zip(out, hits, strict=True):
                if hit:
                    terms_of_doc.update(terms)

        walk(query)
        return out


def _consecutive(plist: list[_Postings], where: list, count: int):
    """Which of ``count`` documents hold the words at consecutive positions.

    ``where[i]`` indexes the postings of word ``i`` at each document. A
    document matches when some position ``p`` of the first word has word
    ``i`` at ``p + i`` for every ``i``: the set test of :func:`_phrase_at`,
    on every document at once, as (document, start) keys.
    """
    keys = None
    for shift, (p, at) in enumerate(zip(plist, where, strict=True)):
        positions, owner = p.positions_at(at)
        start = positions.astype(np.int64) - shift
        ok = start >= 0
        found = (owner[ok].astype(np.int64) << 32) | start[ok]
        keys = found if keys is None else np.intersect1d(keys, found, assume_unique=True)
        if not len(keys):
            break
    out = np.zeros(count, dtype=bool)
    if keys is not None and len(keys):
        out[np.unique(keys >> 32)] = True
    return out


def _covers(held, within) -> bool:
    """Whether the sorted docnums ``held`` include every one of ``within``."""
    if held is within:
        return True
    return len(within) <= len(held) and bool(np.isin(within, held, assume_unique=True).all())


def _intersection(subs: list[_Scored]) -> _Scored:
    """Documents in every one of ``subs`` (rarest first), scores summed."""
    docs = subs[0].docs
    for s in subs[1:]:
        if not len(docs):
            break
        docs = np.intersect1d(docs, s.docs, assume_unique=True)
    scores = np.zeros(len(docs), dtype=np.float64)
    for s in subs:
        if len(docs):
            scores += s.scores[np.searchsorted(s.docs, docs)]
    return _Scored(docs, scores)


def _restrict(result: _Scored, within) -> _Scored:
    """The part of ``result`` among ``within`` (sorted docnums)."""
    if not len(result.docs) or not len(within):
        return _Scored(EMPTY_DOCS, EMPTY_SCORES)
    inside = np.isin(result.docs, within, assume_unique=True)
    return _Scored(result.docs[inside], result.scores[inside])


def _union(subs: list[_Scored]) -> _Scored:
    subs = [s for s in subs if len(s.docs)]
    if not subs:
        return _Scored(EMPTY_DOCS, EMPTY_SCORES)
    if len(subs) == 1:
        return _Scored(subs[0].docs, subs[0].scores)
    docs = np.unique(np.concatenate([s.docs for s in subs]))
    scores = np.zeros(len(docs), dtype=np.float64)
    for s in subs:
        scores[np.searchsorted(docs, s.docs)] += s.scores
    return _Scored(docs, scores)


def _lookup(result: _Scored, docs):
    """Scores of ``result`` at ``docs`` (0 where it does not match), and the match mask."""
    if not len(result.docs):
        return np.zeros(len(docs), dtype=np.float64), np.zeros(len(docs), dtype=bool)
    pos = np.searchsorted(result.docs, docs)
    pos[pos >= len(result.docs)] = 0
    hit = result.docs[pos] == docs
    return np.where(hit, result.scores[pos], 0.0), hit


def _top(docs, scores, k: int):
    """Indices of the ``k`` best (score descending, docnum ascending)."""
    if len(docs) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        sel = np.flatnonzero(scores >= scores[part].min())
    else:
        sel = np.arange(len(docs))
    return sel[np.lexsort((docs[sel], -scores[sel]))][:k]
