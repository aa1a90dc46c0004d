import os
import sqlite3
import subprocess
import sys
import time

import pytest

from indexer.search import Searcher
from indexer.store import build


def doc_ids(db):
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute("SELECT id FROM documents"))


def test_build_then_incremental(knowledge, tmp_path):
    db = tmp_path / "index.db"
    report = build(knowledge, db)
    assert report.documents == 3 and report.passages >= 4 and not report.errors
    assert sorted(report.added) == ["ct-33", "luat/luat-99", "tin-hoa-binh"]

    again = build(knowledge, db)
    assert not again.modified and again.unchanged == 3 and again.documents == 3

    (knowledge / "ct-33.md").write_text((knowledge / "ct-33.md").read_text() + "\nThêm đoạn về tiếp công dân.\n")
    (knowledge / "moi.md").write_text("Văn bản mới về hương ước, quy ước của thôn bản.", encoding="utf-8")
    (knowledge / "tin-hoa-binh.txt").unlink()
    changed = build(knowledge, db)
    assert changed.changed == ["ct-33"] and changed.added == ["moi"] and changed.removed == ["tin-hoa-binh"]
    assert changed.unchanged == 1
    assert doc_ids(db) == ["ct-33", "luat/luat-99", "moi"]
    s = Searcher(db)
    assert s.search("hương ước thôn bản").hits[0].doc == "moi"
    assert s.search("tiếp công dân").hits[0].doc == "ct-33"
    assert not any(h.doc == "tin-hoa-binh" for h in s.search("mô hình dân vận khéo phường Hòa Bình", k=20).hits)


def test_incremental_equals_full_rebuild(knowledge, tmp_path):
    db = tmp_path / "a.db"
    build(knowledge, db)
    (knowledge / "moi.md").write_text("Quy chế dân chủ ở cơ sở tại phường Hòa Bình năm 2031.", encoding="utf-8")
    build(knowledge, db)
    full = tmp_path / "b.db"
    build(knowledge, full)
    q = "dân chủ ở cơ sở phường Hòa Bình"
    a = [(h.doc, h.text, round(h.score, 9)) for h in Searcher(db).search(q).hits]
    b = [(h.doc, h.text, round(h.score, 9)) for h in Searcher(full).search(q).hits]
    assert a == b


def test_broken_file_among_good_ones(knowledge, tmp_path):
    (knowledge / "hong.docx").write_bytes(b"PK\x03\x04 broken")
    (knowledge / "rong.md").write_bytes(b"")
    report = build(knowledge, tmp_path / "i.db")
    assert report.documents == 3
    errors = dict(report.errors)
    assert "hỏng" in errors["hong.docx"] and "rỗng" in errors["rong.md"]


def test_duplicate_content_is_reported_once(knowledge, tmp_path):
    (knowledge / "ban-sao.md").write_bytes((knowledge / "ct-33.md").read_bytes())
    report = build(knowledge, tmp_path / "i.db")
    assert report.documents == 3
    assert any("trùng nội dung" in reason for _, reason in report.errors)


def test_replace_is_atomic_for_open_readers(knowledge, tmp_path):
    db = tmp_path / "index.db"
    build(knowledge, db)
    reader = Searcher(db)
    before = reader.search("Ban Thanh tra nhân dân").hits[0].text
    (knowledge / "moi.md").write_text("Ban Thanh tra nhân dân giám sát việc thu chi ngân sách xã.", encoding="utf-8")
    build(knowledge, db)
    assert reader.search("Ban Thanh tra nhân dân").hits[0].text == before  # old snapshot still whole
    assert reader.reload()
    assert "moi" in {h.doc for h in reader.search("Ban Thanh tra nhân dân thu chi ngân sách").hits}
    assert not list(tmp_path.glob(".index.db.tmp-*"))


