"""Nothing crashes: hostile query text and parameters, from the parser to the JSON API.

Property tests (hypothesis) over the query parser, the three analyzers, the
searcher and ``/api/search``, plus fixed nasty examples. No timing assertions:
the work per query is bounded by caps, and the tests check the caps hold
(the budget tests at the end bound time too, generously, as a safety net).
"""

from __future__ import annotations

import math
import time
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from searchapp.analysis.tokenizers import fold_analyzer, syllable_analyzer, word_analyzer
from searchapp.engine import postings as evaluation
from searchapp.errors import QueryError
from searchapp.search import accents as restore
from searchapp.search import nearmisses
from searchapp.search import searcher as search_module
from searchapp.search import spelling as suggest
from searchapp.search.querylang import FIELD_ALIASES, MAX_ALTERNATIVES, MAX_ITEMS, MAX_QUERY_CHARS, parse_query
from searchapp.search.searcher import Searcher
from searchapp.text import SYLLABLE_RE, fold, syllable_key
from searchapp.web import exports

FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

NASTY = [
    "",
    " ",
    "*",
    "?",
    "**",
    "*ng",
    "?ien",
    "a*",
    "biển*",
    '"',
    '"""',
    '"Biển Đông',
    'Biển Đông"',
    "(((",
    ")))",
    "(Biển OR Đông",
    "-",
    "--",
    '-"',
    '-""',
    "OR",
    "OR OR OR",
    "a OR",
    "OR a",
    "-OR",
    "AND NOT",
    ":",
    "::::",
    "partner:",
    'partner:""',
    "partner:-",
    "foo:bar",
    "Foo:Bar:Baz",
    "year:abcd",
    "year:0",
    "nam:99999",
    "year:２０２１",
    "topic:" + "x" * 300,
    "source:" + '"' * 3,
    "\\",
    "\x00",
    "\x00\x01\x02",
    "<script>alert(1)</script>",
    "%00%ff",
    "'; DROP TABLE x; --",
    "\u0301" * 500,
    "\u200b\u200d\ufeff",
    "\U0001f600 \U0001f1fb\U0001f1f3",
    "مرحبا بالعالم",
    "\ud7ff\ue000\uffff",
    "x" * 10_000,
    " ".join(f"t{i}" for i in range(5_000)),
    " ".join(f"từ{i}" for i in range(5_000)),
    "x OR " * 3_000,
    "-x " * 3_000,
    "partner:JP " * 1_000,
    '"' + "biển " * 500 + '"',
    '"a" ' * 2_000,
    "Biển Đông " * 1_000,
]

# Query-like text: words, operators and field prefixes mixed with arbitrary Unicode.
_pieces = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ['"', "(", ")", "-", "*", "?", ":", " OR ", " ", "\n", "\t", "“", "”", "„"]
        + [f"{name}:" for name in FIELD_ALIASES]
        + ["Biển", "Đông", "bien", "dong", "Nhật Bản", "JP", "2021", "Lào", "lao", "_"]
    ),
)
query_text = st.one_of(st.text(max_size=200), st.lists(_pieces, max_size=40).map("".join))


# -- the parser -------------------------------------------------------------------------------


def _check_parsed(text: str) -> None:
    parsed = parse_query(text)
    assert len(parsed.items) <= MAX_ITEMS
    assert len(parsed.excluded) <= MAX_ITEMS
    clauses = [c for alts in parsed.items for c in alts] + parsed.excluded
    values = [v for vals in parsed.filters.values() for v in vals]
    # Every clause and filter value takes at least one character and a separator of the capped text.
    assert len(clauses) + len(values) <= MAX_QUERY_CHARS // 2 + 1
    assert all(alts for alts in parsed.items)
    for clause in clauses:
        assert clause.text == clause.text.strip() and SYLLABLE_RE.search(clause.text)
        assert len(clause.text) <= MAX_QUERY_CHARS + 1
        assert unicodedata.is_normalized("NFC", clause.text)
    assert set(parsed.filters) <= {"partner", "mentioned", "topic", "source", "year"}


@settings(max_examples=400, deadline=None)
@given(text=query_text)
def test_parser_never_raises_and_respects_its_caps(text):
    _check_parsed(text)


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_parser_on_nasty_queries(text):
    _check_parsed(text)


