"""tantivy and bm25s on the very tokens our index holds, for a side-by-side.

The documents are read back from our built index (title, body, partners,
topics, date), the search text is rebuilt exactly as the indexer builds it,
and the pyvi compound words come from the index's segmentation cache, so all
three engines see the same syllables, folded syllables and compound words.
Queries are tokenized once, before timing (pyvi included): the peers' times
are pure engine time, while ours include query analysis.

* tantivy: fields ``syl``, ``fold``, ``words``, ``wfold`` holding the tokens
  as space-joined lowercase strings with the ``whitespace`` tokenizer (with
  positions, so quoted phrases are phrase queries); partner/topic/source as
  raw fast fields and the date as an integer fast field, so filters, sorting
  by date and facet counts (terms and year histogram aggregations) are the
  engine's own. Snippets come from tantivy's SnippetGenerator on the stored
  syllable text.
* bm25s: one token list per document (syllables, ``~``-prefixed folded
  syllables, compound words and folded compound words); filters are a weight
  mask; newest-first takes the matching documents' dates; no phrases, no
  snippets, no facets.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from searchapp.analysis.segmentation import compound_spans, word_tokens
from searchapp.corpus.articles import Article
from searchapp.index import store
from searchapp.index.pool import WorkerPool
from searchapp.index.schema import search_text
from searchapp.index.wordcache import WordCache
from searchapp.text import fold, has_diacritics, syllables

FOLD_MARK = "~"


@dataclass
class PeerDoc:
    id: str
    title: str
    syl: list[str]
    fold: list[str]
    words: list[str]
    wfold: list[str]
    partners: tuple[str, ...]
    topics: tuple[str, ...]
    source: str
    datenum: int


@dataclass
class PeerQuery:
    """A benchmark query, tokenized once for both peers."""

    accented: bool
    phrase: bool
    tokens: list[str]  # syllables (folded when the query has no diacritics)
    compounds: list[str]  # compound words, or folded syllable pairs
    partners: tuple[str, ...]
    topics: tuple[str, ...]
    date_from: int
    date_to: int
    newest: bool


def load_documents(config) -> tuple[list[PeerDoc], float]:
    """Documents of our index as peer documents; also the seconds spent preparing tokens."""
    from whoosh import index as whoosh_index

    started = time.perf_counter()
    folder = store.live_generation(config.index_path)
    ix = whoosh_index.open_dir(str(folder), indexname=store.INDEX_NAME, readonly=True)
    stored = []
    with ix.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            meta = fields.get("meta", {})
            article = Article(
                id=fields["id"],
                title=fields.get("title", ""),
                body=fields.get("body", ""),
                headline=meta.get("headline", True),
            )
            stored.append((article, meta))
    stored.sort(key=lambda item: item[0].id)
    texts = [search_text(a, config.ranking.title_repeat) for a, _ in stored]
    cache, pool = WordCache(config.index_path), WorkerPool(config.index_workers)
    try:
        spans = dict(cache.segment_all(texts, pool))
    finally:
        cache.close()
        pool.close()
    docs = []
    for (article, meta), text in zip(stored, texts, strict=True):
        syl = syllables(text)
        words = [w.lower() for w, _, _ in word_tokens(text, spans[text])]
        docs.append(
            PeerDoc(
                id=article.id,
                title=article.title,
                syl=syl,
                fold=[fold(s) for s in syl],
                words=words,
                wfold=[fold(w) for w in words],
                partners=tuple(meta.get("partners", ())),
                topics=tuple(meta.get("topics", ())),
                source=meta.get("source") or "",
                datenum=int((meta.get("date") or "0").replace("-", "")),
            )
        )
    return docs, time.perf_counter() - started


def _date(value: str | None) -> int:
    return int(value.replace("-", "")) if value else 0


def tokenize_query(query) -> PeerQuery:
    """Our query as the peers' tokens (pyvi runs here, outside the timing)."""
    text = query.q.strip()
    phrase = len(text) > 1 and text.startswith('"') and text.endswith('"')
    text = text.strip('"')
    accented = has_diacritics(text)
    tokens = syllables(text)
    if accented:
        compounds = [w.lower() for w, _, _ in word_tokens(text, compound_spans(text))]
    else:
        compounds = [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    return PeerQuery(
        accented=accented,
        phrase=phrase and len(tokens) > 1,
        tokens=tokens,
        compounds=compounds,
        partners=query.partners,
        topics=query.topics,
        date_from=_date(query.date_from),
        date_to=_date(query.date_to),
        newest=query.sort == "newest",
    )


# -- tantivy -------------------------------------------------------------------------


class TantivyPeer:
    name = "tantivy"

    def __init__(self, folder: Path) -> None:
        import tantivy

        self.t = tantivy
        self.folder = folder
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="raw", index_option="basic")
        builder.add_text_field("syl", stored=True, tokenizer_name="whitespace")
        builder.add_text_field("fold", tokenizer_name="whitespace")
        builder.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
        builder.add_text_field("wfold", tokenizer_name="whitespace", index_option="freq")
        for name in ("partner", "topic", "source"):
            builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
        builder.add_integer_field("datenum", indexed=True, fast=True)
        self.schema = builder.build()
        self.index = None
        self.searcher = None

    def build(self, docs: list[PeerDoc]) -> float:
        """Index the documents; returns the seconds taken (commit and merges included)."""
        t = self.t
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        started = time.perf_counter()
        self.index = t.Index(self.schema, path=str(self.folder))
        writer = self.index.writer(256_000_000, 0)
        for d in docs:
            writer.add_document(
                t.Document(
                    id=d.id,
                    title=d.title,
                    syl=" ".join(d.syl),
                    fold=" ".join(d.fold),
                    words=" ".join(d.words),
                    wfold=" ".join(d.wfold),
                    partner=list(d.partners),
                    topic=list(d.topics),
                    source=d.source,
                    datenum=d.datenum,
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        seconds = time.perf_counter() - started
        self.index.reload()
        self.searcher = self.index.searcher()
        return seconds

    def _text_query(self, q: PeerQuery):
        t, schema = self.t, self.schema
        syl_field, word_field = ("syl", "words") if q.accented else ("fold", "wfold")
        if not q.tokens:
            return None
        if q.phrase:
            return t.Query.phrase_query(schema, syl_field, q.tokens)
        parts = [(t.Occur.Should, t.Query.term_query(schema, syl_field, tok)) for tok in q.tokens]
        parts += [(t.Occur.Should, t.Query.term_query(schema, word_field, w)) for w in q.compounds]
        return t.Query.boolean_query(parts)

    def search(self, q: PeerQuery) -> int:
        t, schema, searcher = self.t, self.schema, self.searcher
        text = self._text_query(q)
        clauses = [(t.Occur.Must, text)] if text is not None else [(t.Occur.Must, t.Query.all_query())]
        clauses += [(t.Occur.Must, t.Query.term_query(schema, "partner", p)) for p in q.partners]
        clauses += [(t.Occur.Must, t.Query.term_query(schema, "topic", p)) for p in q.topics]
        if q.date_from or q.date_to:
            rng = t.Query.range_query(schema, "datenum", t.FieldType.Integer, q.date_from or 1, q.date_to or 99991231)
            clauses.append((t.Occur.Must, rng))
        query = clauses[0][1] if len(clauses) == 1 else t.Query.boolean_query(clauses)
        if q.newest:
            result = searcher.search(query, 10, order_by_field="datenum")
        else:
            result = searcher.search(query, 10)
        if text is not None:
            snippets = t.SnippetGenerator.create(searcher, text, schema, "syl")
            snippets.set_max_num_chars(240)
            for _, address in result.hits:
                snippets.snippet_from_doc(searcher.doc(address)).to_html()
        else:
            for _, address in result.hits:
                searcher.doc(address)
        searcher.aggregate(
            query,
            {
                "partner": {"terms": {"field": "partner", "size": 30}},
                "topic": {"terms": {"field": "topic", "size": 30}},
                "source": {"terms": {"field": "source", "size": 30}},
                "year": {"histogram": {"field": "datenum", "interval": 10000, "min_doc_count": 1}},
            },
        )
        return result.count

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


# -- bm25s ---------------------------------------------------------------------------


class Bm25sPeer:
    name = "bm25s"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.retriever = None

    def build(self, docs: list[PeerDoc]) -> float:
        import bm25s

        corpus = [d.syl + [FOLD_MARK + f for f in d.fold] + d.words + [FOLD_MARK + w for w in d.wfold] for d in docs]
        started = time.perf_counter()
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        seconds = time.perf_counter() - started
        self.dates = np.array([d.datenum for d in docs], dtype=np.int64)
        self.by_partner = _membership(docs, "partners")
        self.by_topic = _membership(docs, "topics")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.retriever.save(str(self.folder))
        return seconds

    def _mask(self, q: PeerQuery) -> np.ndarray | None:
        mask = None
        for wanted, table in ((q.partners, self.by_partner), (q.topics, self.by_topic)):
            for value in wanted:
                col = table.get(value, np.zeros(len(self.dates), dtype=bool))
                mask = col if mask is None else mask & col
        if q.date_from or q.date_to:
            col = (self.dates >= (q.date_from or 0)) & (self.dates <= (q.date_to or 99991231))
            mask = col if mask is None else mask & col
        return mask

    def search(self, q: PeerQuery) -> int:
        if q.accented:
            tokens = q.tokens + q.compounds
        else:
            tokens = [FOLD_MARK + t for t in q.tokens + q.compounds]
        mask = self._mask(q)
        weights = None if mask is None else mask.astype(np.float32)
        if q.newest or not tokens:
            if tokens:
                matching = self.retriever.get_scores(tokens, weight_mask=weights) > 0
            else:
                matching = mask if mask is not None else np.ones(len(self.dates), dtype=bool)
            _newest_ten(np.where(matching, self.dates, -1))
            return int(matching.sum())
        result = self.retriever.retrieve([tokens], k=10, show_progress=False, weight_mask=weights)
        return int((result.scores > 0).sum())

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def _newest_ten(dates: np.ndarray) -> np.ndarray:
    """Indices of the ten largest dates, newest first."""
    if len(dates) > 10:
        top = np.argpartition(-dates, 10)[:10]
    else:
        top = np.arange(len(dates))
    return top[np.argsort(-dates[top], kind="stable")]


def _membership(docs: list[PeerDoc], attr: str) -> dict[str, np.ndarray]:
    table: dict[str, np.ndarray] = {}
    for n, d in enumerate(docs):
        for value in getattr(d, attr):
            table.setdefault(value, np.zeros(len(docs), dtype=bool))[n] = True
    return table
