"""What a document's own text says about it: số hiệu, type, date, title; and web-page chrome to drop."""

from __future__ import annotations

import re

from .analysis import fold

# Codes of Vietnamese document numbers -> document type. "33/CT-TTg", "25-NQ/TW", "59/2023/NĐ-CP", "42-CTr/HU".
TYPE_CODES = {
    "ct": "Chỉ thị",
    "nq": "Nghị quyết",
    "qd": "Quyết định",
    "nd": "Nghị định",
    "kh": "Kế hoạch",
    "bc": "Báo cáo",
    "ctr": "Chương trình",
    "tb": "Thông báo",
    "hd": "Hướng dẫn",
    "kl": "Kết luận",
    "tt": "Thông tư",
    "qh": "Luật",
    "cv": "Công văn",
    "qc": "Quy chế",
    "qđ": "Quyết định",
    "nđ": "Nghị định",
}
# Type words as they open a title, longest first.
TYPE_WORDS = [
    "Nghị quyết", "Nghị định", "Quyết định", "Chỉ thị", "Kế hoạch", "Báo cáo", "Chương trình", "Thông báo",
    "Hướng dẫn", "Kết luận", "Thông tư", "Quy chế", "Quy định", "Luật", "Pháp lệnh", "Công văn",
]
TYPE_NAMES = {fold(w): w for w in TYPE_WORDS}  # folded type word -> the word
_CODE = r"[A-ZĐ][A-Za-zĐđ]{0,7}"
# 33/CT-TTg, 59/2023/NĐ-CP, 10/2022/QH15, 1147-QĐ/BTGDVTW, 25-NQ/TW, 42-CTr/HU, 45/KH-UBND, 12-BC/BDV
NUMBER_RE = re.compile(
    rf"\b(\d{{1,5}}[a-z]?)(?:/(\d{{4}}))?([/-])({_CODE}(?:\d{{1,3}})?)(?:([/-])({_CODE}(?:\d{{1,3}})?))?(?![\w/])"
)
_DATE_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DATE_LINE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
_OWN_NUMBER = re.compile(r"^\s*Số(?:\s*hiệu)?\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_PLACE_DATE = re.compile(r"^[^.\n]{0,60}\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\s*\.?\s*$",
                         re.IGNORECASE | re.MULTILINE)
_YEAR = re.compile(r"\b(19[4-9]\d|20\d\d)\b")

# Lines of web-page chrome that saved pages carry (navigation, counters, greetings, share links).
_CHROME = re.compile(
    r"^\s*(?:skip to (?:main )?content|bỏ qua nội dung|chào mừng bạn đến với\b.*|lượt xem\s*:?\s*\d*|"
    r"số lượt (?:xem|truy cập)\s*:?.*|bài viết mới nhất\s*:?|tin (?:liên quan|khác|mới)\s*:?|xem thêm\s*:?|"
    r"in bài viết|chia sẻ|share|print|about|home|trang chủ|detailcontroller|đăng nhập|login|"
    r"thứ (?:hai|ba|tư|năm|sáu|bảy|\d)\s*[-,]\s*\d{1,2}/\d{1,2}/\d{4}|chủ nhật\s*[-,]\s*\d{1,2}/\d{1,2}/\d{4}|"
    r"[a-z]|®.*|©.*|copyright.*|(?:cơ quan chủ quản|chịu trách nhiệm(?: chính)?|địa chỉ|điện thoại|fax|email|"
    r"giấy phép(?: số)?|ghi rõ nguồn)\b.{0,200}|liên kết web\w*|"
    r".{0,100}\S\.(?:jpe?g|png|gif|webp|docx?|pdf|xlsx?|zip|rar))\s*$",  # an attachment's or image's file name
    re.IGNORECASE,
)


def is_chrome(line: str) -> bool:
    return bool(_CHROME.match(line))


# A wiki page's section edit links, glued to the text that follows: "[sửa | sửa mã nguồn]## Tham khảo".
_EDIT_LINKS = re.compile(r"\[\s*(?:sửa|edit)(?:\s*\|\s*(?:sửa mã nguồn|edit source))?\s*\]", re.IGNORECASE)


# Sections of a saved page that only point elsewhere (a wiki's references and links), up to the next heading.
_POINTER_SECTION = re.compile(r"^#+\s*(?:tham khảo|chú thích|liên kết ngoài|đọc thêm|references|external links)\s*$",
                              re.IGNORECASE)


def strip_chrome(text: str) -> str:
    """Drop lines of web-page chrome (only whole lines that are nothing but chrome), wiki edit links, and
    reference/link sections under their own markdown heading."""
    kept, skipping = [], False
    for line in _EDIT_LINKS.sub("", text).splitlines():
        if line.lstrip().startswith("#"):
            skipping = bool(_POINTER_SECTION.match(line.strip()))
        if not skipping and not is_chrome(line):
            kept.append(line)
    return "\n".join(kept)


def find_numbers(text: str) -> list[str]:
    return [m.group(0) for m in NUMBER_RE.finditer(text)]


