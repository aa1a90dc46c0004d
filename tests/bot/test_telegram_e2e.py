"""End to end: the production PTB Application (bot.telegram_app.build_application) polling a fake Bot API
server over real HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from dataclasses import replace
from types import SimpleNamespace

import aiohttp
import docx
import pytest

from bot import messages as M
from bot.config import WebhookConfig
from bot.conversation import Conversation
from bot.logs import install_redaction
from bot.querylog import QueryLog
from bot.telegram_app import build_application, webhook_options
from indexer.search import Searcher
from indexer.store import build

from .bot_testkit import assert_telegram_html, running
from .conftest import ADMIN
from .fake_telegram import BOT_USERNAME, TOKEN

USER = 1001


def texts(calls: list[dict]) -> list[str]:
    return [c["text"] for c in calls]


def callback_data(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [
        b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b
    ]


@pytest.fixture
def live_config(config, telegram):
    return replace(config, api_url=telegram.api_url, file_url=telegram.file_url)


@pytest.fixture
async def live(live_config, telegram):
    app = build_application(live_config, TOKEN)
    async with running(app):
        yield SimpleNamespace(app=app, tg=telegram, config=live_config)


async def ask(tg, text: str, user: int = USER, **kwargs) -> dict:
    """Send a private message and return the bot's next message to that chat."""
    before = len(tg.sent_to(kwargs.get("chat", {}).get("id", user)))
    tg.send_text(text, user_id=user, **kwargs)
    chat_id = kwargs.get("chat", {}).get("id", user)
    sent = await tg.wait_for(lambda: tg.sent_to(chat_id)[before:], what=f"an answer to {text!r}")
    return sent[0]


async def test_startup_registers_vietnamese_commands(live):
    tg = live.tg
    assert tg.calls_of("getMe") and tg.calls_of("deleteWebhook")
    default = tg.calls_of("setMyCommands", lambda p: "scope" not in p or p["scope"]["type"] == "default")
    commands = {c["command"]: c["description"] for c in default[0]["commands"]}
    assert set(commands) == {"hoi", "vanban", "danhsach", "gioithieu", "help", "start"}
    assert commands["vanban"].startswith("Xem văn bản theo số hiệu")
    admin = tg.calls_of("setMyCommands", lambda p: p.get("scope", {}).get("type") == "chat")
    assert admin[0]["scope"]["chat_id"] == ADMIN and "reindex" in {c["command"] for c in admin[0]["commands"]}


async def test_private_question_gets_a_cited_answer(live):
    tg = live.tg
    answer = await ask(tg, "Trách nhiệm của người đứng đầu trong công tác dân vận?")
    assert answer["parse_mode"] == "HTML"
    assert_telegram_html(answer["text"])
    assert "Chỉ thị về tăng cường công tác dân vận" in answer["text"] and "26/11/2021" in answer["text"]
    assert "<b>đứng</b>" in answer["text"] and "<b>33/CT-TTg</b>" in answer["text"]
    assert "reply_parameters" not in answer  # private chat: no quoting
    assert answer["link_preview_options"] == {"is_disabled": True}
    data = callback_data(tg.last_bot_message(USER))
    assert any(d.startswith("m:") for d in data) and any(d.startswith("v:") for d in data)
    assert all(len(d.encode()) <= 64 for d in data)
    nothing = await ask(tg, "xyzzy qwerty plugh")
    assert nothing["text"].startswith("Chưa tìm thấy") and "reply_markup" not in nothing


