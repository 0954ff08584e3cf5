"""The one door to Whoosh's internals, for the one Whoosh version it was written for.

Whoosh stays the file format, but searchapp reads and writes it faster than
Whoosh's public API allows: postings a block at a time, segments written by
several processes, files mapped instead of copied. Everything that relies on
a private name or an internal module of Whoosh lives in this package, so a
Whoosh upgrade is checked here and nowhere else (``tests/test_layers.py``
fails if a module outside it touches one):

* :mod:`.codec`: reading posting blocks, field lengths and deletions in bulk;
  the table of contents and readers of a generation;
* :mod:`.values`: posting values (positions) encoded as Whoosh does, and
  decoded in bulk;
* :mod:`.segments`: writing segments (:class:`~.segments.FastWriter`, part
  writers in child processes, the commit of their segments);
* :mod:`.flatcopy`: the uncompressed copy of every posting list that the
  segment writer adds to each segment, read as arrays from the memory map;
* :mod:`.mapped`: reading segment files through memory maps without copies;
* :mod:`.integrity`: telling a damaged generation from a sound one.

Importing it checks the installed Whoosh: another version raises
:class:`WhooshVersionError` instead of reading or writing an index wrongly.
"""

from __future__ import annotations

from importlib import metadata

import whoosh

from searchapp.errors import WhooshVersionError

# The distribution and version (requirements.lock) this package was written and
# tested against. An upgrade: rerun the writer comparison (tests/test_fast_writer.py)
# and the whole suite, then change this line.
DISTRIBUTION = "whoosh-reloaded"
EXPECTED_VERSION = "2.7.5"


def check_version(installed: str | None = None) -> None:
    """Raise :class:`WhooshVersionError` unless ``installed`` (default: the
    installed Whoosh's version) is :data:`EXPECTED_VERSION`.

    :raises WhooshVersionError: naming both versions and the fix.
    """
    if installed is None:
        installed = whoosh.versionstring()
        try:
            installed = metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            pass  # another distribution of Whoosh: its own version string says which
    if installed != EXPECTED_VERSION:
        raise WhooshVersionError(
            f"searchapp needs {DISTRIBUTION}=={EXPECTED_VERSION}, found Whoosh {installed}: "
            f"install the pinned versions with `pip install --require-hashes -r requirements.lock` "
            f"(it reads and writes Whoosh's files through internals that change between versions)."
        )


check_version()