def test_killed_build_leaves_previous_index(knowledge, tmp_path):
    db = tmp_path / "index.db"
    build(knowledge, db)
    stamp = db.stat().st_mtime_ns
    for i in range(300):
        (knowledge / f"them-{i}.md").write_text(f"Văn bản bổ sung số {i} về công tác dân vận. " * 50)
    code = ("import sys; from pathlib import Path; from indexer.store import build; "
            "build(Path(sys.argv[1]), Path(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(knowledge), str(db)])
    deadline = time.time() + 30
    while time.time() < deadline and not list(tmp_path.glob(".index.db.tmp-*")):
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    if db.stat().st_mtime_ns != stamp:
        pytest.skip("the build finished before it could be killed")
    assert doc_ids(db) == ["ct-33", "luat/luat-99", "tin-hoa-binh"]
    report = build(knowledge, db)  # a later build cleans the stale temp file and completes
    assert report.documents == 303 and not list(tmp_path.glob(".index.db.tmp-*"))
    assert os.path.exists(db)


def _postings_by_term(db):
    """term -> {(document, position): count} and (document, position) -> length, from the stored arrays."""
    import numpy as np

    from indexer.store import load_array, load_postings

    with sqlite3.connect(db) as conn:
        p = load_postings(conn)
        terms = load_array(conn, "vocab", np.uint8).tobytes().decode("utf-8").split("\n")
        keys = conn.execute("SELECT doc_id, position FROM passages ORDER BY id").fetchall()
    out = {}
    for t, term in enumerate(terms):
        lo, hi = p.indptr[t], p.indptr[t + 1]
        if hi > lo:
            out[term] = {keys[r]: tf for r, tf in zip(p.pids[lo:hi].tolist(), p.tfs[lo:hi].tolist(), strict=True)}
    return out, dict(zip(keys, p.doc_len.tolist(), strict=True))


def test_incremental_arrays_equal_full_rebuild(knowledge, tmp_path):
    """Adding, changing and removing documents patches the stored postings to what a full build of the same
    files stores (term ids and passage ids differ: neither is ever reused)."""
    db = tmp_path / "a.db"
    build(knowledge, db)
    (knowledge / "moi.md").write_text("Quy chế dân chủ ở cơ sở tại phường Hòa Bình năm 2031.", encoding="utf-8")
    (knowledge / "tin-hoa-binh.txt").unlink()
    build(knowledge, db)
    (knowledge / "ct-33.md").write_text((knowledge / "ct-33.md").read_text() + "\nThêm đoạn về tiếp công dân.\n")
    build(knowledge, db)
    full = tmp_path / "b.db"
    build(knowledge, full)
    assert _postings_by_term(db) == _postings_by_term(full)
    ra, rb = Searcher(db), Searcher(full)
    for q in ["dân chủ ở cơ sở phường Hòa Bình", "tiếp công dân", "Ban Thanh tra nhân dân"]:
        assert [(h.text, round(h.score, 9)) for h in ra.search(q).hits] == \
               [(h.text, round(h.score, 9)) for h in rb.search(q).hits]


def test_old_schema_is_rebuilt(knowledge, tmp_path):
    db = tmp_path / "index.db"
    build(knowledge, db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    report = build(knowledge, db)
    assert sorted(report.added) == ["ct-33", "luat/luat-99", "tin-hoa-binh"]
    assert Searcher(db).search("Ban Thanh tra nhân dân").hits


def _reference_blobs(vocab, passages):
    """Per-passage (term ids, counts) blobs as the writer encoded a document's {term: count} dicts before
    readers sent distinct terms and indices: new terms get ids in first-occurrence order, counts in the
    smallest unsigned type over the whole document."""
    import numpy as np

    from indexer.engine import compact_counts

    keys = [t for counts in passages for t in counts]
    for term in keys:
        vocab.add(term)
    tfs = compact_counts(np.array([c for counts in passages for c in counts.values()], np.int64))
    out, start = [], 0
    for counts in passages:
        ids = np.array([vocab.ids[t] for t in counts], np.int32)
        out.append((ids.tobytes(), tfs[start:start + len(counts)].tobytes()))
        start += len(counts)
    return out


def test_prepared_terms_and_encoding_equal_per_passage_counts(knowledge, tmp_path):
    """A reader's compact form gives each passage exactly Counter(index_terms(...)) (same order), and the
    writer's blobs and vocabulary are those of encoding those dicts one by one."""
    import pickle
    from collections import Counter

    from indexer.documents import Limits, index_terms, prepare
    from indexer.engine import Vocabulary
    from indexer.store import _encode_document

    (knowledge / "dem.md").write_text("Đếm: " + "x " * 450 + "\n\nĐoạn khác về dân vận khéo, dân vận.\n",
                                      encoding="utf-8")
    (knowledge / "rong-chu.md").write_text("# Chỉ có tiêu đề\n", encoding="utf-8")
    new, old = Vocabulary(["dan", "van", "dan_van"]), Vocabulary(["dan", "van", "dan_van"])
    widths = set()
    for path in sorted(knowledge.rglob("*.*")):
        prepared = pickle.loads(pickle.dumps(prepare(str(path), str(knowledge), Limits())))  # as sent by a reader
        doc = prepared.doc
        expected = []
        for i, (_, heading, text) in enumerate(prepared.passages):
            counts = dict(Counter(index_terms(doc, heading, text)))
            assert list(prepared.counts_of(i).items()) == list(counts.items())
            expected.append(counts)
        assert _encode_document(new, prepared) == _reference_blobs(old, expected), path.name
        assert new.terms == old.terms and new.ids == old.ids
        widths.add(prepared.counts.itemsize)
    assert widths == {1, 2}  # "dem.md" counts a term more than 255 times


def test_documents_table_gets_its_ocr_column(knowledge, tmp_path):
    """A new index has documents.ocr; an index made before that column gets it on its next build."""
    db = tmp_path / "index.db"
    build(knowledge, db)
    with sqlite3.connect(db) as conn:
        assert "ocr" in [r[1] for r in conn.execute("PRAGMA table_info(documents)")]
        conn.execute("ALTER TABLE documents DROP COLUMN ocr")
    (knowledge / "moi.md").write_text("Văn bản mới về hương ước, quy ước của thôn bản.", encoding="utf-8")
    report = build(knowledge, db)
    assert report.added == ["moi"] and report.documents == 4
    with sqlite3.connect(db) as conn:
        columns = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(documents)")}
        assert columns["ocr"] == "INTEGER"
        assert conn.execute("SELECT ocr FROM documents WHERE id = 'moi'").fetchone() == (0,)


def test_new_index_postings_from_memory_equal_postings_read_back(knowledge, tmp_path, monkeypatch):
    """A new index builds its postings from the passages it kept in memory while writing them: the stored
    arrays are byte for byte those built from the blobs read back from the file."""
    from indexer import store

    (knowledge / "dem.md").write_text("Đếm: " + "x " * 450 + "\n\nĐoạn khác về dân vận khéo, dân vận.\n",
                                      encoding="utf-8")
    (knowledge / "so.md").write_text("# 2031\n\n... — !!! ???\n", encoding="utf-8")

    def arrays(db):
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT name, data FROM arrays WHERE name != 'built_at' ORDER BY name").fetchall()

    kept = store._Written.forward
    calls = []
    monkeypatch.setattr(store._Written, "forward", lambda self, ids: calls.append(kept(self, ids)) or calls[-1])
    build(knowledge, tmp_path / "memory.db")
    assert calls and calls[0] is not None
    monkeypatch.setattr(store._Written, "forward", lambda self, ids: None)
    build(knowledge, tmp_path / "read-back.db")
    assert arrays(tmp_path / "memory.db") == arrays(tmp_path / "read-back.db")
