"""Writing a Whoosh segment faster than ``SegmentWriter`` does, with the same bytes.

The reindex hands over documents whose text fields were analysed in worker
processes; postings are pooled by term and written a block at a time with
the codec's own posting writer. ``tests/test_fast_writer.py`` checks that
an index written this way, in one process or several, equals one written by
Whoosh, posting by posting (with ``bench/index_compare.py``, which also
compares any two indexes by hand).
"""

from __future__ import annotations

import heapq
import marshal
import operator
import tempfile
from array import array
from collections.abc import Iterable

from whoosh.writing import SegmentWriter

from searchapp.engine.whoosh.flatcopy import PART_EXT, FlatCopyWriter
from searchapp.engine.whoosh.values import position_decoder


class FastWriter:
    """Feeds a Whoosh ``SegmentWriter`` faster, with an index of the same content.

    * Documents come with their analysed fields already turned into terms
      (the fields named ``analysed``, prepared in worker processes);
      :meth:`add_document` is ``SegmentWriter.add_document`` for the rest.
    * Postings are grouped by term as they arrive (:class:`_TermPool`) instead
      of one tuple each in a pool sorted at the end.
    * The segment is written a block of postings at a time with the codec's
      own posting writer (:func:`_flush_segment`), with the same bytes as
      Whoosh's ``FieldWriter.add_postings``.
    """

    def __init__(self, writer, analysed: Iterable[str]) -> None:
        self.writer = writer
        self.pool = _TermPool(writer.pool.limit)
        writer.pool.cleanup()
        writer.pool = self.pool
        writer._flush_segment = lambda: _flush_segment(writer)
        for name in analysed:
            field = writer.schema[name]
            # What add_document is replaced with relies on this.
            assert field.scorable and not field.stored and not field.vector
            assert not field.column_type and not field.separate_spelling()

    def add_document(self, fields: dict, analysed: dict[str, tuple[list, int]]) -> None:
        writer = self.writer
        writer._check_state()
        perdocwriter = writer.perdocwriter
        schema = writer.schema
        docnum = writer.docnum
        add_post = self.pool.add
        if any(name.startswith("_") for name in fields):
            raise ValueError("boosts and custom stored values are not supported here")
        fieldnames = sorted([*fields, *analysed])
        writer._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                field = schema[fieldname]
                if fieldname in analysed:
                    items, length = analysed[fieldname]
                    self.pool.add_document_terms(fieldname, docnum, items)
                    perdocwriter.add_field(fieldname, field, None, length)
                    continue
                value = fields[fieldname]
                if value is None:
                    continue
                length = 0
                if field.indexed:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if field.scorable:
                            length += freq
                        add_post((fieldname, tbytes, docnum, weight * 1.0, vbytes))
                if field.separate_spelling():
                    raise ValueError("separate spelling fields are not supported here")
                if field.vector:
                    raise ValueError("term vectors are not supported here")
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        writer._added = True
        writer.docnum += 1


class _TermPool:
    """Postings by term, for ``SegmentWriter.pool``.

    Each term keeps a flat list ``[docnum, weight, value, docnum, ...]``.
    When the estimated size passes the limit, the terms are written to a
    temporary run file in term order; the runs are merged term by term (not
    posting by posting) when the segment is written. Documents arrive in
    document-number order, so a term's postings are too.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.terms: dict[tuple[str, bytes], list] = {}
        self.size = 0
        self.runs: list = []
        self.fieldnames: set[str] = set()

    def add(self, item) -> None:
        """Whoosh's ``pool.add``: one ``(fieldname, tbytes, docnum, weight, vbytes)``."""
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum == -1:
            return  # spelling-only posting: never written as a posting
        self.fieldnames.add(fieldname)
        key = (fieldname, tbytes)
        postings = self.terms.get(key)
        if postings is None:
            self.terms[key] = [docnum, weight, vbytes]
            self.size += 200 + len(tbytes)
        else:
            postings += (docnum, weight, vbytes)
        self.size += 60 + len(vbytes or b"")
        if self.size > self.limit:
            self._spill()

    def add_document_terms(self, fieldname: str, docnum: int, items) -> None:
        """The postings of one document's field: ``(tbytes, freq, weight, vbytes)`` items."""
        self.fieldnames.add(fieldname)
        terms = self.terms
        size = 0
        for tbytes, _, weight, vbytes in items:
            key = (fieldname, tbytes)
            postings = terms.get(key)
            if postings is None:
                terms[key] = [docnum, weight, vbytes]
                size += 200 + len(tbytes) + len(vbytes)
            else:
                postings += (docnum, weight, vbytes)
                size += 60 + len(vbytes)
        self.size += size
        if self.size > self.limit:
            self._spill()

    def _spill(self) -> None:
        run = tempfile.TemporaryFile(prefix="searchapp-postings-")
        items = sorted(self.terms.items())
        for start in range(0, len(items), 4096):
            marshal.dump(items[start : start + 4096], run)
        run.flush()
        self.runs.append(run)
        self.terms = {}
        self.size = 0

    def iter_terms(self):
        """``((fieldname, tbytes), postings)`` in term order."""
        if not self.runs:
            yield from sorted(self.terms.items())
            return
        sources = [_read_run(run) for run in self.runs]
        sources.append(iter(sorted(self.terms.items())))
        self.terms = {}
        current_key, current = None, None
        # heapq.merge keeps the order of the sources for equal keys: runs were
        # written in document order, so postings concatenate in order.
        for key, postings in heapq.merge(*sources, key=operator.itemgetter(0)):
            if key == current_key:
                current.extend(postings)
                continue
            if current_key is not None:
                yield current_key, current
            current_key, current = key, postings
        if current_key is not None:
            yield current_key, current

    def cleanup(self) -> None:
        for run in self.runs:
            run.close()
        self.runs = []
        self.terms = {}


