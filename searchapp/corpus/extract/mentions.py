"""Where a text names a foreign country or organisation: the gazetteer and its guards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from searchapp.corpus.extract.common import canonical_tone, canonical_tone_cached, load
from searchapp.text import fold, iter_syllables

_FULL, WEAK, _PAIR, _BLOCK, _SELF = "full", "weak", "pair", "block", "self"
# A short form of Vietnam's own name ("Việt") that names it only inside a
# dash-joined pair with a partner ("quan hệ Việt - Mỹ", "Nhật-Việt").
_SELF_PAIR = "self pair"
KIND_WEIGHT = {_FULL: 1.0, WEAK: 0.5, _PAIR: 1.0}


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
    organisations: set[str] = field(default_factory=set)
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
        if entry.get("organisation", False):
            gazetteer.organisations.add(code)
        names = {_FULL: entry["names"], WEAK: entry.get("weak", []), _PAIR: entry.get("pair", [])}
        gazetteer.aliases[code] = [entry["label"], *(n for group in names.values() for n in group)]
        for kind, group in names.items():
            for name in group:
                _add_name(gazetteer, code, kind, name)
    for name in data["self"]["names"]:
        _add_name(gazetteer, data["self"]["code"], _SELF, name)
    for name in data["self"].get("pair", []):
        _add_name(gazetteer, data["self"]["code"], _SELF_PAIR, name)
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


# Matching


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


def _joined_by_dash(first: _Match, second: _Match, tokens: list[_Token]) -> bool:
    left, right = (first, second) if first.start < second.start else (second, first)
    return left.end == right.start and _is_dash_gap(tokens[right.start].gap_before)


def _dash_joined(matches: list[_Match], tokens: list[_Token], i: int) -> bool:
    """True when match ``i`` is joined by a dash to a neighbouring partner name.

    Vietnam's short form counts as a neighbour ("Việt-Trung" names China),
    its full names do not.
    """
    return any(
        _joined_by_dash(matches[i], matches[j], tokens)
        for j in (i - 1, i + 1)
        if 0 <= j < len(matches) and matches[j].kind not in (_BLOCK, _SELF)
    )


def _self_pair_kept(matches: list[_Match], tokens: list[_Token], i: int, names: frozenset[int]) -> bool:
    """Vietnam's short form joined by a dash to a partner name, and not a person's name.

    "Việt" alone is "người Việt", "tiếng Việt" or a given name ("Trần Việt -
    TTXVN"); only the press's form of a pair of countries ("quan hệ Việt -
    Mỹ", "Nhật-Việt", "Việt – Lào – Campuchia") reads as Vietnam.
    """
    partner_kinds = (_FULL, WEAK, _PAIR)
    joined = any(
        _joined_by_dash(matches[i], matches[j], tokens)
        for j in (i - 1, i + 1)
        if 0 <= j < len(matches) and matches[j].kind in partner_kinds
    )
    return joined and not _guard_rejects(tokens, matches[i], names)


def _matches(tokens: list[_Token]) -> tuple[list[_Match], frozenset[int]]:
    """Gazetteer matches, Vietnam's short form only where it names Vietnam; and the tokens inside names."""
    raw = _raw_matches(tokens)
    names = frozenset(
        i for match in raw if match.kind not in (_BLOCK, _SELF_PAIR) for i in range(match.start, match.end)
    )
    kept = [match for i, match in enumerate(raw) if match.kind != _SELF_PAIR or _self_pair_kept(raw, tokens, i, names)]
    names |= frozenset(match.start for match in kept if match.kind == _SELF_PAIR)
    return kept, names


def partner_matches(text: str) -> list[_Match]:
    tokens = _tokens(text)
    found, names = _matches(tokens)
    kept: list[_Match] = []
    for i, match in enumerate(found):
        if match.kind in (_BLOCK, _SELF, _SELF_PAIR) or _guard_rejects(tokens, match, names):
            continue
        if match.kind == _PAIR and not _dash_joined(found, tokens, i):
            continue
        kept.append(match)
    return kept


def names_vietnam(text: str) -> bool:
    """True when the text names Vietnam: a "self" name, or "Việt" in a pair of countries ("Việt - Mỹ")."""
    found, _ = _matches(_tokens(text))
    return any(match.kind in (_SELF, _SELF_PAIR) for match in found)


def gazetteer_aliases() -> dict[str, list[str]]:
    """Every name of every partner, by code (label first)."""
    return _gazetteer().aliases


def gazetteer_organisations() -> frozenset[str]:
    """Codes of the international organisations and forums (``organisation = true``)."""
    return frozenset(_gazetteer().organisations)


def gazetteer_labels() -> dict[str, str]:
    """Vietnamese label by code, in file order."""
    return _gazetteer().labels
