"""Reading a knowledge folder: one loader per format, front matter, and metadata inference.

A document's id is its path relative to the knowledge folder, without extension, with forward slashes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import logging
import multiprocessing.connection
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from . import legacy, markdown, metadata, msword, ocr
from .analysis import clean, terms
from .engine import compact_counts
from .passages import split

log = logging.getLogger(__name__)

IMAGES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")  # photographed or scanned pages: OCR
SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".doc", ".rtf", ".odt", ".pdf", *IMAGES)
# Files people keep next to the documents: reported (with what to do) instead of skipped silently.
UNSUPPORTED_DOCUMENTS = {
    suffix: "bảng tính, trình chiếu chưa đọc được: chép nội dung cần tra cứu sang tệp .docx"
    for suffix in (".xls", ".xlsx", ".ods", ".ppt", ".pptx", ".odp")
}
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?", re.DOTALL)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.doc, .xls)
_ZIP_MAGIC = b"PK\x03\x04"
TIMEOUT_REASON = "đọc tệp quá thời gian cho phép ({seconds} giây)"
CRASH_REASON = "trình đọc tệp bị dừng đột ngột (tệp có thể bị hỏng)"
MEMORY_REASON = "không đủ bộ nhớ để đọc tệp"


@dataclass(frozen=True)
class Limits:
    """Safety limits for reading untrusted files. parse_timeout: seconds one file may take to read; files are
    then read in separate worker processes that are killed at the limit (0: read in this process, no limit)."""

    max_bytes: int = 50 * 1024 * 1024
    max_pdf_pages: int = 500
    max_unzipped_bytes: int = 200 * 1024 * 1024
    parse_timeout: float = 120.0
    max_ocr_pages: int = 100  # scanned pages read by OCR in one PDF


class DocumentError(Exception):
    """A file that cannot be read; the message is a short Vietnamese reason for the admin."""


@dataclass
class Document:
    id: str
    text: str
    title: str = ""
    number: str | None = None
    type: str | None = None
    issuer: str | None = None
    issued: str | None = None
    year: int | None = None
    source: str | None = None
    aliases: list[str] = field(default_factory=list)
    visibility: str | None = None
    audience: list[str] = field(default_factory=list)
    path: str = ""
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)
    ocr: bool = False  # its text (or part of it) was read from a scan by OCR


def doc_id(path: Path, root: Path) -> str:
    """The id of the document at path: relative path without extension, forward slashes, Unicode NFC (a folder
    copied from a Mac has decomposed names)."""
    rel = path.relative_to(root).with_suffix("")
    return unicodedata.normalize("NFC", rel.as_posix())


_BINARY_WHITESPACE = frozenset("\t\n\r\x0b\x0c")


_BINARY_CONTROLS = re.compile("[" + "".join(re.escape(chr(i)) for i in range(32) if chr(i) not in _BINARY_WHITESPACE)
                              + "\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    """Control characters (other than whitespace) in more than 1 % of the text: not a text file."""
    sample = text[:65536]
    controls = len(_BINARY_CONTROLS.findall(sample))
    return controls > max(2, len(sample) // 100)


def _foreign_share(text: str) -> float:
    """Of the Latin-script non-ASCII characters, the share that Vietnamese text does not use: letters outside
    the Vietnamese alphabet (ä, ø, ñ…), Latin-1 symbols (¸ µ ¶ ©…) and stray combining marks. High for text
    in the old 8-bit Vietnamese encodings (TCVN3/ABC, VNI) read as Windows-1258 or Latin-1, which is also
    what a .docx or PDF typed with .VnTime-style fonts contains. Other scripts do not count."""
    foreign, total = legacy._counts(unicodedata.normalize("NFC", text[:200_000]))
    return foreign / total if total >= 20 else 0.0


# U+FFFD, and the characters of categories Co (private use), Cc (controls) and Cs (surrogates) that are not
# whitespace: one regex instead of a category lookup per character.
_GARBLED = re.compile("[\ufffd\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd\ud800-\udfff"
                      "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACE = re.compile(r"\s")


def _garbled_share(text: str) -> float:
    """Share of characters that are no text at all: U+FFFD (undecodable), private-use glyph codes, controls."""
    sample = text[:200_000]
    if _GARBLED.search(sample) is None:  # nothing garbled (the usual case): no need to count the rest
        return 0.0
    size = len(sample) - len(_SPACE.findall(sample))
    bad = len(_GARBLED.findall(sample))
    return bad / size if size >= 20 else 0.0


LEGACY_FONT_REASON = (
    "chữ trong tệp dùng bảng mã/phông chữ cũ (TCVN3, VNI, ví dụ .VnTime), chưa đọc được: chuyển sang Unicode "
    "(ví dụ bằng Unikey) rồi lưu lại"
)
GARBLED_REASON = "chữ đọc ra từ tệp bị lỗi (tệp hỏng, hoặc phông chữ không chuyển được thành chữ)"


def check_readable(text: str, fonts: bool = True) -> None:
    """Refuse extracted text that is glyph garbage or (fonts: text from a .docx, PDF or page, where the old
    .VnTime-style fonts show up) Vietnamese in an old 8-bit encoding. A UTF-8 text file is trusted to be
    what it says; a document in another language full of non-Vietnamese accents would be refused."""
    if _garbled_share(text) > 0.1:
        raise DocumentError(GARBLED_REASON)
    if fonts and _foreign_share(text) > 0.15:
        raise DocumentError(LEGACY_FONT_REASON)


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8: Windows-1258 (the Vietnamese Windows code page) if the result reads as Vietnamese, else
    TCVN3 (ABC) or VNI (legacy.py), converted to Unicode."""
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        text = None
    if text is not None and (_looks_binary(text) or _foreign_share(text) <= 0.15):
        return text
    if b"\x00" not in data[:4096]:
        found = legacy.decode_bytes(data)
        if found:
            return found[0]
    if text is None:
        raise DocumentError("không đọc được bảng mã của tệp (cần lưu lại bằng Unicode UTF-8)")
    raise DocumentError(LEGACY_FONT_REASON)


