"""The package's layering, checked from the source: Whoosh's internals behind one door.

Only :mod:`searchapp.engine.whoosh` may use Whoosh beyond its public API: a
private name (``_reader``, ``_cached_reader``...), an internal module
(``whoosh.codec``, ``whoosh.filedb``...) or an internal class. Anywhere
else, a Whoosh upgrade could break it silently.
"""

from __future__ import annotations

import ast
import re
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


# -- what may import what (docs/ARCHITECTURE.md)

# Each part of the package and the parts it may import. The flow runs down:
# web and cli -> search -> engine, index -> analysis, corpus -> text.
ALLOWED = {
    "text": set(),
    "errors": set(),
    "atomic": set(),
    "progress": set(),
    "config": {"errors"},
    "analysis": {"text"},
    "corpus": {"errors", "text"},
    "engine.whoosh": {"errors"},
    "engine": {"engine.whoosh", "errors", "text"},
    "index": {"analysis", "atomic", "config", "corpus", "engine.whoosh", "errors", "progress", "text"},
    "ingest": {"atomic", "config", "corpus", "errors", "index", "progress", "text"},
    "search": {"analysis", "config", "corpus", "engine", "engine.whoosh", "errors", "index", "text"},
    "web": {"config", "corpus", "errors", "search", "text"},
    "cli": {"__init__", "config", "corpus", "errors", "index", "ingest", "progress", "search", "web"},
    "__init__": {"config", "web"},
    "__main__": {"cli"},
}
# The parts that may import Whoosh at all (its public API; internals: the door only).
WHOOSH_USERS = {"analysis", "index", "engine", "engine.whoosh", "search"}
PACKAGES = {"analysis", "cli", "corpus", "engine", "index", "ingest", "search", "web"}


def part_of(module: str) -> str:
    """``searchapp.engine.whoosh.codec`` -> ``engine.whoosh``; ``searchapp.cli.serving`` -> ``cli``."""
    parts = module.split(".")[1:]
    if parts[:2] == ["engine", "whoosh"]:
        return "engine.whoosh"
    return parts[0] if parts else "__init__"


def is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()


def imported_parts(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "searchapp":
            if node.module == "searchapp":  # a module, or a name of the package's __init__
                found |= {part_of(f"searchapp.{a.name}") if is_module(a.name) else "__init__" for a in node.names}
            else:
                found.add(part_of(node.module))
        elif isinstance(node, ast.Import):
            found |= {part_of(a.name) for a in node.names if a.name.split(".")[0] == "searchapp"}
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(n.split(".")[0] == "whoosh" for n in names):
                found.add("whoosh")
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_belongs_to_a_known_part():
    assert {part_of(module_name(p)) for p in modules(PACKAGE)} == set(ALLOWED)


def test_each_part_imports_only_what_it_may():
    found = []
    for path in modules(PACKAGE):
        part = part_of(module_name(path))
        allowed = ALLOWED[part] | {part} | ({"whoosh"} if part in WHOOSH_USERS else set())
        found += [f"{module_name(path)} imports {other}" for other in sorted(imported_parts(path) - allowed)]
    assert found == []


def test_web_and_cli_use_no_private_name_of_the_library():
    """The web layer and the command line go through public APIs (Searcher's above all)."""
    found = []
    for path in [*modules(PACKAGE / "web"), *modules(PACKAGE / "cli")]:
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    found.append(f"{module_name(path)}:{node.lineno} uses .{node.attr}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("searchapp"):
                found += [f"{module_name(path)}:{node.lineno} imports {a.name}" for a in node.names if a.name[0] == "_"]
    assert found == []


def test_the_rules_are_the_ones_the_architecture_document_states():
    text = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for part, allowed in ALLOWED.items():
        if part in PACKAGES or part == "engine.whoosh":
            line = f"| `{part.replace('.', '/')}/` |"
            assert line in text, f"{part} has no row in docs/ARCHITECTURE.md"
            row = text.split(line, 1)[1].split("\n", 1)[0]
            named = set(re.findall(r"`([a-z_.]+)`", row.rsplit("|", 2)[-2]))
            assert named == {a.replace("/", ".") for a in allowed}, part