async def test_group_chatter_ignored_addressed_questions_answered(live):
    tg = live.tg
    chat = tg.group_chat(-100777, forum=True)
    tg.send_text("Các đồng chí nhớ mang theo báo cáo nhé", chat=chat, user_id=USER)
    tg.send_text("/hoi@other_bot người đứng đầu", chat=chat, user_id=USER)
    asking = tg.send_text(
        f"/hoi@{BOT_USERNAME} trách nhiệm người đứng đầu", chat=chat, user_id=USER, thread_id=77
    )
    sent = await tg.wait_for(lambda: tg.sent_to(-100777), what="the /hoi answer")
    assert len(sent) == 1
    answer = sent[0]
    assert "Trách nhiệm của người đứng đầu" in answer["text"]
    assert answer["reply_parameters"]["message_id"] == asking["message_id"]
    assert answer["message_thread_id"] == 77
    bot_message = tg.last_bot_message(-100777)

    # a reply to the bot's message (no command, no mention) is a question
    replying = tg.send_text(
        "Còn việc tiếp công dân, đối thoại với nhân dân?", chat=chat, user_id=2002, reply_to=bot_message
    )
    sent = await tg.wait_for(lambda: tg.sent_to(-100777)[1:], what="the answer to a reply")
    assert "Tiếp công dân và đối thoại" in sent[0]["text"]
    assert sent[0]["reply_parameters"]["message_id"] == replying["message_id"]
    assert "message_thread_id" not in sent[0]  # not a topic message

    mention = tg.send_text(f"@{BOT_USERNAME} phong trào dân vận khéo", chat=chat, user_id=2003)
    sent = await tg.wait_for(lambda: tg.sent_to(-100777)[2:], what="the answer to a mention")
    assert "Dân vận khéo" in sent[0]["text"]
    assert sent[0]["reply_parameters"]["message_id"] == mention["message_id"]

    # chatter that replies to another member stays unanswered
    tg.send_text("Đồng ý với ý kiến trên", chat=chat, user_id=2004, reply_to=mention)
    tg.send_text(f"/vanban@{BOT_USERNAME} CT 33", chat=chat, user_id=2004)
    sent = await tg.wait_for(lambda: tg.sent_to(-100777)[3:], what="the /vanban answer")
    assert len(sent) == 1 and sent[0]["text"].startswith("📄")


async def test_more_button_edits_the_answer_and_full_text_pages(live):
    tg = live.tg
    await ask(tg, "dân vận khéo")  # the best passage is in a two-page document
    message = tg.last_bot_message(USER)
    more = next(d for d in callback_data(message) if d.startswith("m:"))
    tg.press(dict(message), more)
    edit = await tg.wait_for(lambda: tg.calls_of("editMessageText"), what="the edit")
    assert edit[0]["message_id"] == message["message_id"] and int(edit[0]["chat_id"]) == USER
    assert "<b>4. " in edit[0]["text"] and "<b>1. " not in edit[0]["text"]
    assert_telegram_html(edit[0]["text"])
    assert tg.calls_of("answerCallbackQuery")
    assert len(tg.sent_to(USER)) == 1  # edited, not sent again

    full = next(d for d in callback_data(tg.bot_message(USER, message["message_id"])) if d.startswith("f:"))
    tg.press(dict(tg.bot_message(USER, message["message_id"])), full)
    page = await tg.wait_for(lambda: tg.sent_to(USER)[1:], what="the full text")
    assert "📖" in page[0]["text"] and "Trang" in page[0]["text"]
    page_message = tg.last_bot_message(USER)
    turn = next(d for d in callback_data(page_message) if d.count(":") == 2)  # a page of a 2-page document
    tg.press(dict(page_message), turn)
    edits = await tg.wait_for(lambda: tg.calls_of("editMessageText")[1:], what="a page turn")
    assert edits[0]["message_id"] == page_message["message_id"] and "Trang" in edits[0]["text"]


async def test_inline_query_is_answered_with_cited_articles(live):
    tg = live.tg
    tg.inline_query("tiếp công dân, đối thoại với nhân dân")
    calls = await tg.wait_for(lambda: tg.calls_of("answerInlineQuery"), what="the inline answer")
    results = calls[0]["results"]
    assert results and all(r["type"] == "article" for r in results)
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and "33/CT-TTg" in content["message_text"]
    assert "vanban.chinhphu.vn" in content["message_text"]
    assert_telegram_html(content["message_text"])
    assert results[0]["title"].startswith("33/CT-TTg")
    tg.inline_query("xyzzy qwerty plugh", user_id=2)
    calls = await tg.wait_for(lambda: tg.calls_of("answerInlineQuery")[1:], what="the empty inline answer")
    assert calls[0]["results"] == [] and calls[0]["button"]["text"] == M.INLINE_NOTHING_BUTTON