def test_parser_caps_the_work_of_huge_queries():
    many = parse_query(" ".join(f"t{i}" for i in range(5_000)))
    assert len(many.items) == MAX_ITEMS
    assert [alts[0].text for alts in many.items] == [f"t{i}" for i in range(MAX_ITEMS)]
    long = parse_query("x" * 10_000)
    assert len(long.items) == 1 and len(long.items[0]) == 1
    assert len(long.items[0][0].text) == MAX_QUERY_CHARS
    assert len(parse_query(" ".join(f"-x{i}" for i in range(3_000))).excluded) == MAX_ITEMS
    assert len(parse_query("-x " * 3_000).excluded) == 1  # the same exclusion once
    alternatives = parse_query("x OR " * 3_000).items
    assert len(alternatives) == 1 and len(alternatives[0]) <= MAX_QUERY_CHARS // len("x OR ") + 1
    assert len(parse_query("partner:JP " * 1_000).filters["partner"]) <= MAX_QUERY_CHARS // len("partner:JP ") + 1


# -- the analyzers ------------------------------------------------------------------------------


def _tokens(analyzer, text):
    return [(t.text, t.startchar, t.endchar, t.pos) for t in analyzer(text, positions=True, chars=True)]


def _check_syllables(text: str) -> None:
    text = unicodedata.normalize("NFC", text)
    exact = _tokens(syllable_analyzer(), text)
    folded = _tokens(fold_analyzer(), text)
    assert len(exact) == len(folded)
    previous_end = 0
    for i, ((word, start, end, pos), (fword, fstart, fend, fpos)) in enumerate(zip(exact, folded, strict=True)):
        assert 0 <= previous_end <= start < end <= len(text)
        assert (start, end, pos) == (fstart, fend, fpos) and pos == i
        assert word == syllable_key(text[start:end])
        assert fword == fold(text[start:end].lower())
        previous_end = end


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.lists(_pieces, max_size=40).map("".join)))
@example(text="Bộ trưởng Ngoại_giao, 3/8 İstanbul ǅ ﬁ ß ΐ")
@example(text="\u0301a\u0301" * 50)
def test_syllable_offsets_are_inside_the_text_and_consistent(text):
    _check_syllables(text)


@settings(max_examples=60, deadline=None)
@given(text=st.one_of(st.text(max_size=120), st.lists(_pieces, max_size=25).map("".join)))
@example(text="Thủ tướng Nhật Bản thăm Việt Nam.\n\nBộ trưởng Ngoại giao hội đàm, 3/8/2024 -> ...")
@example(text="\n\n\n")
@example(text="a\u0301" * 30 + " " + "x" * 500)
def test_word_offsets_are_inside_the_text_and_consistent(text):
    text = unicodedata.normalize("NFC", text)
    previous_end = 0
    for word, start, end, _ in _tokens(word_analyzer(), text):
        assert 0 <= previous_end <= start < end <= len(text)
        assert word == "_".join(SYLLABLE_RE.findall(text[start:end])).lower()
        assert "_" in word  # compounds only: single syllables live in the syllable fields
        previous_end = end


def test_analyzers_on_non_nfc_text_index_the_nfc_form():
    nfd = unicodedata.normalize("NFD", "Biển Đông")
    assert [t for t, *_ in _tokens(syllable_analyzer(), nfd)] == ["biển", "đông"]
    assert [t for t, *_ in _tokens(fold_analyzer(), nfd)] == ["bien", "dong"]


# -- the searcher ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searcher(sample_config):
    return Searcher(sample_config)


def _check_result(result, per_page=None):
    # The page holds what is left of the list at its place, up to a page.
    assert result.entries <= result.total
    assert len(result.hits) == max(0, min(result.per_page, result.entries - (result.page - 1) * result.per_page))
    assert len(result.hits) <= result.per_page
    for hit in result.hits:
        assert hit.id and isinstance(hit.snippet, str)
        assert "<script" not in hit.snippet.lower()


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=query_text)
@example(text="year:abcd")
@example(text="nam:99999")
def test_search_text_never_raises(searcher, text):
    _check_result(searcher.search(text))


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_search_nasty_queries(searcher, text):
    _check_result(searcher.search(text))
    _check_result(searcher.search(text, sort="newest", page=2, per_page=3))


_param = st.one_of(
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["1", "0", "-1", "2", "1000", "1001", "10**9", "1e3", " 3 ", "٣", "99999999999999999999"]),
)
_date = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from(["2021-01-01", "2021-02-30", "2021-13-01", "0000-00-00", "20210101", "2021-W01", "９９９９-01-01"]),
)
_values = st.lists(
    st.one_of(st.text(max_size=30), st.sampled_from(["JP", "Nhật Bản", "bien-dong", "2021", ""])), max_size=4
)


