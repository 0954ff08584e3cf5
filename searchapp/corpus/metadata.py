"""Facets read from an article's own text: date, outlet, partners, topics.

This module owns metadata extraction. Everything it knows about names lives in
three data files beside it, so that adding an outlet, a country spelling or a
topic phrase never needs a code change:

* ``data/gazetteer.toml``: foreign countries and organisations, their
  Vietnamese, old phonetic and English names, capitals, and the guards that
  keep common words and person names ("mỹ phẩm", "Tuấn Anh") out.
* ``data/sources.toml``: Vietnamese outlets and their aliases.
* ``data/topics.toml``: the topic taxonomy with weighted key phrases, and
  ``data/topic_model.toml``: how their evidence becomes a topic (fitted).

All inputs are NFC ``str``. Every extractor returns ``None`` or an empty list
rather than guess.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib.resources import files
from math import exp, log1p
from typing import Any, NamedTuple

from searchapp.text import fold, iter_syllables, syllables

__all__ = [
    "TOPICS",
    "all_partners",
    "all_topics",
    "extract_date",
    "extract_mentioned_partners",
    "extract_partners",
    "extract_source",
    "extract_topics",
    "partner_aliases",
    "partner_label",
    "resolve_partner",
    "resolve_topic",
    "topic_label",
]


@cache
def _load(name: str) -> dict[str, Any]:
    resource = files("searchapp") / "data" / name
    return tomllib.loads(resource.read_text(encoding="utf-8"))


# Old-style tone placement ("hoà", "thuỷ") and new style ("hòa", "thủy") are
# both in common use; one canonical form lets one spelling match both.
def _build_tone_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for first, second_marked, first_marked, second in (
        ("o", "àáảãạ", "òóỏõọ", "a"),
        ("o", "èéẻẽẹ", "òóỏõọ", "e"),
        ("u", "ỳýỷỹỵ", "ùúủũụ", "y"),
    ):
        for old, new in zip(second_marked, first_marked, strict=True):
            pairs[first + old] = new + second
    return pairs


_TONE_PAIRS = _build_tone_pairs()


def _canonical_tone(syllable: str) -> str:
    """Move the tone of a final "oa/oe/uy" to the first vowel: "hoà" -> "hòa"."""
    if len(syllable) < 2 or syllable[-2:].lower() not in _TONE_PAIRS:
        return syllable
    if len(syllable) >= 3 and syllable[-3] in "qQ":
        return syllable  # "quý": the u belongs to the consonant
    moved = _TONE_PAIRS[syllable[-2:].lower()]
    return syllable[:-2] + (moved.upper() if syllable[-2:].isupper() else moved)


# The same function, remembered: text has a small vocabulary of syllables.
_canonical_tone_cached = lru_cache(maxsize=1 << 17)(_canonical_tone)


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

# Lines above the lead that may carry a dateline, and how long a dateline
# line may be: a real dateline holds little besides the date.
_HEAD_LINES = 4
_DATELINE_MAX_CHARS = 80
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)(?![\d/.-])")
_WORDED_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:,\s*)?năm\s+((?:19|20)\d\d)(?!\d)", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}\s*[:h]\s*\d{2}\b")
_WEEKDAY = re.compile(r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)\b", re.IGNORECASE)
# What may stand between a lead's start and its date: an outlet dateline
# ("(PLVN) -", "VOV.VN -", "HÀ NỘI -") and a time of day ("Sáng", "Chiều").
_LEAD_DATE = re.compile(
    r"^(?:\(?[^\s()]{0,20}(?:\s[^\s()]{1,20}){0,2}\)?\s*[-–—]\s*)?"
    r"(?:(?:sáng|chiều|tối|trưa|đêm|hôm|vào)\s+(?:nay\s+)?)?(?:ngày\s+)?"
    r"(?:\(?\s*)(?=\d)",
    re.IGNORECASE,
)


def _valid_date(day: str, month: str, year: str) -> str | None:
    try:
        found = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if not _MIN_YEAR <= found.year <= _MAX_YEAR:
        return None
    return found.isoformat()


def _full_date_at(text: str, pos: int = 0) -> tuple[str | None, int]:
    """The first full date in ``text[pos:]`` and where it starts."""
    best: tuple[str | None, int] = (None, len(text) + 1)
    for pattern in (_NUMERIC_DATE, _WORDED_DATE):
        match = pattern.search(text, pos)
        if match and match.start() < best[1]:
            best = (_valid_date(*match.groups()), match.start())
    return best


def _is_dateline(line: str) -> bool:
    """A short line that is mostly a date: "Thứ Ba, 06/07/2021 10:07 (GMT+7)"."""
    if len(line) > _DATELINE_MAX_CHARS:
        return False
    rest = _WEEKDAY.sub(" ", _TIME.sub(" ", _WORDED_DATE.sub(" ", _NUMERIC_DATE.sub(" ", line))))
    rest = re.sub(r"\(?\s*GMT\s*[+-]\s*\d+\s*\)?|\bngày\b|\bcập nhật\b|\bđăng\b", " ", rest, flags=re.I)
    words = [w for w in re.findall(r"[^\W_]+", rest)]
    return len(words) <= 3


def _head_lines(title: str, body: str) -> list[str]:
    lines = [line.strip() for line in [title, *body.splitlines()]]
    return [line for line in lines if line][: _HEAD_LINES + 1]


def extract_date(title: str, body: str) -> str | None:
    """Publication date (ISO ``yyyy-mm-dd``) stated by the text, else None.

    Two kinds of evidence count, both only near the top of the article:
    a dateline line ("10:07, 06/07/2021", "Thứ Ba, 06/07/2021 10:07 (GMT+7)")
    among the title and first lines; or a first body line (the lead) that
    opens with a full date ("Ngày 6/7/2021, ...", "(PLVN) - Sáng 6 tháng 7
    năm 2021, ..."); a full date opening a later paragraph is usually
    background ("Ngày 17/11/2017, hải quân Argentina ..."). A bare
    "Ngày 6/7" has no year, and years elsewhere in the text ("năm 1945", an
    event "ngày 2/8/2021") say nothing about when it was published, so the
    answer is then None. Impossible dates (31/02) are never returned.
    """
    for line in _head_lines(title, body):
        if _is_dateline(line):
            found, _ = _full_date_at(line)
            if found:
                return found
    return _date_opening_lead(body)


def _date_opening_lead(body: str) -> str | None:
    """Full date that opens the first body line: "(PLVN) - Ngày 6/7/2021, ..."."""
    lines = _body_lines(body)
    opening = _LEAD_DATE.match(lines[0]) if lines else None
    if opening is None:
        return None
    found, start = _full_date_at(lines[0], opening.end())
    return found if start == opening.end() else None


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------

_ATTRIBUTION = re.compile(r"(?:^|(?<=[a-zà-ỹ]))(?:Theo|Nguồn)\s*:?\s+(.{2,60}?)\s*[.;]?$")
_DATELINE_PAREN = re.compile(r"^[^()\n]{0,30}\(\s*([^()\n]{2,30}?)\s*\)\s*[-–—]")
_DATELINE_BARE = re.compile(r"^([^\s()\-–—][^()\-–—\n]{0,24}?)\s*[-–—]\s")
_PHOTO_CREDIT = re.compile(r"(?:Ảnh|ảnh|Nguồn ảnh)\s*:\s*([^()\n]{1,60}?)\s*(?:\)|$|\.\s|;)")
_SIGNATURE_LINES = 2
_SIGNATURE_MAX_CHARS = 40
_ATTRIBUTION_MAX_CHARS = 80


def _outlet_key(name: str) -> str:
    """Lower-cased outlet name with "Báo", "điện tử" and punctuation removed."""
    config = _load("sources.toml")
    key = re.sub(r"\s+", " ", name.strip().strip("()[]\"'“”.,:;-–— ").lower())
    for prefix in config["prefixes"]:
        if key.startswith(prefix + " "):
            key = key[len(prefix) + 1 :]
            break
    for suffix in config["suffixes"]:
        if key.endswith(suffix) and key != suffix:
            key = key[: -len(suffix)].rstrip(" -")
            break
    return key


@cache
def _outlets() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for outlet in _load("sources.toml")["outlet"]:
        for alias in [outlet["name"], *outlet["aliases"]]:
            table.setdefault(_outlet_key(alias), outlet)
    return table


def _resolve_outlet(text: str, *, photo: bool = False) -> str | None:
    """The outlet named by ``text`` ("TTXVN/Vietnam+" gives the first one)."""
    for part in re.split(r"\s*[/,]\s*|\s+[-–]\s+", text):
        outlet = _outlets().get(_outlet_key(part))
        if outlet and (not photo or outlet.get("photo_credit", False)):
            return str(outlet["name"])
    return None


def _body_lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip()]


def _source_from_attribution(lines: list[str]) -> str | None:
    for line in reversed(lines):
        if len(line) > _ATTRIBUTION_MAX_CHARS:
            continue
        match = _ATTRIBUTION.search(line)
        if match and (found := _resolve_outlet(match.group(1))):
            return found
    return None


def _source_from_dateline(lines: list[str]) -> str | None:
    for line in lines:
        for pattern in (_DATELINE_PAREN, _DATELINE_BARE):
            match = pattern.match(line)
            if match and (found := _resolve_outlet(match.group(1))):
                return found
    return None


def _opening_line(lines: list[str]) -> list[str]:
    """The first line that is not a bare time stamp ("10/09/2023 21:15", "Thứ Hai, 10/9/2023")."""
    return next(([line] for line in lines if not _is_stamp(line)), [])


def _is_stamp(line: str) -> bool:
    words = re.findall(r"[^\W\d_]+", line.lower())
    return bool(re.search(r"\d", line)) and all(w in _STAMP_WORDS for w in words)


_STAMP_WORDS = frozenset("thứ hai ba tư năm sáu bảy chủ nhật ngày lúc giờ gmt am pm sa ch cập nhật đăng".split())


def _source_from_signature(lines: list[str]) -> str | None:
    for line in reversed(lines[-_SIGNATURE_LINES:]):
        if len(line) <= _SIGNATURE_MAX_CHARS:
            candidate = line.removesuffix("./.").strip()
            if found := _resolve_outlet(candidate):
                return found
    return None


def _source_from_photo_credit(text: str) -> str | None:
    for match in _PHOTO_CREDIT.finditer(text):
        if found := _resolve_outlet(match.group(1), photo=True):
            return found
    return None


def extract_source(title: str, body: str) -> str | None:
    """Canonical name of the outlet that published the article, else None.

    The order of evidence and the outlet list are documented in
    ``data/sources.toml``: attribution line, opening dateline, closing
    signature, then a photo credit only for outlets marked for it.
    """
    lines = _body_lines(body)
    return (
        _source_from_attribution(lines)
        or _source_from_dateline([*_opening_line(lines), title.strip()])
        or _source_from_signature(lines)
        or _source_from_photo_credit(f"{title}\n{body}")
    )


# --------------------------------------------------------------------------
# Partners: gazetteer
# --------------------------------------------------------------------------

_FULL, _WEAK, _PAIR, _BLOCK, _SELF = "full", "weak", "pair", "block", "self"
_KIND_WEIGHT = {_FULL: 1.0, _WEAK: 0.5, _PAIR: 1.0}


@dataclass(frozen=True)
class _Name:
    """One gazetteer name, split into syllables, ready to match."""

    code: str
    kind: str
    syllables: tuple[str, ...]
    hyphen_ok: tuple[bool, ...]  # per gap: may the text use a hyphen there?


@dataclass(frozen=True)
class _Guard:
    given_name: bool = False
    not_before: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()


@dataclass
class _Gazetteer:
    labels: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    by_first: dict[str, list[_Name]] = field(default_factory=lambda: defaultdict(list))
    guards: dict[str, _Guard] = field(default_factory=dict)
    function_words: frozenset[str] = frozenset()
    person_titles: frozenset[str] = frozenset()


def _split_name(name: str) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    found = list(iter_syllables(name))
    gaps = [name[left.end() : right.start()] for left, right in zip(found, found[1:], strict=False)]
    return tuple(_canonical_tone(m.group()) for m in found), tuple("-" in gap for gap in gaps)


def _add_name(gazetteer: _Gazetteer, code: str, kind: str, name: str) -> None:
    parts, hyphens = _split_name(name)
    if parts:
        gazetteer.by_first[parts[0].lower()].append(_Name(code, kind, parts, hyphens))


@cache
def _gazetteer() -> _Gazetteer:
    data = _load("gazetteer.toml")
    gazetteer = _Gazetteer()
    for entry in data["partner"]:
        code = entry["code"]
        gazetteer.labels[code] = entry["label"]
        names = {_FULL: entry["names"], _WEAK: entry.get("weak", []), _PAIR: entry.get("pair", [])}
        gazetteer.aliases[code] = [entry["label"], *(n for group in names.values() for n in group)]
        for kind, group in names.items():
            for name in group:
                _add_name(gazetteer, code, kind, name)
    for name in data["self"]["names"]:
        _add_name(gazetteer, data["self"]["code"], _SELF, name)
    for phrase in data["blockers"]["phrases"]:
        _add_name(gazetteer, "", _BLOCK, phrase)
    for candidates in gazetteer.by_first.values():
        candidates.sort(key=lambda n: len(n.syllables), reverse=True)
    guards = data["guards"]
    gazetteer.function_words = frozenset(guards["function_words"])
    gazetteer.person_titles = frozenset(guards["person_titles"])
    for name, rule in guards["names"].items():
        gazetteer.guards[_canonical_tone(name)] = _Guard(
            given_name=rule.get("given_name", False),
            not_before=frozenset(_canonical_tone(s) for s in rule.get("not_before", [])),
            not_after=frozenset(_canonical_tone(s) for s in rule.get("not_after", [])),
        )
    return gazetteer


# --------------------------------------------------------------------------
# Partners: matching
# --------------------------------------------------------------------------


class _Token(NamedTuple):
    # A named tuple: made for every syllable of every article, so cheap to build.
    text: str  # syllable as written, tone placement made canonical
    lower: str
    gap_before: str  # characters between the previous syllable and this one


@dataclass(frozen=True)
class _Match:
    code: str
    kind: str
    start: int  # token index
    end: int  # token index after the last syllable


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    append = tokens.append
    previous_end = 0
    for match in iter_syllables(text):
        word = _canonical_tone_cached(match.group())
        start, end = match.span()
        append(_Token(word, _lower(word), text[previous_end:start]))
        previous_end = end
    return tokens


_lower = lru_cache(maxsize=1 << 17)(str.lower)


def _is_space_gap(gap: str) -> bool:
    # A line break ends a name: a caption or byline line is not its context.
    return bool(gap) and "\n" not in gap and not gap.replace("_", " ").strip()


def _is_dash_gap(gap: str) -> bool:
    return gap.replace("_", " ").strip() in {"-", "–", "—", "‑", "/"}


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _is_titlecase(word: str) -> bool:
    """Capitalised but not written all in capitals (not an acronym or a caps title)."""
    return _is_capitalised(word) and not word.isupper()


def _first_syllable_fits(name: _Name, token: _Token) -> bool:
    # Proper names are capitalised; blockers are ordinary phrases.
    if name.kind == _BLOCK:
        return True
    return token.text == name.syllables[0] or (token.text.isupper() and token.text == name.syllables[0].upper())


def _name_fits_at(name: _Name, tokens: list[_Token], start: int) -> bool:
    end = start + len(name.syllables)
    if end > len(tokens) or not _first_syllable_fits(name, tokens[start]):
        return False
    for offset in range(1, len(name.syllables)):
        token = tokens[start + offset]
        gap_ok = _is_space_gap(token.gap_before) or (name.hyphen_ok[offset - 1] and _is_dash_gap(token.gap_before))
        if not gap_ok or token.lower != name.syllables[offset].lower():
            return False
    return True


def _raw_matches(tokens: list[_Token]) -> list[_Match]:
    """Longest gazetteer name (or blocker) at each position, left to right."""
    found: list[_Match] = []
    index = 0
    gazetteer = _gazetteer()
    while index < len(tokens):
        for name in gazetteer.by_first.get(tokens[index].lower, []):
            if _name_fits_at(name, tokens, index):
                found.append(_Match(name.code, name.kind, index, index + len(name.syllables)))
                index += len(name.syllables)
                break
        else:
            index += 1
    return found


def _sentence_initial(tokens: list[_Token], index: int) -> bool:
    if index == 0:
        return True
    gap = tokens[index].gap_before.replace("_", " ").strip()
    return bool(gap) and gap[-1] in ".!?:\"“”'‘(…-–—\n" or "\n" in tokens[index].gap_before


def _looks_like_person(tokens: list[_Token], match: _Match, names: frozenset[int]) -> bool:
    """A given-name use: "Tuấn Anh", "Thúy Nga", "Đức Văn", "anh Đức".

    ``names`` holds the indices of tokens inside other gazetteer names, so
    "quan hệ Nga Mỹ" stays two countries.
    """
    gazetteer = _gazetteer()
    before, after = match.start - 1, match.end
    joined_before = before >= 0 and _is_space_gap(tokens[match.start].gap_before) and before not in names
    if joined_before and tokens[before].lower in gazetteer.person_titles:
        return True
    if joined_before and _is_titlecase(tokens[before].text):
        function_word = tokens[before].lower in gazetteer.function_words
        if not (function_word and _sentence_initial(tokens, before)):
            return True
    if after < len(tokens) and _is_space_gap(tokens[after].gap_before) and after not in names:
        follower = tokens[after].text
        if _is_titlecase(follower) and fold(follower) != follower:
            return True
    return False


def _guard_rejects(tokens: list[_Token], match: _Match, names: frozenset[int]) -> bool:
    """Apply the per-name guards of the gazetteer to a one-syllable match."""
    if match.end - match.start != 1:
        return False
    guard = _gazetteer().guards.get(tokens[match.start].text) or _gazetteer().guards.get(
        tokens[match.start].text.capitalize()
    )
    if guard is None:
        return False
    if match.end < len(tokens) and tokens[match.end].lower in guard.not_before:
        if _is_space_gap(tokens[match.end].gap_before):
            return True
    if match.start > 0 and tokens[match.start - 1].lower in guard.not_after:
        if _is_space_gap(tokens[match.start].gap_before):
            return True
    return guard.given_name and _looks_like_person(tokens, match, names)


def _dash_joined(matches: list[_Match], tokens: list[_Token], i: int) -> bool:
    """True when match ``i`` is joined by a dash to a neighbouring partner name."""
    current = matches[i]
    for j in (i - 1, i + 1):
        if not 0 <= j < len(matches) or matches[j].kind in (_BLOCK, _SELF):
            continue
        left, right = (matches[j], current) if j < i else (current, matches[j])
        if left.end == right.start and _is_dash_gap(tokens[right.start].gap_before):
            return True
    return False


def _partner_matches(text: str) -> list[_Match]:
    tokens = _tokens(text)
    raw = _raw_matches(tokens)
    names = frozenset(i for match in raw if match.kind != _BLOCK for i in range(match.start, match.end))
    kept: list[_Match] = []
    for i, match in enumerate(raw):
        if match.kind in (_BLOCK, _SELF) or _guard_rejects(tokens, match, names):
            continue
        if match.kind == _PAIR and not _dash_joined(raw, tokens, i):
            continue
        kept.append(match)
    return kept


# --------------------------------------------------------------------------
# Partners: scoring
# --------------------------------------------------------------------------

# Where a mention is worth more: the title and the lead say what the article
# is about; the rest of the body is background.
_TITLE_FACTOR = 3.0
_LEAD_FACTOR = 2.0
_LEAD_MAX_CHARS = 400
# Keep rule, tuned on the 40 judged dev articles (and kept to round numbers
# on a flat part of the precision/recall surface rather than the single best
# point): a partner named by a full name (not only its capital) in the title
# is kept; one named in the lead needs 20% of the top partner's evidence;
# any other needs evidence >= 3 and 40% of the top partner's.
_LEAD_SHARE = 0.2
_MIN_BODY_SCORE = 3.0
_MIN_SHARE = 0.4


def _lead_and_rest(body: str) -> tuple[str, str]:
    lines = body.strip().splitlines()
    lead = lines[0] if lines else ""
    if len(lead) > _LEAD_MAX_CHARS:
        cut = lead.rfind(" ", 0, _LEAD_MAX_CHARS)
        cut = cut if cut > 0 else _LEAD_MAX_CHARS
        return lead[:cut], lead[cut:] + "\n" + "\n".join(lines[1:])
    return lead, "\n".join(lines[1:])


@dataclass
class _Evidence:
    score: float = 0.0
    in_title: bool = False  # named by a full name in the title
    in_lead: bool = False  # named by a full name in the lead


# The partners, the mentioned partners and the topics of one article all read
# the same matches: found once per article (read it, do not change it).
@lru_cache(maxsize=2)
def _partner_evidence(title: str, body: str) -> dict[str, _Evidence]:
    lead, rest = _lead_and_rest(body)
    evidence: dict[str, _Evidence] = defaultdict(_Evidence)
    for text, factor in ((title, _TITLE_FACTOR), (lead, _LEAD_FACTOR), (rest, 1.0)):
        for match in _partner_matches(text):
            item = evidence[match.code]
            item.score += _KIND_WEIGHT[match.kind] * factor
            if match.kind != _WEAK:
                item.in_title |= factor == _TITLE_FACTOR
                item.in_lead |= factor == _LEAD_FACTOR
    return dict(evidence)


def extract_partners(title: str, body: str) -> list[str]:
    """Codes of the foreign countries and organisations the article is about.

    Mentions are found with the gazetteer; each counts 1 (a capital or seat
    of power 0.5), times 3 in the title and 2 in the lead (first paragraph,
    at most 400 characters). A partner is kept when it is named in the
    title; or named in the lead with at least 20% of the best partner's
    evidence; or with evidence of at least 3 and 40% of the best partner's.
    Vietnam is never a partner. Codes come strongest first.
    """
    evidence = _partner_evidence(title, body)
    if not evidence:
        return []
    top = max(item.score for item in evidence.values())
    kept = [code for code, item in evidence.items() if _is_main_partner(item, top)]
    return sorted(kept, key=lambda code: -evidence[code].score)


def extract_mentioned_partners(title: str, body: str) -> list[str]:
    """Codes of every foreign country and organisation the article names.

    The same gazetteer matches and guards as :func:`extract_partners`, without
    its keep rule: one mention anywhere is enough, so the main partners are
    always among them. Codes come most mentioned first.
    """
    evidence = _partner_evidence(title, body)
    return sorted(evidence, key=lambda code: -evidence[code].score)


def _is_main_partner(item: _Evidence, top: float) -> bool:
    if item.in_title:
        return True
    if item.in_lead and item.score >= _LEAD_SHARE * top:
        return True
    return item.score >= _MIN_BODY_SCORE and item.score >= _MIN_SHARE * top


def _lookup_key(name: str, *, keep_marks: bool = False) -> str:
    """Case-, spacing- and (unless kept) accent-insensitive key: "Nhật Bản" -> "nhatban"."""
    text = name if keep_marks else fold(name)
    return "".join(_canonical_tone(s) for s in syllables(text))


@cache
def _partner_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Lookup tables by exact name (marks kept), by code, by folded name."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for code, names in _gazetteer().aliases.items():
        for name in names:
            exact.setdefault(_lookup_key(name, keep_marks=True), code)
            folded.setdefault(_lookup_key(name), code)
    codes = {_lookup_key(code): code for code in _gazetteer().aliases}
    return exact, codes, folded


def resolve_partner(name: str) -> str | None:
    """Code for any name, alias, English name or code of a partner.

    Case- and accent-insensitive: "japan", "Nhat Ban", "jp", "Hoa Kỳ" and
    "United States" all resolve. A name written with its marks is looked up
    first, so "mỹ" is the United States while "my" is Malaysia's code.
    Vietnam and unknown names give None.
    """
    exact, codes, folded = _partner_index()
    for table, key in (
        (exact, _lookup_key(name, keep_marks=True)),
        (codes, _lookup_key(name)),
        (folded, _lookup_key(name)),
    ):
        if key and key in table:
            return table[key]
    return None


def partner_label(code: str) -> str:
    """Vietnamese display name of a partner code; an unknown code is returned as is."""
    return _gazetteer().labels.get(code.upper(), code)


def partner_aliases(code: str) -> list[str]:
    """Every name of a partner (label first), for query expansion; [] if unknown."""
    return list(_gazetteer().aliases.get(code.upper(), []))


def all_partners() -> list[tuple[str, str]]:
    """(code, Vietnamese label) for every partner in the gazetteer, in file order."""
    return list(_gazetteer().labels.items())


# --------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------

_TOPIC_TITLE_FACTOR = 3
_TOPIC_BODY_CAP = 3
# The lead (the first syllables of the body, where a news story says what it
# is about) counts again on top of the body.
_TOPIC_LEAD_SYLLABLES = 100
_TOPIC_LEAD_FACTOR = 2
# Phrases of at least this weight name or strongly cue a topic.
_TOPIC_STRONG = 2.0
# No article is about more than a few topics.
_TOPIC_MAX = 3


@dataclass(frozen=True)
class _Topic:
    slug: str
    label: str
    label_en: str
    description: str
    threshold: float
    phrases: dict[tuple[str, ...], float]
    pair: bool = False


def _analyze(text: str) -> list[str]:
    return list(map(_canonical_tone_cached, syllables(text)))


@cache
def _topics() -> tuple[_Topic, ...]:
    topics = []
    for entry in _load("topics.toml")["topic"]:
        phrases: dict[tuple[str, ...], float] = {}
        for phrase, weight in entry["phrases"].items():
            key = tuple(_analyze(phrase))
            phrases[key] = max(float(weight), phrases.get(key, 0.0))
        topics.append(
            _Topic(
                entry["slug"],
                entry["label"],
                entry["label_en"],
                entry["description"],
                float(entry["threshold"]),
                phrases,
                bool(entry.get("pair", False)),
            )
        )
    return tuple(topics)


@cache
def _topic_blockers() -> frozenset[tuple[str, ...]]:
    """Phrases weighted 0: names of something else that hold a key phrase."""
    return frozenset(p for t in _topics() for p, weight in t.phrases.items() if weight == 0)


@cache
def _phrase_prefixes() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """Every key phrase of the taxonomy (blockers too), and every prefix of one."""
    phrases = frozenset(p for t in _topics() for p in t.phrases)
    prefixes = frozenset(p[:k] for p in phrases for k in range(1, len(p) + 1))
    return phrases, prefixes


def _phrase_counts(words: list[str], max_len: int) -> dict[tuple[str, ...], int]:
    """How often each key phrase of the taxonomy occurs in ``words``.

    Only key phrases are counted (scores never look at other n-grams), and a
    run stops as soon as it is no longer the prefix of a key phrase.
    """
    phrases, prefixes = _phrase_prefixes()
    blockers = _topic_blockers()
    found: list[tuple[int, tuple[str, ...]]] = []
    blocked: set[int] = set()
    total = len(words)
    for start in range(total):
        if (words[start],) not in prefixes:
            continue
        for length in range(1, min(max_len, total - start) + 1):
            key = tuple(words[start : start + length])
            if key not in prefixes:
                break
            if key in blockers:
                blocked.update(range(start, start + length))
            elif key in phrases:
                found.append((start, key))
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for start, key in found:
        if not blocked or blocked.isdisjoint(range(start, start + len(key))):
            counts[key] += 1
    return counts


def _strong_hits(topic: _Topic, counts: dict[tuple[str, ...], int]) -> int:
    return sum(counts.get(phrase, 0) for phrase, weight in topic.phrases.items() if weight >= _TOPIC_STRONG)


def _pair_of(title: str, body: str) -> int:
    """How plainly the article is about two countries: 0 not, 1 mainly, 2 both in the title.

    Mainly: two main partners, or one and Vietnam named in the title or lead,
    one of them named in the title. Only countries count (the gazetteer
    gives them two-letter codes): an article about India and ASEAN, or
    Vietnam at the G20, is not bilateral.
    """
    evidence = _partner_evidence(title, body)
    if not evidence:
        return 0
    top = max(item.score for item in evidence.values())
    main = [item for code, item in evidence.items() if len(code) == 2 and _is_main_partner(item, top)]
    in_title = sum(item.in_title for item in main)
    if not in_title:
        return 0
    self_in_title = any(match.kind == _SELF for match in _raw_matches(_tokens(title)))
    if in_title >= 2 or self_in_title:
        return 2
    if len(main) == 2:
        return 1
    lead, _ = _lead_and_rest(body)
    return int(len(main) == 1 and any(match.kind == _SELF for match in _raw_matches(_tokens(lead))))


# What the topic model reads of each (article, topic): the evidence of the
# title, lead and body relative to the topic's threshold, how often strong
# phrases name it where the story says what it is about, how it ranks among
# the article's topics, and for a pair topic how plainly the article is about
# two countries. ``bench/topics_fit.py`` fits one weight per feature and one
# bias per topic on the judged set and writes them to ``data/topic_model.toml``.
TOPIC_FEATURES = (
    "evidence",
    "title evidence",
    "lead evidence",
    "body evidence",
    "strong phrases in the title",
    "strong phrases in the lead",
    "strong phrases in the body",
    "mainly about two countries",
    "two countries in the title",
    "share of the strongest topic",
    "strongest topic",
    "second topic",
    "third topic",
)


def topic_features(title: str, body: str) -> list[tuple[str, list[float]]]:
    """``(slug, features)`` for every topic of the taxonomy, in its order (see TOPIC_FEATURES)."""
    longest = max(len(p) for t in _topics() for p in t.phrases)
    body_words = _analyze(body)
    counts = {
        "title": _phrase_counts(_analyze(title), longest),
        "lead": _phrase_counts(body_words[:_TOPIC_LEAD_SYLLABLES], longest),
        "body": {p: min(n, _TOPIC_BODY_CAP) for p, n in _phrase_counts(body_words, longest).items()},
    }
    factor = {"title": _TOPIC_TITLE_FACTOR, "lead": _TOPIC_LEAD_FACTOR, "body": 1}
    pair = _pair_of(title, body) if any(t.pair for t in _topics()) else 0
    raw = []
    for topic in _topics():
        evidence = {
            part: factor[part] * sum(w * found.get(p, 0) for p, w in topic.phrases.items()) / topic.threshold
            for part, found in counts.items()
        }
        strong = {part: _strong_hits(topic, found) for part, found in counts.items()}
        raw.append((topic, sum(evidence.values()), evidence, strong))
    strongest = max(total for _, total, _, _ in raw) or 1.0
    rank = {topic.slug: place for place, (topic, *_) in enumerate(sorted(raw, key=lambda item: -item[1]))}
    features = []
    for topic, total, evidence, strong in raw:
        place = rank[topic.slug] if total > 0 else _TOPIC_MAX
        features.append(
            (
                topic.slug,
                [
                    log1p(total),
                    log1p(evidence["title"]),
                    log1p(evidence["lead"]),
                    log1p(evidence["body"]),
                    min(strong["title"], 3),
                    min(strong["lead"], 3),
                    log1p(strong["body"]),
                    float(topic.pair and pair == 1),
                    float(topic.pair and pair == 2),
                    total / strongest,
                    float(place == 0),
                    float(place == 1),
                    float(place == 2),
                ],
            )
        )
    return features


@dataclass(frozen=True)
class _TopicModel:
    weights: tuple[float, ...]
    bias: dict[str, float]
    threshold: float

    def probability(self, slug: str, features: list[float]) -> float:
        score = self.bias.get(slug, 0.0) + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + exp(-score))


@cache
def _topic_model() -> _TopicModel:
    data = _load("topic_model.toml")
    if tuple(data["features"]) != TOPIC_FEATURES:
        raise ValueError("data/topic_model.toml was fitted on other features: run bench/topics_fit.py")
    return _TopicModel(tuple(map(float, data["weights"])), dict(data["bias"]), float(data["threshold"]))


def extract_topics(title: str, body: str) -> list[str]:
    """Slugs of the topics the article is about, most likely first.

    The taxonomy and its weighted phrases are in ``data/topics.toml``; how
    evidence becomes a topic is the model of ``data/topic_model.toml``, fitted
    on the judged set: a topic is kept when the model gives it at least even
    odds, and no article has more than ``_TOPIC_MAX`` topics.
    """
    model = _topic_model()
    scored = [(model.probability(slug, features), slug) for slug, features in topic_features(title, body)]
    kept = sorted((item for item in scored if item[0] >= model.threshold), key=lambda item: -item[0])
    return [slug for _, slug in kept[:_TOPIC_MAX]]


def topic_label(slug: str) -> str:
    """Vietnamese label of a topic slug; an unknown slug is returned as is."""
    return next((t.label for t in _topics() if t.slug == slug), slug)


def resolve_topic(name: str) -> str | None:
    """Slug for a slug, Vietnamese label or English label (case/accent-insensitive)."""
    key = _lookup_key(name)
    for topic in _topics():
        if key in {_lookup_key(topic.slug), _lookup_key(topic.label), _lookup_key(topic.label_en)}:
            return topic.slug
    return None


def all_topics() -> list[tuple[str, str]]:
    """(slug, Vietnamese label) for every topic, in taxonomy order."""
    return [(t.slug, t.label) for t in _topics()]


TOPICS: tuple[str, ...] = tuple(slug for slug, _ in all_topics())