LEGACY_CONVERTED = "chữ trong tệp dùng bảng mã cũ {encoding}, đã chuyển sang Unicode"


def _legacy_file_encoding(data: bytes, decoded: str) -> str | None:
    """The legacy encoding decode_text read a text file in, if it did (for the report)."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    found = legacy.decode_bytes(data)
    return found[1] if found and found[0] == decoded else None


def decode_text(data: bytes) -> str:
    """Bytes of a text file -> str. UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1258; binary
    TCVN3/ABC or VNI (converted); binary data and undecodable text are refused with a clear reason."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError("tệp UTF-16 bị hỏng (không đọc được bảng mã)") from exc
    elif b"\x00" in data[:4096]:
        raise DocumentError("tệp nhị phân, không phải văn bản")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_legacy(data)
    if _looks_binary(text):
        raise DocumentError("tệp nhị phân, không phải văn bản")
    return text


def split_front_matter(text: str) -> tuple[dict, str, list[str]]:
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text, []
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (dòng {line + 2})" if line is not None else ""
        return {}, text[m.end():], [f"phần thông tin đầu tệp (YAML) bị lỗi{where}, đã bỏ qua"]
    except RecursionError:  # absurdly deep nesting
        return {}, text[m.end():], ["phần thông tin đầu tệp (YAML) lồng quá sâu, đã bỏ qua"]
    if not isinstance(meta, dict):
        return {}, text[m.end():], ["phần thông tin đầu tệp (YAML) không phải dạng khóa: giá trị, đã bỏ qua"]
    return meta, text[m.end():], []


def read_doc(data: bytes, limits: Limits) -> str:
    """Word 97-2003: through antiword, catdoc or LibreOffice (msword.py). A .docx or PDF saved under a
    .doc name is read as what it is."""
    if data.startswith(_ZIP_MAGIC):
        return read_docx(data, limits)
    if data.startswith(b"%PDF"):
        raise DocumentError("tệp PDF mang đuôi .doc: đổi đuôi thành .pdf")
    head = data[:4096].lstrip().lower()
    if not data.startswith(_OLE_MAGIC) and not head.startswith(b"{\\rtf") and (
        head.startswith((b"<html", b"<!doctype html")) or b"<html" in head
    ):  # Word's "save as web page" under a .doc name
        return read_html(data)[0]
    return msword.read_doc(data, limits.parse_timeout)  # Word 97-2003, or RTF (catdoc, LibreOffice)


