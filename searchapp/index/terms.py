"""What the analysed fields index for a text, computed in one pass.

The reindex analyses articles in worker processes and hands the indexer
terms with their encoded posting values, exactly what Whoosh's
``FieldType.index`` yields for the fields of :data:`~searchapp.index.schema.ANALYSED_FIELDS`
(``tests/test_analysis.py`` checks it), without running six analyzers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from searchapp.analysis.segmentation import Span
from searchapp.engine.whoosh.values import encode_frequency, encode_positions
from searchapp.text import SYLLABLE_RE, breaks, fold, nfc, split_syllables, syllable_key

# (term bytes, frequency, weight, encoded value) as Whoosh's ``field.index``
# yields them; the number of tokens is the field length.
Items = list[tuple[bytes, int, float, bytes]]

_FLOATS: dict[int, float] = {}


def _float(freq: int) -> float:
    value = _FLOATS.get(freq)
    if value is None:
        value = _FLOATS[freq] = float(freq)
    return value


def index_items(text: str, spans: Sequence[Span]) -> tuple[tuple[Items, int], ...]:
    """What the analysed fields index for ``text``, computed in one pass.

    Returns ``(items, length)`` for, in order, :func:`syllable_analyzer`
    and :func:`fold_analyzer` (positions), then :func:`word_analyzer`,
    :func:`folded_word_analyzer`, :func:`pair_analyzer` and
    :func:`caps_analyzer` (frequencies),
    given the compound ``spans`` of the text. The result is exactly what
    ``FieldType.index`` yields for those fields (tests check it), but the text
    is split into syllables once and every distinct token is lowercased and
    folded once.
    """
    text = nfc(text)
    syllables, gaps = split_syllables(text)
    key_of = {s: syllable_key(s) for s in set(syllables)}
    fold_of = {k: fold(k) for k in set(key_of.values())}
    keys = [key_of[s] for s in syllables]
    exact: defaultdict[str, list[int]] = defaultdict(list)
    folded: defaultdict[str, list[int]] = defaultdict(list)
    for pos, key in enumerate(keys):
        exact[key].append(pos)
        folded[fold_of[key]].append(pos)
    pairs: dict[str, int] = {}
    caps: dict[str, int] = {}
    previous_upper = bool(syllables) and syllables[0][0].isupper()
    for pos in range(1, len(keys)):
        if breaks(gaps[pos]):
            previous_upper = syllables[pos][0].isupper()
            continue
        first, second = keys[pos - 1], keys[pos]
        pair = f"{first} {second}"
        pairs[pair] = pairs.get(pair, 0) + 1
        upper = syllables[pos][0].isupper()
        if upper:
            caps[second] = caps.get(second, 0) + 1
            if previous_upper:
                caps[pair] = caps.get(pair, 0) + 1
        previous_upper = upper
    words: dict[str, int] = {}
    findall = SYLLABLE_RE.findall
    for start, end in spans:
        parts = findall(text, start, end)
        if parts:
            word = "_".join(key_of.get(p) or syllable_key(p) for p in parts)
            words[word] = words.get(word, 0) + 1
    fwords: dict[str, int] = {}
    for word, count in words.items():
        key = fold(word)
        fwords[key] = fwords.get(key, 0) + count
    count = len(syllables)
    nwords = sum(words.values())
    npairs = sum(pairs.values())
    return (
        (_positional(exact), count),
        (_positional(folded), count),
        (_counted(words), nwords),
        (_counted(fwords), nwords),
        (_counted(pairs), npairs),
        (_counted(caps), sum(caps.values())),
    )


def _positional(terms: dict[str, list[int]]) -> Items:
    floats, value = _FLOATS, encode_positions
    out = []
    for w, p in terms.items():
        n = len(p)
        out.append((w.encode("utf-8"), n, floats.get(n) or _float(n), value(p)))
    return out


def _counted(terms: dict[str, int]) -> Items:
    return [(w.encode("utf-8"), n, _float(n), encode_frequency(n)) for w, n in terms.items()]
