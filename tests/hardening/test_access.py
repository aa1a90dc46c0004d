"""Who gets in: admin commands and uploads from non-admins and from groups are refused, change nothing and
are logged; the chat allowlist holds for every update type; the token never shows in a log line, a
traceback or a message."""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import replace
from urllib.parse import quote

from bot import messages as M
from bot.logs import REDACTED, setup_logging
from bot.querylog import QueryLog
from indexer.store import build
from tests.bot.fake_telegram import BOT_USERNAME, TOKEN, parse_telegram_html

from .conftest import ADMIN, USER, ask, quiet
from .hostile import GOOD_TEXT, make_docx

SECRET_FORMS = (TOKEN, TOKEN.split(":", 1)[1], quote(TOKEN, safe=""))


def snapshot(cfg):
    files = {p: p.read_bytes() for p in sorted(cfg.knowledge.rglob("*")) if p.is_file()}
    stat = cfg.db.stat()
    return files, stat.st_ino, stat.st_mtime_ns


async def test_admin_actions_refused_to_others_and_in_groups(live_config, telegram, start_bot, caplog):
    tg, cfg = telegram, live_config
    await start_bot(cfg)
    caplog.set_level(logging.INFO)
    before = snapshot(cfg)
    group = tg.group_chat(-100600)
    bot_message = tg.text_message("x", user_id=1, chat=group)
    bot_message["from"] = tg.bot_user
    refusals = [
        (await ask(tg, "/reindex full"), M.ADMIN_ONLY_HTML),
        (await ask(tg, "/xoa ke-hoach-xa"), M.ADMIN_ONLY_HTML),
        (await ask(tg, "/thongke"), M.ADMIN_ONLY_HTML),
        (await ask(tg, f"/reindex@{BOT_USERNAME}", user=ADMIN, chat=group), M.ADMIN_PRIVATE_ONLY_HTML),
        (await ask(tg, f"/thongke@{BOT_USERNAME}", user=ADMIN, chat=group), M.ADMIN_PRIVATE_ONLY_HTML),
        (await ask(tg, f"/xoa@{BOT_USERNAME} ke-hoach-xa", user=ADMIN, chat=group), M.ADMIN_PRIVATE_ONLY_HTML),
        (await ask(tg, f"/xoa@{BOT_USERNAME} ke-hoach-xa", user=USER, chat=group), M.ADMIN_ONLY_HTML),
    ]
    for reply, expected in refusals:
        assert reply["text"] == expected
    docx = make_docx(["Kế hoạch", GOOD_TEXT])
    tg.send_document("moi.docx", docx, user_id=USER)  # a member, privately
    await tg.wait_for(lambda: len(tg.sent_to(USER)) == 4, what="the member's upload refusal")
    assert tg.sent_to(USER)[-1]["text"] == M.ADMIN_ONLY_HTML
    tg.send_document("moi.docx", docx, user_id=ADMIN, chat=group, caption=f"@{BOT_USERNAME} lưu giúp")
    tg.send_document("moi.docx", docx, user_id=USER, chat=group, caption=f"@{BOT_USERNAME} lưu")
    tg.send_document("bien-ban.docx", docx, user_id=USER + 1, chat=group)  # shared with the group, not the bot
    await tg.wait_for(lambda: len(tg.sent_to(-100600)) == 6, what="the group upload refusals")
    await quiet(tg)
    texts = [m["text"] for m in tg.sent_to(-100600)]
    assert texts[-2:] == [M.UPLOAD_IN_GROUP_HTML, M.ADMIN_ONLY_HTML]
    assert not tg.calls_of("getFile")  # nothing was even downloaded
    assert snapshot(cfg) == before
    log = QueryLog(cfg.querylog)
    assert len(log.events("refused")) == 10
    log.close()
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(refused) == 10 and any("in a group" in m for m in refused)
    assert any("not addressed to the bot: ignored" in r.getMessage() for r in caplog.records)


