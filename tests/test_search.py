"""Searching: matching rules, ranking order, facets, filters, odd queries."""

from __future__ import annotations

import json

import pytest
from conftest import build_index

from searchapp.errors import QueryError
from searchapp.search.searcher import Searcher

ARTICLES = {
    "nhat": (
        "Thủ tướng Nhật Bản thăm Việt Nam",
        "Hai nước Nhật Bản và Việt Nam ký kết hiệp định.",
        ["JP"],
        "2021-03-01",
    ),
    "nhat-le": ("Lễ hội mùa xuân", "Nhật ký chuyến đi nhất định sẽ được xuất bản.", [], "2020-01-01"),
    "bien": ("Tình hình Biển Đông", "Các nước ASEAN bàn về Biển Đông và UNCLOS.", ["ASEAN"], "2019-05-05"),
    "lao": ("Quan hệ Việt Nam – Lào", "Lào và Việt Nam hợp tác giáo dục.", ["LA"], "2022-07-18"),
    "laodong": ("Thị trường lao động", "Lao động trong nước tăng việc làm.", [], "2023-02-02"),
    "hanoi": ("Hội nghị tại Hà Nội", "Hội nghị diễn ra tại Hà Nội với Hàn Quốc.", ["KR"], None),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    corpus = folder / "corpus"
    corpus.mkdir()
    for key, (title, body, partners, date) in ARTICLES.items():
        record = {"id": key, "title": title, "body": body, "partners": partners, "topics": [], "date": date}
        (corpus / f"{key}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return Searcher(build_index(folder, corpus))


def top(searcher, query, **kw):
    return [h.id for h in searcher.search(query, **kw).hits]


def test_single_syllable_finds_compound_words(tiny):
    assert "nhat" in top(tiny, "Nhật")


def test_typed_words_and_quoted_phrase_find_the_compound(tiny):
    assert top(tiny, "Nhật Bản")[0] == "nhat"
    assert top(tiny, '"Nhật Bản"') == ["nhat"]
    assert top(tiny, '"Hà Nội"') == ["hanoi"]


def test_unaccented_query_matches_folded_text(tiny):
    assert top(tiny, "bien dong")[0] == "bien"
    assert top(tiny, "ha noi")[0] == "hanoi"


def test_accented_query_does_not_match_other_accents(tiny):
    # "Lào" must not find "lao động"; unaccented "lao" is read one way, or
    # matches any accents when searched exactly as typed.
    assert top(tiny, "Lào") == ["lao"]
    assert len(top(tiny, "lao")) == 1
    assert set(top(tiny, "lao", exact=True)) == {"lao", "laodong"}


def test_mixed_accents_fold_only_the_bare_syllables(tiny):
    assert top(tiny, "Bien Đông")[0] == "bien"


def test_exclusion_or_and_field_filters(tiny):
    assert "hanoi" not in top(tiny, "hội nghị -Hàn")
    assert set(top(tiny, "Lào OR ASEAN")) == {"lao", "bien"}
    assert top(tiny, "Việt Nam partner:JP") == ["nhat"]
    assert top(tiny, "Việt Nam partner:Japan") == ["nhat"]


def test_snippets_mark_matches_with_escaped_text(tiny):
    hit = tiny.search("bien dong").hits[0]
    assert "<mark>Biển Đông</mark>" in hit.snippet


def test_facets_count_matching_articles_and_filters_narrow(tiny):
    result = tiny.search("Việt Nam")
    partners = {f.value: f.count for f in result.facets["partner"]}
    assert partners == {"JP": 1, "LA": 1}
    filtered = tiny.search("Việt Nam", partners=["LA"])
    assert [h.id for h in filtered.hits] == ["lao"]
    assert [f.value for f in filtered.facets["partner"] if f.selected] == ["LA"]
    years = {f.value: f.count for f in tiny.search("").facets["year"]}
    assert years == {"2019": 1, "2020": 1, "2021": 1, "2022": 1, "2023": 1, "undated": 1}


def test_date_range_and_sorting(tiny):
    assert top(tiny, "", date_from="2021-01-01", date_to="2022-12-31", sort="oldest") == ["nhat", "lao"]
    newest = top(tiny, "", sort="newest", per_page=10)
    assert newest[0] == "laodong" and newest[-1] == "hanoi"  # undated last
    assert top(tiny, "", sort="oldest", per_page=10)[-1] == "hanoi"


def test_pagination(tiny):
    first = tiny.search("", sort="newest", per_page=2, page=1)
    second = tiny.search("", sort="newest", per_page=2, page=2)
    assert first.total == 6 and first.pages == 3
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "((((",
        "*",
        "?",
        "-",
        "OR OR",
        "partner:",
        "foo:bar",
        ":::",
        "x" * 10_000,
        "a " * 3000,
        "\x00\ud7ff",
    ],
)
def test_odd_queries_never_raise(tiny, query):
    result = tiny.search(query)
    # Whatever the query was read as, the page, the count and the export agree.
    assert result.entries <= result.total == tiny.iter_hits(query).total
    assert len(result.hits) == min(result.per_page, result.entries)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"page": "x"},
        {"per_page": 1000},
        {"sort": "best"},
        {"date_from": "2021-13-01"},
        {"years": ["20x1"]},
    ],
)
def test_bad_parameters_raise_query_error(tiny, kwargs):
    with pytest.raises(QueryError):
        tiny.search("Việt Nam", **kwargs)


