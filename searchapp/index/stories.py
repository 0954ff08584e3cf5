"""Same-story grouping: near-duplicate articles found at index time.

The same communiqué reprinted by five outlets should show once in the results,
with the others one click away. Each article gets a MinHash of its word
5-gram shingles (folded syllables, so accent slips do not matter); a MinHash
LSH index finds earlier articles whose estimated Jaccard similarity passes
``THRESHOLD``, and the new article joins their story. The LSH index is kept
in the index folder, so an incremental reindex only hashes changed articles.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from datasketch import MinHash

from searchapp import atomic
from searchapp.text import folded_syllables

FILE = "stories.pickle"
THRESHOLD = 0.5
NUM_PERM = 64
SHINGLE = 5
# Very short texts share shingles by chance (datelines, boilerplate).
MIN_SHINGLES = 20


def shingles(text: str) -> set[bytes]:
    """Word 5-grams of the folded, lowercased text."""
    words = folded_syllables(text)
    return {" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(len(words) - SHINGLE + 1)}


_PERMUTATIONS = None


def minhash(text: str) -> MinHash | None:
    """The MinHash of a text, or ``None`` when it is too short to compare."""
    global _PERMUTATIONS
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    if _PERMUTATIONS is None:
        template = MinHash(num_perm=NUM_PERM)
        _PERMUTATIONS = (template.permutations, template.scheme)
    # The permutations depend only on (num_perm, seed): made once, not per text.
    sketch = MinHash(num_perm=NUM_PERM, permutations=_PERMUTATIONS[0], scheme=_PERMUTATIONS[1])
    sketch.update_batch(list(grams))
    return sketch


class Sketch:
    """The hash values of a MinHash: all that the LSH index reads, cheap to pickle."""

    __slots__ = ("hashvalues", "scheme")

    def __init__(self, hashvalues, scheme: str) -> None:
        self.hashvalues = hashvalues
        self.scheme = scheme

    def __len__(self) -> int:
        return len(self.hashvalues)


def sketch(text: str) -> Sketch | None:
    """:func:`minhash` reduced to its hash values (computed in worker processes)."""
    full = minhash(text)
    return None if full is None else Sketch(full.hashvalues, full.scheme)


# LSH banding: the optimum datasketch picks for THRESHOLD and NUM_PERM (14
# bands of 4 hash values); two articles are candidates when any band is equal.
BANDS, ROWS = 14, 4
# Assignments in one session above which band tables beat scanning all rows.
SCAN_LIMIT = 256


class StoryIndex:
    """Which story each article belongs to, updated article by article.

    The sketches are kept as one array of hash values, so the index of 100,000
    articles loads and saves in a fraction of a second. Candidates come from
    scanning that array band by band (a few changed articles) or from band
    tables built on demand (a rebuild); both find exactly the articles that
    share a band.
    """

    def __init__(self, ids: list[str | None] | None = None, values=None, story_of=None) -> None:
        self.story_of: dict[str, str] = story_of or {}
        self._ids: list[str | None] = ids or []
        self._row = {article_id: i for i, article_id in enumerate(self._ids) if article_id is not None}
        self._values = values if values is not None else np.zeros((0, NUM_PERM), dtype=np.uint64)
        self._added: list = []  # rows appended since the array was last packed
        self._buckets: list[dict[bytes, set[str]]] | None = None
        self._digests = None  # band_digests(self._values), made on first scan
        self._assigned = 0
        if not self._ids:
            self._buckets = [{} for _ in range(BANDS)]

    @classmethod
    def load(cls, folder: Path) -> StoryIndex:
        """The saved index of a generation, or an empty one."""
        try:
            with (folder / FILE).open("rb") as fh:
                saved = _Unpickler(fh).load()
            if isinstance(saved, cls) and hasattr(saved, "lsh"):
                return _from_datasketch(saved)
            return cls(saved["ids"], saved["values"], saved["story_of"])
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError, ValueError):
            return cls()

    def save(self, folder: Path) -> None:
        """Write atomically next to the Whoosh files of the generation."""
        values = self._packed()
        live = [i for i, article_id in enumerate(self._ids) if article_id is not None]
        state = {"ids": [self._ids[i] for i in live], "values": values[live], "story_of": self.story_of}
        with atomic.replacing(folder / FILE) as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def remove(self, article_id: str) -> None:
        """Forget an article (deleted, or about to be re-added)."""
        self.story_of.pop(article_id, None)
        row = self._row.pop(article_id, None)
        if row is None:
            return
        self._ids[row] = None
        if self._buckets is not None:
            for band, key in enumerate(_band_keys(self._row_values(row))):
                self._buckets[band].get(key, set()).discard(article_id)

    def assign(self, article_id: str, text: str, precomputed: Sketch | None | bool = False) -> str:
        """Add an article and return its story id (an article id of the story).

        :param precomputed: the article's :func:`sketch`, when computed elsewhere.
        """
        self.remove(article_id)
        found = minhash(text) if isinstance(precomputed, bool) else precomputed  # False: not given
        story = article_id
        if found is not None:
            values = np.asarray(found.hashvalues, dtype=np.uint64)
            similar = [key for key in self._candidates(values) if key in self.story_of]
            if similar:
                story = min(self.story_of[key] for key in similar)
            self._insert(article_id, values)
        self.story_of[article_id] = story
        return story

    def _candidates(self, values) -> set[str]:
        self._assigned += 1
        if self._buckets is None and self._assigned > SCAN_LIMIT:
            self._build_buckets()
        if self._buckets is not None:
            found: set[str] = set()
            for band, key in enumerate(_band_keys(values)):
                found |= self._buckets[band].get(key, set())
            return found
        # Scanning: the saved rows as one array, the few added since one by one.
        if self._digests is None:
            self._digests = band_digests(self._values)
        rows = _sharing_rows(self._values, values, self._digests)
        rows += [len(self._values) + i for i, added in enumerate(self._added) if _shares_a_band(added, values)]
        return {article_id for i in rows if (article_id := self._ids[i]) is not None}

    def _row_values(self, row: int):
        saved = len(self._values)
        return self._values[row] if row < saved else self._added[row - saved]

    def _insert(self, article_id: str, values) -> None:
        self._row[article_id] = len(self._ids)
        self._ids.append(article_id)
        self._added.append(values)
        if self._buckets is not None:
            for band, key in enumerate(_band_keys(values)):
                self._buckets[band].setdefault(key, set()).add(article_id)

    def _packed(self):
        if self._added:
            self._values = np.vstack([self._values, np.asarray(self._added, dtype=np.uint64)])
            self._added = []
            self._digests = None
        return self._values

    def _build_buckets(self) -> None:
        self._buckets = [{} for _ in range(BANDS)]
        for row, values in enumerate(self._packed()):
            article_id = self._ids[row]
            if article_id is not None:
                for band, key in enumerate(_band_keys(values)):
                    self._buckets[band].setdefault(key, set()).add(article_id)


class _Unpickler(pickle.Unpickler):
    """Finds :class:`StoryIndex` under the module name older indexes pickled it with."""

    def find_class(self, module: str, name: str):
        if module == "searchapp.stories":  # before the index package existed
            module = __name__
        return super().find_class(module, name)


def _from_datasketch(old) -> StoryIndex:
    """An index saved by earlier versions (a pickled datasketch ``MinHashLSH``).

    Its key table holds each article's bands as big-endian bytes: exactly the
    hash values the bands compare, so grouping goes on unchanged.
    """
    ids, rows = [], []
    for article_id in old.lsh.keys.keys():
        bands = old.lsh.keys.get(article_id)
        width = len(bands[0]) // ROWS  # bytes per hash value: 4 or 8, by MinHash scheme
        banded = np.frombuffer(b"".join(bands), dtype=f">u{width}")
        values = np.zeros(NUM_PERM, dtype=np.uint64)
        values[: len(banded)] = banded
        ids.append(article_id)
        rows.append(values)
    matrix = np.asarray(rows, dtype=np.uint64) if rows else np.zeros((0, NUM_PERM), dtype=np.uint64)
    return StoryIndex(ids, matrix, dict(old.story_of))


# Odd 64-bit constants mixing a band's four hash values into one number.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)


def band_digests(matrix):
    """One number per band and row: equal bands give equal digests."""
    bands = matrix[:, : BANDS * ROWS].reshape(len(matrix), BANDS, ROWS)
    mixed = bands * _MIX  # wraps around modulo 2**64, as intended
    return mixed[:, :, 0] ^ mixed[:, :, 1] ^ mixed[:, :, 2] ^ mixed[:, :, 3]


def _sharing_rows(matrix, values, digests=None) -> list[int]:
    """Rows of ``matrix`` equal to ``values`` on at least one band.

    Digests pick the few rows worth comparing; the comparison itself is exact.
    """
    if not len(matrix):
        return []
    if digests is None:
        digests = band_digests(matrix)
    wanted = band_digests(values.reshape(1, -1))[0]
    rows = np.flatnonzero((digests == wanted).any(axis=1))
    bands = matrix[rows, : BANDS * ROWS].reshape(len(rows), BANDS, ROWS)
    exact = (bands == values[: BANDS * ROWS].reshape(BANDS, ROWS)).all(axis=2).any(axis=1)
    return rows[exact].tolist()


def _shares_a_band(a, b) -> bool:
    return any(np.array_equal(a[i * ROWS : (i + 1) * ROWS], b[i * ROWS : (i + 1) * ROWS]) for i in range(BANDS))


def _band_keys(values) -> list[bytes]:
    return [values[band * ROWS : (band + 1) * ROWS].tobytes() for band in range(BANDS)]