def read_docx(data: bytes, limits: Limits) -> str:
    if data.startswith(_OLE_MAGIC):  # a .doc renamed .docx
        return msword.read_doc(data, limits.parse_timeout)
    if data.startswith(b"%PDF"):
        raise DocumentError("tệp PDF mang đuôi .docx: đổi đuôi thành .pdf")
    _check_package(data, limits, ".docx", "tệp Word")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for broken packages
        raise DocumentError("tệp .docx bị hỏng") from exc
    out: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(_paragraph_text(Paragraph(block, document)))
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                        cells.append(cell.text.strip())
                if cells:
                    out.append(" | ".join(cells))
    return "\n\n".join(p for p in out)


_TCVN3_CAPITALS_FONT = re.compile(r"^\.Vn.*H$")  # .VnTimeH, .VnArialH: TCVN3 fonts that draw every letter as a capital


def _paragraph_text(paragraph) -> str:
    """A .docx paragraph's text. One typed wholly in a TCVN3 capitals font holds small-letter codes that only the
    font shows as capitals ("KẾ HOẠCH" is stored as "kÕ ho¹ch"): it is converted and upper-cased here, where
    the font is known."""
    text = paragraph.text
    if not text.strip() or any(ord(c) > 255 for c in text):  # Unicode text (most paragraphs): as it is
        return text
    fonts = {run.font.name for run in paragraph.runs if run.text.strip()}
    if None in fonts:  # a run without its own font has its paragraph style's
        fonts.discard(None)
        fonts.add(paragraph.style.font.name if paragraph.style is not None else None)
    if fonts and all(_TCVN3_CAPITALS_FONT.match(font or "") for font in fonts):
        return unicodedata.normalize("NFC", legacy.decode_tcvn3(text)).upper()
    return text


def _check_package(data: bytes, limits: Limits, suffix: str, kind: str) -> None:
    """A zip package (.docx, .odt) that opens and unpacks to at most limits.max_unzipped_bytes (declared sizes:
    zipfile never inflates an entry past its declared size, so this bounds the work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise DocumentError(f"tệp {suffix} bị hỏng (không phải {kind} hợp lệ)") from exc
    if total > limits.max_unzipped_bytes:
        raise DocumentError(
            f"tệp {suffix} giải nén quá lớn ({total // 2**20} MB, giới hạn {limits.max_unzipped_bytes // 2**20} MB)"
        )


def read_odt(data: bytes, limits: Limits) -> str:
    """OpenDocument text (LibreOffice, OpenOffice): through LibreOffice (msword.py)."""
    if data.startswith(_OLE_MAGIC):  # a .doc renamed .odt
        return msword.read_doc(data, limits.parse_timeout)
    _check_package(data, limits, ".odt", "tệp OpenDocument")
    return msword.read_odt(data, limits.parse_timeout)


def read_pdf(data: bytes, limits: Limits) -> tuple[str, bool]:
    """(text, whether some of it came from OCR). Pages without a text layer (a scan, or a scanned page in
    a typed document) are read by OCR (ocr.py)."""
    if b"%PDF" not in data[:1024]:
        raise DocumentError("tệp PDF bị hỏng (không có phần đầu %PDF, không phải tệp PDF)")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # an unknown encryption method
                opened = 0
            if not opened:
                raise DocumentError("tệp PDF có mật khẩu, chưa đọc được: gỡ mật khẩu rồi gửi lại")
        pages = reader.pages
        if len(pages) > limits.max_pdf_pages:
            raise DocumentError(f"tệp PDF có {len(pages)} trang, vượt giới hạn {limits.max_pdf_pages} trang")
        texts = [page.extract_text() or "" for page in pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError("tệp PDF bị hỏng") from exc
    except Exception as exc:  # pypdf can raise many errors on hostile files
        raise DocumentError("tệp PDF bị hỏng") from exc
    scanned = [i for i, t in enumerate(texts) if len(t.strip()) < MIN_PAGE_CHARS]
    if len("".join(texts).strip()) >= 20:  # typed: OCR only pages that are pictures (a scanned annex), not
        scanned = [i for i in scanned if _has_image(pages[i])]  # blank separators
    if not scanned:
        return "\n\n".join(texts), False
    if len(scanned) > limits.max_ocr_pages:
        raise DocumentError(
            f"tệp PDF không có lớp chữ (bản quét) ở {len(scanned)} trang, vượt giới hạn nhận dạng chữ (OCR) "
            f"{limits.max_ocr_pages} trang"
        )
    reason = ocr.missing_reason(pdf=True)
    if reason:
        raise DocumentError(f"tệp PDF không có lớp chữ (bản quét); {reason}")

    def progress(done: int, total: int) -> None:
        note(f"OCR trang {done}/{total}")

    recognised = ocr.ocr_pdf_pages(data, scanned, len(texts), limits.parse_timeout, progress)
    for page, text in recognised.items():
        texts[page] = text
    if len("".join(texts).strip()) < 20:
        raise DocumentError("tệp PDF không có lớp chữ (bản quét) và nhận dạng chữ (OCR) không đọc được chữ nào")
    return "\n\n".join(texts), True


MIN_PAGE_CHARS = 20  # a page with less text than this has no text layer worth the name


def _has_image(page) -> bool:
    """Does the page draw a picture (directly or in a form)? Malformed resources count as no."""
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is None:
            return False
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image" or obj.get("/Subtype") == "/Form":
                return True
    except Exception:  # hostile or odd structures: treat as no picture
        return False
    return False


def read_image(data: bytes, suffix: str, limits: Limits) -> str:
    text = ocr.ocr_image(data, suffix, limits.parse_timeout)
    if len(text.strip()) < 20:
        raise DocumentError("ảnh không có chữ đọc được (nhận dạng chữ OCR không ra chữ nào)")
    return text


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]{1,40})""", re.IGNORECASE)


