"""Hostile and awkward files, made on the fly: what admins will really upload (scans, old .doc files, broken
or booby-trapped archives, pages saved in odd encodings), each with the reason the bot must give."""

from __future__ import annotations

import functools
import io
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

import docx
from fpdf import FPDF
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
GOOD_TEXT = (
    "Kế hoạch tổ chức hội nghị đối thoại giữa Chủ tịch Ủy ban nhân dân xã với nhân dân về "
    "giải phóng mặt bằng tuyến đường liên thôn Khe Sanh năm 2025."
)


def make_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(lines: list[str], pages: int = 1) -> bytes:
    pdf = FPDF()
    if FONT.exists():
        pdf.add_font("dv", fname=str(FONT))
    for _ in range(pages):
        pdf.add_page()
        if FONT.exists():
            pdf.set_font("dv", size=12)
        else:  # core font: Latin-1 only
            pdf.set_font("helvetica", size=12)
            lines = [unicodedata.normalize("NFD", x).encode("ascii", "ignore").decode() for x in lines]
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A page that is only a picture of text (what a scanner produces): no text layer."""
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    for y in range(30, 280, 24):
        draw.rectangle((40, y, 40 + (y * 7) % 500, y + 10), fill="black")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf([GOOD_TEXT]))))
    writer.encrypt(user_password="matkhau", owner_password="chu", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(content: bytes) -> bytes:
    """A minimal one-page PDF with this (Flate-compressed) content stream."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def slow_pdf(operations: int = 300_000) -> bytes:
    """A pathological PDF: a few kilobytes, one page of hundreds of thousands of text operations that take
    pypdf tens of seconds to extract (measured: 100,000 operations, 5.7 KB, 11.7 s)."""
    return raw_pdf(b"BT /F1 12 Tf 72 700 Td " + b"(dan van ) Tj 1 0 Td " * operations + b"ET")


@functools.lru_cache(maxsize=1)
def zip_bomb(entries: int = 3, gib_each: int = 1) -> bytes:
    """A .docx-shaped zip bomb: a few megabytes that inflate to `entries` GiB of zeros (honest headers,
    valid CRCs: a real bomb, not a damaged file)."""
    chunk = b"\0" * (16 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)  # the same bytes every time
    final = compressor.flush()
    repeats = (gib_each << 30) // len(chunk)
    stream = block * repeats + final
    size = repeats * len(chunk)
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    entries_list = [(b"[Content_Types].xml", b"<Types/>", 8, zlib.crc32(b"<Types/>"), 0)]
    entries_list += [(name, stream, size, crc, 8)
                     for name in [b"word/document.xml"] + [b"word/media/image%d.bin" % i for i in range(entries - 1)]]
    out = io.BytesIO()
    central = io.BytesIO()
    for name, data, usize, ucrc, method in entries_list:
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, ucrc, len(data), usize, len(name), 0))
        out.write(name + data)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, ucrc, len(data), usize,
                                  len(name), 0, 0, 0, 0, 0, offset))
        central.write(name)
    start = out.tell()
    out.write(central.getvalue())
    n = len(entries_list)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central.getvalue()), start, 0))
    return out.getvalue()