def test_unaccented_query_is_read_with_its_accents(tiny):
    result = tiny.search("bien dong")
    assert result.interpreted == "Biển Đông" and result.restored
    assert result.concepts == ["Biển Đông"]
    assert result.suggestion is None
    assert tiny.search("Biển Đông").restored is False


def test_misspelled_syllable_suggests_a_reading_that_finds_articles(tiny):
    result = tiny.search("Bien Dongg")
    assert result.total == 0
    assert result.suggestion == "Biển Đông"
    assert [(h.id, h.missing) for h in result.partial] == [("bien", ["Dongg"])]
    assert tiny.search("ASEN").suggestion == "ASEAN"
    assert tiny.search("zzqqxx").suggestion is None


def test_article_and_highlighted_article(tiny):
    assert tiny.article("nhat")["partners"] == ["JP"]
    assert tiny.article("missing") is None
    _, title_html, body_html = tiny.highlighted_article("bien", "bien dong")
    assert title_html == "Tình hình <mark>Biển Đông</mark>"


def test_sample_corpus_ranks_topical_article_first(sample_config):
    searcher = Searcher(sample_config)
    for query in ("Biển Đông", "bien dong"):
        hit = searcher.search(query).hits[0]
        assert "Biển Đông" in hit.title + hit.snippet


