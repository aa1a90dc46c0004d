"""The terminal chat: in-process with a StringIO, and `danvan chat` / `danvan run` as subprocesses (pipe)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.console import Console, ensure_index
from bot.conversation import Conversation

from .conftest import write_knowledge


def danvan() -> list[str]:
    exe = Path(sys.executable).with_name("danvan")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("danvan")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def clean_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELEGRAM_BOT_TOKEN", "DANVAN_CONFIG", "TELEGRAM_API_URL", "DANVAN_DB", "DANVAN_DATA")
    }
    env.update(extra)
    return env


async def test_console_renders_replies_and_presses_buttons(conv):
    out = io.StringIO()
    console = Console(conv, out)
    stdin = io.StringIO("trách nhiệm người đứng đầu\n\n/2\n/99\n/vanban CT 33\n/reindex\n")
    await console.run(stdin)
    text = out.getvalue()
    assert "🔎 Kết quả cho: trách nhiệm người đứng đầu" in text
    assert "<b>Kết quả" not in text and "&amp;" not in text  # rendered as plain text
    assert "vanban.chinhphu.vn <https://vanban.chinhphu.vn/?pageid=27160&docid=204594>" in text
    assert "[/1] Xem thêm ▶" in text
    assert "📖 Chỉ thị về tăng cường" in text  # /2 pressed "Toàn văn 1"
    assert "Không có nút số 99." in text
    assert "📄 Chỉ thị về tăng cường" in text and "Số hiệu: 33/CT-TTg" in text
    assert "Đang lập lại chỉ mục" in text and "✅ Đã lập lại chỉ mục" in text  # waited for the reindex at EOF


def run_cli(args: list[str], stdin: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        danvan() + args,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**env),
        cwd=Path(__file__).parent,
    )


def test_danvan_chat_over_a_pipe(tmp_path):
    knowledge = write_knowledge(tmp_path / "knowledge")
    db = tmp_path / "data" / "index.db"
    assert not db.exists()
    done = run_cli(
        ["chat", "--db", str(db), "--knowledge", str(knowledge)],
        "trách nhiệm người đứng đầu\n/vanban CT 33\n",
    )
    assert done.returncode == 0, done.stderr
    assert db.exists() and "Đã lập chỉ mục: 3 văn bản" in done.stderr  # built first, there was none
    # no config: the documents are internal (the safe default) and the terminal reads as the public
    assert "Chưa tìm thấy nội dung" in done.stdout
    assert "Không tìm thấy văn bản nào có số hiệu hoặc tên CT 33" in done.stdout
    assert "người đứng đầu cơ quan" not in done.stdout.lower()
    done = run_cli(
        ["chat", "--all", "--db", str(db), "--knowledge", str(knowledge)],
        "trách nhiệm người đứng đầu\n/vanban CT 33\n",
    )
    assert done.returncode == 0, done.stderr
    assert "🔎 Kết quả cho: trách nhiệm người đứng đầu" in done.stdout
    assert "Điều 1. Trách nhiệm của người đứng đầu" in done.stdout
    assert "Mã văn bản: van-ban/ct-33-2021" in done.stdout
    assert (tmp_path / "data" / "querylog.db").exists()


def test_danvan_run_without_token_is_the_terminal_chat(tmp_path):
    write_knowledge(tmp_path / "knowledge")
    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    config.write_text("knowledge: ../knowledge\ndb: data/index.db\nvisibility: {default: public}\n", encoding="utf-8")
    done = run_cli(["run"], "dân vận khéo\n", DANVAN_CONFIG=str(config))
    assert done.returncode == 0, done.stderr
    assert "Đẩy mạnh phong trào thi đua" in done.stdout
    assert (tmp_path / "conf" / "data" / "index.db").exists()  # relative to the config file
    bad = run_cli(["run", "--config", str(tmp_path / "missing.yaml")], "")
    assert bad.returncode == 2 and "không tìm thấy tệp cấu hình" in bad.stderr


def test_ensure_index_builds_only_when_missing(tmp_path, config):
    err = io.StringIO()
    stamp = config.db.stat().st_mtime_ns
    ensure_index(config, out=err)
    assert config.db.stat().st_mtime_ns == stamp and err.getvalue() == ""
    config.db.unlink()
    ensure_index(config, out=err)
    assert config.db.exists() and "3 văn bản" in err.getvalue()


async def test_console_without_index_says_so(tmp_path, querylog):
    from bot.config import Config

    config = Config.for_paths(tmp_path / "nothing", tmp_path / "none.db")
    out = io.StringIO()
    await Console(Conversation(config, querylog), out).run(io.StringIO("dân vận\n/danhsach\n"))
    assert (
        "Bot chưa có văn bản nào để tra cứu" in out.getvalue()
        and "Bot chưa có văn bản nào." in out.getvalue()
    )


async def test_button_numbers_refer_to_the_last_reply_only(conv):
    """/N presses a button of the reply just shown: after a reply without buttons (nothing found) there is
    none to press, and an older answer's buttons are not pressed instead."""
    out = io.StringIO()
    stdin = io.StringIO("trách nhiệm người đứng đầu\nxyzzy qwerty plugh\n/1\n/vanban CT 33\n/1\n")
    await Console(conv, out).run(stdin)
    text = out.getvalue()
    answer, rest = text.split("Chưa tìm thấy nội dung phù hợp", 1)
    assert "[/1] Xem thêm ▶" in answer
    assert "Không có nút số 1: tin nhắn vừa rồi không có nút nào." in rest
    assert "Kết quả cho" not in rest and "4. " not in rest  # the old answer's "Xem thêm" was not pressed
    assert "📖 Chỉ thị về tăng cường" in rest  # the card's only button, Toàn văn, works again
