"""Structure-aware splitting of a document into readable passages.

Headings (Chương, Mục, Tiểu mục, Điều, Roman-numbered parts, Markdown headings, short upper-case lines) open sections;
inside a section, paragraphs (khoản, điểm, numbered tasks) are packed into passages of at most `max_chars`,
breaking only between paragraphs, and between sentences for a paragraph that is too long by itself. A passage
that opens on an điểm ("b) …") of a khoản begun in the previous one starts with that khoản's lead-in ("18. Về
thực hiện công tác dân chủ, dân vận:"), so it reads, and is found, with its subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 1000
MIN_CHARS = 80

_CHAPTER = re.compile(r"^(Chương|Phần|PHẦN|CHƯƠNG)\s+([IVXLC]+|\d+|thứ\s+\w+)\b", re.IGNORECASE)
_SECTION = re.compile(r"^(Mục|MỤC)\s+(\d+|[IVXLC]+)\b")
_SUBSECTION = re.compile(r"^(Tiểu mục|TIỂU MỤC)\s+(\d+|[IVXLC]+)\b")
_ARTICLE = re.compile(r"^(Điều|ĐIỀU)\s+\d+[a-zđ]?\s*[.:]")
_ROMAN = re.compile(r"^[IVXLC]{1,6}\s*[./-]\s+\S")
_BARE = re.compile(r"^(Chương|CHƯƠNG|Mục|MỤC|Tiểu mục|TIỂU MỤC|Phần|PHẦN)\s+[\wIVXLC]+\s*$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_CLAUSE = re.compile(r"^\d{1,3}\.\s")  # a khoản: "18. Về thực hiện công tác dân chủ, dân vận:"
_POINT = re.compile(r"^[a-zđ]\)\s")  # an điểm: "b) Hướng dẫn việc thực hiện công tác dân vận …"
_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ0-9])")

LEVEL_CHAPTER, LEVEL_SECTION, LEVEL_SUBSECTION, LEVEL_ARTICLE = 0, 1, 2, 3
_LEGAL = ((_CHAPTER, LEVEL_CHAPTER), (_SECTION, LEVEL_SECTION), (_SUBSECTION, LEVEL_SUBSECTION),
          (_ARTICLE, LEVEL_ARTICLE))


@dataclass
class Passage:
    position: int
    heading: str
    text: str


def heading_level(line: str) -> int | None:
    """The level of a heading line, or None for body text. A Markdown heading that is a legal one ("#### Điều
    3. Cơ cấu tổ chức") takes that one's level, whatever its number of "#"."""
    md = _MD_HEADING.match(line)
    if md:
        text = md.group(2).strip()
        for pattern, level in _LEGAL:
            if pattern.match(text) and (level != LEVEL_ARTICLE or len(text) <= 300):
                return level
    if _CHAPTER.match(line) or md and len(md.group(1)) <= 2:
        return LEVEL_CHAPTER
    if _SECTION.match(line) or _ROMAN.match(line) and len(line) <= 200 or md:
        return LEVEL_SECTION
    if _SUBSECTION.match(line):
        return LEVEL_SUBSECTION
    if _ARTICLE.match(line) and len(line) <= 300:
        return LEVEL_ARTICLE
    if not 8 <= len(line) <= 160 or line.endswith("."):  # (cheap tests first: most lines are body text)
        return None
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 6 and all(c.isupper() for c in letters):
        return LEVEL_SECTION
    return None


def _sentences(paragraph: str, max_chars: int) -> list[str]:
    """Split an over-long paragraph into pieces of at most max_chars at sentence ends (then at spaces)."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            head, sentence = sentence[:cut].strip(), sentence[cut:].strip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


_SPACES = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")


def _paragraphs(text: str) -> list[str]:
    """Non-blank lines, stripped, each run of spaces, tabs and no-break spaces made one space."""
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n") if line and not line.isspace()]


def split(text: str, max_chars: int = MAX_CHARS) -> list[Passage]:
    """Passages of a document's text, each with its heading path ("Chương II › Điều 5. ...")."""
    passages: list[Passage] = []
    path: list[str | None] = [None] * (LEVEL_ARTICLE + 1)
    buffer: list[str] = []

    def heading() -> str:
        return " › ".join(h for h in path if h)

    def flush(force: bool = False) -> None:
        # A fragment too short to read alone ("Tiểu mục 1") is carried into the next passage instead.
        if buffer and (force or sum(len(b) for b in buffer) >= MIN_CHARS):
            passages.append(Passage(len(passages), heading(), "\n".join(buffer)))
            buffer.clear()

    body_seen = True
    lead: str | None = None  # the open khoản's lead-in ("18. Về …:"), carried into a passage that opens on its điểm
    titled: int | None = None  # level of a bare "Chương II" / "Mục 1" / "Tiểu mục 2" waiting for its title line
    for para in _paragraphs(text):
        level = heading_level(para)
        if titled is not None and level == LEVEL_SECTION and para.isupper():
            path[titled] = f"{path[titled]}. {para}"
            titled = None
            continue
        titled = None
        if level is not None:
            if path[LEVEL_ARTICLE] and not body_seen:
                buffer.append(path[LEVEL_ARTICLE])  # an article with no body ("Điều 5. (Bãi bỏ)") is its own text
            body_seen = False
            flush()
            md = _MD_HEADING.match(para)
            path[level] = (md.group(2) if md else para).strip()
            if _BARE.match(para):
                titled = level
            for deeper in range(level + 1, len(path)):
                path[deeper] = None
            lead = None
            continue
        body_seen = True
        if _CLAUSE.match(para):
            lead = para if para.endswith(":") and len(para) <= 300 else None
        for piece in _sentences(para, max_chars) if len(para) > max_chars else [para]:
            if buffer and sum(len(b) + 1 for b in buffer) + len(piece) > max_chars:
                flush()
                if lead and not buffer and _POINT.match(piece):
                    buffer.append(lead)
            buffer.append(piece)
    if path[LEVEL_ARTICLE] and not body_seen:
        buffer.append(path[LEVEL_ARTICLE])
    flush(force=True)
    if not passages and text.strip():  # nothing but headings: keep them as one passage
        passages.append(Passage(0, "", "\n".join(_paragraphs(text))))
    return passages
