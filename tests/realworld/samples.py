"""Real-world documents the tests make themselves: scans rendered from a known Vietnamese text, Word 97-2003
files saved by LibreOffice, text typed in the old TCVN3 and VNI encodings (each with its own table here)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from tests.hardening.hostile import _TCVN3 as _TCVN3_SMALL  # lower-case letters -> bytes
from tests.hardening.hostile import FONT, make_docx

SCAN_TEXT = [
    "ỦY BAN NHÂN DÂN XÃ HÒA AN",
    "Số: 45/KH-UBND",
    "KẾ HOẠCH",
    "Tổ chức Hội nghị đối thoại giữa Chủ tịch Ủy ban nhân dân",
    "xã với Nhân dân về thực hiện dân chủ ở cơ sở năm 2025",
    "1. Mục đích: lắng nghe ý kiến, kiến nghị của người dân về",
    "giải phóng mặt bằng tuyến đường liên thôn Khe Sanh.",
    "2. Thành phần: Thường trực Đảng ủy, Ủy ban Mặt trận Tổ quốc,",
    "các đoàn thể chính trị - xã hội và đại diện hộ gia đình.",
    "3. Thời gian: 8 giờ ngày 15 tháng 3 năm 2025, tại hội trường xã.",
]


def need(*tools: str) -> None:
    for tool in tools:
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (scripts/setup-system installs it)")


def need_vietnamese_ocr() -> None:
    need("tesseract", "pdftoppm")
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "vie" not in langs:
        pytest.skip("Tesseract's Vietnamese model is not installed (scripts/setup-system installs it)")
    if not FONT.exists():
        pytest.skip(f"{FONT} is missing (fonts-dejavu-core; scripts/setup-system installs it)")


def render_page(lines: list[str], dpi: int = 300, size: int = 12) -> Image.Image:
    """An A4 page at dpi with the lines in DejaVu Sans at size points: a clean scan of a typed page."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), int(size * dpi / 72))
    y = int(0.8 * dpi)
    for line in lines:
        draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
        y += int(size * 1.8 * dpi / 72)
    return image


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def scanned_pdf(pages: list[list[str]], typed_first: list[str] | None = None) -> bytes:
    """A PDF whose pages are pictures only (no text layer), optionally after one typed page."""
    pdf = FPDF()
    if typed_first:
        pdf.add_font("dv", fname=str(FONT))
        pdf.add_page()
        pdf.set_font("dv", size=12)
        for line in typed_first:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    for lines in pages:
        pdf.add_page()
        pdf.image(io.BytesIO(png(render_page(lines))), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def word97(paragraphs: list[str], fmt: str = "doc") -> bytes:
    """A Word 97-2003 .doc (or fmt: rtf): a .docx written here, saved as .doc by LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (needed to make a .doc; scripts/setup-system installs it)")
    with tempfile.TemporaryDirectory() as work:
        src = Path(work) / "van-ban.docx"
        src.write_bytes(make_docx(paragraphs))
        subprocess.run(
            [soffice, f"-env:UserInstallation={(Path(work) / 'profile').as_uri()}", "--headless",
             "--convert-to", fmt, "--outdir", work, str(src)],
            check=True, capture_output=True, timeout=180, env={"HOME": work, "PATH": "/usr/bin:/bin"},
        )
        return (Path(work) / f"van-ban.{fmt}").read_bytes()


# -- legacy encodings, tables written out here (independent of indexer/legacy.py) ------------------------
_TCVN3_CAPITALS = {"Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}


def tcvn3(text: str) -> bytes:
    """TCVN3 as .VnTime wrote it: capitals with tone marks become small letters (a .VnTimeH font would draw
    them as capitals), the bare capitals Ă Â Ê Ô Ơ Ư Đ have their own codes."""
    out = bytearray()
    for c in unicodedata.normalize("NFC", text):
        if c in _TCVN3_CAPITALS:
            out.append(_TCVN3_CAPITALS[c])
        elif c.lower() in _TCVN3_SMALL:
            out.append(_TCVN3_SMALL[c.lower()])
        else:
            out += c.encode("ascii")
    return bytes(out)


# VNI: base letter, then one code for the vowel's shape and tone together.
_VNI_MARKS = {  # (shape, tone) -> small-letter code; shape: "" | "^" (â ê ô) | "(" (ă)
    ("", "\u0301"): "ù", ("", "\u0300"): "ø", ("", "\u0309"): "û", ("", "\u0303"): "õ", ("", "\u0323"): "ï",
    ("^", ""): "â", ("^", "\u0301"): "á", ("^", "\u0300"): "à", ("^", "\u0309"): "å", ("^", "\u0303"): "ã",
    ("^", "\u0323"): "ä",
    ("(", ""): "ê", ("(", "\u0301"): "é", ("(", "\u0300"): "è", ("(", "\u0309"): "ú", ("(", "\u0303"): "ü",
    ("(", "\u0323"): "ë",
}
_VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def vni(text: str) -> str:
    """Text in VNI codes, as python-docx or pypdf hand it over from a VNI-Times document (Latin-1 letters)."""
    out = []
    for c in unicodedata.normalize("NFC", text):
        if c.isascii():
            out.append(c)
            continue
        upper = c.isupper()
        base, *marks = unicodedata.normalize("NFD", c.lower())
        tone = next((m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"), "")
        shape = "^" if "\u0302" in marks else "(" if "\u0306" in marks else ""
        if base == "đ":
            code = "ñ"
        elif "\u031b" in marks:  # ơ ư: one code each, then the tone
            code = {"o": "ô", "u": "ö"}[base] + (_VNI_MARKS[("", tone)] if tone else "")
        elif base == "i" and tone:
            code = _VNI_I[tone]
        elif base == "y" and tone == "\u0323":
            code = "î"
        else:
            code = base + _VNI_MARKS[(shape, tone)]
        out.append(code.upper() if upper else code)
    return "".join(out)
