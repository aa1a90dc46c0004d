"""Hostile uploads, end to end through the fake Bot API server: each refused with one Vietnamese line naming
the file and the reason (and a log line), nothing saved, nothing written outside the knowledge folder, the
index untouched; the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot import messages as M
from bot.config import LimitsConfig
from bot.querylog import QueryLog
from indexer.search import Searcher
from tests.bot.bot_testkit import assert_telegram_html
from tests.bot.fake_telegram import FakeTelegram

from .conftest import ADMIN, USER, ask
from .hostile import GOOD_TEXT, hostile_files, make_docx, slow_pdf


def snapshot(root):
    """Every file under root but the query log (which records the refusals)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith("querylog.db")
    }


async def upload(tg: FakeTelegram, name: str, data: bytes, user: int = ADMIN, **kwargs) -> dict:
    before = len(tg.sent_to(user))
    tg.send_document(name, data, user_id=user, **kwargs)
    return (await tg.wait_for(lambda: tg.sent_to(user)[before:], timeout=30, what=f"the reply to {name}"))[0]


def rejected(name: str, reason: str) -> str:
    return M.UPLOAD_REJECTED_HTML.format(name=name, reason=reason)


async def test_hostile_uploads_are_refused_one_line_each(live_config, telegram, start_bot, tmp_path, caplog):
    tg, cfg = telegram, live_config
    await start_bot(cfg)
    caplog.set_level(logging.INFO)
    outside = snapshot(tmp_path)
    stamp = cfg.db.stat().st_mtime_ns
    for name, (data, reason) in hostile_files().items():
        reply = await upload(tg, name, data)
        text = reply["text"]
        assert_telegram_html(text)
        assert text.startswith(f"❌ Không nhận tệp <code>{name}</code>: ") and text.endswith("."), text
        assert reason in text and "\n" not in text, text
        assert any(name in r.getMessage() and reason in r.getMessage() and r.levelno == logging.WARNING
                   for r in caplog.records if r.name == "bot.conversation"), name
    assert snapshot(tmp_path) == outside  # nothing saved, nothing left behind, index file not replaced
    assert cfg.db.stat().st_mtime_ns == stamp
    events = QueryLog(cfg.querylog)
    assert len(events.events("upload-failed")) == len(hostile_files())
    events.close()
    # and the bot is as good as before
    answer = await ask(tg, "trách nhiệm người đứng đầu")
    assert "Trách nhiệm của người đứng đầu" in answer["text"]
    ok = await upload(tg, "doi-thoai.docx", make_docx(["Kế hoạch", GOOD_TEXT]))
    assert ok["text"].startswith("✅ Đã lưu và lập chỉ mục <code>doi-thoai.docx</code>")


async def test_a_60_mb_upload(live_config, telegram, start_bot):
    tg, cfg = telegram, live_config
    await start_bot(cfg)
    huge = b"%PDF-1.4\n" + b"0" * (60 * 2**20)
    reply = await upload(tg, "so-tay.pdf", huge)
    assert reply["text"] == rejected("so-tay.pdf", "tệp quá lớn (60,0 MB, giới hạn 20,0 MB)")
    assert not tg.calls_of("getFile")  # refused on the size Telegram announced, before any download
    # a document whose size is not announced is downloaded, measured and refused
    reply = await upload(tg, "so-tay.pdf", huge, declare_size=False)
    assert reply["text"] == rejected("so-tay.pdf", "tệp quá lớn (60,0 MB, giới hạn 20,0 MB)")
    assert tg.calls_of("download") and not (cfg.knowledge / "so-tay.pdf").exists()
    empty = await upload(tg, "rong.docx", b"")
    assert empty["text"] == rejected("rong.docx", "tệp rỗng (0 byte)")


async def test_upload_names_with_path_tricks(live_config, telegram, start_bot, tmp_path):
    tg, cfg = telegram, live_config
    await start_bot(cfg)
    outside = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(("knowledge/", "data/"))}
    names = {
        "../../x.md": "x.md",
        "..\\..\\..\\windows\\y.md": "y.md",
        "/etc/cron.d/z.md": "z.md",
        "knowledge/../../../w.md": "w.md",
        ".bashrc.md": "bashrc.md",
        "tai lieu\u0000<script>.md": "tai-lieuscript.md",
    }
    for i, (trick, saved) in enumerate(names.items()):
        text = f"Văn bản số {i} về mô hình dân vận khéo ở tổ dân phố số {i}, phường Quang Trung.\n" * 3
        reply = await upload(tg, trick, text.encode())
        assert reply["text"].startswith(f"✅ Đã lưu và lập chỉ mục <code>{saved}</code>"), reply["text"]
        assert (cfg.knowledge / saved).read_text(encoding="utf-8") == text
    for bad in ("../../", "..", "/", "...md"):
        reply = await upload(tg, bad, b"noi dung")
        assert reply["text"].startswith("❌ Không nhận tệp") and "tên tệp không hợp lệ" in reply["text"], bad
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(("knowledge/", "data/"))}
    assert after == outside
    assert sorted(p.name for p in cfg.knowledge.iterdir() if p.is_file()) == sorted(
        ["ke-hoach-xa.md", *names.values()]
    )


async def test_duplicates_and_name_clashes(live_config, telegram, start_bot):
    tg, cfg = telegram, live_config
    await start_bot(cfg)
    existing = (cfg.knowledge / "van-ban" / "ct-33-2021.md").read_bytes()
    copy = await upload(tg, "ban-sao-ct33.md", existing)
    assert copy["text"] == rejected(
        "ban-sao-ct33.md", "trùng nội dung với văn bản đã có: van-ban/ct-33-2021"
    )
    assert not (cfg.knowledge / "ban-sao-ct33.md").exists()
    plan = (cfg.knowledge / "ke-hoach-xa.md").read_bytes()
    same = await upload(tg, "ke-hoach-xa.md", plan)
    assert same["text"] == M.UPLOAD_SAME_HTML.format(name="ke-hoach-xa.md")
    clash = await upload(tg, "ke-hoach-xa.docx", make_docx(["Kế hoạch", GOOD_TEXT]))
    assert clash["text"].startswith("❌ Không nhận tệp <code>ke-hoach-xa.docx</code>: đã có tệp ke-hoach-xa.md")
    assert "/xoa ke-hoach-xa" in clash["text"]
    assert not (cfg.knowledge / "ke-hoach-xa.docx").exists()
    assert Searcher(cfg.db).document("ke-hoach-xa").path == "ke-hoach-xa.md"


async def test_a_file_too_slow_to_read_times_out_while_questions_are_answered(live_config, telegram, start_bot):
    tg = telegram
    cfg = replace(live_config, limits=LimitsConfig(max_parse_seconds=1.5))
    await start_bot(cfg)
    tg.send_document("cham.pdf", slow_pdf(), user_id=ADMIN)
    await tg.wait_for(lambda: tg.calls_of("download"), what="the download")
    answer = await ask(tg, "tiếp công dân đối thoại", user=USER)  # answered while the upload is being read
    assert "Tiếp công dân" in answer["text"] and not tg.sent_to(ADMIN)
    (reply,) = await tg.wait_for(lambda: tg.sent_to(ADMIN), timeout=15, what="the upload reply")
    assert reply["text"] == rejected("cham.pdf", "đọc tệp quá thời gian cho phép (1,5 giây)")
    assert not (cfg.knowledge / "cham.pdf").exists()
    await asyncio.sleep(0)
