"""Same-story grouping: near-duplicate articles found at index time.

The same communiqué reprinted by five outlets should show once in the results,
with the others one click away. Each article gets a MinHash of its word
5-gram shingles (folded syllables, so accent slips do not matter); a MinHash
LSH index finds earlier articles whose estimated Jaccard similarity passes
``THRESHOLD``, and the new article joins their story. The LSH index is kept
in the index folder, so an incremental reindex only hashes changed articles.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from datasketch import MinHash, MinHashLSH

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


class StoryIndex:
    """Which story each article belongs to, updated article by article."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.story_of: dict[str, str] = {}

    @classmethod
    def load(cls, folder: Path) -> StoryIndex:
        """The saved index of a generation, or an empty one."""
        try:
            with (folder / FILE).open("rb") as fh:
                loaded = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return cls()
        return loaded if isinstance(loaded, cls) else cls()

    def save(self, folder: Path) -> None:
        """Write atomically next to the Whoosh files of the generation."""
        tmp = folder / f".{FILE}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / FILE)

    def remove(self, article_id: str) -> None:
        """Forget an article (deleted, or about to be re-added)."""
        if article_id in self.story_of:
            del self.story_of[article_id]
            if article_id in self.lsh:
                self.lsh.remove(article_id)

    def assign(self, article_id: str, text: str, precomputed: Sketch | None | bool = False) -> str:
        """Add an article and return its story id (an article id of the story).

        :param precomputed: the article's :func:`sketch`, when computed elsewhere.
        """
        self.remove(article_id)
        sketch = minhash(text) if precomputed is False else precomputed
        story = article_id
        if sketch is not None:
            similar = [key for key in self.lsh.query(sketch) if key in self.story_of]
            if similar:
                story = min(self.story_of[key] for key in similar)
            self.lsh.insert(article_id, sketch)
        self.story_of[article_id] = story
        return story
