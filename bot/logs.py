"""Logging set-up that never writes the bot token: httpx (which logs request URLs, and Bot API URLs
contain the token) is quieted to WARNING, and every log record, from any logger and to any handler, has the
token redacted from its message, arguments and traceback text."""

from __future__ import annotations

import logging
import re

REDACTED = "<TOKEN>"
# Anything shaped like a bot token, e.g. inside a URL "/bot123456:AA…/getMe".
_TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")

_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


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
    _secrets.update(s for s in secrets if s)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def setup_logging(token: str | None = None, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_redaction(token)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
