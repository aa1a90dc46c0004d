"""`danvan run`: the Telegram bot when TELEGRAM_BOT_TOKEN is set; otherwise the same conversation in the
terminal, on the bundled knowledge folder, so that a new user sees answers at once."""

from __future__ import annotations

import os
import sys

from . import console
from . import messages as M
from .logs import setup_logging


def main(args) -> int:
    config = console.load(args)
    if config is None:
        return 2
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        if sys.stdin.isatty():
            print(M.CONSOLE_NO_TOKEN, file=sys.stderr)
        return console.main(args)
    setup_logging(token)
    if not config.knowledge.is_dir() and not config.db.exists():
        print(M.CONFIG_ERROR.format(error=M.KNOWLEDGE_MISSING.format(path=config.knowledge)), file=sys.stderr)
        return 2
    console.ensure_index(config)
    from .telegram_app import run

    return run(config, token)
