"""Text analysis: pyvi words with offsets, syllables, folding, syllable pairs.

Whoosh pickles the schema, analyzers included, into every index's table of
contents, so the classes below are on-disk format under the names
``searchapp.analysis.<Class>``. They are re-exported here and carry this
package's name as their module, so an index pickles the same bytes whichever
module of the package defines them, and indexes built before the package
existed load unchanged. Renaming one of them needs a ``SCHEMA_VERSION`` bump
(a reindex).
"""

from __future__ import annotations

from searchapp.analysis.tokenizers import (
    CapsTokenizer,
    FoldFilter,
    PairTokenizer,
    SyllableTokenizer,
    ToneFilter,
    VietnameseTokenizer,
)

PICKLED = (CapsTokenizer, FoldFilter, PairTokenizer, SyllableTokenizer, ToneFilter, VietnameseTokenizer)

for _cls in PICKLED:
    _cls.__module__ = __name__

__all__ = [cls.__name__ for cls in PICKLED]
