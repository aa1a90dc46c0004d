"""Who sees what, end to end: the production PTB Application against the fake Bot API server. An outsider,
a public group (even when an admin asks there), inline mode, and buttons pressed later by someone else in
another chat never get internal or restricted passages; members, member groups and audiences do."""

from __future__ import annotations

import json
from dataclasses import replace

from bot import messages as M
from bot.telegram_app import build_application

from .bot_testkit import assert_telegram_html, running
from .fake_telegram import BOT_USERNAME, TOKEN
from .visibility_world import (
    ADMIN,
    BDV_GROUP,
    BDV_USER,
    HIDDEN,
    MEMBER,
    MEMBER_GROUP,
    OUTSIDER,
    PUBLIC_GROUP,
    assert_no_leak,
    write_world,
)

INTERNAL_Q = HIDDEN["ben-loi"][0]
RESTRICTED_Q = HIDDEN["ban-dan-van/de-an"][0]


def data_of(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]


async def say(tg, text: str, user: int, chat: dict | None = None) -> dict:
    chat_id = chat["id"] if chat else user
    before = len(tg.sent_to(chat_id))
    tg.send_text(text, user_id=user, chat=chat)
    return (await tg.wait_for(lambda: tg.sent_to(chat_id)[before:], what=f"an answer to {text[:40]!r}"))[0]


async def pressed(tg, message: dict, data: str, user: int) -> dict:
    """Press a button; the answerCallbackQuery call it got."""
    before = len(tg.calls_of("answerCallbackQuery"))
    tg.press(message, data, user_id=user)
    return (await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery")[before:], what="the button answer"))[0]


def bot_message_in(tg, chat: dict, data: str) -> dict:
    """A message of the bot's in chat carrying a button (e.g. an answer forwarded there, or forged data)."""
    message = tg.text_message("…", user_id=1, chat=chat)
    message["from"] = tg.bot_user
    message["reply_markup"] = {"inline_keyboard": [[{"text": "📖 Toàn văn", "callback_data": data}]]}
    return message


async def test_every_telegram_path_filters_by_place(tmp_path, telegram):
    tg = telegram
    config = write_world(tmp_path)
    config = replace(config, api_url=tg.api_url, file_url=tg.file_url)
    public, members, bdv = tg.group_chat(PUBLIC_GROUP), tg.group_chat(MEMBER_GROUP), tg.group_chat(BDV_GROUP)
    async with running(build_application(config, TOKEN)):
        # private answers: the asker's rights
        outsider = await say(tg, INTERNAL_Q, OUTSIDER)
        assert outsider["text"].startswith("Chưa tìm thấy") and "reply_markup" not in outsider
        member = await say(tg, INTERNAL_Q, MEMBER)
        assert "88/PA-UBND" in member["text"] and M.MARK_INTERNAL in member["text"]
        assert_telegram_html(member["text"])
        assert (await say(tg, RESTRICTED_Q, MEMBER))["text"].startswith("Chưa tìm thấy")
        assert "07-ĐA/BDV" in (await say(tg, RESTRICTED_Q, BDV_USER))["text"]

        # group answers: the group's rights, whoever asks (an admin in a public group gets public only)
        for question in (INTERNAL_Q, RESTRICTED_Q):
            answer = await say(tg, f"/hoi@{BOT_USERNAME} {question}", ADMIN, public)
            assert answer["text"].startswith("Chưa tìm thấy")
            assert_no_leak(answer["text"])
        in_members = await say(tg, f"/hoi@{BOT_USERNAME} {INTERNAL_Q}", OUTSIDER, members)
        assert "88/PA-UBND" in in_members["text"]
        member_answer = tg.last_bot_message(MEMBER_GROUP)
        await say(tg, f"/hoi@{BOT_USERNAME} công tác dân vận", MEMBER, members)
        broad_answer = tg.last_bot_message(MEMBER_GROUP)
        assert (await say(tg, f"@{BOT_USERNAME} {RESTRICTED_Q}", OUTSIDER, members))["text"].startswith("Chưa")
        assert "07-ĐA/BDV" in (await say(tg, f"/hoi@{BOT_USERNAME} {RESTRICTED_Q}", OUTSIDER, bdv))["text"]
        for command in (f"/vanban@{BOT_USERNAME} 88/PA-UBND", f"/vanban@{BOT_USERNAME} 07-ĐA/BDV"):
            assert (await say(tg, command, ADMIN, public))["text"].startswith("Không tìm thấy văn bản")
        listing = await say(tg, f"/danhsach@{BOT_USERNAME}", ADMIN, public)
        assert "(2) — trang 1/1" in listing["text"]
        assert_no_leak(listing["text"])

        # buttons pressed later, by someone else, in another chat: checked against the chat where pressed
        full = next(d for d in data_of(member) if d.startswith("f:"))
        full_in_group = next(d for d in data_of(member_answer) if d.startswith("f:"))
        quiet_before = (len(tg.sent_to(PUBLIC_GROUP)), len(tg.sent_to(OUTSIDER)), len(tg.calls_of("editMessageText")))
        for data in (full, full_in_group, f"c:{full.split(':')[1]}", f"{full}:1"):
            answer = await pressed(tg, bot_message_in(tg, public, data), data, OUTSIDER)
            assert answer.get("text") == M.NOTICE_STALE
            answer = await pressed(tg, bot_message_in(tg, tg.private_chat(OUTSIDER), data), data, OUTSIDER)
            assert answer.get("text") == M.NOTICE_STALE
        more = next(d for d in data_of(broad_answer) if d.startswith("m:"))
        assert (await pressed(tg, bot_message_in(tg, public, more), more, ADMIN)).get("text") == M.NOTICE_STALE
        # a button under a message sent in inline mode (no chat: it may be anywhere) is public only
        before = len(tg.calls_of("answerCallbackQuery"))
        tg._push("callback_query", {"id": "77", "from": tg.user(ADMIN), "chat_instance": "ci9",
                                    "inline_message_id": "AAEx", "data": full})
        answer = (await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery")[before:], what="inline button"))[0]
        assert answer.get("text") == M.NOTICE_STALE
        assert (len(tg.sent_to(PUBLIC_GROUP)), len(tg.sent_to(OUTSIDER)),
                len(tg.calls_of("editMessageText"))) == quiet_before  # nothing was sent or edited
        # ... while anyone in the members' group may open what the group was shown
        before = len(tg.sent_to(MEMBER_GROUP))
        tg.press(member_answer, full_in_group, user_id=OUTSIDER)
        page = (await tg.wait_for(lambda: tg.sent_to(MEMBER_GROUP)[before:], what="the group's full text"))[0]
        assert "Bến Lội" in page["text"] and M.MARK_INTERNAL in page["text"]

        # inline mode: public documents only, for anyone (the result can be sent anywhere)
        for user in (ADMIN, BDV_USER, MEMBER):
            for question, _ in HIDDEN.values():
                before = len(tg.calls_of("answerInlineQuery"))
                tg.inline_query(question, user_id=user)
                (call,) = await tg.wait_for(lambda b=before: tg.calls_of("answerInlineQuery")[b:], what="inline answer")
                assert_no_leak(json.dumps(call["results"], ensure_ascii=False))
        before = len(tg.calls_of("answerInlineQuery"))
        tg.inline_query("tiếp công dân đối thoại với nhân dân", user_id=ADMIN)
        (call,) = await tg.wait_for(lambda: tg.calls_of("answerInlineQuery")[before:], what="public inline answer")
        assert call["results"] and "33/CT-TTg" in call["results"][0]["input_message_content"]["message_text"]