def decode_html(data: bytes) -> str:
    """A saved web page -> str: a BOM, else the charset its <meta> declares, else UTF-8, else Windows-1258."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return decode_text(data)
    if b"\x00" in data[:4096]:
        raise DocumentError("tệp nhị phân, không phải trang web")
    m = _META_CHARSET.search(data[:8192])
    if m:
        declared = m.group(1).decode("ascii").lower()
        if declared not in ("utf-8", "utf8"):
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                return data.decode(declared)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return decode_text(data)
    except DocumentError:
        return data.decode("utf-8", errors="replace")


def read_html(data: bytes) -> tuple[str, dict]:
    import trafilatura

    html = decode_html(data)
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text or not text.strip():
        raise DocumentError("trang web không có nội dung chính đọc được")
    meta: dict = {}
    info = trafilatura.extract_metadata(html)
    if info is not None:
        if info.title:
            meta["title"] = info.title
        if info.date:
            meta["issued"] = info.date
        if info.url:
            meta["source"] = info.url
    return text, meta


_SCALARS = (str, int, float, dt.date)
MAX_META_CHARS = 1000


def _scalar(value) -> str | None:
    """A front-matter value as text, or None. Only scalars: a nested list or mapping (e.g. a YAML alias bomb,
    whose str() would be astronomically long) is ignored."""
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return clean(text.strip()[:MAX_META_CHARS]) or None


def _clean_meta(raw: dict) -> tuple[dict, list[str]]:
    meta: dict = {}
    ignored = []
    for key in ("title", "number", "type", "issuer", "source", "visibility", "issued"):
        value = raw.get(key)
        if value is None:
            continue
        text = _scalar(value)
        if text:
            meta[key] = text
        elif not isinstance(value, (str, bool)):
            ignored.append(key)
    for key in ("aliases", "audience"):
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, _SCALARS):
            value = [value]
        if isinstance(value, list):
            meta[key] = [t for t in map(_scalar, value[:100]) if t]
        else:
            ignored.append(key)
    warnings = [f"phần thông tin đầu tệp: giá trị của '{k}' không hợp lệ, đã bỏ qua" for k in ignored]
    return meta, warnings


def parse(data: bytes, suffix: str, doc_id_: str, limits: Limits = Limits()) -> Document:
    """Bytes of one file -> Document. Raises DocumentError with a short Vietnamese reason."""
    suffix = suffix.lower()
    if suffix in UNSUPPORTED_DOCUMENTS:
        raise DocumentError(UNSUPPORTED_DOCUMENTS[suffix])
    if suffix not in SUPPORTED:
        raise DocumentError(f"định dạng {suffix or '(không có đuôi)'} chưa được hỗ trợ")
    if len(data) == 0:
        raise DocumentError("tệp rỗng (0 byte)")
    if len(data) > limits.max_bytes:
        raise DocumentError(f"tệp quá lớn ({len(data) // 2**20} MB, giới hạn {limits.max_bytes // 2**20} MB)")
    warnings: list[str] = []
    given: dict = {}
    scanned = False
    if suffix in (".md", ".markdown", ".txt"):
        decoded = decode_text(data)
        raw, text, warnings = split_front_matter(decoded)
        encoding = _legacy_file_encoding(data, decoded)
        if encoding:
            warnings.append(LEGACY_CONVERTED.format(encoding=encoding))
        given, more = _clean_meta(raw)
        warnings += more
        text = metadata.strip_chrome(text)
        if suffix != ".txt":
            text = markdown.plain(text)
    elif suffix in (".html", ".htm"):
        text, given = read_html(data)
    elif suffix == ".docx":
        text = read_docx(data, limits)
    elif suffix in (".doc", ".rtf"):
        text = read_doc(data, limits)
    elif suffix == ".odt":
        text = read_odt(data, limits)
    elif suffix in IMAGES:
        text, scanned = read_image(data, suffix, limits), True
    else:
        text, scanned = read_pdf(data, limits)
    text, encoding = legacy.fix(text)
    if encoding:
        warnings.append(LEGACY_CONVERTED.format(encoding=encoding))
    check_readable(text, fonts=suffix not in (".md", ".markdown", ".txt"))
    text = clean(text).replace("\r\n", "\n").replace("\r", "\n")  # as written: "hoà" is not made "hòa"
    if not text.strip():
        raise DocumentError("tệp không có nội dung chữ")
    inferred = metadata.infer(text)
    meta = {**inferred, **given}
    doc = Document(
        id=doc_id_,
        text=text,
        title=meta.get("title") or doc_id_.rsplit("/", 1)[-1].replace("-", " "),
        number=meta.get("number"),
        type=meta.get("type") or (metadata.number_type(meta["number"]) if meta.get("number") else None),
        issuer=meta.get("issuer"),
        issued=meta.get("issued"),
        source=meta.get("source"),
        aliases=meta.get("aliases", []),
        visibility=meta.get("visibility"),
        audience=meta.get("audience", []),
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=warnings,
        ocr=scanned,
    )
    doc.year = metadata.year_of(meta)
    return doc


def load(path: Path, root: Path, limits: Limits = Limits()) -> Document:
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise DocumentError(f"tệp quá lớn ({size // 2**20} MB, giới hạn {limits.max_bytes // 2**20} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"không mở được tệp ({exc.strerror or exc})") from exc
    doc = parse(data, path.suffix, doc_id(path, root), limits)
    doc.path = path.relative_to(root).as_posix()
    return doc


def scan(root: Path, suffixes: Sequence[str] = SUPPORTED) -> Iterator[Path]:
    """Files under root with one of these suffixes, in a stable order (hidden files and folders, symbolic
    links skipped)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in suffixes and not path.is_symlink() and path.is_file():
            yield path


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- what the index needs from a file ------------------------------------------------------------------------
def index_terms(doc: Document, heading: str, text: str) -> list[str]:
    """What BM25 sees for one passage: its text (without a codification's source notes, SOURCE_NOTE), its heading
    path (the innermost heading twice), and the document's title, number and aliases, so that headings and the
    document's identity outweigh body text."""
    identity = " . ".join(filter(None, [doc.title, doc.number, doc.type, *doc.aliases]))
    if "hiệu lực" in text:
        text = SOURCE_NOTE.sub(" . ", text)
    innermost = heading.rsplit(" › ", 1)[-1] if heading else ""
    heading = _SUBSECTION_LABEL.sub(" › ", heading)  # "tiểu" folds to "tiêu" (tiêu chuẩn, tiêu chí): not indexed
    return terms(text, normalized=True) + _short_terms(heading) + _short_terms(innermost) + _short_terms(identity)


