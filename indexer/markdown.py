"""Markdown's inline markup taken out of a knowledge file's text, so passages read as plain text in answers.

Headings ("# …") and list items ("- …") stay: the passage splitter reads the headings, and a list reads well
as it is. Taken out: emphasis ("**Số, ký hiệu:**" -> "Số, ký hiệu:"), inline code, a blockquote's "> ",
links and images (their text stays), and tables' rules and pipes ("| Trưởng ban | Nguyễn Văn A |" ->
"Trưởng ban · Nguyễn Văn A").
"""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")  # |---|:---:|
_ROW = re.compile(r"^\s*\|(.*\|.*)$")  # "| a | b |", the closing pipe optional
_QUOTE = re.compile(r"^\s{0,3}>\s?(?!\s*[\d=])")  # not "> 80% số hộ"
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")  # an address may hold "(…)"
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")  # not "HS__2023__01"
_EMPHASIS = re.compile(  # "*(Ký, ghi rõ họ tên)*", "*Cần Thơ, ngày … *"; not "(*)", "2 * 3"
    r"(?<![\w*])\*(?=[^\s*)\]])([^*\n]*?[^\s*(\[])\s*\*(?![\w*])|(?<!\w)_(?=\w)([^_\n]*?\w)_(?!\w)")
_CODE = re.compile(r"`([^`\n]+)`")


def _cells(row: str) -> str:
    """A table row's cells joined with " · "; an empty cell inside the row shows as "–", so columns keep their
    places; empty cells at its ends are left out."""
    cells = [c.strip() for c in row.rstrip().rstrip("|").split("|")]
    while cells and not cells[0]:
        cells.pop(0)
    while cells and not cells[-1]:
        cells.pop()
    return " · ".join(c or "–" for c in cells)


def plain(text: str) -> str:
    """text without Markdown's inline markup, line by line (the lines stay where they are)."""
    if not any(c in text for c in "*_`>|["):
        return text
    lines = []
    for line in text.split("\n"):
        if _RULE.match(line) and "-" in line:
            continue
        row = _ROW.match(line)
        if row:
            line = _cells(row.group(1))
        line = _QUOTE.sub("", line)
        line = _IMAGE_OR_LINK.sub(r"\1", line)
        line = _CODE.sub(r"\1", line)
        line = _STRONG.sub(lambda m: m.group(1) or m.group(2), line)
        line = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), line)
        if "**" in line:  # bold marks left unpaired ("5.** **Việc sử dụng …"), as converted pages leave them
            line = re.sub(r" {2,}", " ", line.replace("**", " ")).strip()
        lines.append(line)
    return "\n".join(lines)
