"""Helpers shared by the bot tests (checking Telegram HTML, buttons, running a PTB Application)."""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

from telegram import Update

from bot.conversation import Reply

# -- checking Telegram HTML
ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}>")
        if tag == "a" and not all(k == "href" for k, _ in attrs):
            self.errors.append("attributes of <a>")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.errors.append(f"entity &{name};")


def assert_telegram_html(text: str) -> None:
    """Well-formed HTML of Telegram's subset, within the length limit, no stray '<' or '&'."""
    assert len(text.encode("utf-16-le")) // 2 <= 4096, len(text)
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.errors, checker.errors
    assert not checker.stack, f"unclosed tags {checker.stack}"
    assert not re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text), "bare &"


def buttons_of(reply: Reply) -> list:
    return [b for row in reply.buttons for b in row]


def button(reply: Reply, prefix: str):
    return next(b for b in buttons_of(reply) if b.data and b.data.startswith(prefix))


@contextlib.asynccontextmanager
async def running(app):
    """What Application.run_polling does, inside the test's event loop."""
    async with app:
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            if app.post_shutdown:
                await app.post_shutdown(app)