_SUBSECTION_LABEL = re.compile(r"(?:^| › )Tiểu mục \w+\. ")
# A codification's note of where an article comes from, on a line of its own before the article's text, as the
# Bộ pháp điển prints them: "(Điều 12 Nghị định số 61/2023/NĐ-CP, có hiệu lực thi hành kể từ ngày 16/08/2023)".
# It stays in the passage shown but is not searched: every article has one, and they would answer every
# question about "hiệu lực".
SOURCE_NOTE = re.compile(r"^\((?:Điều|Khoản|Điểm)\b[^()\n]{0,300}có hiệu lực[^()\n]{0,60}\)[ \t]*$", re.MULTILINE)


_short_terms = lru_cache(maxsize=4096)(terms)  # headings and a document's identity repeat from passage to passage


@dataclass
class Prepared:
    """A document read and analysed (in a reader worker): its metadata (text dropped: the passages carry it),
    per passage (position, heading, text), and the passages' term counts in a compact form that is cheap to
    send back and to encode: the document's distinct terms in first-occurrence order (`terms`), and for every
    passage in turn its distinct terms in first-occurrence order as indices into `terms` (`term_index`, int32)
    with their counts (`counts`, engine.compact_counts over the whole document), `lengths[i]` of them for
    passage i. `counts_of(i)` gives passage i's term counts as a dict."""

    doc: Document
    passages: list[tuple[int, str, str]]
    terms: list[str] = field(default_factory=list)
    term_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    lengths: list[int] = field(default_factory=list)

    def __getstate__(self) -> dict:
        # Sent between processes with the terms as one string: one object to pickle instead of thousands.
        return {**self.__dict__, "terms": "\n".join(self.terms)}  # (a term never holds a line break)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, terms=state["terms"].split("\n") if state["terms"] else [])

    def counts_of(self, i: int) -> dict[str, int]:
        start = sum(self.lengths[:i])
        end = start + self.lengths[i]
        return {self.terms[t]: int(c) for t, c in zip(self.term_index[start:end].tolist(),
                                                       self.counts[start:end].tolist(), strict=True)}


