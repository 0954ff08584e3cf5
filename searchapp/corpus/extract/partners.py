"""The foreign countries and organisations an article names, and those it is mainly about."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from searchapp.corpus.extract.common import canonical_tone, canonical_tone_cached, load, lookup_key
from searchapp.text import fold, iter_syllables

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
    return tuple(canonical_tone(m.group()) for m in found), tuple("-" in gap for gap in gaps)


def _add_name(gazetteer: _Gazetteer, code: str, kind: str, name: str) -> None:
    parts, hyphens = _split_name(name)
    if parts:
        gazetteer.by_first[parts[0].lower()].append(_Name(code, kind, parts, hyphens))


@cache
def _gazetteer() -> _Gazetteer:
    data = load("gazetteer.toml")
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
        gazetteer.guards[canonical_tone(name)] = _Guard(
            given_name=rule.get("given_name", False),
            not_before=frozenset(canonical_tone(s) for s in rule.get("not_before", [])),
            not_after=frozenset(canonical_tone(s) for s in rule.get("not_after", [])),
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
        word = canonical_tone_cached(match.group())
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


@cache
def _partner_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Lookup tables by exact name (marks kept), by code, by folded name."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for code, names in _gazetteer().aliases.items():
        for name in names:
            exact.setdefault(lookup_key(name, keep_marks=True), code)
            folded.setdefault(lookup_key(name), code)
    codes = {lookup_key(code): code for code in _gazetteer().aliases}
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
        (exact, lookup_key(name, keep_marks=True)),
        (codes, lookup_key(name)),
        (folded, lookup_key(name)),
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


def pair_strength(title: str, body: str) -> int:
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
