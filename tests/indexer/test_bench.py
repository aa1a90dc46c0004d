"""Tests of the speed benchmark (indexer/bench.py): the synthetic corpus generator and one small full run."""

import json
import sqlite3

import pytest

from indexer import bench
from indexer.analysis import terms

SAMPLE_FILES = {
    "luat.md": (
        "---\ntitle: Luật thử\nsource: bench test\n---\n\n"
        "# LUẬT THỰC HIỆN DÂN CHỦ Ở CƠ SỞ\n\n"
        "Điều 1. Phạm vi điều chỉnh\n"
        "Luật này quy định nội dung Nhân dân được biết, được bàn, được quyết định, được kiểm tra. "
        "Công dân có quyền tham gia ý kiến về các nội dung của chính quyền địa phương cấp xã; "
        "Ủy ban Mặt trận Tổ quốc Việt Nam cấp xã giám sát việc thực hiện dân chủ ở cơ sở!\n"
        "| Cột một | Cột hai |\n"
        + "Cán bộ, công chức cấp xã phải gần dân, hiểu dân, giúp dân và học dân " * 12 + "\n"
    ),
    "tin.txt": (
        "Ngày 26/11/2021, Ban Dân vận Tỉnh ủy tổ chức hội nghị tổng kết công tác dân vận năm 2021. "
        "Tỷ lệ hộ gia đình đạt danh hiệu gia đình văn hóa là 80%. "
        "Thực hiện Chỉ thị 33/CT-TTg, các đoàn thể đã vận động nhân dân hiến đất "
        "làm đường giao thông nông thôn. "
        "Đảng ủy xã chỉ đạo chi bộ thôn tổ chức đối thoại với nhân dân về xây dựng nông thôn mới\n"
        "Hội nghị cũng biểu dương các tập thể và cá nhân có thành tích xuất sắc "
        "trong phong trào thi đua dân vận khéo."
    ),
}


@pytest.fixture
def tiny_corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in SAMPLE_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "ignored.json").write_text('{"not": "text"}', encoding="utf-8")
    return folder


def test_read_sentences(tiny_corpus):
    pieces = bench.read_sentences(tiny_corpus)
    assert pieces
    assert len(pieces) == len(set(pieces))
    assert all(bench.MIN_PIECE <= len(p) <= bench.MAX_PIECE + 1 for p in pieces)
    assert not any("title:" in p or "---" in p or "|" in p or p.startswith("#") for p in pieces)
    assert not any("not" in p and "text" in p for p in pieces)  # only .md / .txt files are read
    # every piece ends with punctuation, so adjacent pieces never form a bigram
    assert all(not (p[-1].isalnum() or p[-1] in "/-%_") for p in pieces)


def test_passages_deterministic_and_bounded(tiny_corpus):
    pieces = bench.read_sentences(tiny_corpus)
    first = bench.make_passages(pieces, 300, seed=3)
    assert first == bench.make_passages(pieces, 300, seed=3)
    assert first != bench.make_passages(pieces, 300, seed=4)
    assert len(first) == 300
    assert all(bench.MIN_CHARS <= len(p) <= bench.MAX_CHARS for p in first)
    assert all("\n" not in p for p in first)
    lengths = sorted(len(p) for p in first)
    assert lengths[len(lengths) // 2] < 800  # a realistic spread, not all at the cap
    # a passage's terms are the concatenation of its sentences' terms (the token-file shortcut)
    for plan in bench.passage_plans(pieces, 100, seed=5):
        text = bench.passage_text(pieces, plan)
        assert terms(text) == [t for i in plan for t in terms(pieces[i])]


def test_passage_bounds_custom(tiny_corpus):
    pieces = bench.read_sentences(tiny_corpus, max_piece=150)
    passages = bench.make_passages(pieces, 200, seed=0, min_chars=200, max_chars=500)
    assert all(200 <= len(p) <= 500 for p in passages)
    with pytest.raises(ValueError):
        bench.make_passages(pieces, 1, min_chars=100, max_chars=200)  # sentences too long for the bounds


def test_queries(tiny_corpus):
    pieces = bench.read_sentences(tiny_corpus)
    queries = bench.make_queries(pieces, 200, seed=1)
    assert queries == bench.make_queries(pieces, 200, seed=1)
    assert len(queries) == 200
    assert all(5 <= bench.query_words(q) <= 15 for q in queries)
    accent_free = sum(q.isascii() for q in queries)
    assert 20 <= accent_free <= 90  # about a quarter typed without accents


def test_fts5_match_is_valid_syntax():
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize = '{bench.FTS5_TOKENIZER}')")
    conn.execute("INSERT INTO t(text) VALUES ('Công tác dân vận của Đảng theo Chỉ thị 33/CT-TTg')")
    for q in ['"dân vận" OR (NEAR*', "công tác dân vận là gì?", "33/CT-TTg AND NOT x", "cong tac dan van"]:
        match = bench.fts5_match(q)
        assert conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall() == [(1,)]
    assert bench.fts5_match("của và các") == ""  # only stop-words: nothing to match


def test_parse_sizes():
    assert bench.parse_sizes("10k, 2000,1_000") == [10_000, 2000, 1000]


def test_missing_corpus(tmp_path):
    assert bench.main(["--corpus", str(tmp_path / "missing"), "--json", str(tmp_path / "r.json")]) == 2


def test_small_run(tmp_path):
    if not bench.default_corpus().is_dir():
        pytest.skip(f"shared corpus not found: {bench.default_corpus()}")
    out = tmp_path / "bench.json"
    assert bench.main(["--sizes", "2000", "--queries", "20", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["system"]: r for r in report["results"]}
    assert set(rows) == set(bench.SYSTEMS)
    for row in rows.values():
        assert row["passages"] == 2000
        assert row["build_s"] > 0
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert row["peak_rss_mb"] > 0
        assert row["queries"] > 0
    assert rows[bench.ENGINE]["max_rel_diff_vs_rank_bm25"] < 1e-9
    assert rows[bench.RANK_BM25]["top10_overlap_vs_engine"] > 0.9
    assert report["analysis"][0]["build_s"] > 0
    if bench.e2e_available():
        (e2e,) = report["e2e"]
        assert "error" not in e2e
        for key in ("build_s", "open_s", "p50_ms", "p99_ms", "peak_rss_mb", "add_doc_s", "remove_doc_s"):
            assert e2e[key] > 0, key
