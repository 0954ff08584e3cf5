"""What an index holds of searchapp's own code: the names Whoosh pickles.

Whoosh pickles the schema into each generation's table of contents, so the
module and class names of the analyzers are on-disk format. Indexes written
before ``searchapp.analysis`` became a package name exactly these classes;
they must resolve, and new indexes must name nothing else.
"""

from __future__ import annotations

import importlib
import re

from searchapp import analysis

# (module, class) pairs in every index written since SCHEMA_VERSION 8.
ON_DISK = {
    ("searchapp.analysis", "CapsTokenizer"),
    ("searchapp.analysis", "FoldFilter"),
    ("searchapp.analysis", "PairTokenizer"),
    ("searchapp.analysis", "SyllableTokenizer"),
    ("searchapp.analysis", "ToneFilter"),
    ("searchapp.analysis", "VietnameseTokenizer"),
}

# Protocol 2's GLOBAL opcode: "c" module "\n" name "\n".
GLOBAL = re.compile(rb"c(searchapp[\w.]*)\n(\w+)\n")


def pickled_names(config) -> set[tuple[str, str]]:
    tocs = sorted(config.index_path.glob("gen-*/*.toc"))
    assert tocs, "no table of contents in the index"
    return {(m.decode(), n.decode()) for toc in tocs for m, n in GLOBAL.findall(toc.read_bytes())}


def test_a_new_index_pickles_only_the_on_disk_names(sample_config):
    assert pickled_names(sample_config) == ON_DISK


def test_every_on_disk_name_resolves_to_its_class():
    for module, name in ON_DISK:
        found = getattr(importlib.import_module(module), name)
        assert found.__module__ == module
        assert found in analysis.PICKLED
