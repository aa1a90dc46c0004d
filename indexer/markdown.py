"""Markdown's inline markup taken out of a knowledge file's text, so passages read as plain text in answers.

Headings ("# …") and list items ("- …") stay: the passage splitter reads the headings, and a list reads well
as it is. Taken out: emphasis ("**Số, ký hiệu:**" -> "Số, ký hiệu:"), inline code, a blockquote's "> ",
links and images (their text stays), and tables' rules and pipes ("| Trưởng ban | Nguyễn Văn A |" ->
"Trưởng ban · Nguyễn Văn A").
"""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")  # |---|:---:|
_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)")
_CODE = re.compile(r"`([^`\n]+)`")
_WHOLE_LINE = re.compile(r"^\*(?=[^\s*])([^*]+?)\s*\*\s*$")  # "*Cần Thơ, ngày … *": italics, however spaced


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
            line = " · ".join(cell.strip() for cell in row.group(1).split("|") if cell.strip())
        line = _QUOTE.sub("", line)
        line = _IMAGE_OR_LINK.sub(r"\1", line)
        line = _CODE.sub(r"\1", line)
        line = _STRONG.sub(r"\2", line)
        line = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), line)
        line = _WHOLE_LINE.sub(r"\1", line)
        lines.append(line)
    return "\n".join(lines)
