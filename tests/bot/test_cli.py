"""`danvan ask` as the operator reads it: Vietnamese reach labels, and the public-only hint once, on its own
line after the answers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from indexer.store import build

from .conftest import OPEN, write_knowledge

INTERNAL_DOC = """---
title: "Phương án vận động hộ dân Bến Lội"
visibility: internal
---

Tổ công tác vận động hộ dân Bến Lội đồng thuận với phương án bồi thường giải phóng mặt bằng đê bao.
"""
RESTRICTED_DOC = """---
title: "Đề án kiện toàn Ban Dân vận xã Suối Ngang"
visibility: restricted
audience: [bdv]
---

Đề án kiện toàn Ban Dân vận xã Suối Ngang, bổ sung cán bộ chuyên trách khối dân vận chính quyền.
"""
HINT = "(Chỉ tìm trong văn bản công khai"


@pytest.fixture
def db(tmp_path) -> str:
    knowledge = write_knowledge(tmp_path / "k", {"ben-loi.md": INTERNAL_DOC, "de-an.md": RESTRICTED_DOC})
    path = tmp_path / "i.db"
    build(knowledge, path, visibility=OPEN)
    return str(path)


def ask(*args: str) -> str:
    """stdout and stderr into one pipe, buffered as they are outside this test environment (a terminal's
    user would see the same order through `2>&1 | less` or a log file)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "ask", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


def test_public_only_hint_once_on_its_own_last_line(db):
    out = ask("--db", db, "-k", "2", "trách nhiệm người đứng đầu")
    assert out.count(HINT) == 1, out
    lines = out.splitlines()
    assert lines[-1].startswith(HINT) and lines[-1].endswith(".)") and out.endswith("\n"), out[-300:]
    assert lines[0].startswith("1. "), out[:300]  # the answers come first
    assert HINT not in ask("--db", db, "--all", "-k", "1", "trách nhiệm người đứng đầu")


def test_reach_labels_are_vietnamese(db):
    internal = ask("--db", db, "--all", "-k", "1", "hộ dân Bến Lội đồng thuận bồi thường")
    assert "Phương án vận động hộ dân Bến Lội [nội bộ]" in internal, internal
    restricted = ask("--db", db, "--all", "-k", "1", "kiện toàn Ban Dân vận xã Suối Ngang")
    assert "Suối Ngang [hạn chế]" in restricted, restricted
    for out in (internal, restricted):
        assert "internal" not in out and "restricted" not in out
    public = ask("--db", db, "-k", "1", "trách nhiệm người đứng đầu")
    assert "[33/CT-TTg · 2021-11-26]" in public  # public documents carry no mark
