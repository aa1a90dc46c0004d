"""Reading a knowledge folder: one loader per format, front matter, and metadata inference.

A document's id is its path relative to the knowledge folder, without extension, with forward slashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import metadata
from .analysis import normalize

SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    """Safety limits for reading untrusted files."""

    max_bytes: int = 50 * 1024 * 1024
    max_pdf_pages: int = 500
    max_unzipped_bytes: int = 200 * 1024 * 1024


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


def doc_id(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    return rel.as_posix()


def decode_text(data: bytes) -> str:
    """Bytes of a text file -> str. UTF-8 (with or without BOM) or UTF-16 with BOM; else refuse."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise DocumentError("tệp nhị phân, không phải văn bản")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise DocumentError("không đọc được bảng mã của tệp (cần UTF-8)") from exc


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
    if not isinstance(meta, dict):
        return {}, text[m.end():], ["phần thông tin đầu tệp (YAML) không phải dạng khóa: giá trị, đã bỏ qua"]
    return meta, text[m.end():], []


def read_docx(data: bytes, limits: Limits) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise DocumentError("tệp .docx bị hỏng (không phải tệp Word hợp lệ)") from exc
    if total > limits.max_unzipped_bytes:
        raise DocumentError(f"tệp .docx giải nén quá lớn ({total // 2**20} MB)")
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
            out.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                        cells.append(cell.text.strip())
                if cells:
                    out.append(" | ".join(cells))
    return "\n\n".join(p for p in out)


def read_pdf(data: bytes, limits: Limits) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = reader.pages
        if len(pages) > limits.max_pdf_pages:
            raise DocumentError(f"tệp PDF có {len(pages)} trang, vượt giới hạn {limits.max_pdf_pages} trang")
        text = "\n\n".join((page.extract_text() or "") for page in pages)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError("tệp PDF bị hỏng") from exc
    except Exception as exc:  # pypdf can raise many errors on hostile files
        raise DocumentError("tệp PDF bị hỏng") from exc
    if len(text.strip()) < 20:
        raise DocumentError("tệp PDF không có lớp chữ (bản quét), chưa đọc được")
    return text


def read_html(data: bytes) -> tuple[str, dict]:
    import trafilatura

    html = data.decode("utf-8", errors="replace")
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


def _clean_meta(raw: dict) -> dict:
    meta: dict = {}
    for key in ("title", "number", "type", "issuer", "source", "visibility"):
        value = raw.get(key)
        if value is not None and str(value).strip():
            meta[key] = normalize(str(value).strip())
    issued = raw.get("issued")
    if isinstance(issued, dt.date):
        meta["issued"] = issued.isoformat()
    elif issued:
        meta["issued"] = str(issued).strip()
    for key in ("aliases", "audience"):
        value = raw.get(key)
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            meta[key] = [normalize(str(v)) for v in value if str(v).strip()]
    return meta


def parse(data: bytes, suffix: str, doc_id_: str, limits: Limits = Limits()) -> Document:
    """Bytes of one file -> Document. Raises DocumentError with a short Vietnamese reason."""
    suffix = suffix.lower()
    if suffix not in SUPPORTED:
        raise DocumentError(f"định dạng {suffix or '(không có đuôi)'} chưa được hỗ trợ")
    if len(data) == 0:
        raise DocumentError("tệp rỗng (0 byte)")
    if len(data) > limits.max_bytes:
        raise DocumentError(f"tệp quá lớn ({len(data) // 2**20} MB, giới hạn {limits.max_bytes // 2**20} MB)")
    warnings: list[str] = []
    given: dict = {}
    if suffix in (".md", ".markdown", ".txt"):
        raw, text, warnings = split_front_matter(decode_text(data))
        given = _clean_meta(raw)
        text = metadata.strip_chrome(text)
    elif suffix in (".html", ".htm"):
        text, given = read_html(data)
    elif suffix == ".docx":
        text = read_docx(data, limits)
    else:
        text = read_pdf(data, limits)
    text = normalize(text).replace("\r\n", "\n").replace("\r", "\n")
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


def scan(root: Path) -> Iterator[Path]:
    """Files under root that look like documents, in a stable order (hidden files and folders skipped)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix.lower() in SUPPORTED:
            yield path


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