def make_docx() -> bytes:
    document = docx.Document()
    for text in (
        "ỦY BAN NHÂN DÂN XÃ MINH HÒA",
        "Số: 15/QC-UBND",
        "Minh Hòa, ngày 02 tháng 5 năm 2024",
        "Quy chế phối hợp giữa chính quyền và Mặt trận trong công tác dân vận ở xã",
        "Điều 1. Phạm vi điều chỉnh",
        "Quy chế này quy định việc phối hợp giữa chính quyền và Mặt trận trong công tác dân vận ở xã, "
        "vận động nhân dân góp công xây dựng cầu treo bản Khe Lau.",
        "Điều 2. Trách nhiệm phối hợp",
        "Chủ tịch Ủy ban nhân dân xã và Chủ tịch Ủy ban Mặt trận Tổ quốc xã giao ban mỗi quý một lần.",
    ):
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def test_admin_uploads_a_docx_and_it_is_found(live):
    tg = live.tg
    tg.send_document("Quy chế phối hợp.docx", make_docx(), user_id=ADMIN)
    confirm = (await tg.wait_for(lambda: tg.sent_to(ADMIN), what="the upload confirmation"))[0]
    assert confirm["text"].startswith("✅ Đã lưu và lập chỉ mục <code>Quy-chế-phối-hợp.docx</code>")
    assert_telegram_html(confirm["text"])
    saved = live.config.knowledge / "Quy-chế-phối-hợp.docx"
    assert saved.read_bytes() == make_docx() or saved.stat().st_size > 0
    doc = Searcher(live.config.db).document("Quy-chế-phối-hợp")
    assert doc.number == "15/QC-UBND"
    assert "15/QC-UBND" in confirm["text"] and doc.title in confirm["text"]
    assert tg.calls_of("sendChatAction") and tg.calls_of("getFile") and tg.calls_of("download")
    answer = await ask(tg, "góp công xây dựng cầu treo bản Khe Lau", user=USER)
    assert "15/QC-UBND" in answer["text"] and "<b>cầu</b>" in answer["text"]


async def test_non_admin_upload_and_reindex_are_refused(live):
    tg, config = live.tg, live.config
    files = sorted(p.name for p in config.knowledge.rglob("*"))
    stamp = config.db.stat().st_mtime_ns
    tg.send_document("tai-lieu.md", "# Tài liệu\n\nNội dung.\n".encode(), user_id=USER)
    refused = await ask(tg, "/reindex")
    sent = await tg.wait_for(lambda: len(tg.sent_to(USER)) >= 2 and tg.sent_to(USER), what="two refusals")
    assert texts(sent) == [M.ADMIN_ONLY_HTML, M.ADMIN_ONLY_HTML] and refused["text"] == M.ADMIN_ONLY_HTML
    assert not tg.calls_of("getFile")
    assert sorted(p.name for p in config.knowledge.rglob("*")) == files
    assert config.db.stat().st_mtime_ns == stamp
    log = QueryLog(config.querylog)
    assert len(log.events("refused")) == 2
    log.close()