async def test_allowlist_holds_for_every_update_type(config, telegram, start_bot, caplog):
    tg = telegram
    cfg = replace(config, api_url=tg.api_url, file_url=tg.file_url, allowed_chats=frozenset({USER, -100500}))
    await start_bot(cfg)
    caplog.set_level(logging.DEBUG, logger="bot")
    stranger, outside_group = 3003, tg.group_chat(-100888)
    tg.send_text("trách nhiệm người đứng đầu", user_id=stranger)
    tg.send_text(f"/hoi@{BOT_USERNAME} người đứng đầu", chat=outside_group, user_id=USER)
    tg.send_text(f"/reindex@{BOT_USERNAME}", chat=outside_group, user_id=ADMIN)
    tg.inline_query("người đứng đầu", user_id=stranger)
    foreign = tg.text_message("x", user_id=stranger)
    foreign["from"] = tg.bot_user
    tg.press(foreign, "l:0", user_id=stranger)
    tg.send_document("moi.docx", make_docx(["Kế hoạch", GOOD_TEXT]), user_id=stranger)
    edited = tg.text_message("dân vận khéo", user_id=stranger)
    tg._push("edited_message", edited)
    tg._push("channel_post", {"message_id": 1, "date": 0, "chat": {"id": -100777, "type": "channel"}, "text": "x"})
    # inside: a listed chat, a listed group, and an admin's own private chat (never locked out)
    answer = await ask(tg, "trách nhiệm người đứng đầu", user=USER)
    assert answer["text"].startswith("🔎")
    in_group = await ask(tg, f"/hoi@{BOT_USERNAME} dân vận khéo", chat=tg.group_chat(-100500))
    assert in_group["text"].startswith("🔎")
    admin = await ask(tg, "/thongke", user=ADMIN)
    assert admin["text"].startswith(M.STATS_HEADER_HTML)
    tg.inline_query("người đứng đầu", user_id=USER)
    await tg.wait_for(lambda: tg.calls_of("answerInlineQuery"), what="the allowed inline answer")
    await quiet(tg)
    assert not tg.sent_to(stranger) and not tg.sent_to(-100888)
    assert len(tg.calls_of("answerInlineQuery")) == 1 and not tg.calls_of("answerCallbackQuery")
    assert not tg.calls_of("getFile")
    ignored = [r for r in caplog.records if "not in allowed_chats" in r.getMessage()]
    assert len(ignored) >= 8


async def test_the_token_never_shows(live_config, telegram, start_bot, caplog, capsys):
    tg, cfg = telegram, live_config
    (cfg.knowledge / "lo-token.md").write_text(
        f"Biên bản sự cố: mã truy cập {TOKEN} bị dán nhầm vào văn bản hướng dẫn dân vận khéo.\n", encoding="utf-8"
    )
    build(cfg.knowledge, cfg.db)
    hooks = sys.excepthook, threading.excepthook
    setup_logging(TOKEN, level=logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # request URLs carry the token: log them, redacted
    caplog.set_level(logging.DEBUG)
    try:
        await check_token_never_shows(cfg, tg, start_bot, caplog, capsys)
    finally:
        sys.excepthook, threading.excepthook = hooks
        logging.captureWarnings(False)
        logging.getLogger("httpx").setLevel(logging.WARNING)


async def check_token_never_shows(cfg, tg, start_bot, caplog, capsys):
    await start_bot(cfg, retry_backoff=0.05)
    tg.fail("sendMessage", "url-error")  # Telegram's error text quotes the request URL, token and all
    tg.fail("getUpdates", "url-error")
    tg.send_text("trách nhiệm người đứng đầu", user_id=USER)
    apology = await tg.wait_for(lambda: tg.sent_to(USER), what="the apology")
    assert apology[0]["text"] == M.ERROR_HTML
    leak = await ask(tg, "mã truy cập bị dán nhầm vào văn bản", user=USER + 5)
    assert f"mã truy cập {REDACTED} bị dán nhầm" in parse_telegram_html(leak["text"])[0]
    tg.send_document("tai-lieu.docx", make_docx(["Kế hoạch", GOOD_TEXT]), user_id=ADMIN)  # a file URL too
    await tg.wait_for(lambda: tg.sent_to(ADMIN), what="the upload reply")
    await quiet(tg)
    assert any("Exception happened while polling" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info for r in caplog.records if "error while handling update" in r.getMessage())
    assert "bot<token>/sendmessage failed" in caplog.text.lower() and "/file/bot<TOKEN>/documents/" in caplog.text
    everything = caplog.text + "".join(m["text"] for m in tg.calls_of("sendMessage"))
    for form in SECRET_FORMS:
        assert form not in everything
    # tracebacks nobody catches, in any thread, go through the same redaction
    try:
        raise RuntimeError(f"failed: https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=lambda: (_ for _ in ()).throw(ValueError(quote(TOKEN, safe=""))))
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert "RuntimeError: failed: https://api.telegram.org/bot<TOKEN>/getMe" in err and "ValueError" in err
    for form in SECRET_FORMS:
        assert form not in err
    tg.rejected.clear()  # the url-errors above were refusals on purpose
