"""Known names: partners, places and organisations from the data files.

A name typed in a query is one concept ("Thái Bình Dương", not "Thái" +
"Bình Dương"), and the other names of the same thing ("Japan" for Nhật Bản,
"WTO" for Tổ chức Thương mại Thế giới) are alternatives of that concept.
Names are keyed by their syllable keys (lowercased, tone placement
normalized), so "Liên Hợp Quốc" and "Liên hợp quốc" are one name.

The news' fixed terms (``terms.toml``: "xuất khẩu lao động") are read as
names too, and an office followed by a partner's name ("Tổng thống Pháp")
is one concept.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files

from searchapp.text import fold, has_diacritics, syllable_keys

Key = tuple[str, ...]

COMPASS = frozenset({"đông", "tây", "nam", "bắc"})


@cache
def _data(name: str) -> dict:
    return tomllib.loads((files("searchapp") / "data" / name).read_text(encoding="utf-8"))


def _groups() -> list[list[str]]:
    """Lists of names that mean the same thing; a lone name is a group of one."""
    gazetteer = _data("gazetteer.toml")
    groups = [list(g["names"]) for g in _data("synonyms.toml").get("group", [])]
    for partner in gazetteer.get("partner", []):
        names = partner.get("names", [])
        # The label and the partner's foreign names ("Japan") are one thing;
        # the other names are evidence for tagging, not equivalents: "Đông
        # Đức" is not all of Germany, "Ủy ban châu Âu" is not the EU.
        groups.append([partner["label"], *(n for n in names if _is_foreign_name(n))])
        groups.extend([n] for n in names if not _is_foreign_name(n))
        # Capitals and seats of power are names of their own, not of the country.
        groups.extend([name] for name in partner.get("weak", []))
    # Vietnam's own names ("Việt Nam", "Hà Nội") are names, but not of one thing.
    groups.extend([name] for name in gazetteer.get("self", {}).get("names", []))
    groups.extend([phrase] for phrase in gazetteer.get("blockers", {}).get("phrases", []))
    groups.extend([term] for term in _data("terms.toml").get("terms", []))
    return groups


def _is_foreign_name(name: str) -> bool:
    # A Latin-script name without Vietnamese marks and of a real word's
    # length ("Japan", "United States"), not a code ("JP").
    return not has_diacritics(name) and len(name) >= 4 and not name.isupper()


@cache
def name_table() -> dict[Key, str]:
    """Syllable keys of every known name → the name as written in the data."""
    table: dict[Key, str] = {}
    for group in _groups():
        for name in group:
            keys = tuple(syllable_keys(name))
            if keys:
                table.setdefault(keys, name)
    return table


@cache
def _alternatives() -> dict[Key, tuple[str, ...]]:
    table: dict[Key, list[str]] = {}
    for group in _groups():
        for name in group:
            keys = tuple(syllable_keys(name))
            if not keys:
                continue
            others = table.setdefault(keys, [])
            for other in group:
                if tuple(syllable_keys(other)) != keys and other not in others:
                    others.append(other)
    return {k: tuple(v) for k, v in table.items()}


@cache
def alternatives_table() -> dict[Key, tuple[str, ...]]:
    """Syllable keys of every name that has other names → those names."""
    return {keys: others for keys, others in _alternatives().items() if others}


def alternatives(keys: Key) -> tuple[str, ...]:
    """The other names of the thing named by ``keys`` (none when it is not a name)."""
    return _alternatives().get(tuple(keys), ())


def longest_name_at(keys: list[str], start: int, folded: bool = False) -> int:
    """Length of the longest known name of two or more syllables at ``start`` (0 if none)."""
    return _longest_at(keys, start, _folded_table() if folded else name_table(), _longest(), shortest=2)


def _longest_at(keys: list[str], start: int, table, longest: int, shortest: int = 1) -> int:
    """Length of the longest run of ``keys`` at ``start`` that ``table`` holds (0 if none)."""
    for size in range(min(longest, len(keys) - start), shortest - 1, -1):
        if tuple(keys[start : start + size]) in table:
            return size
    return 0


@cache
def _longest() -> int:
    return max((len(k) for k in name_table()), default=0)


@cache
def _folded_table() -> dict[Key, str]:
    return {tuple(fold(k) for k in keys): name for keys, name in name_table().items()}


def office_at(keys: list[str], start: int, folded: bool = False) -> int:
    """Syllables of the longest office at ``start`` ("bộ trưởng ngoại giao"), 0 if none."""
    return _longest_at(keys, start, _offices(folded), _longest_office())


def is_country_name(keys: Key, folded: bool = False) -> bool:
    """True when ``keys`` name a country of the gazetteer, Vietnam included: "pháp", "nhật bản"."""
    return tuple(keys) in _country_names(folded)


@cache
def _offices(folded: bool) -> frozenset[Key]:
    keys = (tuple(syllable_keys(name)) for name in _data("terms.toml").get("offices", []))
    return frozenset(tuple(fold(k) for k in key) if folded else key for key in keys if key)


@cache
def _longest_office() -> int:
    return max((len(k) for k in _offices(False)), default=0)


def _countries() -> list[list[str]]:
    """Every country's names, its label first. Countries only (two-letter
    codes): the ministers of a bloc are its members' ("Ngoại trưởng các nước
    ASEAN"), seldom right before its name."""
    partners = _data("gazetteer.toml").get("partner", [])
    return [[p["label"], *p.get("names", [])] for p in partners if len(p.get("code", "")) == 2]


@cache
def _country_names(folded: bool) -> frozenset[Key]:
    names = list(_data("gazetteer.toml").get("self", {}).get("names", []))
    names += [name for country in _countries() for name in country]
    keys = (tuple(syllable_keys(name)) for name in names)
    return frozenset(tuple(fold(k) for k in key) if folded else key for key in keys if key)


def office_country_names(keys: Key) -> tuple[str, ...]:
    """Other names a country goes by right after an office: its short and
    full names ("Thủ tướng Nhật" is "Thủ tướng Nhật Bản", "Ngoại trưởng Liên
    bang Nga" is "Ngoại trưởng Nga"). Alone, "Nhật" is too ambiguous to
    search for Japan; after an office it is not."""
    return _office_country_names().get(tuple(keys), ())


@cache
def _office_country_names() -> dict[Key, tuple[str, ...]]:
    table: dict[Key, tuple[str, ...]] = {}
    for names in _countries():
        keyed = {tuple(syllable_keys(n)): n for n in names}
        for keys in keyed:
            table[keys] = tuple(n for k, n in keyed.items() if k != keys and _same_country(k, keys))
    return table


def _same_country(other: Key, keys: Key) -> bool:
    # A shorter name the label starts with, or a longer one that holds it,
    # but not a part of the country named by a compass point ("Đông Đức").
    if len(other) == len(keys) + 1 and other[1:] == keys and other[0] in COMPASS:
        return False

    def holds(long: Key, short: Key) -> bool:
        return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))

    return (len(other) < len(keys) and keys[: len(other)] == other) or holds(other, keys)
