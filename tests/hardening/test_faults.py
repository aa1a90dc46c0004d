"""Telegram faults, injected by the fake Bot API server: 429 with retry_after, 409 Conflict, 5xx, requests
that time out, dropped connections. The bot waits and retries within Telegram's limits, logs, keeps serving,
and answers every question exactly once. Plus: 200 questions while a reindex runs (the event loop never
stalls), and one member flooding a group."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from dataclasses import replace

from bot import messages as M
from tests.bot.fake_telegram import BOT_USERNAME

from .conftest import ADMIN, USER, ask, quiet, write_many
from .hostile import GOOD_TEXT, make_docx

FAST = {"retry_backoff": 0.1, "request_timeout": 0.7}
QUESTIONS = [
    "trách nhiệm người đứng đầu",
    "tiếp công dân đối thoại",
    "dân vận khéo",
    "hội nghị cộng đồng dân cư",
    "cải cách thủ tục hành chính",
]


def answers_per_chat(tg) -> Counter:
    return Counter(int(c["chat_id"]) for c in tg.calls_of("sendMessage"))


async def test_flood_limit_429_is_waited_out(live_config, telegram, start_bot, caplog):
    tg = telegram
    await start_bot(live_config, **FAST)
    caplog.set_level(logging.INFO)
    fault = tg.fail("sendMessage", "429", retry_after=1)
    answer = await ask(tg, "trách nhiệm người đứng đầu")
    assert "Trách nhiệm của người đứng đầu" in answer["text"]
    (sent_at,) = [c.at for c in tg.calls if c.method == "sendMessage"]
    assert sent_at - fault.hits[0] >= 1.0  # not before Telegram said it may
    await quiet(tg)
    assert answers_per_chat(tg) == {USER: 1}
    assert any("Rate limit hit" in r.getMessage() for r in caplog.records)


async def test_5xx_and_dropped_connections_are_retried_and_delivered_once(live_config, telegram, start_bot, caplog):
    tg = telegram
    await start_bot(live_config, **FAST)
    caplog.set_level(logging.WARNING)
    for kind in ("500", "502", "503", "drop"):
        tg.fail("sendMessage", kind)
    users = range(3001, 3005)
    for user, question in zip(users, QUESTIONS, strict=False):
        tg.send_text(question, user_id=user)
    await tg.wait_for(lambda: all(tg.sent_to(u) for u in users), what="four answers")
    await quiet(tg)
    assert len(tg.injected) == 4
    assert answers_per_chat(tg) == {u: 1 for u in users}
    assert all(tg.sent_to(u)[0]["text"].startswith("🔎") for u in users)
    retries = [r.getMessage() for r in caplog.records if "retry 1 of 5" in r.getMessage()]
    assert len(retries) == 4 and any("Bad Gateway" in m for m in retries)


async def test_a_send_that_times_out_is_not_sent_twice(live_config, telegram, start_bot, caplog):
    tg = telegram
    await start_bot(live_config, **FAST)
    caplog.set_level(logging.WARNING)
    tg.fail("sendMessage", "stall", stall=0.9)  # the bot gives up after 0.7 s; Telegram sends it anyway
    tg.send_text("dân vận khéo", user_id=USER)
    await tg.wait_for(lambda: tg.sent_to(USER), timeout=5, what="the late answer")
    await quiet(tg, 0.5)
    (answer,) = tg.sent_to(USER)  # once: no retry, and no apology after an answer that did arrive
    assert answer["text"].startswith("🔎")
    assert any("Telegram request failed" in r.getMessage() and "Timed out" in r.getMessage()
               for r in caplog.records)


async def test_polling_survives_conflict_5xx_timeouts_and_drops(live_config, telegram, start_bot, caplog):
    tg = telegram
    await start_bot(live_config, **FAST)
    caplog.set_level(logging.DEBUG, logger="telegram.ext")
    asked = []
    for i, kind in enumerate(("409", "502", "drop", "stall")):
        fault = tg.fail("getUpdates", kind, stall=2.0)
        await tg.wait_for(lambda f=fault: f.hits, what=f"the {kind} fault")
        user = 4000 + i  # asked while polling is failing: a stalled poll even returns it, to no one
        tg.send_text(QUESTIONS[i], user_id=user)
        asked.append(user)
        await tg.wait_for(lambda u=user: tg.sent_to(u), timeout=8, what=f"the answer after a {kind}")
    await quiet(tg)
    assert answers_per_chat(tg) == {u: 1 for u in asked}  # none lost, none twice
    text = caplog.text
    assert "Conflict: terminated by other getUpdates request" in text and "Bad Gateway" in text
    assert "Timed out" in text


async def test_no_question_lost_or_answered_twice_under_random_faults(live_config, telegram, start_bot):
    tg = telegram
    await start_bot(live_config, **FAST)
    rnd = random.Random(20251122)
    for _ in range(10):
        tg.fail("sendMessage", rnd.choice(["500", "502", "503", "drop"]))
    tg.fail("getUpdates", "502")  # a failed poll costs a pause of 1 s (then 1.5 s, ...: PTB's backoff)
    tg.fail("sendMessage", "429", retry_after=1)
    tg.fail("sendMessage", "stall", stall=0.9)
    users = list(range(6000, 6040))
    for user in users:
        tg.send_text(rnd.choice(QUESTIONS), user_id=user)
        await asyncio.sleep(rnd.random() * 0.05)
    await tg.wait_for(lambda: all(tg.sent_to(u) for u in users), timeout=30, what="forty answers")
    await quiet(tg, 0.5)
    assert answers_per_chat(tg) == {u: 1 for u in users}
    assert all(f.times == 0 for f in tg.faults)  # every fault did strike


async def test_upload_download_is_retried(live_config, telegram, start_bot):
    tg = telegram
    await start_bot(live_config, **FAST)
    tg.fail("getFile", "502")
    tg.fail("download", "drop")
    tg.fail("download", "500")
    tg.send_document("doi-thoai.docx", make_docx(["Kế hoạch", GOOD_TEXT]), user_id=ADMIN)
    (reply,) = await tg.wait_for(lambda: tg.sent_to(ADMIN), timeout=15, what="the upload reply")
    assert reply["text"].startswith("✅ Đã lưu và lập chỉ mục <code>doi-thoai.docx</code>")
    assert len(tg.injected) == 3


async def test_200_questions_while_a_reindex_runs(live_config, telegram, start_bot):
    tg = telegram
    write_many(live_config.knowledge / "bo-sung", 320)  # a few seconds to index
    await start_bot(live_config, max_rate=100)  # more answers at once than Telegram allows: a harder test
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    ticking = True

    async def ticker():
        while ticking:
            start = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - start - 0.01)

    tick = asyncio.create_task(ticker())
    started = await ask(tg, "/reindex full", user=ADMIN)
    assert started["text"] == M.REINDEX_STARTED_HTML
    building_since = time.monotonic()
    users = range(10_000, 10_200)
    for i, user in enumerate(users):
        tg.send_text(QUESTIONS[i % len(QUESTIONS)], user_id=user)
    await tg.wait_for(lambda: all(tg.sent_to(u) for u in users), timeout=60, what="200 answers")
    (report,) = await tg.wait_for(lambda: tg.sent_to(ADMIN)[1:], timeout=60, what="the reindex report")
    ticking = False
    await tick
    assert report["text"].startswith("✅ <b>Đã lập lại chỉ mục</b>") and "Văn bản: 323" in report["text"]
    done_at = next(c.at for c in tg.calls if c.method == "sendMessage" and c.params["text"] == report["text"])
    during = [c for c in tg.calls if c.method == "sendMessage" and int(c.params["chat_id"]) in users
              and building_since <= c.at <= done_at]
    assert len(during) >= 20, len(during)  # answered while the index was being rebuilt
    await quiet(tg)
    counts = answers_per_chat(tg)
    assert all(counts[u] == 1 for u in users)
    assert all(tg.sent_to(u)[0]["text"].startswith("🔎") for u in users)
    assert max(lags) < 0.5, max(lags)  # the event loop never stalled


async def test_one_member_cannot_flood_a_group(live_config, telegram, start_bot):
    tg = telegram
    await start_bot(replace(live_config, rate_limit=3))
    chat = tg.group_chat(-100999)
    asker: dict[int, int] = {}

    def post(text: str, user: int) -> None:
        asker[tg.send_text(f"/hoi@{BOT_USERNAME} {text}", chat=chat, user_id=user)["message_id"]] = user

    for i in range(8):
        post(QUESTIONS[i % 5], USER)  # a flood: 3 answers, one "please wait", then silence
    post("dân vận khéo", USER + 1)  # another member is not held back
    for i in range(5):
        post(QUESTIONS[i], ADMIN)  # admins are not limited
    await tg.wait_for(lambda: len(tg.sent_to(-100999)) >= 3 + 1 + 1 + 5, timeout=15, what="the group's answers")
    await quiet(tg)
    sent = tg.sent_to(-100999)
    per_user = Counter(asker[m["reply_parameters"]["message_id"]] for m in sent)
    assert per_user == {USER: 4, USER + 1: 1, ADMIN: 5}
    flood = [m["text"] for m in sent if asker[m["reply_parameters"]["message_id"]] == USER]
    assert sum(t.startswith("🔎") for t in flood) == 3
    assert sum(t.startswith("Đồng chí hỏi hơi nhanh") for t in flood) == 1
