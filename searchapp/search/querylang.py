"""The query box language: words, "phrases", -exclude, OR, field:value.

It is forgiving: anything it cannot make sense of (an unbalanced quote, a
stray parenthesis, an unknown field) is read as plain words. It never raises.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from searchapp.search.facets import REGISTRY, Facet
from searchapp.text import nfc


def field_aliases(registry: Sequence[Facet] = REGISTRY) -> dict[str, str]:
    """The field names the box understands, each facet's own and its aliases
    (Vietnamese and English): name -> the facet's name."""
    return {alias: facet.name for facet in registry for alias in (facet.name, *facet.aliases)}


# Filters the box understands.
FIELD_ALIASES = field_aliases()
# Longer query text is cut (the web layer cuts the parameter to this same length):
# nobody types more, and it bounds the work of one request.
MAX_QUERY_CHARS = 1000
# Required items (words, phrases, OR groups) and excluded ones, at most each.
MAX_ITEMS = 64
# Alternatives of one OR group, at most: each is evaluated on its own.
MAX_ALTERNATIVES = 16

_TOKEN_RE = re.compile(
    r"""(?P<neg>-)?(?:(?P<field>[^\W\d_]+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))|(?P<quote>")""",
    re.UNICODE,
)


@dataclass(frozen=True)
class Clause:
    """One unit of the query: a word (may hold several syllables) or a phrase."""

    text: str
    phrase: bool = False
    field: str | None = None
    # Where the clause was typed, in the normalized query text.
    span: tuple[int, int] = dataclasses.field(default=(0, 0), compare=False)


@dataclass
class ParsedQuery:
    """What the user asked for, before analysis."""

    # The query text the spans of the clauses refer to.
    text: str = ""
    # Each item is a list of alternatives joined by OR.
    items: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)

    def positive_text(self) -> str:
        """The words and phrases that should match, as one string."""
        return " ".join(c.text for alts in self.items for c in alts)


def normalize_query(text: str) -> str:
    """The query as the parser reads it: NFC, cut, quotes made plain, balanced."""
    text = nfc(text or "")[:MAX_QUERY_CHARS]
    # Quotes of other shapes are typed on phones and pasted from Word.
    text = text.replace("“", '"').replace("”", '"').replace("„", '"')
    if text.count('"') % 2:
        text = text.replace('"', " ")
    return text


def parse_query(text: str) -> ParsedQuery:
    """Parse the query box; never raises.

    >>> q = parse_query('"Biển Đông" -Trung partner:JP ASEAN OR EU')
    >>> [[c.text for c in alts] for alts in q.items], q.filters
    ([['Biển Đông'], ['ASEAN', 'EU']], {'partner': ['JP']})
    """
    text = normalize_query(text)
    parsed = ParsedQuery(text=text)
    pending_or = False
    for match in _TOKEN_RE.finditer(text):
        if match.group("quote"):
            continue
        clause = _clause(match)
        if clause is None:
            continue
        if clause.field in ("partner", "mentioned", "topic", "source", "year") and not match.group("neg"):
            parsed.filters.setdefault(clause.field, []).append(clause.text)
            continue
        if clause.text == "OR" and not clause.phrase:
            pending_or = bool(parsed.items)
            continue
        if match.group("neg"):
            # Excluding a thing twice is excluding it once (and costs once).
            if len(parsed.excluded) < MAX_ITEMS and clause not in parsed.excluded:
                parsed.excluded.append(clause)
            continue
        if pending_or:
            if len(parsed.items[-1]) < MAX_ALTERNATIVES and clause not in parsed.items[-1]:
                parsed.items[-1].append(clause)
        elif len(parsed.items) < MAX_ITEMS:
            parsed.items.append([clause])
        pending_or = False
    return parsed


def _clause(match: re.Match[str]) -> Clause | None:
    name = match.group("field")
    key = FIELD_ALIASES.get(name.lower()) if name else None
    phrase = match.group("phrase")
    value = phrase if phrase is not None else match.group("word")
    if name and key is None:
        # An unknown field is part of what the user typed: keep it as words.
        value = f"{name} {value}"
    value = value.strip()
    if not value or not re.search(r"[^\W_]", value):
        return None
    return Clause(value, phrase=phrase is not None, field=key, span=match.span())
