"""End to end through the real PTB Application and the fake Bot API server: the bot's background rescan
picks up a file a colleague drops into the knowledge folder, and an admin adds a page by sending its link."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.telegram_app import build_application
from tests.bot.bot_testkit import assert_telegram_html, running
from tests.bot.conftest import ADMIN, telegram  # noqa: F401 (fixture)
from tests.bot.fake_telegram import TOKEN

from .test_links_sync import PAGE, Site

USER = 1001


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


async def ask(tg, text: str, user: int = USER) -> dict:
    before = len(tg.sent_to(user))
    tg.send_text(text, user_id=user)
    sent = await tg.wait_for(lambda: tg.sent_to(user)[before:], what=f"an answer to {text!r}")
    return sent[0]


async def test_rescan_and_links_through_telegram(config, telegram, site, knowledge):  # noqa: F811
    cfg = replace(config, api_url=telegram.api_url, file_url=telegram.file_url, sync_interval=0.3)
    app = build_application(cfg, TOKEN)
    async with running(app):
        (knowledge / "tin-moi.md").write_text(
            "---\ntitle: Hội thi dân vận khéo cụm xã phía Bắc\n---\n\n"
            "Hội thi tìm hiểu mô hình dân vận khéo của cụm xã phía Bắc có 12 đội tham gia.\n", encoding="utf-8")
        frontend = app.bot_data["frontend"]
        searcher = None
        for _ in range(100):  # the background rescan, not a command, brings it in
            searcher = await frontend.conv.open()
            if searcher.document("tin-moi"):
                break
            await asyncio.sleep(0.1)
        assert searcher.document("tin-moi") is not None
        answer = await ask(telegram, "hội thi dân vận khéo cụm xã phía Bắc")
        assert "Hội thi dân vận khéo cụm xã phía Bắc" in answer["text"]

        site.pages["/tin.html"] = ("text/html; charset=utf-8", PAGE.encode())
        reply = await ask(telegram, site.url("/tin.html"), user=ADMIN)
        assert_telegram_html(reply["text"])
        assert "Đã tải trang" in reply["text"] and "trang-web/" in reply["text"]
        listing = await ask(telegram, "/danhsach")
        assert "cập nhật" in listing["text"]
    assert frontend.conv._sync_task is None  # stopped with the bot
