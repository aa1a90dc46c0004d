"""The SQLite index, written through sqlite-utils.

Tables: documents (metadata + file hash), passages (text, heading, and the passage's own term counts as
blobs: int32 term ids and uint8 counts, the postings stored per passage), arrays (the corpus-level arrays
derived from those blobs: term-major postings of counts, passage lengths, the vocabulary and its hashes; BM25
weights are computed from them when the index is opened). Adding or removing documents patches those arrays
(engine.Postings.patch) from the changed passages' blobs: nothing else is re-read or re-analysed.
A build copies the current index to a temporary file beside it, applies only what changed (added, changed,
removed files are re-read; unchanged files are only hashed), recomputes the corpus statistics from the stored
per-passage postings, and atomically replaces the old file. Readers never see a half-built index, and a build
that changed nothing (say, only unreadable files were added) leaves the file alone.

Files are read, split and analysed by reader worker processes (documents.run_isolated) under a time limit
per file, while this process writes what they return. Every unreadable file is reported in BuildReport.errors
and logged. Passage ids are never reused, even across full rebuilds, so that a button under an old answer can
only find its own passage or nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import operator
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sqlite_utils

from . import documents as docs_mod
from . import visibility as vis
from .documents import DocumentError, Limits, Prepared, index_terms, prepare  # noqa: F401 (re-exported)
from .engine import ForwardIndex, HashedVocabulary, Postings, Vocabulary, compact_counts, counts_from_blob

SCHEMA_VERSION = 11  # bump when analysis, passage splitting, tables or stored arrays change: old indexes are rebuilt
Progress = Callable[[int, int, str], None]
log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    documents: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    relabelled: list[str] = field(default_factory=list)  # unchanged files whose visibility changed
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def modified(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.relabelled)


@contextlib.contextmanager
def _lock(db: Path) -> Iterator[None]:
    lock_path = db.with_name(db.name + ".lock")
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _init_schema(db: sqlite_utils.Database) -> None:
    if "documents" in db.table_names():
        return
    db["documents"].create(
        {
            "id": str, "path": str, "title": str, "number": str, "type": str, "issuer": str, "issued": str,
            "year": int, "source": str, "aliases": str, "visibility": str, "audience": str, "sha256": str,
            "n_passages": int, "indexed_at": float, "warnings": str, "level": int, "declared": str,
        },
        pk="id",
    )
    db["passages"].create(
        {"id": int, "doc_id": str, "position": int, "heading": str, "text": str, "term_ids": bytes, "tfs": bytes,
         "level": int, "audience": str},
        pk="id",
    )
    db["passages"].create_index(["doc_id"])
    db["arrays"].create({"name": str, "data": bytes}, pk="name")
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].insert({"key": "schema_version", "value": str(SCHEMA_VERSION)})


def _store_array(db: sqlite_utils.Database, name: str, array: np.ndarray) -> None:
    db["arrays"].upsert({"name": name, "data": np.ascontiguousarray(array).tobytes()}, pk="name")


def load_array(conn: sqlite3.Connection, name: str, dtype) -> np.ndarray:
    row = conn.execute("SELECT data FROM arrays WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise KeyError(name)
    return np.frombuffer(row[0], dtype=dtype)


def _load_vocabulary(db: sqlite_utils.Database) -> Vocabulary:
    row = db.execute("SELECT data FROM arrays WHERE name = 'vocab'").fetchone()
    if row is None or not row[0]:
        return Vocabulary()
    return Vocabulary(row[0].decode("utf-8").split("\n"))


def _term_ids(vocab: Vocabulary, prepared: Prepared) -> np.ndarray:
    """The term ids of the document's passages, one after the other (int32), adding new terms to the
    vocabulary in first-occurrence order (prepared.terms is in that order)."""
    found = list(map(vocab.ids.get, prepared.terms))
    if None in found:
        vocab.extend(itertools.compress(prepared.terms, map(operator.is_, found, itertools.repeat(None))))
        found = list(map(vocab.ids.__getitem__, prepared.terms))
    return np.array(found, np.int32)[prepared.term_index] if found else np.zeros(0, np.int32)


class _Written:
    """What this build wrote to the passages table, in write order (passage ids ascending): the term ids and
    counts of each passage's blobs. A new index's postings are built from these instead of reading every blob
    back (_write_statistics checks that the table holds exactly these passages)."""

    def __init__(self) -> None:
        self.ids: list[np.ndarray] = []
        self.term_ids: list[np.ndarray] = []
        self.tfs: list[np.ndarray] = []
        self.lengths: list[list[int]] = []

    def add(self, first_id: int, term_ids: np.ndarray, prepared: Prepared) -> None:
        self.ids.append(np.arange(first_id, first_id + len(prepared.lengths), dtype=np.int64))
        self.term_ids.append(term_ids)
        self.tfs.append(prepared.counts)
        self.lengths.append(prepared.lengths)

    def forward(self, ids: np.ndarray) -> ForwardIndex | None:
        """The passages' ForwardIndex (as _forward of their rows gives it) if `ids` are exactly the passages
        written, else None."""
        written = np.concatenate(self.ids) if self.ids else np.zeros(0, np.int64)
        if not len(written) or not np.array_equal(written, ids):
            return None
        lengths = np.fromiter(itertools.chain.from_iterable(self.lengths), np.int64, len(written))
        indptr = np.zeros(len(written) + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return ForwardIndex(indptr, np.concatenate(self.term_ids), compact_counts(np.concatenate(self.tfs)))


def _encode_document(vocab: Vocabulary, prepared: Prepared) -> list[tuple[bytes, bytes]]:
    """Each passage's term counts as (int32 term ids, compact counts) blobs, adding new terms to the vocabulary
    in first-occurrence order. The reader sent the document's distinct terms once (prepared.terms, in
    first-occurrence order) and the passages' terms as indices into them: one vocabulary lookup per distinct
    term, one numpy gather, then byte slices."""
    return _blobs(_term_ids(vocab, prepared), prepared)


def _blobs(term_ids: np.ndarray, prepared: Prepared) -> list[tuple[bytes, bytes]]:
    """Each passage's (term ids, counts) blobs: byte slices of the document's arrays."""
    ids = term_ids.tobytes()
    tfs = prepared.counts.tobytes()
    width = prepared.counts.itemsize
    rows = []
    start = 0
    for n in prepared.lengths:
        end = start + n
        rows.append((ids[4 * start:4 * end], tfs[width * start:width * end]))
        start = end
    return rows


def _next_passage_id(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'next_passage_id'").fetchone()
    top = db.execute("SELECT max(id) FROM passages").fetchone()[0] or 0
    return max(int(row[0]) if row else 1, top + 1)


_INSERT_DOCUMENT = (
    "INSERT OR REPLACE INTO documents (id, path, title, number, type, issuer, issued, year, source, aliases, "
    "visibility, audience, level, declared, sha256, n_passages, indexed_at, warnings, ocr) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_PASSAGE = (
    "INSERT INTO passages (id, doc_id, position, heading, text, term_ids, tfs, level, audience) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _ensure_ocr_column(db: sqlite_utils.Database) -> None:
    """The documents table of an index made before the ocr column (or a new one) gets it, as sqlite-utils'
    insert(alter=True) used to add it on the first document written."""
    if "ocr" not in db["documents"].columns_dict:
        db["documents"].add_column("ocr", int)


def _write_document(db: sqlite_utils.Database, vocab: Vocabulary, prepared: Prepared, first_id: int,
                    label: vis.Label, written: _Written | None = None) -> int:
    """Insert a document's passages with ids from first_id on (passage ids are never reused, so a button
    under an old answer can never open another passage) and its row; returns the number of passages. Every
    passage carries the document's effective visibility (level, audience); `visibility`/`audience` of the
    document are the effective ones too, `declared` what its front matter said. Plain SQL (sqlite-utils'
    insert costs more than the rest of the write); the documents table must have its ocr column
    (_ensure_ocr_column)."""
    doc, parts = prepared.doc, prepared.passages
    audience = label.audience_json()
    if parts:
        term_ids = _term_ids(vocab, prepared)
        if written is not None:
            written.add(first_id, term_ids, prepared)
        db.conn.executemany(_INSERT_PASSAGE, [
            (first_id + i, doc.id, position, heading, text, ids, tfs, label.level, audience)
            for i, ((position, heading, text), (ids, tfs)) in enumerate(
                zip(parts, _blobs(term_ids, prepared), strict=True))])
    db.conn.execute(_INSERT_DOCUMENT, (
        doc.id, doc.path, doc.title, doc.number, doc.type, doc.issuer, doc.issued, doc.year, doc.source,
        json.dumps(doc.aliases, ensure_ascii=False), label.name, audience, label.level,
        json.dumps({"visibility": doc.visibility, "audience": doc.audience}, ensure_ascii=False),
        doc.sha256, len(parts), time.time(), json.dumps(doc.warnings, ensure_ascii=False), int(doc.ocr),
    ))
    return len(parts)


def _labels(conn, rules: vis.Rules, uploads: dict[str, vis.Label]) -> Iterator[tuple[str, vis.Label, bool]]:
    """(doc id, effective label, differs from the stored one) for every document in the index."""
    for doc_id, path, declared, visibility, audience in conn.execute(
            "SELECT id, path, declared, visibility, audience FROM documents"):
        own = json.loads(declared or "{}")
        label = vis.resolve(path or doc_id, vis.declared(own.get("visibility"), own.get("audience")), rules, uploads)
        yield doc_id, label, (visibility, audience) != (label.name, label.audience_json())


def _relabel(db: sqlite_utils.Database, rules: vis.Rules, uploads: dict[str, vis.Label], report: BuildReport) -> None:
    """Bring every document's and passage's visibility in line with the rules and upload labels (a changed
    config or caption relabels unchanged files without reading them again)."""
    for doc_id, label, stale in list(_labels(db.conn, rules, uploads)):
        if stale:
            db.execute("UPDATE documents SET visibility = ?, audience = ?, level = ? WHERE id = ?",
                       (label.name, label.audience_json(), label.level, doc_id))
            db.execute("UPDATE passages SET level = ?, audience = ? WHERE doc_id = ?",
                       (label.level, label.audience_json(), doc_id))
            if doc_id not in report.added and doc_id not in report.changed:
                report.relabelled.append(doc_id)
    db["meta"].upsert({"key": "visibility_rules", "value": rules.to_json()}, pk="key")


def stored_rules(db_path: Path) -> vis.Rules | None:
    """The visibility rules the index at db_path was built with (None: no usable index)."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'visibility_rules'").fetchone()
            return vis.Rules.from_json(row[0]) if row else None
        finally:
            conn.close()
    except (sqlite3.Error, ValueError):
        return None


