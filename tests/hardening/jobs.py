"""A reader job for run_isolated's tests: a module of its own, light to import in a worker process."""

from __future__ import annotations

import os
import signal
import time

from indexer.documents import DocumentError


def job(kind: str, value: int) -> int:
    if kind == "crash":  # dies as a parser that segfaults would
        os.kill(os.getpid(), signal.SIGSEGV)
    if kind == "sleep":
        time.sleep(value)
    if kind == "bad":
        raise DocumentError(f"tệp số {value} hỏng")
    if kind == "bug":
        raise KeyError(value)
    return value * 10
