"""The package's layering, checked from the source: Whoosh's internals behind one door.

Only :mod:`searchapp.engine.whoosh` may use Whoosh beyond its public API: a
private name (``_reader``, ``_cached_reader``...), an internal module
(``whoosh.codec``, ``whoosh.filedb``...) or an internal class. Anywhere
else, a Whoosh upgrade could break it silently.
"""

from __future__ import annotations

import ast
import warnings
from functools import cache
from pathlib import Path

import pytest
import whoosh

from searchapp.engine import whoosh as door
from searchapp.errors import WhooshVersionError

PACKAGE = Path(__file__).resolve().parents[1] / "searchapp"
DOOR = PACKAGE / "engine" / "whoosh"

# Whoosh's public API, as its documentation presents it.
PUBLIC_MODULES = {
    "whoosh",
    "whoosh.analysis",
    "whoosh.fields",
    "whoosh.formats",
    "whoosh.highlight",
    "whoosh.index",
    "whoosh.qparser",
    "whoosh.query",
    "whoosh.scoring",
    "whoosh.searching",
    "whoosh.sorting",
    "whoosh.writing",
}
# Public modules' names that are internals all the same.
PRIVATE_NAMES = {("whoosh.index", "TOC"), ("whoosh.writing", "SegmentWriter")}


def modules(root: Path, skip: Path | None = None) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if skip is None or skip not in p.parents)


def parse(path: Path) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Whoosh's own invalid escape sequences
        return ast.parse(path.read_text(encoding="utf-8"))


@cache
def whoosh_private_names() -> frozenset[str]:
    """Every ``_name`` Whoosh's source defines (functions, classes, attributes, globals)."""
    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = node.name
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                name = node.attr
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                name = node.id
            else:
                continue
            if name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return frozenset(names)


def violations(path: Path, private: frozenset[str]) -> list[str]:
    """What ``path`` uses of Whoosh beyond its public API."""
    found = []
    where = path.relative_to(PACKAGE.parent)
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("whoosh") and alias.name not in PUBLIC_MODULES:
                    found.append(f"{where}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if module == "whoosh" and full in PUBLIC_MODULES:
                    continue
                if module not in PUBLIC_MODULES or alias.name.startswith("_") or (module, alias.name) in PRIVATE_NAMES:
                    found.append(f"{where}:{node.lineno} imports {full}")
        elif isinstance(node, ast.Attribute) and node.attr in private:
            receiver = node.value.id if isinstance(node.value, ast.Name) else None
            if receiver not in ("self", "cls"):  # our own objects' attributes
                found.append(f"{where}:{node.lineno} uses .{node.attr}")
    return found


def test_no_module_outside_the_door_uses_whoosh_internals():
    private = whoosh_private_names()
    found = [v for path in modules(PACKAGE, skip=DOOR) for v in violations(path, private)]
    assert found == []


def test_the_check_sees_the_internals_the_door_uses():
    """Guard: run on the door itself, the check finds what it is there for."""
    private = whoosh_private_names()
    found = "\n".join(v for path in modules(DOOR) for v in violations(path, private))
    for expected in (
        "uses ._cached_reader",
        "uses ._reader",
        "imports whoosh.codec.whoosh3.W3LeafMatcher",
        "imports whoosh.index.TOC",
        "uses ._commit_toc",
    ):
        assert expected in found


def test_another_whoosh_version_is_refused_by_name():
    door.check_version()  # the installed one: the pinned one
    with pytest.raises(WhooshVersionError, match=r"needs whoosh-reloaded==2\.7\.5, found Whoosh 2\.7\.6"):
        door.check_version("2.7.6")