async def test_questions_are_answered_while_reindex_runs(live_config, telegram):
    tg = telegram
    started, release = threading.Event(), threading.Event()

    def slow_build(*args, **kwargs):
        started.set()
        assert release.wait(30)
        return build(*args, **kwargs)

    conv = Conversation(live_config, QueryLog(live_config.querylog), build=slow_build)
    app = build_application(live_config, TOKEN, conversation=conv)
    async with running(app):
        reply = await ask(tg, "/reindex", user=ADMIN)
        assert reply["text"] == M.REINDEX_STARTED_HTML
        assert await asyncio.to_thread(started.wait, 10)
        (live_config.knowledge / "moi.md").write_text(
            "---\ntitle: Hướng dẫn mô hình khu dân cư không rác thải nhựa\nnumber: 9-HD/BDV\n---\n\n"
            "Vận động nhân dân phân loại rác thải nhựa tại nguồn, thu gom rác thải nhựa hằng tuần.\n",
            encoding="utf-8",
        )
        users = range(5000, 5050)
        questions = [
            "trách nhiệm người đứng đầu",
            "tiếp công dân đối thoại",
            "dân vận khéo",
            "hội nghị cộng đồng dân cư",
            "cải cách thủ tục hành chính",
        ]
        for i, user in enumerate(users):
            tg.send_text(questions[i % len(questions)], user_id=user)
        await tg.wait_for(lambda: all(tg.sent_to(u) for u in users), timeout=30, what="50 answers")
        assert not release.is_set()  # every answer came from the old index, while the build was running
        for user in users:
            (answer,) = tg.sent_to(user)
            assert answer["text"].startswith("🔎"), answer["text"]
        assert len(tg.sent_to(ADMIN)) == 1
        release.set()
        done = await tg.wait_for(lambda: tg.sent_to(ADMIN)[1:], timeout=15, what="the reindex report")
        assert done[0]["text"].startswith("✅ <b>Đã lập lại chỉ mục</b>") and "Mới: 1" in done[0]["text"]
        answer = await ask(tg, "phân loại rác thải nhựa tại nguồn", user=6000)
        assert "không rác thải nhựa" in answer["text"]


async def test_allowed_chats_ignore_everything_else(config, telegram):
    cfg = replace(
        config, api_url=telegram.api_url, file_url=telegram.file_url, allowed_chats=frozenset({USER})
    )
    tg = telegram
    async with running(build_application(cfg, TOKEN)):
        tg.send_text("trách nhiệm người đứng đầu", user_id=3003)
        tg.inline_query("người đứng đầu", user_id=3003)
        tg.send_text(f"/hoi@{BOT_USERNAME} người đứng đầu", chat=tg.group_chat(-100888), user_id=USER)
        await ask(tg, "trách nhiệm người đứng đầu", user=USER)
        tg.inline_query("người đứng đầu", user_id=USER)
        await tg.wait_for(lambda: tg.calls_of("answerInlineQuery"), what="the allowed inline answer")
        assert not tg.sent_to(3003) and not tg.sent_to(-100888)
        assert len(tg.calls_of("answerInlineQuery")) == 1


async def test_token_never_reaches_the_logs(live_config, telegram, caplog):
    install_redaction(TOKEN)
    caplog.set_level(logging.DEBUG)
    async with running(build_application(live_config, TOKEN)):
        await ask(telegram, "dân vận khéo")
    assert "getUpdates" in caplog.text or "getMe" in caplog.text  # request URLs were logged ...
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text  # ... without the token
    assert "<TOKEN>" in caplog.text
    for record in caplog.records:
        assert TOKEN not in json.dumps(record.getMessage(), ensure_ascii=False)


async def test_webhook_mode(live_config, telegram, unused_tcp_port):
    webhook = WebhookConfig(
        url="https://bot.example.org/danvan/hook",
        listen="127.0.0.1",
        port=unused_tcp_port,
        secret_token="bi-mat_123",
        path="danvan/hook",
    )
    cfg = replace(live_config, mode="webhook", webhook=webhook)
    app = build_application(cfg, TOKEN)
    async with app:
        await app.post_init(app)
        await app.updater.start_webhook(**webhook_options(cfg))
        await app.start()
        try:
            (registered,) = telegram.calls_of("setWebhook")
            assert registered["url"] == "https://bot.example.org/danvan/hook"
            assert registered["secret_token"] == "bi-mat_123"
            message = telegram.text_message("trách nhiệm người đứng đầu", user_id=USER)
            url = f"http://127.0.0.1:{unused_tcp_port}/danvan/hook"
            async with aiohttp.ClientSession() as session:
                for secret, status in (("sai", 403), ("bi-mat_123", 200)):
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
                    async with session.post(
                        url, json={"update_id": 1, "message": message}, headers=headers
                    ) as r:
                        assert r.status == status
            (answer,) = await telegram.wait_for(lambda: telegram.sent_to(USER), what="the webhook answer")
            assert "Trách nhiệm của người đứng đầu" in answer["text"]
        finally:
            await app.updater.stop()
            await app.stop()