def test_dates_and_codes_in_queries_match_as_units(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = {
        "unit": ("Hội nghị AMM-56 khai mạc ngày 12/6", "Các bộ trưởng họp tại Jakarta."),
        "scattered": ("Báo cáo năm 56", "Có 12 nước và 6 tổ chức; AMM được nhắc lại nhiều lần: AMM AMM."),
    }
    for key, (title, body) in docs.items():
        (corpus / f"{key}.json").write_text(json.dumps({"id": key, "title": title, "body": body}), encoding="utf-8")
    searcher = Searcher(build_index(tmp_path, corpus))
    assert top(searcher, "12/6") == ["unit"]
    assert top(searcher, "AMM-56") == ["unit"]


def test_rare_alternative_names_search_the_usual_name(tiny):
    # "Japan" and "South China Sea" are rare in Vietnamese text: they also
    # search "Nhật Bản" and "Biển Đông" (data/synonyms.toml, gazetteer).
    assert top(tiny, "Japan")[0] == "nhat"
    assert top(tiny, "South China Sea")[0] == "bien"


def test_common_names_are_not_expanded(tiny):
    # "Lào" is frequent here: no expansion to "Laos" that would add noise.
    assert top(tiny, "Lào") == ["lao"]


STORY = (
    "Ngày 10/9, Việt Nam và Hoa Kỳ ra Tuyên bố chung về việc nâng cấp quan hệ lên Đối tác chiến lược toàn diện "
    "vì hòa bình, hợp tác và phát triển bền vững. Hai bên nhất trí tăng cường hợp tác kinh tế, thương mại, đầu tư, "
    "khoa học công nghệ, giáo dục, ứng phó biến đổi khí hậu và khắc phục hậu quả chiến tranh. Hai nhà lãnh đạo "
    "cũng trao đổi về các vấn đề quốc tế và khu vực cùng quan tâm, trong đó có tình hình Biển Đông."
)


def test_same_story_from_two_outlets_shows_once(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": "ttxvn", "title": "Việt Nam - Hoa Kỳ nâng cấp quan hệ", "body": STORY + " (TTXVN)", "partners": ["US"]},
        {
            "id": "nhandan",
            "title": "Nâng cấp quan hệ Việt Nam - Hoa Kỳ",
            "body": STORY + " Theo Nhân Dân.",
            "partners": ["US"],
        },
        {
            "id": "other",
            "title": "Hoa Kỳ và Việt Nam hợp tác giáo dục",
            "body": "Hai nước ký thỏa thuận về giáo dục đại học.",
            "partners": ["US"],
        },
    ]
    for record in records:
        (corpus / f"{record['id']}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    searcher = Searcher(build_index(tmp_path, corpus))
    result = searcher.search("Việt Nam Hoa Kỳ")
    ids = [h.id for h in result.hits]
    assert len(ids) == 2 and "other" in ids
    [grouped] = [h for h in result.hits if h.id != "other"]
    assert {grouped.id, *grouped.similar} == {"ttxvn", "nhandan"}
    assert result.total == 3
    assert {f.value: f.count for f in result.facets["partner"]} == {"US": 3}
    assert len(searcher.search("Việt Nam Hoa Kỳ", group=False).hits) == 3
    # The same groups, whole, for a report over the index.
    [members] = searcher.story_groups().values()
    assert sorted(members) == ["nhandan", "ttxvn"]


def test_snippet_marks_whole_concepts_never_lone_syllables():
    from searchapp.search.highlight import snippet
    from searchapp.search.interpret import Concept, Form
    from searchapp.search.ranking import match_terms

    text = "Hoạt động của tàu tại Biển Đông, đồng thời Trung Đông và biển. Đông"
    exact = match_terms([Concept("Biển Đông", (Form(("biển", "đông")),))])
    html = snippet(text, exact)
    assert html.count("<mark>") == 1 and "<mark>Biển Đông</mark>" in html
    folded = match_terms([Concept("bien dong", (Form(("bien", "dong"), folded=True),))])
    html = snippet(text, folded)
    assert "<mark>Biển Đông</mark>" in html
    assert "<mark>động</mark>" not in html and "<mark>đồng</mark>" not in html
    # A sentence break between the syllables: not the concept.
    assert "<mark>" not in snippet("ra biển. Đông", exact)


@pytest.mark.parametrize(
    "query",
    ["Biển Đông", "bien dong", '"Biển Đông" Nhật Bản', "quan hệ Việt Nam Nhật Bản", "Japan", "hợp tác -Trung"],
)
def test_vectorised_ranking_scores_like_whoosh(sample_config, query):
    """The numpy evaluation gives Whoosh's own result set, scores and order (unlimited search)."""
    searcher = Searcher(sample_config)
    result = searcher.search(query, per_page=5, group=False)
    gen, whoosh_searcher = searcher._live.open()
    plan = searcher._plan(gen, whoosh_searcher, query, exact=False)
    built = plan.built
    if built.query is None:
        return
    matching = set(plan.matching.docs(whoosh_searcher))
    if plan.excluded is not None:
        matching -= set(plan.excluded.docs(whoosh_searcher))
    assert result.total == len(matching)
    scores = {h.docnum: h.score for h in whoosh_searcher.search(built.query, limit=None) if h.docnum in matching}
    for hit in result.hits:
        docnum = whoosh_searcher.document_number(id=hit.id)
        if len(built.concepts) < 2:
            assert hit.score == round(scores[docnum], 4)
        else:
            assert hit.score <= round(scores[docnum], 4) + 1e-4


def test_concurrent_searches_get_the_single_thread_answers(tmp_path, monkeypatch):
    """Threads share one Searcher; each reads postings through its own reader.

    The articles are many and alike, so posting lists span several blocks; no
    posting cache and frequent thread switches make every search read them
    while others do, so a reader shared between threads would mix its reads.
    """
    import random
    import sys
    import threading

    from searchapp.engine import arrays

    monkeypatch.setattr(arrays, "POSTINGS_CACHE", 0)

    rng = random.Random(3)
    words = "hợp tác kinh tế Nhật Bản Hàn Quốc Biển Đông ASEAN đầu tư an ninh quốc phòng du lịch giáo dục".split()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [
        json.dumps(
            {"id": f"d{i}", "title": " ".join(rng.sample(words, 4)), "body": " ".join(rng.choices(words, k=60))},
            ensure_ascii=False,
        )
        for i in range(600)
    ]
    (corpus / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    config = build_index(tmp_path, corpus)
    queries = [
        "hợp tác kinh tế",
        "Nhat Ban dau tu",
        '"an ninh quốc phòng"',
        "Biển Đông ASEAN",
        "du lich",
        "giáo dục Hàn Quốc",
    ]
    expected = {q: _answer(Searcher(config), q) for q in queries}
    shared, errors, seen = Searcher(config), [], []

    def run(order: list[str]) -> None:
        try:
            for q in order * 3:
                seen.append((q, _answer(shared, q)))
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(rng.sample(queries, len(queries)),)) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert all(answer == expected[q] for q, answer in seen) and len(seen) == 8 * 3 * len(queries)


def _answer(searcher, query):
    result = searcher.search(query, per_page=10)
    return result.total, [(h.id, round(h.score, 6)) for h in result.hits], result.suggestion


def test_a_reading_that_finds_nothing_falls_back_to_the_text_as_typed(tiny, monkeypatch):
    from searchapp.search.accents import Restorer

    # A wrong reading, as restoration sometimes makes: nothing holds it.
    monkeypatch.setattr(Restorer, "restore", lambda self, typed, reader, docs_of=None: ["biến", "động"])
    result = tiny.search("bien dong")
    assert result.unmatched_reading == "biến động"
    assert result.exact and result.interpreted == "bien dong"
    assert [h.id for h in result.hits] == ["bien"]
    assert [h.id for h in tiny.iter_hits("bien dong")] == ["bien"], "exports follow the same reading"


# -- facets over the whole result set, several values, undated, notices ------------------

FACET_PARAMS = {
    "partner": "partners",
    "mentioned": "mentioned",
    "topic": "topics",
    "year": "years",
    "source": "sources",
}


@pytest.mark.parametrize("query", ["", "ASEAN", "bien dong"])
def test_facet_counts_equal_the_results_their_value_filters_to(sample_config, query):
    searcher = Searcher(sample_config)
    result = searcher.search(query, per_page=3)
    assert result.total > len(result.hits), "counted over every result, not the page shown"
    for facet, param in FACET_PARAMS.items():
        for value in result.facets[facet]:
            assert searcher.search(query, **{param: [value.value]}).total == value.count, (facet, value.value)


def test_a_chosen_facet_counts_each_of_its_values_alone(sample_config):
    searcher = Searcher(sample_config)
    chosen = searcher.search("", partners=["JP"])
    for value in chosen.facets["partner"]:
        assert searcher.search("", partners=[value.value]).total == value.count, value.value
    for value in chosen.facets["topic"]:
        assert searcher.search("", partners=["JP"], topics=[value.value]).total == value.count, value.value


def _ids(searcher, **filters) -> set[str]:
    return {hit.id for hit in searcher.iter_hits("", **filters)}


def test_values_of_one_facet_are_alternatives_and_facets_all_hold(sample_config):
    searcher = Searcher(sample_config)
    japan, korea = _ids(searcher, partners=["JP"]), _ids(searcher, partners=["KR"])
    assert japan and korea and japan != korea
    assert _ids(searcher, partners=["JP", "KR"]) == japan | korea
    assert searcher.search("", partners=["JP", "KR"]).total == len(japan | korea)
    year = sorted({h.date[:4] for h in searcher.iter_hits("", partners=["JP"]) if h.date})[0]
    in_year = _ids(searcher, years=[year])
    assert _ids(searcher, partners=["JP", "KR"], years=[year]) == (japan | korea) & in_year


def test_mentioned_partners_hold_the_main_ones_and_more(sample_config):
    searcher = Searcher(sample_config)
    hits = list(searcher.iter_hits(""))
    assert all(set(h.partners) <= set(h.mentioned) for h in hits)
    assert any(set(h.mentioned) > set(h.partners) for h in hits)
    result = searcher.search("Myanmar")
    named = {v.value: v.count for v in result.facets["mentioned"]}
    main = {v.value: v.count for v in result.facets["partner"]}
    assert main["MM"] < named["MM"] == result.total, "every article found by 'Myanmar' names it"
    assert searcher.search("Myanmar nhacden:MM").total == named["MM"]


def test_undated_articles_have_a_bucket_a_filter_and_come_last(tiny):
    result = tiny.search("")
    assert result.undated == 1
    assert [(v.value, v.label) for v in result.facets["year"]][-1] == ("undated", "Không rõ ngày")
    assert top(tiny, "", years=["undated"]) == ["hanoi"]
    assert set(top(tiny, "", years=["undated", "2019"])) == {"hanoi", "bien"}
    assert top(tiny, "nam:undated") == ["hanoi"]


def test_unknown_values_and_reversed_dates_are_named(tiny):
    result = tiny.search("", partners=["Narnia", "JP"], topics=["khong-co"], sources=["Báo Mơ"])
    assert [(n["facet"], n["value"]) for n in result.notices] == [
        ("partner", "Narnia"),
        ("topic", "khong-co"),
        ("source", "Báo Mơ"),
    ]
    assert "Không có đối tác “Narnia”" in result.notices[0]["message"]
    assert "Narnia" not in {v.value for v in result.facets["partner"]}, "not listed as if it were a partner"
    swapped = tiny.search("", date_from="2022-12-31", date_to="2021-01-01", sort="oldest")
    assert [h.id for h in swapped.hits] == ["nhat", "lao"]
    assert swapped.notices[0]["code"] == "date_range_swapped"
    assert (swapped.filters["date_from"], swapped.filters["date_to"]) == (20210101, 20221231)


def test_bad_parameters_carry_a_vietnamese_message(tiny):
    with pytest.raises(QueryError) as caught:
        tiny.search("", date_from="01/05/2021")
    assert "YYYY-MM-DD" in str(caught.value)
    assert "năm-tháng-ngày" in caught.value.vietnamese


def test_a_concept_typed_twice_counts_once(tiny):
    once, twice = tiny.search("Việt Nam hợp tác"), tiny.search("Việt Nam hợp tác việt nam Việt Nam")
    assert twice.concepts == ["Việt Nam", "hợp tác"]
    # Scores may differ by the bonus for words typed side by side; what is
    # required, and so what is found, does not.
    assert [h.id for h in twice.hits] == [h.id for h in once.hits]
    assert twice.total == once.total


@pytest.mark.parametrize("query", ["", "Việt Nam", "hợp tác"])
def test_facet_values_are_listed_by_count_then_label(sample_config, query):
    """Equal counts are ordered by label: not by where the first article happened to lie."""
    from searchapp.search.searcher import Searcher

    facets = Searcher(sample_config).search(query).facets
    ties = 0
    for name in ("partner", "mentioned", "topic", "source"):
        listed = [v for v in facets[name] if not v.selected]
        assert [(v.count, v.label) for v in listed] == sorted(
            ((v.count, v.label) for v in listed), key=lambda cl: (-cl[0], cl[1])
        )
        ties += sum(a.count == b.count for a, b in zip(listed, listed[1:], strict=False))
    assert ties  # the rule was put to work
