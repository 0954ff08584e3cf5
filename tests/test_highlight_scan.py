"""The snippet scan over folded, lowercased text finds what a scan of the text
as written, letter by letter with every accent allowed, finds."""

import re
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from searchapp.search.highlight import _JOINED_GAP, find_matches
from searchapp.search.interpret import Form
from searchapp.search.ranking import MatchTerms
from searchapp.text import fold, fold_lower, spaced_and_folded, syllable_keys

SYLLABLES = ["Biển", "biên", "ĐÔNG", "đồng", "Dong", "Hà", "hạ", "NỘI", "nơi", "Việt", "viết", "İstanbul", "ǅa"]
GAPS = [" ", "  ", ", ", ". ", "-", "\n", " – "]


def _written_any_way(folded: str) -> str:
    # The reference: each letter as the class of every letter that folds to it.
    return "".join(_letters(c) for c in folded)


@cache
def _letters(char: str) -> str:
    variants = {c for c in map(chr, range(0x20, 0x2000)) if fold(c).lower() == char.lower()} | {char}
    return "[" + "".join(re.escape(v) for v in sorted(variants)) + "]"


def _reference(text: str, terms: MatchTerms) -> list:
    groups: dict = {}
    for form, concept in terms.forms:
        key = tuple(fold(w).lower() for w in form.words)
        exact, loose, _ = groups.setdefault(key, (set(), [False], concept))
        if form.folded:
            loose[0] = True
        else:
            exact.add(tuple(form.words))
    ordered = sorted(groups.items(), key=lambda item: -len(item[0]))
    alternatives = ["(" + _JOINED_GAP.join(_written_any_way(w) for w in words) + ")" for words, _ in ordered]
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])", re.IGNORECASE)
    found = []
    for match in pattern.finditer(text):
        exact, loose, concept = ordered[match.lastindex - 1][1]
        if not loose[0] and tuple(syllable_keys(match.group())) not in exact:
            continue
        found.append((match.start(), match.end(), str(concept)))
    return found


texts = st.lists(st.tuples(st.sampled_from(SYLLABLES), st.sampled_from(GAPS)), max_size=25).map(
    lambda parts: "".join(s + g for s, g in parts)
)
forms = st.lists(
    st.tuples(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=2), st.booleans()), min_size=1, max_size=3
)


@settings(max_examples=300, deadline=None)
@given(text=texts, asked=forms)
def test_the_folded_scan_finds_what_the_accented_scan_finds(text, asked):
    terms = MatchTerms(
        forms=[
            (Form(tuple(fold(w).lower() if loose else syllable_keys(w)[0] for w in words), loose), i)
            for i, (words, loose) in enumerate(asked)
        ]
    )
    assert find_matches(text, terms) == _reference(text, terms)


def test_folding_then_lowercasing_keeps_one_character_for_one():
    # find_matches reports offsets of the scanned text as the text's own.
    assert all(len(fold(chr(code)).lower()) == 1 for code in range(0x110000) if not 0xD800 <= code < 0xE000)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_fold_lower_is_fold_then_lower(text):
    assert fold_lower(text) == fold(text).lower()


def test_fold_lower_takes_every_plane_and_lone_surrogates():
    for text in ("Biển ĐÔNG 😀 İ \ud800 ǅ", "Biển \U00010400", "İ \ud800 Ǆ", ""):
        assert fold_lower(text) == fold(text).lower()


WHITE = " \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2003\u2028\u3000\u200b"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(WHITE) | st.characters(), max_size=60))
def test_spaced_and_folded_is_split_join_then_fold_lower(text):
    spaced = " ".join(text.split())
    assert spaced_and_folded(text) == (spaced, fold_lower(spaced))


def test_spaced_and_folded_takes_every_plane_and_blank_texts():
    for text in ("", "   \n", " Biển\n\nĐÔNG 😀 ", "\ud800 x", "\u200b"):
        spaced = " ".join(text.split())
        assert spaced_and_folded(text) == (spaced, fold_lower(spaced))
