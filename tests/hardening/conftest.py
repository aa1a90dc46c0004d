"""Fixtures for the hardening suite: the bot tests' knowledge folder, index and fake Bot API server, and a
factory that starts the production Application against that server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

import pytest

from bot.config import Config
from bot.telegram_app import build_application
from tests.bot.bot_testkit import running
from tests.bot.conftest import ADMIN, config, conv, knowledge, querylog, telegram, write_knowledge  # noqa: F401
from tests.bot.fake_telegram import TOKEN, FakeTelegram

USER = 1001


@pytest.fixture
def live_config(config: Config, telegram: FakeTelegram) -> Config:  # noqa: F811
    return replace(config, api_url=telegram.api_url, file_url=telegram.file_url)


@pytest.fixture
async def start_bot():
    """start_bot(config, **build_application options) -> the running Application (stopped at the end)."""
    stack = contextlib.AsyncExitStack()

    async def start(cfg: Config, **options):
        app = build_application(cfg, TOKEN, **options)
        await stack.enter_async_context(running(app))
        return app

    async with stack:
        yield start


async def ask(tg: FakeTelegram, text: str, user: int = USER, chat: dict | None = None, **kwargs) -> dict:
    """Send a message and return the bot's next message to that chat."""
    chat_id = chat["id"] if chat else user
    before = len(tg.sent_to(chat_id))
    tg.send_text(text, user_id=user, chat=chat, **kwargs)
    sent = await tg.wait_for(lambda: tg.sent_to(chat_id)[before:], what=f"an answer to {text[:40]!r}")
    return sent[0]


async def quiet(tg: FakeTelegram, seconds: float = 0.4) -> None:
    """Let the bot finish what it is doing (to check that nothing more is sent)."""
    await asyncio.sleep(seconds)


def poll(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


_WORDS = (
    "cán bộ công chức xã phường thị trấn vận động nhân dân tham gia xây dựng nông thôn mới đô thị văn minh "
    "hòa giải mâu thuẫn đối thoại tiếp công dân giám sát phản biện xã hội mặt trận đoàn thể hội viên"
).split()


def write_many(folder, count: int, sections: int = 12, words: int = 120, seed: int = 7) -> None:
    """count generated documents (to make a build take a while): ~0.005 s each to index on this machine."""
    import random

    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        parts = [f"# Văn bản bổ sung số {i}"]
        for j in range(sections):
            parts.append(f"Điều {j + 1}. Nội dung {i}-{j}")
            parts.append(" ".join(rnd.choice(_WORDS) for _ in range(words)) + ".")
        (folder / f"bo-sung-{i:03d}.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