def prepare(path: str, root: str, limits: Limits) -> Prepared:
    """All the CPU work for one file, done where the time limit applies: read, split into passages, analyse."""
    doc = load(Path(path), Path(root), limits)
    passages = []
    keys: list[str] = []
    counts: list[int] = []
    lengths: list[int] = []
    for p in split(doc.text):
        passages.append((p.position, p.heading, p.text))
        tally = Counter(index_terms(doc, p.heading, p.text))
        keys.extend(tally)
        counts.extend(tally.values())
        lengths.append(len(tally))
    doc.text = ""
    distinct = {t: i for i, t in enumerate(dict.fromkeys(keys))}
    return Prepared(doc, passages, list(distinct), np.fromiter(map(distinct.__getitem__, keys), np.int32, len(keys)),
                    compact_counts(np.array(counts, np.int64)), lengths)


# -- reading in worker processes ------------------------------------------------------------------------------
# A hostile or pathological file (a PDF whose page takes minutes to extract, a text whose metadata inference
# goes quadratic) must not hang a build. With Limits.parse_timeout > 0, files are read by worker processes
# (fresh interpreters: safe to start from any thread, nothing inherited); a job running past the limit has its
# worker killed and its file reported. Idle workers are kept for the next build and exit by themselves when idle
# for IDLE_EXIT_SECONDS or when the parent goes away: on Linux the kernel kills them with it (parent-death
# signal); elsewhere an idle worker sees its socket close, and a busy one stops itself at twice the limit
# (SIGALRM, default action). A killed build leaves no orphan.

IDLE_EXIT_SECONDS = 300.0
WORKER_START_SECONDS = 60.0
MAX_IDLE_WORKERS = 2
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
QUEUED = 1  # jobs waiting at a worker behind the one it runs


_note_sink: Callable[[str], None] | None = None  # where note() goes: the parent (worker) or a callback


def note(text: str) -> None:
    """Progress within one file (OCR pages), passed on to whoever reads the file (run_isolated's on_note)."""
    sink = _note_sink
    if sink is not None:
        with contextlib.suppress(Exception):
            sink(text)


def _outcome(fn: Callable, args: tuple) -> tuple[str, object]:
    try:
        return "ok", fn(*args)
    except DocumentError as exc:
        return "error", str(exc)
    except MemoryError:
        return "error", MEMORY_REASON
    except RecursionError:
        return "error", "tệp có cấu trúc lồng quá sâu, không đọc được"
    except Exception as exc:  # a parser bug must not stop the other files
        return "error", f"lỗi khi đọc tệp ({type(exc).__name__})"