def _read_run(run):
    run.seek(0)
    while True:
        try:
            chunk = marshal.load(run)
        except EOFError:
            return
        yield from chunk


def _flush_segment(writer) -> None:
    """``SegmentWriter._flush_segment`` for a :class:`_TermPool`, block by block.

    What ``FieldWriter.add_postings`` does posting by posting (including the
    document's field length, as the per-document reader gives it back), done a
    block of postings at a time; the codec's posting writer still encodes and
    writes every block and term info.
    """
    writer.perdocwriter.close()
    pdr = writer.per_document_reader() if writer.codec.length_stats else None
    fieldwriter = writer.fieldwriter
    schema = writer.schema
    lengths_by_field: dict[str, list | None] = {}
    lastfn = None
    postwriter = None
    lengths = None
    decode = None
    copy = FlatCopyWriter()
    for (fieldname, btext), postings in writer.pool.iter_terms():
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            postwriter = fieldwriter._postwriter
            lastfn = fieldname
            if fieldname not in lengths_by_field:
                lengths_by_field[fieldname] = _field_lengths(pdr, fieldname)
            lengths = lengths_by_field[fieldname]
            fmt = schema[fieldname].format
            decode = position_decoder(fmt) if fmt.supports("positions") else None
        ids = postings[0::3]
        weights = postings[1::3]
        values = postings[2::3]
        if any(a >= b for a, b in zip(ids, ids[1:], strict=False)):
            order = sorted(range(len(ids)), key=ids.__getitem__)
            ids = [ids[i] for i in order]
            weights = [weights[i] for i in order]
            values = [values[i] for i in order]
        fieldwriter.start_term(btext)
        _write_postings(postwriter, ids, weights, values, lengths)
        fieldwriter.finish_term()
        copy.add_term(fieldname, btext, ids, weights, values, decode)
    fieldwriter.close()
    with writer.newsegment.create_file(writer.storage, PART_EXT) as out:
        copy.write(out, writer.docnum)
    if pdr:
        pdr.close()


def _field_lengths(pdr, fieldname: str) -> list | None:
    """Every document's length of a field as ``doc_field_length`` reports it."""
    if pdr is None:
        return None
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    reader = pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if reader is None:
        return None
    table = [0] + [byte_to_length(b) for b in range(1, 256)]
    return [table[reader[d]] for d in range(pdr.doc_count_all())]


def _write_postings(postwriter, ids: list, weights: list, values: list, lengths: list | None) -> None:
    """``add_posting`` for every posting of a term, filling a whole block at once."""
    limit = postwriter._blocklimit
    assert not postwriter._byteids
    for start in range(0, len(ids), limit):
        if start:
            postwriter._write_block()
        end = start + limit
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        postwriter._ids = array("I", block_ids)
        postwriter._weights = array("f", block_weights)
        postwriter._values = [v for v in values[start:end] if v]
        top = max(block_weights)
        postwriter._maxweight = top if top > 0 else 0
        if lengths is not None:
            found = [n for n in map(lengths.__getitem__, block_ids) if n]
            if found:
                postwriter._minlength = min(found)
                postwriter._maxlength = max(found)


# -- segments written by child processes, committed by the parent


def part_writer(ix, limitmb: int) -> SegmentWriter:
    """A writer of one more segment of ``ix``, for a child process while the
    parent holds the index's lock (the parent commits what it writes)."""
    return SegmentWriter(ix, _lk=False, limitmb=limitmb)


def finish_part(writer: SegmentWriter):
    """Write the part's segment files; the segment, to send to the parent (picklable)."""
    return writer._finalize_segment()


def commit_parts(writer: SegmentWriter, segments: list) -> None:
    """What ``writer.commit()`` does, with ``segments`` (from :func:`finish_part`)
    as the index's new segment list."""
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()
