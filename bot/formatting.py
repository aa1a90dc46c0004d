"""Pure helpers for Telegram HTML: escaping, clipping under a length budget without ever cutting inside a tag
or an entity, bold marks on matched words, dates, safe links, and HTML -> plain text for the terminal."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

TELEGRAM_LIMIT = 4096  # characters of a message text (Telegram counts UTF-16 code units)
ELLIPSIS = "…"
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ].*)?$")


def length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), never less than len(text)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _cut(text: str, n: int) -> str:
    """text[:n] ending at a word boundary when one is reasonably close, without trailing spaces."""
    if n >= len(text):
        return text
    cut = text[:n]
    space = cut.rfind(" ")
    if space >= n * 0.6:
        cut = cut[:space]
    return cut.rstrip(" \t\n,;:")


def _largest(fits: Callable[[int], bool], hi: int) -> int:
    """The largest n in [0, hi] with fits(n), assuming fits is (roughly) monotonic; 0 if none."""
    lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def clip(text: str, limit: int) -> str:
    """Plain text clipped to at most limit characters, at a word boundary, with an ellipsis."""
    text = text or ""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    return _cut(text, limit - 1) + ELLIPSIS


def esc_clip(text: str | None, limit: int) -> str:
    """Escaped text whose escaped length is at most limit (clipped at a word boundary, with an ellipsis)."""
    text = text or ""
    out = esc(text)
    if length(out) <= limit:
        return out
    if limit <= 0:
        return ""

    def render(n: int) -> str:
        return esc(_cut(text, n)) + ELLIPSIS

    n = _largest(lambda n: length(render(n)) <= limit, len(text))
    out = render(n)
    return out if length(out) <= limit else ""


def marked_html(text: str, marks: list[tuple[int, int]], limit: int | None = None) -> str:
    """Escaped text with the marked spans in <b>; if longer than limit, clipped between tags, with "…"."""
    spans = []
    last = 0
    for start, end in sorted(marks or []):
        start, end = max(0, int(start)), min(len(text), int(end))
        if start >= end or start < last:
            continue
        spans.append((start, end))
        last = end

    def render(n: int, ellipsis: bool) -> str:
        parts, pos = [], 0
        for start, end in spans:
            if start >= n:
                break
            end = min(end, n)
            parts.append(esc(text[pos:start]))
            parts.append("<b>" + esc(text[start:end]) + "</b>")
            pos = end
        parts.append(esc(text[pos:n]))
        return "".join(parts) + (ELLIPSIS if ellipsis else "")

    full = render(len(text), False)
    if limit is None or length(full) <= limit:
        return full
    if limit <= 0:
        return ""

    def clipped(n: int) -> str:
        return render(len(_cut(text, n)), True)

    n = _largest(lambda n: length(clipped(n)) <= limit, len(text))
    out = clipped(n)
    return out if length(out) <= limit else ""


def date_vi(value: str | None) -> str:
    """'2021-11-26' -> '26/11/2021'; '2021-11' -> '11/2021'; anything else unchanged."""
    if not value:
        return ""
    m = _ISO_DATE.match(str(value).strip())
    if not m:
        return str(value).strip()
    year, month, day = m.groups()
    return f"{day}/{month}/{year}" if day else f"{month}/{year}"


def safe_url(value: str | None) -> str | None:
    """The value if it is exactly one http(s) URL (safe to put in an href), else None."""
    if not value:
        return None
    value = value.strip()
    m = _URL.fullmatch(value)
    if not m or len(value) > 2000:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def source_html(source: str | None, limit: int = 300) -> str:
    """A document's source: a link when it is an http(s) URL, else escaped text."""
    url = safe_url(source)
    if url:
        host = urlsplit(url).netloc
        return f'<a href="{esc(url)}">{esc_clip(host, 80)}</a>'
    return esc_clip(source, limit)


def decimal_vi(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def join_blocks(blocks: list[str], limit: int = TELEGRAM_LIMIT, sep: str = "\n\n") -> str:
    """Blocks joined while they fit within limit (later blocks are dropped whole, never cut)."""
    out = ""
    for block in blocks:
        if not block:
            continue
        candidate = out + sep + block if out else block
        if length(candidate) > limit:
            break
        out = candidate
    return out


class _TextRenderer(HTMLParser):
    def __init__(self, bold: tuple[str, str]):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.bold = bold
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("b", "strong"):
            self.out.append(self.bold[0])
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []
        elif tag == "br":
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("b", "strong"):
            self.out.append(self.bold[1])
        elif tag == "a" and self.href:
            if self.href != "".join(self.link_text).strip():
                self.out.append(f" <{self.href}>")
            self.href = None

    def handle_data(self, data):
        self.out.append(data)
        if self.href is not None:
            self.link_text.append(data)


def html_to_text(text_html: str, bold: tuple[str, str] = ("", "")) -> str:
    """Telegram HTML -> plain text for a terminal (links shown as 'text <url>', entities decoded)."""
    renderer = _TextRenderer(bold)
    renderer.feed(text_html)
    renderer.close()
    return "".join(renderer.out)
