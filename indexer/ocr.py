"""Scans: PDF pages without a text layer, and pictures (.jpg, .png, .tif), read by Tesseract OCR with its
Vietnamese model. A PDF page is rendered by poppler's pdftoppm at 300 dpi, then recognised; page by page, with
progress, within the page limit (Limits.max_ocr_pages) and the time to read one file (Limits.parse_timeout:
the work stops, with a clear reason, before the reader process would be killed).

scripts/setup-system installs tesseract-ocr, tesseract-ocr-vie and poppler-utils; without them a scan is
reported with what to do."""

from __future__ import annotations

import functools
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import tools

log = logging.getLogger(__name__)

DPI = 300
LANGUAGE = "vie"
DEFAULT_SECONDS = 600.0  # when reading has no time limit, still bound one page
MEMORY_MB = 2048  # address space for pdftoppm and tesseract (an A4 page at 300 dpi needs ~100 MB)
NO_TESSERACT_REASON = (
    "máy chưa cài Tesseract OCR với tiếng Việt (tesseract-ocr, tesseract-ocr-vie) để đọc bản quét: "
    f"{tools.SETUP_HINT}"
)
NO_PDFTOPPM_REASON = f"máy chưa cài poppler-utils (pdftoppm) để đọc PDF bản quét: {tools.SETUP_HINT}"
Progress = Callable[[int, int], None]


@functools.lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    try:
        out = tools.run(["tesseract", "--list-langs"], 30).decode("utf-8", "replace")
    except (tools.ToolError, OSError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def missing_reason(pdf: bool) -> str | None:
    """Why scans cannot be read on this machine, or None."""
    if not tools.which("tesseract") or LANGUAGE not in _languages():
        return NO_TESSERACT_REASON
    if pdf and not tools.which("pdftoppm"):
        return NO_PDFTOPPM_REASON
    return None


def recognise(image: Path, seconds: float) -> str:
    """The text Tesseract reads in one picture."""
    # --psm 3 (default): automatic page segmentation; stdout: the text, one line per printed line
    return tools.run(["tesseract", str(image), "stdout", "-l", LANGUAGE, "--dpi", str(DPI)],
                     seconds, memory_mb=MEMORY_MB).decode("utf-8", "replace")


class Budget:
    """The time left for one file: stop before the reader process's time limit, with a reason."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.monotonic()
        self.deadline = self.started + (0.9 * seconds if seconds > 0 else float("inf"))

    def left(self) -> float:
        left = self.deadline - time.monotonic()
        return min(left, DEFAULT_SECONDS) if left != float("inf") else DEFAULT_SECONDS

    def check(self, done: int, total: int, per_page: float) -> None:
        from .documents import DocumentError, _seconds

        if time.monotonic() + per_page > self.deadline:
            raise DocumentError(
                f"bản quét {total} trang: nhận dạng chữ (OCR) xong {done} trang thì hết thời gian cho phép "
                f"({_seconds(self.seconds)} giây; tăng limits.max_parse_seconds)"
            )


def ocr_pdf_pages(data: bytes, pages: list[int], total: int, seconds: float,
                  progress: Progress | None = None) -> dict[int, str]:
    """OCR these pages (0-based) of a PDF: page -> text."""
    from .documents import DocumentError

    reason = missing_reason(pdf=True)
    if reason:
        raise DocumentError(reason)
    budget = Budget(seconds)
    out: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="danvan-ocr-") as work:
        pdf = Path(work) / "scan.pdf"
        pdf.write_bytes(data)
        for done, page in enumerate(pages):
            if done:
                budget.check(done, len(pages), (time.monotonic() - budget.started) / done)
            if progress:
                progress(done + 1, len(pages))
            stem = Path(work) / f"page-{page}"
            try:
                tools.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile",
                           "-f", str(page + 1), "-l", str(page + 1), str(pdf), str(stem)], budget.left(),
                          memory_mb=MEMORY_MB)
                image = stem.with_suffix(".png")
                out[page] = recognise(image, budget.left())
                image.unlink()
            except tools.ToolError as exc:
                if time.monotonic() >= budget.deadline:
                    budget.check(done, len(pages), 0)
                log.info("OCR of page %s failed: %s", page + 1, exc)
                raise DocumentError(f"không nhận dạng được chữ ở trang {page + 1} của bản quét") from exc
    return out


def ocr_image(data: bytes, suffix: str, seconds: float) -> str:
    """OCR a picture (a photographed or scanned page)."""
    from .documents import DocumentError

    reason = missing_reason(pdf=False)
    if reason:
        raise DocumentError(reason)
    budget = Budget(seconds)
    with tempfile.TemporaryDirectory(prefix="danvan-ocr-") as work:
        image = Path(work) / f"scan{suffix}"
        image.write_bytes(data)
        try:
            return recognise(image, budget.left())
        except tools.ToolError as exc:
            log.info("OCR of an image failed: %s", exc)
            if time.monotonic() >= budget.deadline:
                budget.check(0, 1, 0)
            raise DocumentError("không đọc được ảnh (tệp ảnh hỏng hoặc không phải ảnh)") from exc
