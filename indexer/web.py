"""Links: a news page on a province's, district's or commune's portal (or a linked PDF/Word file) fetched,
its main text and metadata (title, date, source) extracted with the HTML extractor (trafilatura, as for saved
pages), and saved into the knowledge folder as a Markdown document with front matter, under trang-web/.
The same URL saved again replaces its earlier copy (one document per URL). Indexing is the caller's
(store.build, incremental)."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from .analysis import fold
from .documents import _META_CHARSET, FRONT_MATTER, DocumentError, read_html

FOLDER = "trang-web"
USER_AGENT = "Mozilla/5.0 (compatible; danvan-bot; +https://github.com/) Python-urllib"
FILE_TYPES = {  # a link straight to a document: saved as that file
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


@dataclass
class Saved:
    path: Path  # the file written, inside the knowledge folder
    url: str  # the page's final address (after redirects)
    title: str | None = None
    replaced: bool = False
    previous: bytes | None = None  # the replaced file's content (to put back if the new one is not indexed)


def is_url(text: str) -> bool:
    return bool(URL.match(text.strip()))


def fetch(url: str, max_bytes: int, timeout: float) -> tuple[bytes, str, str]:
    """(body, final URL, content type). A page whose charset only the HTTP header gives comes back as UTF-8.
    Raises DocumentError with a Vietnamese reason."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise DocumentError("chỉ nhận địa chỉ http:// hoặc https://")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise DocumentError(_too_big(int(declared), max_bytes))
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise DocumentError(_too_big(len(body), max_bytes))
            ctype = (response.headers.get_content_type() or "").lower()
            charset = (response.headers.get_content_charset() or "").lower()
            if ctype in ("text/html", "application/xhtml+xml", "text/plain") and charset not in ("", "utf-8", "utf8") \
                    and not body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) \
                    and not _META_CHARSET.search(body[:8192]):
                with contextlib.suppress(LookupError, UnicodeDecodeError):
                    body = body.decode(charset).encode("utf-8")
            return body, response.geturl(), ctype
    except DocumentError:
        raise
    except urllib.error.HTTPError as exc:
        raise DocumentError(f"trang web trả lỗi {exc.code} ({exc.reason})") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if "timed out" in str(reason):
            raise DocumentError(f"trang web không trả lời trong {timeout:g} giây") from exc
        raise DocumentError(f"không tải được trang web ({reason})") from exc


def _too_big(size: int, limit: int) -> str:
    return f"trang quá lớn ({size / 2**20:.1f} MB, giới hạn {limit / 2**20:g} MB)".replace(".", ",")


def slug(text: str, limit: int = 80) -> str:
    words = re.findall(r"[a-z0-9]+", fold(text).lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out}-{word}" if out else word
    return out or "trang"


def _source_of(path: Path) -> str | None:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:8192]
    except OSError:
        return None
    m = FRONT_MATTER.match(head)
    if not m:
        return None
    with contextlib.suppress(yaml.YAMLError):
        meta = yaml.safe_load(m.group(1))
        if isinstance(meta, dict) and meta.get("source"):
            return str(meta["source"])
    return None


def _target(folder: Path, url: str, stem: str, suffix: str) -> tuple[Path, bool]:
    """Where a page goes: the file that already holds this URL (replaced), else a free name."""
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            if _source_of(path) == url:
                return path, True
    n = 1
    while True:
        name = f"{stem}{'' if n == 1 else f'-{n}'}"
        taken = any((folder / f"{name}{s}").exists() for s in (".md", ".pdf", ".doc", ".docx", ".html"))
        if not taken:
            return folder / f"{name}{suffix}", False
        n += 1


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path through a hidden temporary file (never indexed) and a rename: readers see the old file
    or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def page_markdown(html: bytes, url: str) -> tuple[str, dict]:
    """A fetched page as a Markdown document: (file text with front matter, the metadata)."""
    text, meta = read_html(html)
    meta = {k: v for k, v in meta.items() if k in ("title", "issued")}
    meta["source"] = url
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{text.strip()}\n", meta


def save(url: str, knowledge: Path, max_bytes: int, timeout: float) -> Saved:
    """Fetch url and save it into knowledge/trang-web/. Raises DocumentError with the reason."""
    url = url.strip()
    body, final, ctype = fetch(url, max_bytes, timeout)
    folder = Path(knowledge) / FOLDER
    suffix = FILE_TYPES.get(ctype) or next(
        (s for s in (".pdf", ".docx", ".doc") if urlsplit(final).path.lower().endswith(s) and
         ctype in ("application/octet-stream", "binary/octet-stream", "")), None)
    if suffix:  # a document behind the link: kept as it is (the same file name again replaces it)
        name = unquote(urlsplit(final).path.rsplit("/", 1)[-1]).rsplit(".", 1)[0]
        path = folder / f"{slug(name)}{suffix}"
        previous = path.read_bytes() if path.is_file() else None
        write_atomically(path, body)
        return Saved(path, final, None, previous is not None, previous)
    if ctype and ctype not in ("text/html", "application/xhtml+xml", "text/plain"):
        raise DocumentError(f"địa chỉ không phải trang web hay văn bản ({ctype})")
    markdown, meta = page_markdown(body, url)
    path, replaced = _target(folder, url, slug(meta.get("title") or urlsplit(final).path or "trang"), ".md")
    previous = path.read_bytes() if replaced else None
    write_atomically(path, markdown.encode("utf-8"))
    return Saved(path, final, meta.get("title"), replaced, previous)
