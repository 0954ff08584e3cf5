"""Synonyms and alternative names for query expansion.

Groups come from ``data/synonyms.toml`` plus the gazetteer: an English or
other Latin-script name of a partner ("Japan") also searches its Vietnamese
name ("Nhật Bản"). Names are matched on lowercased syllables with their
accents: bare "lao" (labour) must not expand to "Lào" (Laos).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files

from searchapp.text import has_diacritics, syllables

Key = tuple[str, ...]


@cache
def synonym_table() -> dict[Key, tuple[str, ...]]:
    """Lowercased syllables of a name → the other names of its group."""
    table: dict[Key, list[str]] = {}
    for names in _groups():
        for name in names:
            key = tuple(syllables(name))
            if not key:
                continue
            others = table.setdefault(key, [])
            others.extend(n for n in names if tuple(syllables(n)) != key and n not in others)
    return {k: tuple(v) for k, v in table.items()}


def _groups() -> list[list[str]]:
    groups = [list(g["names"]) for g in _data("synonyms.toml").get("group", [])]
    # Only the names of a partner, not its "weak" evidence such as capitals:
    # "Tokyo" is not a synonym of Japan.
    for partner in _data("gazetteer.toml").get("partner", []):
        foreign = [n for n in partner.get("names", []) if _is_foreign_name(n)]
        if foreign:
            groups.append([partner["label"], *foreign])
    return groups


def _data(name: str) -> dict:
    return tomllib.loads((files("searchapp") / "data" / name).read_text(encoding="utf-8"))


def _is_foreign_name(name: str) -> bool:
    # A Latin-script name without Vietnamese marks and of a real word's
    # length ("Japan", "United States"), not a code ("JP").
    return not has_diacritics(name) and len(name) >= 4 and not name.isupper()


def find_synonyms(sylls: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
    """``(start, end, other names)`` for each name found in lowercased syllables.

    Longest names win; matches do not overlap.
    """
    table = synonym_table()
    longest = max((len(k) for k in table), default=0)
    found = []
    i = 0
    while i < len(sylls):
        for size in range(min(longest, len(sylls) - i), 0, -1):
            others = table.get(tuple(sylls[i : i + size]))
            if others:
                found.append((i, i + size, others))
                i += size
                break
        else:
            i += 1
    return found