@settings(max_examples=250, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    text=query_text,
    page=_param,
    per_page=_param,
    sort=st.one_of(st.sampled_from(["relevance", "newest", "oldest"]), st.text(max_size=10)),
    date_from=_date,
    date_to=_date,
    partners=_values,
    topics=_values,
    sources=_values,
    years=st.lists(st.one_of(_param, st.sampled_from(["2021", "1999"])), max_size=3),
)
@example(
    text="",
    page=math.inf,
    per_page=None,
    sort="relevance",
    date_from=None,
    date_to=None,
    partners=[],
    topics=[],
    sources=[],
    years=[],
)
@example(
    text="",
    page=1,
    per_page=10**9,
    sort="newest",
    date_from=None,
    date_to=None,
    partners=[],
    topics=[],
    sources=[],
    years=[math.inf],
)
def test_search_parameters_raise_only_query_error(
    searcher, text, page, per_page, sort, date_from, date_to, partners, topics, sources, years
):
    try:
        result = searcher.search(
            text,
            partners=partners,
            topics=topics,
            sources=sources,
            years=years,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            page=page,
            per_page=per_page,
        )
    except QueryError as exc:
        assert str(exc)
        return
    _check_result(result)


def test_huge_page_and_per_page_are_query_errors(searcher):
    for kwargs in ({"page": 10**9}, {"per_page": 10**9}, {"page": 0}, {"per_page": -1}, {"page": "1e3"}):
        with pytest.raises(QueryError):
            searcher.search("Biển Đông", **kwargs)
    # The deepest allowed page is answered, empty.
    deepest = searcher.search("", page=1000, per_page=searcher.config.max_per_page)
    assert deepest.hits == [] and deepest.total > 0


# -- the JSON API --------------------------------------------------------------------------------


def _check_api(response):
    assert response.status_code in (200, 400), (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json
    data = response.get_json()
    assert data["ok"] is (response.status_code == 200)
    if data["ok"]:
        assert len(data["query"]) <= MAX_QUERY_CHARS
        assert len(data["hits"]) <= data["per_page"]
    else:
        assert data["status"] == 400 and data["error"]
    return data


_api_value = st.one_of(st.text(max_size=30), _param.map(str), st.sampled_from(["", " ", "JP", "2021", "2021-01-01"]))


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    q=query_text,
    params=st.lists(
        st.tuples(
            st.sampled_from(["partner", "topic", "source", "year", "from", "to", "sort", "page", "per_page", "x"]),
            _api_value,
        ),
        max_size=6,
    ),
)
@example(q="year:abcd", params=[])
@example(q="", params=[("page", "99999999999999999999"), ("per_page", "1e9")])
def test_api_search_answers_200_or_400_with_json(client, q, params):
    data = _check_api(client.get("/api/search", query_string=[("q", q), *params]))
    if not params:
        assert data["ok"], data  # the query text alone is never an error


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_api_search_nasty_queries(client, text):
    data = _check_api(client.get("/api/search", query_string={"q": text}))
    assert data["ok"], data


def test_api_caps_the_query_it_searches(client):
    data = _check_api(client.get("/api/search", query_string={"q": "Biển " * 5_000}))
    assert data["ok"] and len(data["query"]) == MAX_QUERY_CHARS
    many = _check_api(client.get("/api/search", query_string=[("q", "x")] + [("partner", "JP")] * 500))
    assert not many["ok"] and "at most" in many["error"]
    for name in ("page", "per_page"):
        huge = _check_api(client.get("/api/search", query_string={"q": "x", name: "9" * 50}))
        assert not huge["ok"]


# -- budgets: what one request may cost -----------------------------------------------------
#
# Each test sends a query that took seconds (up to a minute on a large index)
# before its cap existed, checks that the answer is an ordinary one, and checks
# the cap itself through a counter. The time bounds are only safety nets.

SAFETY_SECONDS = 5.0
_LETTERS = "bcdghklmnpqrstvx"
_VOWELS = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"