def _worker_main(conn, preload: tuple[str, ...]) -> None:
    """A worker process: jobs (id, fn, args, timeout) in, (id, 'ok' | 'error', value) out."""
    import importlib
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's business
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the watchdog's alarm ends the process
    logging.getLogger().addHandler(logging.NullHandler())  # parser libraries' chatter about broken files
    logging.getLogger().setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    for module in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    try:
        conn.send(("ready", os.getpid()))
        while conn.poll(IDLE_EXIT_SECONDS):
            job = conn.recv()
            if job is None:
                return
            job_id, fn, args, timeout = job
            global _note_sink
            _note_sink = functools.partial(_send_note, conn, job_id)
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, 2 * timeout + 5)
            try:
                kind, value = _outcome(fn, args)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            try:
                conn.send((job_id, kind, value))
            except (TypeError, ValueError, AttributeError) as exc:  # pickle failed
                conn.send((job_id, "error", f"lỗi khi đọc tệp ({type(exc).__name__})"))
    except (EOFError, OSError):  # the parent is gone
        return


def _send_note(conn, job_id: int, text: str) -> None:
    conn.send((job_id, "note", text))


class _Worker:
    """One reader process (a fresh interpreter, started with subprocess rather than multiprocessing so that
    the parent's __main__ is never re-imported), talking over a socket pair. start in __init__ returns at
    once; ready() waits for the worker to have started (imports done)."""

    def __init__(self, preload: tuple[str, ...]):
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(child.fileno()), str(os.getpid()), *preload],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.conn = multiprocessing.connection.Connection(parent.detach())
        self.preload = preload
        self.pid = self.process.pid
        self.started = False

    def ready(self) -> bool:
        if not self.started:
            try:
                self.started = self.conn.poll(WORKER_START_SECONDS) and self.conn.recv()[0] == "ready"
            except (EOFError, OSError):
                self.started = False
            if not self.started:
                log.warning("reader process %s did not start", self.pid)
                self.kill()
        return self.started

    def alive(self) -> bool:
        return self.process.poll() is None and not self.conn.closed

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(5)
        with contextlib.suppress(Exception):
            self.conn.close()


_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_WORKER_CODE = (
    "import sys; from indexer.documents import _worker_entry; _worker_entry(int(sys.argv[1]), int(sys.argv[2]), "
    "sys.argv[3:])"
)


