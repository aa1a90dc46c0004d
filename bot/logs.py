"""Logging set-up that never writes the bot token: httpx (which logs request URLs, and Bot API URLs
contain the token) is quieted to WARNING, and every log record, from any logger and to any handler, has the
token redacted from its message, arguments and traceback text."""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from urllib.parse import quote

REDACTED = "<TOKEN>"
# Anything shaped like a bot token, e.g. inside a URL "/bot123456:AA…/getMe".
_TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")

_secrets: set[str] = set()
_installed = False


def add_secret(secret: str | None) -> None:
    """Register a secret (the bot token): it, its URL-encoded forms, and the part after the bot id."""
    if not secret:
        return
    forms = {secret, quote(secret, safe=""), quote(secret)}
    _, colon, key = secret.partition(":")
    if colon and len(key) >= 20:
        forms.add(key)
    _secrets.update(forms)


def redact_secrets(text: str, replacement: str = REDACTED) -> str:
    """Text with every registered secret replaced (only those: for text the bot sends)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, replacement)
    return text


def redact(text: str) -> str:
    """Text with registered secrets and anything shaped like a bot token replaced (for log lines)."""
    return _TOKEN_SHAPE.sub(REDACTED, redact_secrets(text))


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it to the logging machinery to report
        return
    clean = redact(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """A handler filter doing the same redaction (for records made by another record factory)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_redaction(*secrets: str | None) -> None:
    """Redact these secrets (and anything shaped like a bot token) from every log record made from now on."""
    global _installed
    for secret in secrets:
        add_secret(secret)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _excepthook(exc_type, exc, tb) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(exc_type, exc, tb))))


def _thread_excepthook(args) -> None:
    if args.exc_type is SystemExit:
        return
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    name = args.thread.name if args.thread else "?"
    sys.stderr.write(redact(f"Exception in thread {name}:\n{text}"))


def setup_logging(token: str | None = None, level: int = logging.INFO) -> None:
    """Log to stderr with the token redacted everywhere: log records of every logger, Python warnings (routed
    through logging) and the tracebacks of exceptions nobody caught, in any thread."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_redaction(token)
    logging.captureWarnings(True)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
