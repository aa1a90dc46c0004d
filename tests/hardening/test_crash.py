"""kill -9 of the running bot in the middle of a reindex: the previous index is intact, the bot serves from it
on restart, the query log keeps what was asked, and no reader process is left behind."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from bot import messages as M
from bot.querylog import QueryLog
from indexer.store import build
from tests.bot.conftest import OPEN
from tests.bot.fake_telegram import TOKEN

from .conftest import ADMIN, USER, ask, write_many


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with open(task / "children") as fh:
            found += [int(x) for x in fh.read().split()]
    return found


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


async def until(predicate, timeout: float = 20.0, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
    return value


def doc_ids(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return sorted(r[0] for r in conn.execute("SELECT id FROM documents"))


async def start(telegram, config_file: Path, tmp_path: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": telegram.api_url, "PYTHONUNBUFFERED": "1"}
    env.pop("DANVAN_CONFIG", None)
    before = len(telegram.calls_of("setMyCommands"))
    log = open(tmp_path / "bot.log", "ab")  # noqa: SIM115 - closed with the process
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config_file), env=env, stdout=log, stderr=log
    )
    log.close()
    await telegram.wait_for(lambda: len(telegram.calls_of("setMyCommands")) > before, timeout=30, what="bot start")
    return proc


async def test_kill_9_mid_reindex_then_restart(knowledge, telegram, tmp_path):
    tg = telegram
    data = tmp_path / "data"
    db = data / "index.db"
    build(knowledge, db, visibility=OPEN)
    original = doc_ids(db)
    snapshot = db.read_bytes()
    write_many(knowledge / "bo-sung", 1200)  # a reindex now takes seconds
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        f"admins: [{ADMIN}]\nknowledge: {knowledge}\ndb: {db}\nquerylog: {data / 'querylog.db'}\nrate_limit: 0\n"
        "visibility: {default: public}\n",
        encoding="utf-8",
    )
    bot = await start(tg, config_file, tmp_path)
    try:
        answer = await ask(tg, "tiếp công dân đối thoại với nhân dân")
        assert answer["text"].startswith("🔎")
        started = await ask(tg, "/reindex", user=ADMIN)
        assert started["text"] == M.REINDEX_STARTED_HTML
        await until(lambda: list(data.glob(".index.db.tmp-*")), what="the build's temporary copy")
        readers = await until(lambda: children(bot.pid), what="reader processes")
        await asyncio.sleep(0.5)
        assert len(tg.sent_to(ADMIN)) == 1  # still building
    finally:
        bot.kill()  # SIGKILL
        await bot.wait()
    for pid in readers:
        await until(lambda pid=pid: gone(pid), timeout=5, what=f"reader {pid} to die with the bot")
    assert db.read_bytes() == snapshot and doc_ids(db) == original

    bot = await start(tg, config_file, tmp_path)
    try:
        answer = await ask(tg, "trách nhiệm của người đứng đầu", user=USER + 1)
        assert "Trách nhiệm của người đứng đầu" in answer["text"]
        about = await ask(tg, "/gioithieu", user=USER + 1)
        assert "Hiện bot có 3 văn bản" in about["text"]  # the previous index, whole
    finally:
        bot.terminate()
        await bot.wait()
    log = QueryLog(data / "querylog.db")
    asked = [t for t, _ in log.stats(top=20)["top"]]
    log.close()
    assert "tiếp công dân đối thoại với nhân dân" in asked and "trách nhiệm của người đứng đầu" in asked
    assert doc_ids(db) == original
