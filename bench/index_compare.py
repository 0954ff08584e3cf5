"""Check that two searchapp indexes hold the same content.

    python bench/index_compare.py INDEX_A INDEX_B [--no-postings]

Each argument is an ``[index] path`` folder (with ``CURRENT``) or a generation
folder. Compared: the set of document ids, every stored field of every
document, every field's terms with their document frequencies, and (unless
``--no-postings``) every posting: the document (by id), the weight and the
encoded value (positions), plus each document's field lengths and column
values. Document numbers may differ; everything is matched through the ``id``
field. Exits 1 and prints the first differences when the indexes differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from whoosh import index as whoosh_index

INDEX_NAME = "articles"


def open_index(path: Path):
    path = Path(path)
    if (path / "CURRENT").exists():
        path = path / (path / "CURRENT").read_text(encoding="utf-8").strip()
    return whoosh_index.open_dir(str(path), indexname=INDEX_NAME, readonly=True)


def _ids(reader) -> dict[int, str]:
    return {docnum: stored["id"] for docnum, stored in reader.iter_docs()}


def compare(a_path: Path, b_path: Path, postings: bool = True, limit: int = 20) -> list[str]:
    problems: list[str] = []

    def fail(message: str) -> None:
        problems.append(message)

    ra, rb = open_index(a_path).reader(), open_index(b_path).reader()
    try:
        ids_a, ids_b = _ids(ra), _ids(rb)
        if len(set(ids_a.values())) != len(ids_a) or len(set(ids_b.values())) != len(ids_b):
            fail("duplicate ids inside one index")
        by_id_b = {doc_id: docnum for docnum, doc_id in ids_b.items()}
        missing = set(ids_a.values()) ^ set(ids_b.values())
        if missing:
            fail(f"{len(missing)} ids in only one index, e.g. {sorted(missing)[:5]}")
        stored_b = dict(rb.iter_docs())
        schema = ra.schema
        if sorted(schema.names()) != sorted(rb.schema.names()):
            fail(f"schemas differ: {schema.names()} / {rb.schema.names()}")
        scorable = [name for name in schema.names() if schema[name].scorable]
        columns = [name for name in schema.names() if schema[name].column_type]
        col_a = {name: ra.column_reader(name) for name in columns if ra.has_column(name)}
        col_b = {name: rb.column_reader(name) for name in columns if rb.has_column(name)}
        if set(col_a) != set(col_b):
            fail(f"columns differ: {sorted(col_a)} / {sorted(col_b)}")
        for docnum, stored in ra.iter_docs():
            other = by_id_b.get(stored["id"])
            if other is None:
                continue
            if stored != stored_b[other]:
                keys = sorted(k for k in set(stored) | set(stored_b[other]) if stored.get(k) != stored_b[other].get(k))
                fail(f"stored fields differ for {stored['id']}: {keys}")
            for name in scorable:
                la, lb = ra.doc_field_length(docnum, name), rb.doc_field_length(other, name)
                if la != lb:
                    fail(f"length of {name} differs for {stored['id']}: {la} / {lb}")
            for name in col_a.keys() & col_b.keys():
                if col_a[name][docnum] != col_b[name][other]:
                    fail(f"column {name} differs for {stored['id']}")
            if len(problems) > limit:
                return problems
        for name in schema.names():
            if not schema[name].indexed:
                continue
            terms_a = {t: ra.doc_frequency(name, t) for t in ra.lexicon(name)}
            terms_b = {t: rb.doc_frequency(name, t) for t in rb.lexicon(name)}
            if terms_a != terms_b:
                only = set(terms_a) ^ set(terms_b)
                freq = [t for t in set(terms_a) & set(terms_b) if terms_a[t] != terms_b[t]]
                fail(f"field {name}: {len(only)} terms in one index only, {len(freq)} doc frequencies differ")
                continue
            if schema[name].scorable:
                for stat in ("field_length", "max_field_length", "min_field_length"):
                    if getattr(ra, stat)(name) != getattr(rb, stat)(name):
                        fail(f"field {name}: {stat} differs")
            if not postings:
                continue
            fmt = schema[name].format
            for term in terms_a:
                pa = _postings(ra, name, term, fmt, ids_a)
                pb = _postings(rb, name, term, fmt, ids_b)
                if pa != pb:
                    fail(f"postings of {name}:{term!r} differ")
                    if len(problems) > limit:
                        return problems
                ia, ib = ra.term_info(name, term), rb.term_info(name, term)
                if (ia.weight(), ia.doc_frequency(), ia.max_weight()) != (
                    ib.weight(),
                    ib.doc_frequency(),
                    ib.max_weight(),
                ):
                    fail(f"term info of {name}:{term!r} differs")
    finally:
        ra.close()
        rb.close()
    return problems


def _postings(reader, name: str, term: bytes, fmt, ids: dict[int, str]) -> list[tuple]:
    matcher = reader.postings(name, term)
    out = []
    while matcher.is_active():
        out.append((ids[matcher.id()], matcher.weight(), matcher.value()))
        matcher.next()
    out.sort()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--no-postings", action="store_true", help="compare terms and doc frequencies only")
    args = parser.parse_args()
    problems = compare(args.a, args.b, postings=not args.no_postings)
    if problems:
        print("DIFFERENT:")
        for line in problems[:20]:
            print("  " + line)
        return 1
    print(
        "identical: same ids, stored fields, lengths, columns, terms, doc frequencies"
        + ("" if args.no_postings else " and postings")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