def declared_unzipped(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return sum(i.file_size for i in zf.infolist())


# TCVN3 (ABC), the pre-Unicode Vietnamese 8-bit encoding: lower-case letters -> bytes.
_TCVN3 = dict(zip(
    "àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵ",
    bytes([0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6, 0xA9, 0xC7, 0xC8, 0xC9, 0xCA,
           0xCB, 0xAE, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1, 0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xDC,
           0xDD, 0xDE, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4, 0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xAC, 0xEA, 0xEB,
           0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4, 0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB,
           0xFC, 0xFD, 0xFE]),
    strict=True,
))


def tcvn3(text: str) -> bytes:
    return bytes(_TCVN3[c] if c in _TCVN3 else ord(c) for c in text.lower())


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258, as Vietnamese Windows wrote it: â ê ô ơ ư ă đ precomposed, tone marks combining."""
    out = []
    for c in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", c)
        tones = "".join(m for m in parts if m in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES)) + tones)
    return "".join(out).encode("cp1258")


def yaml_alias_bomb() -> str:
    """Front matter whose title is nine levels of nine-fold aliases: parsed in a blink, but as text it
    would be 9^9 (387 million) items."""
    lines = ["---", "a: &a [dan, van, dan, van, dan, van, dan, van, dan]"]
    previous = "a"
    for name in "bcdefgh":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines += ["title: [" + ", ".join(["*h"] * 9) + "]", "number: 7/KH-UBND", "---", "", GOOD_TEXT]
    return "\n".join(lines) + "\n"


def hostile_files() -> dict[str, tuple[bytes, str]]:
    """file name -> (content, a part of the reason the bot must give). None of these can be indexed."""
    good_docx = make_docx(["Kế hoạch", GOOD_TEXT])
    good_pdf = make_pdf([GOOD_TEXT])
    files = {
        "hong-cat-doi.docx": (good_docx[: len(good_docx) // 2], "tệp .docx bị hỏng"),
        "pdf-cat-doi.pdf": (good_pdf[: len(good_pdf) // 2], "tệp PDF bị hỏng"),
        "khong-phai-pdf.pdf": (b"<html>day la trang web</html>", "không phải tệp PDF"),
        "bom-nen.docx": (zip_bomb(), "giải nén quá lớn"),
        "rong.md": (b"", "rỗng (0 byte)"),
        "nhi-phan.txt": (bytes(range(256)) * 64, "tệp nhị phân"),
        "ban-quet.pdf": (scanned_pdf(), "không có lớp chữ (bản quét)"),
        "co-mat-khau.pdf": (encrypted_pdf(), "có mật khẩu"),
        "word-cu.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "tệp Word cũ (.doc)"),
        "word-cu-doi-duoi.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "tệp Word cũ (.doc)"),
    }
    if FONT.exists():  # its font's character map damaged: pypdf reads only U+FFFD
        files["hong-phong-chu.pdf"] = (good_pdf[:600] + b"\0" * 900 + good_pdf[1500:], "chữ đọc ra từ tệp bị lỗi")
    return files


def readable_files() -> dict[str, tuple[bytes, str]]:
    """Awkward but readable: file name -> (content, a phrase a search must find in it)."""
    windows = "Quy chế dân chủ ở cơ sở: hương ước, quy ước của thôn Bản Lầy được nhân dân bàn và quyết định."
    nfd = "Phong trào thi đua Dân vận khéo ở phường Thủy Xuân, mô hình camera an ninh tự quản."
    return {
        "vntime.docx": (
            make_docx([tcvn3("Tổ dân phố số 7 phường Quang Trung ra mắt mô hình thắp sáng đường quê.").decode(
                "latin-1")] * 3),
            "mô hình thắp sáng đường quê tổ dân phố số 7",
        ),
        "tcvn3.txt": (tcvn3("Ban công tác Mặt trận ở khu dân cư Tân Lập vận động làm đường bê tông. " * 3),
                      "ban công tác mặt trận khu dân cư tân lập"),
        "windows-1258.txt": (to_cp1258(windows), "hương ước thôn Bản Lầy"),
        "nfd.md": (unicodedata.normalize("NFD", nfd).encode("utf-8"), "camera an ninh tự quản Thủy Xuân"),
        "utf16.txt": (
            "Tổ hòa giải ở cơ sở giải quyết mâu thuẫn về ranh giới đất ở xóm Gò Mít.".encode("utf-16"),
            "tổ hòa giải ranh giới đất xóm Gò Mít",
        ),
        "yaml-hong.md": (
            ("---\ntitle: [không đóng\nnumber: 3/KH\n---\n\nHội nghị nhân dân về nạo vét kênh mương nội đồng "
             "thôn Đông Phong được tổ chức vào quý II.\n").encode(),
            "nạo vét kênh mương nội đồng Đông Phong",
        ),
        "yaml-bom.md": (yaml_alias_bomb().encode(), "giải phóng mặt bằng liên thôn Khe Sanh"),
        "trang-1258.html": (
            to_cp1258("<html><head><meta charset=\"windows-1258\"><title>Tin dân vận</title></head><body><article>"
                      + "<p>Huyện đoàn tổ chức ra quân làm sạch bãi biển Cửa Tùng cùng đoàn viên thanh niên.</p>" * 4
                      + "</article></body></html>"),
            "làm sạch bãi biển Cửa Tùng",
        ),
    }
