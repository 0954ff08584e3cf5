"""Other names of what a query names, for the ranking's synonym bonus.

The names and their groups are :mod:`searchapp.search.names` (``data/synonyms.toml``
and the gazetteer's labels and foreign names). Names are matched on syllable
keys with their accents: bare "lao" (labour) must not expand to "Lào" (Laos).
"""

from __future__ import annotations

from functools import cache

from searchapp.search.names import alternatives_table
from searchapp.text import canonical_tone


@cache
def _longest() -> int:
    return max((len(k) for k in alternatives_table()), default=0)


def find_synonyms(sylls: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
    """``(start, end, other names)`` for each name found in lowercased syllables.

    Longest names win; matches do not overlap.
    """
    table = alternatives_table()
    keys = [canonical_tone(s) for s in sylls]
    found = []
    i = 0
    while i < len(keys):
        for size in range(min(_longest(), len(keys) - i), 0, -1):
            others = table.get(tuple(keys[i : i + size]))
            if others:
                found.append((i, i + size, others))
                i += size
                break
        else:
            i += 1
    return found