def _unknown_syllables(count: int, accented: bool) -> str:
    """``count`` distinct syllables no article holds, each worth a spelling look-up."""
    vowels = _VOWELS if accented else "aeiouy"
    out = []
    for i in range(count):
        a, b, c = i % len(_LETTERS), (i // len(_LETTERS)) % len(vowels), i // (len(_LETTERS) * len(vowels))
        out.append(_LETTERS[a] + vowels[b] + "qz"[c % 2] + "w" * (1 + c // 2))
    return " ".join(out)


@pytest.fixture
def counted(monkeypatch):
    """``counted(module, name)`` wraps a function and returns the list of its calls' arguments."""

    def wrap(owner, name):
        calls = []
        real = getattr(owner, name)

        def spy(*args, **kwargs):
            calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)
        return calls

    return wrap


def _timed_api(client, query_string):
    started = time.monotonic()
    response = client.get("/api/search", query_string=query_string)
    took = time.monotonic() - started
    data = _check_api(response)
    assert data["ok"], data
    assert took < SAFETY_SECONDS, f"{took:.1f} s"
    return data


@pytest.mark.parametrize("accented", [True, False], ids=["accented", "plain"])
def test_a_wall_of_unknown_syllables_makes_few_spelling_look_ups(client, counted, accented):
    text = _unknown_syllables(500, accented)
    assert len(text) > 1000
    lookups = counted(suggest, "_correct")
    data = _timed_api(client, {"q": text})
    assert data["total"] == 0
    assert 0 < len(lookups) <= suggest.MAX_LOOKUPS


def test_restoration_reads_a_bounded_run_of_syllables(searcher, counted):
    paths = counted(restore, "_viterbi")
    started = time.monotonic()
    result = searcher.search(" ".join(["bien dong hop tac kinh te"] * 40))
    assert time.monotonic() - started < SAFETY_SECONDS
    assert paths and max(len(lattice) for lattice, *_ in paths) <= restore.MAX_SEQUENCE
    assert result.interpreted.startswith("Biển Đông hợp tác kinh tế")


def test_200_or_terms_keep_a_bounded_number_of_alternatives(client):
    words = ["ASEAN", "Nhật", "Lào", "Mỹ", "Pháp", "Nga", "Đức", "Úc", "Ấn", "Hàn"]
    text = " OR ".join(f"{words[i % len(words)]}{i}" for i in range(200))
    alternatives = parse_query(text).items
    assert len(alternatives) == 1 and len(alternatives[0]) == MAX_ALTERNATIVES
    data = _timed_api(client, {"q": text})
    assert len(data["concepts"]) == 1


def test_one_phrase_asked_300_times_is_verified_as_often_as_once(searcher, counted):
    once = counted(evaluation.Evaluation, "_verified_phrase")
    searcher.search('"quan hệ đối tác chiến lược"')
    single = len(once)
    once.clear()
    started = time.monotonic()
    result = searcher.search('"quan hệ đối tác chiến lược" ' * 300)
    assert time.monotonic() - started < SAFETY_SECONDS
    assert result.total > 0
    assert len(once) <= single


def test_300_distinct_phrases_are_a_normal_answer(client):
    text = " ".join(f'"Việt Nam {i}"' for i in range(300))
    data = _timed_api(client, {"q": text})
    assert len(data["concepts"]) <= MAX_ITEMS


@pytest.mark.parametrize(
    "text",
    ["*" * 1000, " ".join(["a*"] * 400), "?" * 999, " ".join(["*ng?"] * 200), "%" * 1000, "_" * 1000],
    ids=["stars", "prefixes", "questions", "patterns", "percents", "underscores"],
)
def test_wildcard_like_walls_are_plain_text(client, text):
    _timed_api(client, {"q": text})


def test_many_filters_in_the_box_and_the_url(client):
    typed = (f"partner:{c} topic:{c} year:{2000 + i}" for i, c in enumerate(["JP", "US", "CN"] * 30))
    text = "Biển Đông " + " ".join(typed)
    params = [("q", text)] + [("partner", p) for p in ["JP", "US", "CN", "KR", "FR"] * 4]
    params += [("topic", f"t{i}") for i in range(20)] + [("year", str(2000 + i)) for i in range(20)]
    _timed_api(client, params)


def test_past_the_time_budget_the_extras_are_skipped_and_named(client, monkeypatch):
    # A typo that finds nothing would get near misses and a did-you-mean.
    normal = _timed_api(client, {"q": "Biển Đông ASEN"})
    assert normal["skipped"] == []
    monkeypatch.setattr(search_module, "BUDGET_SECONDS", 0.0)
    late = _timed_api(client, {"q": "Biển Đông ASEN"})
    assert late["total"] == normal["total"] and late["hits"] == normal["hits"]
    assert late["skipped"] == (["partial"] if normal["total"] < normal["per_page"] else []) + ["suggestion"]
    assert late["partial"] == [] and late["suggestion"] is None


def test_near_misses_only_for_a_few_concepts(searcher, monkeypatch):
    query = "Biển Đông zzqqxx"
    assert searcher.search(query).partial
    monkeypatch.setattr(nearmisses, "NEAR_MISS_CONCEPTS", 1)
    assert searcher.search(query).partial == []


@pytest.mark.parametrize(
    "path, extra", [("/export", {"format": "csv"}), ("/export", {"format": "jsonl"}), ("/feed.atom", {})]
)
def test_exports_and_feeds_interpret_the_query_once_however_many_chunks(client, counted, monkeypatch, path, extra):
    monkeypatch.setattr(exports, "EXPORT_PAGE", 1)  # a chunk per row
    plans = counted(Searcher, "_plan")
    response = client.get(path, query_string={"q": "Việt Nam", **extra})
    body = response.get_data()
    assert response.status_code == 200 and body
    assert len(plans) == 1
