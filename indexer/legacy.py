"""Vietnamese typed in the pre-Unicode 8-bit encodings, converted to Unicode.

Documents typed years ago with the ABC/TCVN3 fonts (.VnTime, .VnArial…) or the VNI fonts (VNI-Times…) hold
their letters as 8-bit codes that only those fonts draw as Vietnamese. Whatever extracts the text (a .txt
read as Windows-1258 or Latin-1, python-docx, antiword, pypdf) hands over the codes as Latin-1 characters:
"Ñaûng boä" (VNI) or "§¶ng bé" (TCVN3) for "Đảng bộ".

fix() finds such lines and converts them. A line is a candidate when a good share of its non-ASCII letters
are not Vietnamese (foreign letters, Latin-1 symbols); the document's encoding is the one (TCVN3 or VNI)
whose conversion of the candidate lines leaves the fewest foreign characters, and it must leave almost none
(a German or French text does not turn into Vietnamese). Lines already in Unicode stay as they are, so a
document mixing Unicode paragraphs with .VnTime ones comes out whole.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

# -- TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per letter; capitals with tone marks use the same codes as
# the small letters (the .VnTimeH fonts draw them as capitals), only the bare capitals have their own.
_TCVN3_LETTERS = (
    "àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵĂÂÊÔƠƯĐ"
)
_TCVN3_CODES = bytes([
    0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6, 0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xAE,
    0xCC, 0xCE, 0xCF, 0xD0, 0xD1, 0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE, 0xDF, 0xE1,
    0xE2, 0xE3, 0xE4, 0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xF2,
    0xF3, 0xF4, 0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE,
    0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
])
TCVN3 = {chr(code): letter for code, letter in zip(_TCVN3_CODES, _TCVN3_LETTERS, strict=True)}

# -- VNI (VNI Windows): a base letter followed by a mark code; ơ ư đ and some i/y forms are single codes.
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, grave, acute, hook, tilde, dot
_VNI_TONE = dict(zip(_TONES, ["", "ø", "ù", "û", "õ", "ï"], strict=True))
_VNI_CIRCUMFLEX = dict(zip(_TONES, ["â", "à", "á", "å", "ã", "ä"], strict=True))
_VNI_BREVE = dict(zip(_TONES, ["ê", "è", "é", "ú", "ü", "ë"], strict=True))
_VNI_I = dict(zip(_TONES, ["i", "ì", "í", "æ", "ó", "ò"], strict=True))


def _vni_table() -> dict[str, str]:
    """Unicode letter -> its VNI code string, for every Vietnamese letter, small and capital."""
    table: dict[str, str] = {"đ": "ñ", "Đ": "Ñ"}
    for tone in _TONES:
        for base in "aeouy":
            table[base + tone] = base + _VNI_TONE[tone]
        for base in "aeo":
            table[base + "\u0302" + tone] = base + _VNI_CIRCUMFLEX[tone]
        table["a\u0306" + tone] = "a" + _VNI_BREVE[tone]
        table["o\u031b" + tone] = "ô" + _VNI_TONE[tone]
        table["u\u031b" + tone] = "ö" + _VNI_TONE[tone]
        table["i" + tone] = _VNI_I[tone]
    table["y\u0323"] = "î"
    out: dict[str, str] = {}
    for decomposed, code in table.items():
        letter = unicodedata.normalize("NFC", decomposed)
        if len(letter) == 1 and not letter.isascii():
            out[letter] = code
            out[letter.upper()] = code.upper()
    return out


VNI = {code: letter for letter, code in _vni_table().items()}
_VNI_PATTERN = re.compile("|".join(re.escape(c) for c in sorted(VNI, key=len, reverse=True)))

# Tone marks and the marks of ă â ê ô ơ ư: what a Vietnamese letter may carry once decomposed.
_VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")


def _is_foreign(c: str) -> bool:
    """A non-ASCII character that Vietnamese text does not use: a Latin letter outside the Vietnamese
    alphabet (ä ø ñ ß…), a Latin-1 symbol (¸ µ ¶ © ®…), a stray combining mark. Other scripts do not count."""
    if c.isascii() or c in "đĐ":
        return False
    if c.isalpha():
        base, *marks = unicodedata.normalize("NFD", c)
        if base.isascii():
            return not all(m in _VIETNAMESE_MARKS for m in marks)
        return "\u00c0" <= base <= "\u024f"
    return ("\u00a1" <= c <= "\u00bf" and c not in "°§") or unicodedata.category(c) == "Mn"


@functools.lru_cache(maxsize=1 << 14)
def _char_counts(c: str) -> tuple[int, int]:
    """What one character adds to _counts: (1, 1) foreign, (0, 1) a Vietnamese Latin letter, else (0, 0)."""
    if c.isascii():
        return 0, 0
    if _is_foreign(c):
        return 1, 1
    return 0, int(c.isalpha() and unicodedata.normalize("NFD", c)[0].isascii() or c in "đĐ")


def _counts(text: str) -> tuple[int, int]:
    """(foreign characters, Latin non-ASCII characters) of an NFC text. Counted per distinct character (the
    characters of a text are few; classifying each occurrence was most of a build's reading time)."""
    foreign = latin = 0
    for c, n in Counter(text).items():
        f, v = _char_counts(c)
        foreign += f * n
        latin += v * n
    return foreign, latin


# Characters that came from one legacy byte: Latin-1 as is, Windows-1252's 0x80-0x9F range mapped back.
_CP1252_BACK = {}
for _b in range(0x80, 0xA0):
    try:
        _CP1252_BACK[bytes([_b]).decode("cp1252")] = chr(_b)
    except UnicodeDecodeError:
        pass


_CP1252_FORTH = {b: c for c, b in _CP1252_BACK.items()}


def _as_latin1(text: str) -> str:
    return "".join(_CP1252_BACK.get(c, c) for c in text)


def _unmapped_back(text: str) -> str:
    """Codes 0x80-0x9F that the table did not take: back to the Windows-1252 characters they were (– “ ”…)."""
    return "".join(_CP1252_FORTH.get(c, c) for c in text)


def decode_tcvn3(text: str) -> str:
    return _unmapped_back("".join(TCVN3.get(c, c) for c in _as_latin1(text)))


def decode_vni(text: str) -> str:
    return _unmapped_back(_VNI_PATTERN.sub(lambda m: VNI[m.group(0)], _as_latin1(text)))


DECODERS = {"TCVN3": decode_tcvn3, "VNI": decode_vni}
LATIN1_SHARE = 0.9  # of a legacy line's non-ASCII characters, at least this many are one-byte codes
RESULT_SHARE = 0.05  # what a conversion may leave foreign (of the converted lines' letters)
MIN_FOREIGN = 5  # fewer foreign characters inside words in the whole text: nothing to decide on
TCVN3_SYMBOL_SHARE = 0.2  # of the non-ASCII characters, codes 0xA1-0xBF (see detect)


_VNI_PAIR = re.compile("|".join(re.escape(c) for c in VNI if len(c) == 2))


def _one_byte_share(line: str) -> float:
    high = [c for c in line if not c.isascii()]
    return sum(1 for c in high if c <= "\u00ff" or c in _CP1252_BACK) / len(high) if high else 0.0


def _candidate(line: str) -> bool:
    """A line that may be in a legacy encoding: some foreign characters, and (nearly) only one-byte codes
    (a Unicode Vietnamese line has letters beyond Latin-1: ư ơ đ ạ ế…)."""
    return _counts(line)[0] >= 1 and _one_byte_share(line) >= LATIN1_SHARE


def _legacy_line(line: str, encoding: str) -> bool:
    """In a document found to be in this encoding: a line to convert. VNI lines may hold only letters that
    Vietnamese also has ("Nhaân daân"): then a VNI letter-and-mark pair and nothing beyond one-byte codes."""
    if _candidate(line):
        return True
    return encoding == "VNI" and _one_byte_share(line) == 1.0 and bool(_VNI_PAIR.search(line))


def _in_words(text: str) -> int:
    """Foreign characters next to a letter: legacy codes sit inside words ("nh©n", "Ñaûng")."""
    return sum(
        1 for i, c in enumerate(text)
        if _is_foreign(c) and ((i > 0 and text[i - 1].isalpha()) or (i + 1 < len(text) and text[i + 1].isalpha()))
    )


def detect(text: str) -> str | None:
    """'TCVN3', 'VNI' or None: the legacy encoding the text's garbled lines are in, if one fits."""
    text = unicodedata.normalize("NFC", text)
    # What _in_words counts below is some of the text's foreign characters: a text with fewer than MIN_FOREIGN
    # (the usual Unicode text has none, seen from its set of characters) has no legacy encoding to find.
    if not any(_char_counts(c)[0] for c in set(text)) or _counts(text)[0] < MIN_FOREIGN:
        return None
    lines = [line for line in text.splitlines() if _candidate(line)]
    sample = "\n".join(lines)[:200_000]
    if _in_words(sample) < MIN_FOREIGN:  # symbols standing alone (© 2024, ½, ¶) are no encoding
        return None
    latin1 = _as_latin1(sample)
    high = sum(1 for c in latin1 if not c.isascii())
    # TCVN3 gives a letter to nearly every Latin-1 code, so any accented text would "convert": it is told
    # apart by its most frequent letters (đ â ê ô ơ ư ă à á ạ…), codes in 0xA1-0xBF that are symbols in
    # Latin-1 and that Western text hardly uses.
    symbols = sum(1 for c in latin1 if "\u00a1" <= c <= "\u00bf")
    names = ["TCVN3", "VNI"] if symbols >= TCVN3_SYMBOL_SHARE * high else ["VNI"]
    best, best_left = None, None
    for name in names:
        converted = unicodedata.normalize("NFC", DECODERS[name](sample))
        left, latin = _counts(converted)
        if latin and left <= RESULT_SHARE * latin and (best_left is None or left < best_left):
            best, best_left = name, left
    return best


def fix(text: str) -> tuple[str, str | None]:
    """(text with its legacy-encoded lines converted to Unicode, the encoding found or None)."""
    encoding = detect(text)
    if encoding is None:
        return text, None
    decode = DECODERS[encoding]
    out = []
    for line in unicodedata.normalize("NFC", text).splitlines(keepends=True):
        if _legacy_line(line, encoding):
            converted = unicodedata.normalize("NFC", decode(line))
            if _counts(converted)[0] <= _counts(line)[0]:
                line = converted
        out.append(line)
    return "".join(out), encoding


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """A text file's bytes that are not UTF-8, if they are TCVN3 or VNI: (Unicode text, encoding)."""
    text, encoding = fix(data.decode("latin-1"))
    return (text, encoding) if encoding else None
