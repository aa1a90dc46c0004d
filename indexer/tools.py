"""Running the external converters (antiword, catdoc, LibreOffice, pdftoppm, tesseract) safely: no shell,
a time limit, output size bounded, and the tool dies with the reader process that started it (a reader killed
at the parse time limit leaves no converter running)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path

SETUP_HINT = "chạy scripts/setup-system (cài bằng apt-get)"


class ToolError(Exception):
    """The tool failed (exit status, time limit); the message is for logs."""


def which(name: str) -> str | None:
    return shutil.which(name)


def _die_with_parent(memory_mb: int | None = None) -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setsid()  # its own process group, so that a time-out kills the tool's children too
    if memory_mb:  # a picture that decompresses to gigabytes fails to allocate instead of eating the machine
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))


def run(args: list[str], timeout: float, cwd: Path | None = None, env: dict | None = None,
        max_output: int = 64 * 1024 * 1024, memory_mb: int | None = None) -> bytes:
    """The tool's stdout. Raises ToolError on a non-zero exit, a time-out or too much output. memory_mb:
    the tool's address-space limit."""
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
        env=env, preexec_fn=functools.partial(_die_with_parent, memory_mb),
    )
    try:
        out, err = proc.communicate(timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ToolError(f"{Path(args[0]).name}: time-out after {timeout:g} s") from None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever it left behind
    if proc.returncode != 0:
        raise ToolError(f"{Path(args[0]).name}: exit {proc.returncode}: {err.decode('utf-8', 'replace')[-300:]}")
    if len(out) > max_output:
        raise ToolError(f"{Path(args[0]).name}: output over {max_output} bytes")
    return out
