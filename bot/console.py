"""The terminal chat: the same conversation as on Telegram, one line of stdin per message (a pipe works
too; EOF ends the chat). Replies are printed as plain text; a reply's buttons are numbered and pressed with
/1, /2, … — the buttons of the last message printed (a pop-up notice keeps them; a message without buttons
leaves none to press, as an older message's buttons are no longer on screen). The person at the terminal is
the local operator, so admin commands (/reindex, /thongke, /xoa) work here."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from pathlib import Path
from typing import TextIO

from . import messages as M
from .config import Config, ConfigError, load_config
from .conversation import CONSOLE, Conversation, Incoming, Reply
from .formatting import html_to_text
from .querylog import QueryLog

CONSOLE_USER = 0


def ensure_index(config: Config, out: TextIO = sys.stderr) -> None:
    """Build the index from the knowledge folder if there is none yet; bring it up to date if it was built
    under other visibility rules than the config's (a tightened rule must not wait for a /reindex)."""
    from indexer.store import build, is_current, stored_rules

    from .cli import print_report

    if config.db.exists():
        if is_current(config.db, config.index_rules or stored_rules(config.db) or config.visibility):
            return
        print(M.CONSOLE_RELABELLING, file=out, flush=True)
    else:
        print(M.CONSOLE_BUILDING.format(knowledge=config.knowledge), file=out, flush=True)
    print_report(build(config.knowledge, config.db, limits=config.limits.document_limits(),
                       visibility=config.index_rules), out=out)


def read_lines(stdin: TextIO) -> asyncio.Queue:
    """Lines of stdin in a queue (None at EOF), read by a daemon thread so that Ctrl+C never waits for one."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        try:
            for line in iter(stdin.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError, RuntimeError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="danvan-stdin", daemon=True).start()
    return queue


class Console:
    def __init__(self, conversation: Conversation, out: TextIO = sys.stdout, color: bool = False):
        self.conv = conversation
        self.out = out
        self.bold = ("\033[1m", "\033[0m") if color else ("", "")
        self.buttons: list[str] = []
        self.pending: set[asyncio.Task] = set()

    def show(self, reply: Reply | None) -> None:
        if reply is None:
            return
        if reply.notice:
            print(M.CONSOLE_NOTICE.format(notice=reply.notice), file=self.out)
        if reply.text_html:
            print(html_to_text(reply.text_html, self.bold), file=self.out)
            buttons = [b for row in reply.buttons for b in row if b.data]
            self.buttons = [b.data for b in buttons]  # /N: the last message shown; none if it has none
            if buttons:
                labels = " · ".join(f"[/{i}] {b.text}" for i, b in enumerate(buttons, 1))
                print(M.CONSOLE_BUTTONS.format(buttons=labels), file=self.out)
            print(file=self.out)
        self.out.flush()
        if reply.followup is not None:
            task = asyncio.ensure_future(self._follow(reply.followup))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _follow(self, followup) -> None:
        self.show(await followup)

    async def handle(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        who = Incoming(user_id=CONSOLE_USER, chat_id=CONSOLE_USER, chat_type=CONSOLE, text=text)
        if text[0] in "/#" and text[1:].isdigit():
            n = int(text[1:])
            if not 1 <= n <= len(self.buttons):
                template = M.CONSOLE_NO_BUTTON if self.buttons else M.CONSOLE_NO_BUTTONS
                print(template.format(n=n), file=self.out, flush=True)
                return
            self.show(await self.conv.handle_button(who, self.buttons[n - 1]))
            return
        self.show(await self.conv.handle_message(who))

    async def run(self, stdin: TextIO = sys.stdin) -> None:
        interactive = stdin.isatty()
        if interactive:
            print(M.CONSOLE_WELCOME, file=self.out, flush=True)
        lines = read_lines(stdin)
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = await lines.get()
            if line is None:
                break
            await self.handle(line)
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        await self.conv.wait_idle()


async def chat(config: Config, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, viewer=None) -> None:
    """viewer: what the person at the terminal may read (public documents unless --as / --all)."""
    querylog = QueryLog(config.querylog)
    try:
        conv = Conversation(config, querylog, console_viewer=viewer)
        await conv.open()
        await Console(conv, out, color=out.isatty()).run(stdin)
    finally:
        querylog.close()


def run(config: Config, viewer=None) -> int:
    ensure_index(config)
    try:
        asyncio.run(chat(config, viewer=viewer))
    except KeyboardInterrupt:
        print(file=sys.stdout)
        return 130
    return 0


def load(args) -> Config | None:
    try:
        return load_config(
            getattr(args, "config", None),
            db=getattr(args, "db", None),
            knowledge=getattr(args, "knowledge", None),
        )
    except ConfigError as exc:
        print(M.CONFIG_ERROR.format(error=exc), file=sys.stderr)
        return None


def main(args) -> int:
    """`danvan chat`: always the terminal chat."""
    config = load(args)
    if config is None:
        return 2
    if not Path(config.knowledge).is_dir() and not config.db.exists():
        print(M.CONFIG_ERROR.format(error=M.KNOWLEDGE_MISSING.format(path=config.knowledge)), file=sys.stderr)
        return 2
    from .access import user_viewer
    from .cli import viewer_of

    as_user = getattr(args, "as_user", None)
    return run(config, user_viewer(config, as_user) if as_user is not None else viewer_of(args))
