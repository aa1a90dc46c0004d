"""Hostile files in the knowledge folder: each is reported on one line (and one log record) naming the file and
the reason, every other file is still indexed, nothing is written outside the knowledge and index folders,
and no file can hang a build (the parse time limit, enforced by killing a worker process)."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.cli import main as cli
from bot.config import LimitsConfig, load_config
from indexer import documents
from indexer.analysis import clean, normalize
from indexer.documents import DocumentError, Limits, run_isolated
from indexer.search import Searcher
from indexer.store import build
from tests.bot.conftest import write_knowledge

from .conftest import poll
from .hostile import (
    GOOD_TEXT,
    declared_unzipped,
    hostile_files,
    make_docx,
    make_pdf,
    readable_files,
    slow_pdf,
    zip_bomb,
)
from .jobs import job


def tree(root: Path, skip: Path | None = None) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and (skip is None or not p.is_relative_to(skip))
    }


def ext(name: str) -> str:
    return Path(name).suffix


def test_each_hostile_file_is_reported_and_every_other_file_indexed(tmp_path, caplog):
    knowledge = write_knowledge(tmp_path / "knowledge")
    bad, good = hostile_files(), readable_files()
    for name, (data, _) in {**bad, **good}.items():
        (knowledge / name).write_bytes(data)
    outside = tree(tmp_path)
    db = tmp_path / "data" / "index.db"
    caplog.set_level(logging.INFO, logger="indexer")
    started = time.monotonic()
    report = build(knowledge, db)
    assert time.monotonic() - started < 30  # the 3 GiB bomb is refused without inflating anything

    errors = dict(report.errors)
    assert len(report.errors) == len(errors) == len(bad), report.errors  # one line per file
    for name, (_, reason) in bad.items():
        assert reason in errors[name], (name, errors[name])
        assert "\n" not in errors[name]
    assert report.documents == 3 + len(good)
    searcher = Searcher(db)
    for name, (_, phrase) in good.items():
        hit = searcher.search(phrase).hits[0]
        assert hit.doc == Path(name).stem, (name, hit.doc)
    assert searcher.document("van-ban/ct-33-2021").number == "33/CT-TTg"
    warnings = dict(report.warnings)
    assert "YAML" in warnings["yaml-hong.md"] and "'title'" in warnings["yaml-bom.md"]
    assert searcher.document("yaml-bom").number == "7/KH-UBND"  # the rest of the front matter still counts

    logged = {r.path: r for r in caplog.records if r.name == "indexer.store" and hasattr(r, "path")}
    for name, (_, reason) in bad.items():
        record = logged[name]
        assert record.levelno == logging.WARNING and name in record.getMessage() and reason in record.getMessage()
    assert logged["yaml-hong.md"].levelno == logging.INFO

    assert tree(tmp_path, skip=tmp_path / "data") == outside  # the knowledge folder is only read
    assert sorted(p.name for p in db.parent.iterdir()) == ["index.db", "index.db.lock"]


def test_zip_bomb_is_a_real_bomb_and_its_limit_comes_from_the_config(tmp_path):
    bomb = zip_bomb()
    assert len(bomb) < 4 * 2**20 and declared_unzipped(bomb) >= 3 * 2**30
    with pytest.raises(DocumentError, match="giải nén quá lớn"):
        documents.parse(bomb, ".docx", "bom")
    config = tmp_path / "config.yaml"
    config.write_text("limits:\n  max_unzipped_mb: 1\n  max_parse_seconds: 0.5\n  max_pdf_pages: 3\n")
    limits = load_config(config, env={}).limits.document_limits()
    assert (limits.max_unzipped_bytes, limits.parse_timeout, limits.max_pdf_pages) == (2**20, 0.5, 3)
    big = make_docx([GOOD_TEXT] * 4_000)  # an honest 1.5 MB of Word XML
    assert documents.parse(big, ".docx", "big").text.count("Khe Sanh") == 4_000
    with pytest.raises(DocumentError, match="giải nén quá lớn .* giới hạn 1 MB"):
        documents.parse(big, ".docx", "big", limits)
    with pytest.raises(DocumentError, match="có 4 trang, vượt giới hạn 3 trang"):
        documents.parse(make_pdf([GOOD_TEXT], pages=4), ".pdf", "dai", limits)


def test_safe_defaults():
    limits = LimitsConfig().document_limits()
    assert limits == Limits()
    assert limits.max_bytes == 50 * 2**20 and limits.max_pdf_pages == 500
    assert limits.max_unzipped_bytes == 200 * 2**20 and 0 < limits.parse_timeout <= 300
    assert LimitsConfig().max_upload_mb == 20
    example = yaml.safe_load((Path(__file__).parents[2] / "config.example.yaml").read_text(encoding="utf-8"))
    assert example["limits"]["max_unzipped_mb"] == 200 and example["limits"]["max_parse_seconds"] == 120


def test_a_pathological_file_cannot_hang_the_build(tmp_path, caplog):
    knowledge = write_knowledge(tmp_path / "knowledge")
    (knowledge / "cham.pdf").write_bytes(slow_pdf())  # ~ 30 s of pypdf work in 16 KB
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    report = build(knowledge, tmp_path / "index.db", limits=Limits(parse_timeout=1.0))
    elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed
    assert dict(report.errors) == {"cham.pdf": "đọc tệp quá thời gian cho phép (1 giây)"}
    assert report.documents == 3
    found = (re.search(r"reader process (\d+) killed", r.getMessage()) for r in caplog.records)
    killed = [int(m.group(1)) for m in found if m]
    assert len(killed) == 1
    assert not Path(f"/proc/{killed[0]}").exists()  # killed and reaped, not left burning a core


def test_reader_workers_results_in_order_whatever_happens():
    jobs = [("ok", 1), ("crash", 2), ("ok", 3), ("sleep", 30), ("bad", 5), ("bug", 6), ("ok", 7)]
    started = time.monotonic()
    results = dict(run_isolated(job, jobs, timeout=1.5))
    assert time.monotonic() - started < 10
    assert [results[i] for i in (0, 2, 6)] == [10, 30, 70]
    assert str(results[1]) == documents.CRASH_REASON  # a segfault, tried twice
    assert str(results[3]) == "đọc tệp quá thời gian cho phép (1,5 giây)"
    assert str(results[4]) == "tệp số 5 hỏng" and str(results[5]) == "lỗi khi đọc tệp (KeyError)"
    kept = documents.worker_pids()  # healthy workers are kept for the next build
    assert kept and all(Path(f"/proc/{pid}").exists() for pid in kept)
    # timeout 0: everything in this process, nothing isolated
    assert [v for _, v in run_isolated(job, [("ok", 4), ("bad", 1)], timeout=0)][0] == 40


def test_jobs_queued_behind_a_failing_one_are_read_again():
    """A worker gets its next file before it finishes the one it reads: a file waiting behind one that hangs
    or crashes the worker is sent to the new worker, not reported as failed."""
    jobs = [("sleep", 30), ("ok", 1), ("ok", 2), ("crash", 3), ("ok", 4), ("ok", 5)]
    results = dict(run_isolated(job, jobs, timeout=1.5, workers=1))
    assert str(results[0]) == "đọc tệp quá thời gian cho phép (1,5 giây)"
    assert str(results[3]) == documents.CRASH_REASON
    assert [results[i] for i in (1, 2, 4, 5)] == [10, 20, 40, 50]


def test_legacy_encodings_are_read():
    for name, (data, phrase) in readable_files().items():
        doc = documents.parse(data, ext(name), Path(name).stem)
        assert doc.text == clean(doc.text)  # NFC, no zero-width characters
        words, text = normalize(phrase).lower().split(), normalize(doc.text).lower()
        assert sum(w in text for w in words) >= len(words) - 1, (name, doc.text[:200])
    latin1 = ("Ça coûte ½ € — Größe, Ærø, señor " * 5).encode("latin-1", "replace")  # no Vietnamese at all
    with pytest.raises(DocumentError, match=re.escape("bảng mã/phông chữ cũ")):
        documents.parse(latin1, ".txt", "x")
    german = ("Die Größe der Übung für Straßen in Hà Nội, schön. " * 3).encode("utf-8")
    assert "Größe" in documents.parse(german, ".txt", "de").text  # a UTF-8 text file is taken as it is


def test_same_name_with_another_extension(tmp_path):
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    (knowledge / "ke-hoach.md").write_text(GOOD_TEXT, encoding="utf-8")
    db = tmp_path / "i.db"
    assert build(knowledge, db).documents == 1
    (knowledge / "ke-hoach.docx").write_bytes(b"PK\x03\x04 whatever")  # sorts first, but the .md had the id
    report = build(knowledge, db)
    assert report.errors == [
        ("ke-hoach.docx", "trùng mã văn bản ke-hoach với tệp ke-hoach.md (cùng tên, khác đuôi): đổi tên tệp")
    ]
    assert not report.modified and Searcher(db).document("ke-hoach").path == "ke-hoach.md"


def test_cli_prints_one_line_per_problem(tmp_path, capsys):
    knowledge = write_knowledge(tmp_path / "knowledge")
    bad = hostile_files()
    for name, (data, _) in bad.items():
        (knowledge / name).write_bytes(data)
    assert cli(["index", "--knowledge", str(knowledge), "--db", str(tmp_path / "i.db")]) == 0
    err = capsys.readouterr().err.splitlines()
    for name, (_, reason) in bad.items():
        (line,) = [x for x in err if x.startswith(f"LỖI {name}: ")]
        assert reason in line
    assert not [x for x in err if x.startswith("not indexed")]  # the log records are not printed twice


def test_cli_takes_the_limits_from_the_config(tmp_path, capsys):
    knowledge = write_knowledge(tmp_path / "knowledge")
    (knowledge / "cham.pdf").write_bytes(slow_pdf())
    config = tmp_path / "config.yaml"
    config.write_text("limits:\n  max_parse_seconds: 1\n")
    code = cli(["index", "--config", str(config), "--knowledge", str(knowledge), "--db", str(tmp_path / "i.db")])
    assert code == 0
    assert "LỖI cham.pdf: đọc tệp quá thời gian cho phép (1 giây)" in capsys.readouterr().err


def test_killed_index_leaves_the_index_and_no_orphan_reader(tmp_path):
    knowledge = write_knowledge(tmp_path / "knowledge")
    db = tmp_path / "index.db"
    build(knowledge, db)
    before = db.read_bytes()
    (knowledge / "cham.pdf").write_bytes(slow_pdf())
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", "--knowledge", str(knowledge), "--db", str(db), "--force"],
        stderr=subprocess.DEVNULL,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    readers = poll(lambda: children.exists() and children.read_text().split(), what="a reader process")
    time.sleep(0.5)
    proc.kill()
    proc.wait()
    for pid in readers:
        poll(lambda pid=pid: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text(),
             timeout=5, what=f"reader {pid} to go")
    assert db.read_bytes() == before
    assert list(tmp_path.glob(".index.db.tmp-*"))  # the half-built copy it left
    report = build(knowledge, db, limits=Limits(parse_timeout=1))
    assert report.documents == 3 and not list(tmp_path.glob(".index.db.tmp-*"))
