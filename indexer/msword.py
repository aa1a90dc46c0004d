"""Word 97-2003 (.doc) files, read through the first converter installed that reads them: antiword, catdoc,
LibreOffice (headless); OpenDocument text (.odt), through LibreOffice. scripts/setup-system installs them;
without any, the file is reported with what to do."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from . import tools

log = logging.getLogger(__name__)

NO_CONVERTER_REASON = (
    "máy chưa cài công cụ đọc tệp Word cũ (.doc) (antiword, catdoc hoặc LibreOffice): "
    f"{tools.SETUP_HINT}, hoặc mở bằng Word và lưu lại thành .docx"
)
BROKEN_REASON = "tệp Word cũ (.doc) bị hỏng, không đọc được (thử mở bằng Word và lưu lại thành .docx)"
NO_ODT_READER_REASON = f"máy chưa cài LibreOffice để đọc tệp .odt: {tools.SETUP_HINT}, hoặc lưu lại thành .docx"
ODT_BROKEN_REASON = "tệp .odt bị hỏng, không đọc được (thử mở và lưu lại thành .docx)"
DEFAULT_SECONDS = 120.0


def _antiword(path: Path, seconds: float) -> str:
    # -w 0: one line per paragraph; UTF-8.txt: antiword's mapping for UTF-8 output
    return tools.run(["antiword", "-w", "0", "-m", "UTF-8.txt", str(path)], seconds).decode("utf-8", "replace")


def _catdoc(path: Path, seconds: float) -> str:
    return tools.run(["catdoc", "-w", "-d", "utf-8", str(path)], seconds).decode("utf-8", "replace")


def _soffice_binary() -> str | None:
    return tools.which("soffice") or tools.which("libreoffice")


def _libreoffice(path: Path, seconds: float) -> str:
    binary = _soffice_binary()
    with tempfile.TemporaryDirectory(prefix="danvan-lo-") as work:
        out = Path(work) / "out"
        profile = Path(work) / "profile"  # its own profile: no clash with a running LibreOffice
        tools.run(
            [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(out), str(path)],
            seconds, env={**os.environ, "HOME": work},
        )
        produced = list(out.glob("*.txt"))
        if not produced:
            raise tools.ToolError("soffice: no output")
        return produced[0].read_bytes().decode("utf-8-sig", "replace")


CONVERTERS = (("antiword", _antiword), ("catdoc", _catdoc), ("soffice", _libreoffice))


def available() -> list[str]:
    return [name for name, _ in CONVERTERS if (_soffice_binary() if name == "soffice" else tools.which(name))]


def read_doc(data: bytes, seconds: float = DEFAULT_SECONDS) -> str:
    """The text of a .doc file (bytes); raises DocumentError with the reason."""
    from .documents import DocumentError

    names = available()
    if not names:
        raise DocumentError(NO_CONVERTER_REASON)
    deadline = time.monotonic() + (seconds if seconds > 0 else DEFAULT_SECONDS)
    with tempfile.TemporaryDirectory(prefix="danvan-doc-") as work:
        path = Path(work) / "van-ban.doc"
        path.write_bytes(data)
        for name, convert in CONVERTERS:
            if name not in names:
                continue
            left = deadline - time.monotonic()
            if left <= 1:
                break
            try:
                text = convert(path, left)
            except (tools.ToolError, OSError) as exc:
                log.info(".doc converter %s failed: %s", name, exc)
                continue
            if _usable(text):
                return text
            log.info(".doc converter %s gave no usable text", name)
    raise DocumentError(BROKEN_REASON)


def read_odt(data: bytes, seconds: float = DEFAULT_SECONDS) -> str:
    """The text of an OpenDocument text file (bytes), by LibreOffice; raises DocumentError with the reason."""
    from .documents import DocumentError

    if not _soffice_binary():
        raise DocumentError(NO_ODT_READER_REASON)
    with tempfile.TemporaryDirectory(prefix="danvan-odt-") as work:
        path = Path(work) / "van-ban.odt"
        path.write_bytes(data)
        try:
            text = _libreoffice(path, seconds if seconds > 0 else DEFAULT_SECONDS)
        except (tools.ToolError, OSError) as exc:
            log.info(".odt conversion failed: %s", exc)
            raise DocumentError(ODT_BROKEN_REASON) from exc
    if not _usable(text):
        raise DocumentError(ODT_BROKEN_REASON)
    return text


def _usable(text: str) -> bool:
    """Some text, and not a converter's replacement characters for letters it could not map."""
    body = [c for c in text if not c.isspace()]
    if len(body) < 2:
        return False
    return sum(1 for c in body if c in "?\ufffd") < 0.05 * len(body)