def is_current(db_path: Path, rules: vis.Rules) -> bool:
    """Was the index at db_path built by this version (schema) under these visibility rules?"""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(version) and int(version[0]) == SCHEMA_VERSION and stored_rules(db_path) == rules


def _labels_stale(db_path: Path, rules: vis.Rules, uploads: dict[str, vis.Label]) -> bool:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'visibility_rules'").fetchone()
            return (row is None or row[0] != rules.to_json()
                    or any(stale for _, _, stale in _labels(conn, rules, uploads)))
        finally:
            conn.close()
    except sqlite3.Error:
        return True


def _delete_document(db: sqlite_utils.Database, doc_id: str) -> None:
    db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
    db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))


def _forward(rows) -> ForwardIndex:
    return ForwardIndex.from_counts(
        (np.frombuffer(r[0], np.int32), counts_from_blob(r[1], len(r[0]) // 4)) for r in rows)


def _stored_postings(db: sqlite_utils.Database) -> tuple[Postings, np.ndarray] | None:
    """The postings and passage ids stored by the last build, or None (a new index)."""
    try:
        return load_postings(db.conn), load_array(db.conn, "passage_ids", np.int64)
    except (KeyError, TypeError):
        return None


def _write_statistics(db: sqlite_utils.Database, vocab: Vocabulary, known_terms: int,
                      written: _Written | None = None) -> int:
    """Bring the corpus-level arrays up to date with the stored per-passage postings: the previous build's
    postings are patched (removed passages out, new passages' blobs in) when there are any, else built from
    every passage's blobs (kept in memory by `written` when this build wrote them all). Nothing is
    re-analysed. known_terms: vocabulary size at the previous build."""
    rows = db.execute("SELECT id, doc_id FROM passages ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows], np.int64)
    previous = _stored_postings(db)
    postings = None
    if previous is not None:
        old, old_ids = previous
        kept = np.isin(old_ids, ids)
        added = ids[~np.isin(ids, old_ids)]
        if len(old_ids) == old.n_passages and (not len(added) or not kept.any()
                                               or added[0] > old_ids[kept][-1]):
            blobs = db.execute("SELECT term_ids, tfs FROM passages WHERE id >= ? ORDER BY id",
                               (int(added[0]),)).fetchall() if len(added) else []
            postings = old.patch(np.flatnonzero(~kept), _forward(blobs), len(vocab))
    if postings is None:
        forward = written.forward(ids) if written is not None else None
        if forward is None:
            forward = _forward(db.execute("SELECT term_ids, tfs FROM passages ORDER BY id").fetchall())
        postings = Postings.from_forward(forward, len(vocab))
        del forward
    del previous
    doc_ids = [r[0] for r in db.execute("SELECT id FROM documents ORDER BY id").fetchall()]
    position = {d: i for i, d in enumerate(doc_ids)}
    passage_doc = np.array([position[r[1]] for r in rows], np.int32)
    hashed = _stored_hashes(db, known_terms)
    hashed = hashed.extend(vocab.terms[known_terms:], known_terms) if hashed is not None else \
        HashedVocabulary.from_terms(vocab.terms)
    _store_array(db, "vocab", np.frombuffer("\n".join(vocab.terms).encode("utf-8"), np.uint8))
    _store_array(db, "vocab_hash", hashed.hashes)
    _store_array(db, "vocab_hash_id", hashed.hash_ids)
    _store_array(db, "vocab_exact", np.frombuffer(hashed.exact_json(), np.uint8))
    _store_array(db, "passage_ids", ids)
    _store_array(db, "passage_doc", passage_doc)
    _store_array(db, "indptr", postings.indptr)
    _store_array(db, "post_pids", postings.pids)
    _store_array(db, "post_tfs", postings.tfs)
    _store_array(db, "doc_len", postings.doc_len)
    db["meta"].upsert({"key": "post_tfs_dtype", "value": postings.tfs.dtype.str}, pk="key")
    db["meta"].upsert({"key": "built_at", "value": repr(time.time())}, pk="key")
    return len(ids)


def _stored_hashes(db: sqlite_utils.Database, known_terms: int) -> HashedVocabulary | None:
    try:
        hashes = load_array(db.conn, "vocab_hash", np.uint64)
        hash_ids = load_array(db.conn, "vocab_hash_id", np.int32)
        exact = json.loads(load_array(db.conn, "vocab_exact", np.uint8).tobytes() or b"{}")
    except KeyError:
        return None
    if len(hashes) + len(exact) != known_terms:
        return None
    return HashedVocabulary(hashes, hash_ids, exact, known_terms)


def load_vocabulary(conn: sqlite3.Connection) -> HashedVocabulary:
    """The hashed vocabulary of an index (what a serving process looks query terms up in)."""
    exact = json.loads(load_array(conn, "vocab_exact", np.uint8).tobytes() or b"{}")
    return HashedVocabulary(load_array(conn, "vocab_hash", np.uint64), load_array(conn, "vocab_hash_id", np.int32),
                            exact)  # every term is hashed or kept by name, so these count all of them


def load_postings(conn: sqlite3.Connection) -> Postings:
    """The term-major postings of counts of an index."""
    dtype = np.dtype(conn.execute("SELECT value FROM meta WHERE key = 'post_tfs_dtype'").fetchone()[0])
    return Postings(load_array(conn, "indptr", np.int64), load_array(conn, "post_pids", np.int32),
                    load_array(conn, "post_tfs", dtype), load_array(conn, "doc_len", np.int64))


def _temp_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.tmp-{os.getpid()}")


def _clean_stale_temps(db: Path) -> None:
    for stale in db.parent.glob(f".{db.name}.tmp-*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _existing_hashes(db_path: Path) -> dict[str, tuple[str, str]]:
    """doc id -> (path, sha256) in the current index; empty if there is none or it is unreadable."""
    if not db_path.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if not version or int(version[0]) != SCHEMA_VERSION:
                return {}
            return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, path, sha256 FROM documents")}
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


def _passage_id_floor(db_path: Path) -> int:
    """The first passage id the current index has not used (so a full rebuild does not reuse ids)."""
    if not db_path.exists():
        return 1
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return _next_passage_id(sqlite_utils.Database(conn))
        finally:
            conn.close()
    except sqlite3.Error:
        return 1


def _id_owners(files: list[Path], knowledge: Path, old: dict[str, tuple[str, str]]) -> dict[str, Path]:
    """doc id -> the file that has it. Two files with one id ("ke-hoach.md" and "ke-hoach.pdf"): the one the
    index already has keeps it, else the first in name order."""
    owner: dict[str, Path] = {}
    for path in files:
        if path.suffix.lower() in docs_mod.UNSUPPORTED_DOCUMENTS:
            continue
        doc_id = docs_mod.doc_id(path, knowledge)
        if doc_id not in owner or old.get(doc_id, ("",))[0] == path.relative_to(knowledge).as_posix():
            owner[doc_id] = path
    return owner


def _problem(report: BuildReport, rel: str, reason: str) -> None:
    report.errors.append((rel, reason))
    log.warning("not indexed: %s: %s", rel, reason, extra={"path": rel, "reason": reason})


def build(
    knowledge: Path,
    db_path: Path,
    progress: Progress | None = None,
    limits: Limits | None = None,
    force: bool = False,
    visibility: vis.Rules | None = None,
    known_errors: dict[str, str] | None = None,
) -> BuildReport:
    """Bring the index at db_path up to date with the knowledge folder (see module doc). visibility: the
    rules giving documents without their own label a level (folder defaults, the default); None keeps the
    rules the index was last built with (the safe defaults for a new index). known_errors: files (relative
    path -> reason) the caller knows failed and have not changed since: reported again without being read
    again (a periodic rescan does not re-OCR a scan that ran out of time every time)."""
    started = time.perf_counter()
    limits = limits or Limits()
    knowledge, db_path = Path(knowledge), Path(db_path)
    if not knowledge.is_dir():
        raise FileNotFoundError(f"không tìm thấy thư mục tài liệu: {knowledge}")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    report = BuildReport()
    with _lock(db_path):
        _clean_stale_temps(db_path)
        old = _existing_hashes(db_path)
        existing = {} if force else old
        rules = visibility or (stored_rules(db_path) if old else None) or vis.Rules()
        uploads = vis.read_uploads(knowledge)
        files = list(docs_mod.scan(knowledge, docs_mod.SUPPORTED + tuple(docs_mod.UNSUPPORTED_DOCUMENTS)))
        current: dict[str, tuple[Path, str]] = {}
        owner = _id_owners(files, knowledge, old)
        for path in files:
            rel = path.relative_to(knowledge).as_posix()
            if path.suffix.lower() in docs_mod.UNSUPPORTED_DOCUMENTS:
                _problem(report, rel, docs_mod.UNSUPPORTED_DOCUMENTS[path.suffix.lower()])
                continue
            doc_id = docs_mod.doc_id(path, knowledge)
            if owner[doc_id] != path:
                other = owner[doc_id].relative_to(knowledge).as_posix()
                _problem(report, rel, f"trùng mã văn bản {doc_id} với tệp {other} (cùng tên, khác đuôi): đổi tên tệp")
                continue
            if known_errors and rel in known_errors:
                report.errors.append((rel, known_errors[rel]))
                if doc_id in old:  # its last good version stays indexed
                    current[doc_id] = (path, old[doc_id][1])
                continue
            try:
                current[doc_id] = (path, docs_mod.file_hash(path))
            except OSError as exc:
                _problem(report, rel, f"không đọc được tệp ({exc.strerror or exc})")
        to_read = [d for d, (_, h) in current.items() if d not in existing or existing[d][1] != h]
        removed = [d for d in existing if d not in current]
        report.unchanged = len(current) - len(to_read)
        if not to_read and not removed and db_path.exists() and existing and not _labels_stale(
                db_path, rules, uploads):
            report.documents = len(existing)
            report.passages = _count_passages(db_path)
            report.seconds = time.perf_counter() - started
            return report
        tmp = _temp_path(db_path)
        first_id = _passage_id_floor(db_path)
        if db_path.exists() and existing:
            shutil.copyfile(db_path, tmp)
        elif tmp.exists():
            tmp.unlink()
        try:
            report = _apply(tmp, knowledge, current, existing, to_read, removed, report, progress, limits, first_id,
                            (rules, uploads))
            if report.modified or not existing:  # else (only unreadable files) the index stays as it is
                os.replace(tmp, db_path)
                _fsync_dir(db_path.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    report.seconds = time.perf_counter() - started
    return report


def _apply(tmp, knowledge, current, existing, to_read, removed, report, progress, limits, first_id,
           labels) -> BuildReport:
    rules, uploads = labels
    db = sqlite_utils.Database(tmp)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    _init_schema(db)
    _ensure_ocr_column(db)
    vocab = _load_vocabulary(db)
    known_terms = len(vocab)
    next_id = max(first_id, _next_passage_id(db))
    seen_hashes = {h: d for d, (_, h) in existing.items() if d not in to_read and d not in removed}
    # Files with the content of an unchanged document are not even read.
    reading = [d for d in to_read if current[d][1] not in seen_hashes]
    jobs = [(str(current[d][0]), str(knowledge), limits) for d in reading]

    def on_note(job: int, text: str) -> None:  # progress inside one file (OCR pages)
        if progress:
            done = to_read.index(reading[job]) + 1
            progress(done, len(to_read), f"{current[reading[job]][0].relative_to(knowledge).as_posix()}: {text}")

    results = docs_mod.run_isolated(prepare, jobs, timeout=limits.parse_timeout, on_note=on_note)
    written = _Written()
    with db.conn, contextlib.closing(results):
        for doc_id in removed:
            _delete_document(db, doc_id)
            report.removed.append(doc_id)
        for done, doc_id in enumerate(to_read, 1):
            path, digest = current[doc_id]
            rel = path.relative_to(knowledge).as_posix()
            if progress:
                progress(done, len(to_read), rel)
            prepared = next(results)[1] if doc_id in reading else None
            if digest in seen_hashes:
                _problem(report, rel, f"trùng nội dung với văn bản đã có: {seen_hashes[digest]}")
                continue
            if isinstance(prepared, DocumentError):
                _problem(report, rel, str(prepared))
                continue
            seen_hashes[digest] = doc_id
            if doc_id in existing:  # replaced only once the new version has been read
                _delete_document(db, doc_id)
            own = vis.declared(prepared.doc.visibility, prepared.doc.audience)
            if prepared.doc.visibility and not vis.is_known(prepared.doc.visibility):
                report.warnings.append((rel, vis.UNKNOWN_LEVEL_WARNING.format(value=prepared.doc.visibility)))
            next_id += _write_document(db, vocab, prepared, next_id, vis.resolve(rel, own, rules, uploads),
                                       written)
            for warning in prepared.doc.warnings:
                report.warnings.append((rel, warning))
                log.info("warning: %s: %s", rel, warning, extra={"path": rel, "reason": warning})
            (report.changed if doc_id in existing else report.added).append(doc_id)
        db["meta"].upsert({"key": "next_passage_id", "value": str(next_id)}, pk="key")
        _relabel(db, rules, uploads, report)
        report.passages = _write_statistics(db, vocab, known_terms, written)
    report.documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    db.conn.commit()
    db.conn.close()
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    return report


def _count_passages(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    finally:
        conn.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