def _worker_entry(fd: int, parent: int, preload: list[str]) -> None:
    """The worker process's entry point: die with the parent (Linux: parent-death signal), then serve."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before that took effect
        return
    _worker_main(multiprocessing.connection.Connection(fd), tuple(preload))


_idle: list[_Worker] = []
_idle_lock = threading.Lock()


def _get_workers(n: int, preload: tuple[str, ...]) -> list[_Worker]:
    """Up to n started workers: idle ones first, new ones started side by side. Fewer (maybe none) if
    processes cannot be started."""
    found: list[_Worker] = []
    with _idle_lock:
        while _idle and len(found) < n:
            worker = _idle.pop()
            if worker.alive() and worker.preload == preload:
                found.append(worker)
            else:
                worker.kill()
    fresh = []
    try:
        for _ in range(n - len(found)):
            fresh.append(_Worker(preload))
    except OSError as exc:
        log.warning("could not start a reader process: %s", exc)
    return found + [w for w in fresh if w.ready()]


def _put_worker(worker: _Worker) -> None:
    with _idle_lock:
        if worker.alive() and len(_idle) < MAX_IDLE_WORKERS:
            _idle.append(worker)
            return
    worker.kill()


def worker_pids() -> list[int]:
    """Process ids of the idle reader workers (diagnostics, tests)."""
    with _idle_lock:
        return [w.pid for w in _idle if w.alive()]


def run_isolated(
    fn: Callable, jobs: Sequence[tuple], *, timeout: float, workers: int = DEFAULT_WORKERS,
    on_note: Callable[[int, str], None] | None = None,
) -> Iterator[tuple[int, object]]:
    """fn(*args) for each job, in worker processes, at most `timeout` seconds each: yields (job index, result)
    in job order, where a failed job's result is a DocumentError with the reason. fn must be a module-level
    function (it is sent to the workers by name). timeout <= 0: everything runs here, without a limit.
    Close the generator (contextlib.closing) when not consuming it to the end: that frees the workers.
    on_note(job index, text): progress a job reports while it runs (documents.note)."""
    global _note_sink
    if not jobs:
        return
    if timeout <= 0:
        for i, args in enumerate(jobs):
            _note_sink = functools.partial(on_note, i) if on_note else None
            try:
                kind, value = _outcome(fn, args)
            finally:
                _note_sink = None
            yield i, value if kind == "ok" else DocumentError(value)
        return
    preload = (fn.__module__,)
    window = (QUEUED + 2) * max(1, workers)  # results read ahead of the consumer (bounds memory)
    idle = _get_workers(min(workers, len(jobs)), preload)
    if not idle:
        log.warning("reading files in this process, without a time limit")
    # Jobs sent to each worker, oldest (the one running) first, with its deadline (None while it waits).
    busy: dict[_Worker, list[list]] = {}
    done: dict[int, object] = {}
    again: list[int] = []  # jobs whose worker died under them: tried once more (it may have died of something else)
    tried: set[int] = set()
    next_job = next_out = 0

    def lost(worker: _Worker) -> None:
        """Kill a worker and start another; the jobs queued behind the one it ran go back to be sent again."""
        queue = busy.pop(worker)
        worker.kill()
        again.extend(job for job, _ in queue[1:])
        idle.extend(_get_workers(1, preload))

    try:
        while next_out < len(jobs):
            while again or (next_job < len(jobs) and next_job < next_out + window):
                job = again[0] if again else next_job
                if not idle and not busy:  # no worker could be (re)started: read here, without a time limit
                    kind, value = _outcome(fn, jobs[job])
                    done[job] = value if kind == "ok" else DocumentError(value)
                else:
                    # An idle worker, else one with a free place in its queue: a worker finds its next file
                    # waiting when it finishes one, even while the consumer is busy.
                    worker = idle.pop() if idle else min(busy, key=lambda w: len(busy[w]))
                    if worker in busy and len(busy[worker]) > QUEUED:
                        break
                    try:
                        worker.conn.send((job, fn, jobs[job], timeout))
                    except (OSError, EOFError, ValueError):  # it died
                        if worker in busy:  # seen below, as a crash of the job it runs
                            break
                        worker.kill()  # it died while idle: replace it
                        idle.extend(_get_workers(1, preload))
                        continue
                    queue = busy.setdefault(worker, [])
                    queue.append([job, None if queue else time.monotonic() + timeout])
                if again:
                    again.pop(0)
                else:
                    next_job += 1
            if next_out in done and not busy:
                yield next_out, done.pop(next_out)
                next_out += 1
                continue
            if not busy:  # cannot happen (see above); never spin
                raise RuntimeError("run_isolated: nothing in progress")
            # Results already there are collected before the next one is handed over (their workers get new
            # jobs at once instead of idling while the consumer works); else wait for one.
            wait = 0.0 if next_out in done else max(0.0, min(q[0][1] for q in busy.values()) - time.monotonic())
            ready = set(multiprocessing.connection.wait([w.conn for w in busy], timeout=wait))
            if not ready and next_out in done:
                yield next_out, done.pop(next_out)
                next_out += 1
                continue
            for worker in list(busy):
                job, deadline = busy[worker][0]
                if worker.conn in ready:
                    try:
                        _, kind, value = worker.conn.recv()
                    except (EOFError, OSError, ValueError):  # crashed (segfault, killed by the OOM killer)
                        lost(worker)
                        log.warning("reader process %s died reading job %s", worker.pid, job)
                        if job in tried:
                            done[job] = DocumentError(CRASH_REASON)
                        else:
                            tried.add(job)
                            again.append(job)
                        continue
                    if kind == "note":  # progress, the job goes on
                        if on_note:
                            with contextlib.suppress(Exception):
                                on_note(job, value)
                        continue
                    done[job] = value if kind == "ok" else DocumentError(value)
                    queue = busy[worker]
                    queue.pop(0)
                    if queue:
                        queue[0][1] = time.monotonic() + timeout  # the next job has started
                    else:
                        del busy[worker]
                        idle.append(worker)
                elif time.monotonic() >= deadline:
                    lost(worker)
                    log.warning("reader process %s killed after %s s", worker.pid, timeout)
                    done[job] = DocumentError(TIMEOUT_REASON.format(seconds=_seconds(timeout)))
    finally:
        for worker in busy:
            worker.kill()
        for worker in idle:
            _put_worker(worker)


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")