def number_type(number: str) -> str | None:
    """'33/CT-TTg' -> 'Chỉ thị'; '10/2022/QH15' -> 'Luật'."""
    m = NUMBER_RE.fullmatch(number)
    if not m:
        return None
    for code in (m.group(4), m.group(6)):
        if code:
            key = fold(re.sub(r"\d+$", "", code))
            if key in TYPE_CODES and not (key == "qh" and code == m.group(6)):
                return TYPE_CODES[key]
    return None


def number_year(number: str) -> int | None:
    m = NUMBER_RE.fullmatch(number)
    return int(m.group(2)) if m and m.group(2) else None


def _iso(day: str, month: str, year: str) -> str | None:
    d, mth, y = int(day), int(month), int(year)
    if 1 <= d <= 31 and 1 <= mth <= 12 and 1900 <= y <= 2100:
        return f"{y:04d}-{mth:02d}-{d:02d}"
    return None


# Letterhead lines of Vietnamese administrative documents: issuing body, national motto, number, place-date
# (matched on folded text, whatever the spelling: "Đảng ủy", "Đảng uỷ", "ĐẢNG ỦY").
_LETTERHEAD = re.compile(
    r"^\s*(?:(?:uy ban|hoi dong) nhan dan|ubnd|hdnd|dang bo|dang uy|dang cong san viet nam|"
    r"(?:tinh|huyen|thanh|quan|thi|xa|phuong) uy|ban (?:chap hanh|thuong vu|dan van|chi dao)|"
    r"mat tran to quoc|cong hoa xa hoi chu nghia|doc lap\s*[-–]\s*tu do|so\s*[:.]|\*+$|[-_]{3,})"
)


def infer_title(lines: list[str], body: str) -> str | None:
    """A document-type line ("KẾ HOẠCH") with the summary line after it; else the first short line near the
    top, past the letterhead, whose words recur in the text that follows."""
    for i, line in enumerate(lines[:15]):
        text = line.strip().strip("#").strip()
        kind = TYPE_NAMES.get(fold(text)) if len(text) <= 40 else None
        if kind and i + 1 < len(lines) and len(lines[i + 1].strip()) <= 300:
            summary = lines[i + 1].strip()
            return f"{kind} {summary[0].lower() + summary[1:]}" if summary else kind
    rest: set[str] | None = None  # the words that follow, folded only when a line needs them
    for line in lines[:10]:
        text = line.strip().strip("#").strip()
        if not 12 <= len(text) <= 300 or is_chrome(text) or _DATE_LINE.match(text) or _PLACE_DATE.match(text):
            continue
        folded = fold(text)
        words = folded.split()
        if _LETTERHEAD.match(folded) and (text.isupper() or len(words) <= 8):
            continue  # "HUYỆN ỦY GIAO THỦY"; not "Huyện ủy triển khai công tác Dân vận năm 2021."
        if len(words) < 6:
            continue
        if rest is None:
            rest = set(fold(body[:4000]).split())
        shared = sum(1 for w in words if w in rest)
        if shared / len(words) >= 0.6:
            return text.rstrip(".")
    return None


def infer(text: str) -> dict:
    """Metadata from the text itself: title, number, type, issued (ISO date), year."""
    lines = [line for line in text.splitlines() if line.strip()]
    head = "\n".join(lines[:12])
    meta: dict = {}
    title = infer_title(lines, "\n".join(lines[1:]))
    if title:
        meta["title"] = title
    # Own number: "Số: 45/KH-UBND" in the header, else a number inside the title.
    own = None
    for m in _OWN_NUMBER.finditer(head):
        num = NUMBER_RE.match(m.group(1))
        if num:
            own = num.group(0)
            break
    if own is None and title:
        found = find_numbers(title)
        if found and title.lower().startswith(tuple(w.lower() for w in TYPE_WORDS)):
            own = found[0]
    if own:
        meta["number"] = own
    kind = number_type(own) if own else None
    if kind is None and title:
        kind = next((w for w in TYPE_WORDS if fold(title).startswith(fold(w))), None)
    if kind:
        meta["type"] = kind
    # Date: the place-date line ("..., ngày 26 tháng 11 năm 2021"), a "ngày 26/11/2021" in the header,
    # or a line that is nothing but a date (a news page's publication stamp).
    issued = None
    m = _PLACE_DATE.search(head)
    if m:
        issued = _iso(*m.groups())
    if issued is None:
        for line in lines[:12]:
            dm = _DATE_LINE.match(line)
            if dm:
                issued = _iso(*dm.groups())
                break
    if issued is None:
        for m in re.finditer(r"ngày\s+" + _DATE_SLASH.pattern, "\n".join(lines[:3]), re.IGNORECASE):
            issued = _iso(*m.groups())
            break
    if issued:
        meta["issued"] = issued
    return meta


def year_of(meta: dict) -> int | None:
    """The document's year: its date, its number, or a year in its title."""
    issued = str(meta.get("issued") or "")
    if issued[:4].isdigit():
        return int(issued[:4])
    if meta.get("number"):
        y = number_year(meta["number"])
        if y:
            return y
    years = _YEAR.findall(meta.get("title") or "")
    return int(years[-1]) if years else None
