"""Understanding a question: document references ("CT 33", "nghị định 59/2023", "33/CT-TTg"), years,
document types, and abbreviations and everyday words (from editable YAML tables) expanded into extra search
terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path

import yaml

from .analysis import fold, normalize, stopwords, terms
from .metadata import NUMBER_RE, TYPE_CODES, TYPE_NAMES

# Folded type words and short codes people type before a number -> type code.
_TYPE_PREFIXES = {
    "chi thi": "ct", "ct": "ct", "nghi quyet": "nq", "nq": "nq", "nghi dinh": "nd", "nd": "nd",
    "quyet dinh": "qd", "qd": "qd", "luat": "qh", "ke hoach": "kh", "kh": "kh", "bao cao": "bc", "bc": "bc",
    "chuong trinh": "ctr", "ctr": "ctr", "thong tu": "tt", "tt": "tt", "ket luan": "kl", "kl": "kl",
    "huong dan": "hd", "hd": "hd", "thong bao": "tb", "tb": "tb", "quy che": "qc",
}
_PREFIX_ALT = "|".join(sorted(map(re.escape, _TYPE_PREFIXES), key=len, reverse=True))
# A count after a type word is no number: "báo cáo 6 tháng", "kế hoạch 5 năm", "hướng dẫn 3 bước" ("năm 2024" and
# "ngày 12/3" after a number give its year and date instead).
_QUANTITY = r"(?!\s+(?:thang|lan|buoc|nam(?!\s*(?:19|20)\d\d)|ngay(?!\s*\d))\b)"  # (folded: "quy" is also quy định)
_NUMBER_PART = r"\d{1,5}(?:[a-z](?![a-z]))?"  # "33", "8b" (Nghị quyết 8b)
_SHORT_REF = re.compile(
    rf"(?<!phap )\b({_PREFIX_ALT})\s*(?:so\s*)?[:.]?\s*({_NUMBER_PART})(?:\s*/\s*((?:19|20)\d\d))?(?![\d/]){_QUANTITY}"
    r"(?:\s*(?:nam|ngay\s+\d{1,2}\s*/\s*\d{1,2}\s*/)\s*((?:19|20)\d\d))?"
)
_FULL_REF = re.compile(NUMBER_RE.pattern, re.IGNORECASE)
_ARTICLE = re.compile(r"\bdieu\s+(\d{1,3}[a-z]?)\b")  # (folded) "Điều 15", "điều 5a"
_YEAR = re.compile(r"\b(?:nam|/)\s*((?:19|20)\d\d)\b")

DEFAULT_ABBREVIATIONS = Path(__file__).resolve().parents[1] / "knowledge" / "viet-tat.yaml"
DEFAULT_SYNONYMS = Path(__file__).resolve().parents[1] / "knowledge" / "dong-nghia.yaml"


@dataclass(frozen=True)
class DocRef:
    """A reference to a document by number: number "33", type code "ct", optional year."""

    number: str
    code: str | None = None
    year: int | None = None

    @property
    def year_like(self) -> bool:
        """A short reference whose number may be a year ("luật 2022 về dân chủ ở cơ sở", "nghị định 2023"): it
        still finds a document with that number, but its absence says nothing."""
        return self.year is None and self.number.isdigit() and 1945 <= int(self.number) <= 2100


@dataclass
class Query:
    text: str
    terms: list[str]
    refs: list[DocRef] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    expansions: dict[str, list[str]] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)  # added for everyday words (Synonyms), not typed
    corrections: dict[str, str] = field(default_factory=dict)  # typed syllable -> known spelling
    spelled: list[str] = field(default_factory=list)  # the terms corrections added (spellings and their pairs)
    # A typed term stands for what a passage holds when one of these is there: the documents' wordings of the
    # everyday phrase it is part of, as written ("xom", "truong_xom" in "trưởng xóm" -> "trưởng thôn"), or the
    # pairs and syllable of a misspelling's correction (Searcher.correct).
    stand_ins: dict[str, list[str]] = field(default_factory=dict)
    typed_forms: tuple[set[str], set[str]] | None = None  # search._typed_forms, computed once
    wants: tuple[str, ...] = ()  # the forms the answer takes, when the question asks for some (asks_for)
    about: bool = False  # it only asks what the documents it names are about ("NĐ 59 quy định gì")
    articles: list[str] = field(default_factory=list)  # the articles it names: "điều 15" -> "15"


def parse_number(number: str) -> DocRef | None:
    """A full số hiệu ("59/2023/NĐ-CP", "25-NQ/TW", "10/2022/QH15") -> DocRef."""
    m = _FULL_REF.fullmatch(number.strip())
    if not m:
        return None
    code = None
    for part in (m.group(4), m.group(6)):
        key = fold(re.sub(r"\d+$", "", part or ""))
        if key in TYPE_CODES:
            code = key
            break
    return DocRef(m.group(1).lower(), code, int(m.group(2)) if m.group(2) else None)


def find_refs(text: str) -> list[DocRef]:
    """Document references in a question, full numbers first, then short forms ("CT 33", "NĐ 59/2023")."""
    refs: list[DocRef] = []
    for m in _FULL_REF.finditer(normalize(text)):
        ref = parse_number(m.group(0))
        if ref and ref not in refs:
            refs.append(ref)
    folded = fold(_FULL_REF.sub(" ", normalize(text)))
    for m in _SHORT_REF.finditer(folded):
        year = m.group(3) or m.group(4)
        ref = DocRef(m.group(2), _TYPE_PREFIXES[m.group(1)], int(year) if year else None)
        if ref not in refs:
            refs.append(ref)
    return refs


def ref_matches(ref: DocRef, number: str | None, doc_type: str | None, year: int | None) -> bool:
    """Does a document with this số hiệu / type / year match the reference?"""
    if not number:
        return False
    own = parse_number(number)
    if own is None or own.number.lstrip("0") != ref.number.lstrip("0"):
        return False
    if ref.code:
        type_code = next((c for c, name in TYPE_CODES.items() if name == doc_type), None)
        if ref.code not in (own.code, type_code):
            return False
    return not (ref.year and year and ref.year != year)


# A Vietnamese syllable without its marks: initial consonant(s), one to three vowels, a final consonant.
_SYLLABLE = re.compile(r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnpt])?")


def is_syllable(word: str) -> bool:
    """Could this folded word be a Vietnamese syllable ("nau", "suat"; not "thonn", "dna")?"""
    return _SYLLABLE.fullmatch(word) is not None


def _read_table(path: Path | str, key: str) -> dict:
    """An editable YAML table of knowledge/ ({key: {...}}, or the mapping itself); empty when there is none."""
    path = Path(path)
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get(key, data) if isinstance(data, dict) else {}


class Abbreviations:
    """Abbreviation -> expansions, matched on whole tokens, case-insensitively after folding."""

    def __init__(self, table: dict[str, list[str]] | None = None):
        self.table: dict[str, list[str]] = {}
        for key, values in (table or {}).items():
            values = [values] if isinstance(values, str) else list(values or [])
            self.table[fold(normalize(str(key)))] = [normalize(str(v)) for v in values]

    @classmethod
    def load(cls, path: Path | None = None) -> Abbreviations:
        return cls(_read_table(path or DEFAULT_ABBREVIATIONS, "abbreviations"))

    def _parts(self, token: str) -> list[str]:
        """token split at its "-" and "&" into the longest keys it holds, left to right ("MTTQ-CT-XH" -> "MTTQ",
        "CT-XH"); pieces that are no key stay single."""
        bounds = [0] + [i for i, c in enumerate(token) if c in "-&"] + [len(token)]
        parts, i = [], 0
        while i < len(bounds) - 1:
            j = next(j for j in range(len(bounds) - 1, i, -1)
                     if j == i + 1 or fold(token[bounds[i] + (i > 0):bounds[j]]) in self.table)
            parts.append(token[bounds[i] + (i > 0):bounds[j]])
            i = j
        return parts

    def expand(self, text: str) -> dict[str, list[str]]:
        """The expansions of the abbreviations in text; abbreviations joined by "-" or "&" ("CBCCVC-NLĐ",
        "MTTQ-CT-XH") count one by one, the longest key first."""
        found: dict[str, list[str]] = {}
        for m in re.finditer(r"\w+(?:[-&]\w+)*", normalize(text)):
            for part in self._parts(m.group(0)):
                key = fold(part)
                # Written in capitals, or in letters no Vietnamese word has ("ubnd", "mttq", "tw"); "tu", "hu"
                # and "du" are words, so TU, HU and ĐU count only in capitals.
                if sum(c.isupper() for c in part) < 2 and _SYLLABLE.fullmatch(key):
                    continue
                if key in self.table and key not in found:
                    found[key] = self.table[key]
        return found


@lru_cache(maxsize=4)
def _default_abbreviations() -> Abbreviations:
    return Abbreviations.load()


class Synonyms:
    """Everyday phrase -> the wordings documents use ("lệ làng" -> "hương ước", "quy ước"). A phrase of several
    words matches as typed, or typed without any accents; a single word only as typed with its accents, since
    without them it may be another word ("gop": góp or gộp). A phrase typed with other accents is another phrase
    ("trưởng ban" is not "trưởng bản")."""

    def __init__(self, table: dict[str, list[str]] | None = None):
        self.table: dict[str, list[str]] = {}
        self._keys: dict[str, list[str]] = {}  # folded phrase -> its keys
        for key, values in (table or {}).items():
            key = normalize(str(key)).lower().strip()
            self.table[key] = [normalize(str(v)) for v in ([values] if isinstance(values, str) else values or [])]
            self._keys.setdefault(fold(key), []).append(key)
        alternatives = "|".join(re.escape(k) for k in sorted(self._keys, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if alternatives else None

    @classmethod
    def load(cls, path: Path | None = None) -> Synonyms:
        return cls(_read_table(path or DEFAULT_SYNONYMS, "synonyms"))

    def expand(self, text: str) -> list[str]:
        """The documents' wordings for the everyday phrases in text (longest phrase first: "lệ làng", not
        "làng")."""
        return [v for key in self.phrases(text) for v in self.table[key]]

    def phrases(self, text: str) -> list[str]:
        """The everyday phrases (keys) found in text."""
        if self._pattern is None:
            return []
        typed = normalize(text).lower()
        folded = fold(typed)
        found: list[str] = []
        for m in self._pattern.finditer(folded):
            as_typed = typed[m.start():m.end()] if len(folded) == len(typed) else None
            keys = self._keys[m.group(0)]
            if as_typed in keys:
                key = as_typed
            elif as_typed is None or as_typed == m.group(0):  # typed without accents: any phrase of these letters
                key = next((k for k in keys if " " in k), None)
            else:  # typed with other accents: another phrase ("trưởng ban" is not "trưởng bản")
                key = None
            if key and key not in found:
                found.append(key)
        return found


@lru_cache(maxsize=4)
def _default_synonyms() -> Synonyms:
    return Synonyms.load()


# Question words carry no content: "bao nhiêu", "bao lâu", "như thế nào", "là gì", a final "không".
QUESTION_PHRASES = [p.split() for p in (
    "như thế nào", "thế nào", "như nào", "ra sao", "làm sao", "tại sao", "vì sao", "bao nhiêu", "bao lâu",
    "bao giờ", "ngày nào", "tháng nào", "năm nào", "là gì", "là ai", "ở đâu", "khi nào", "lúc nào", "hay không",
    "được không", "phải không", "có phải", "mấy", "gì", "nào", "ai",
)]
_WORD_RE = re.compile(r"\w+(?:[/\-.,]\w+)*%?")
QUESTION_SYLLABLES = frozenset(fold(w) for phrase in QUESTION_PHRASES for w in phrase)  # "bao", "nhieu", "gi"…
# Polite openers and forms of address carry no content either: "cho hỏi …", "Chào anh, cho em hỏi …", "anh ơi …".
OPENERS = [p.split() for p in (
    "xin cho hỏi", "cho em hỏi", "cho tôi hỏi", "cho mình hỏi", "cho cháu hỏi", "cho hỏi", "xin hỏi",
    "chào anh", "chào chị", "chào bạn", "chào bot", "xin chào", "anh ơi", "chị ơi", "em ơi", "bạn ơi", "bot ơi",
    "ad ơi", "đồng chí ơi",
)]


_BY_FIRST_WORD: dict[str, list[list[str]]] = {}  # folded first word -> the phrases it may open, longest first
for _phrase in sorted(OPENERS + QUESTION_PHRASES, key=len, reverse=True):
    _BY_FIRST_WORD.setdefault(fold(_phrase[0]), []).append(_phrase)


def _same_word(typed: str, word: str) -> bool:
    """typed matches word exactly, or is the same word typed without accents."""
    return typed == word or (typed == fold(typed) and typed == fold(word))


def strip_question_words(text: str) -> str:
    """Drop question words and polite openers (accented or typed without accents) so they do not weigh on the
    search. Where a word was dropped, or punctuation stood, the words left are kept apart by " . ", so no
    syllable pair is made that the question does not hold ("quyền gì khi" gives no "quyền khi")."""
    found = list(_WORD_RE.finditer(text))
    lower = [m.group(0).lower() for m in found]
    keep = [True] * len(found)
    i = 0
    while i < len(found):
        for phrase in _BY_FIRST_WORD.get(fold(lower[i]), ()):
            n = len(phrase)
            if all(i + j < len(found) and _same_word(lower[i + j], phrase[j]) for j in range(n)):
                keep[i:i + n] = [False] * n
                i += n - 1
                break
        i += 1
    if lower and _same_word(lower[-1], "không"):
        keep[-1] = False
    out: list[str] = []
    end = None  # where the last kept word ended, None after a dropped word
    for m, k in zip(found, keep, strict=True):
        if k:
            if out:
                out.append(" " if end is not None and not text[end:m.start()].strip() else " . ")
            out.append(m.group(0))
        end = m.end() if k else None
    return "".join(out)


# Questions whose answer has a recognizable form (matched on folded text): an amount of money ("bao nhiêu
# tiền", "phạt tiền bao nhiêu", "mức phụ cấp là bao nhiêu"), an age ("bao nhiêu tuổi"), a share ("bao nhiêu
# phần trăm"), a length of time ("bao lâu", "mấy ngày") or a date ("ngày nào", "khi nào"). A passage that shows
# the form ranks a little higher; for money and an age (DECISIVE) a best passage without it is no answer.
_NUMBER = r"(?:\d+(?:[.,]\d+)*|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|hai muoi|ba muoi)"
_ASKS = {
    "money": re.compile(r"\bbao nhieu (?:tien|dong)\b|\b(?:phat|phu cap|luong|thu lao|kinh phi|le phi|muc chi|muc thu)"
                        r"\b.*\b(?:bao nhieu|muc nao)\b"),
    "age": re.compile(r"\b(?:bao nhieu|may) tuoi\b"),
    "share": re.compile(r"\bbao nhieu (?:phan tram|%)"),
    "duration": re.compile(r"\bbao lau\b|\b(?:bao nhieu|may) (?:ngay|tuan|thang|nam|gio)\b"),
    "date": re.compile(r"\b(?:ngay nao|khi nao|bao gio|luc nao|hoi nao|dip nao|thoi diem nao|thoi gian nao)\b"),
}
ANSWER_FORMS = {
    "money": re.compile(r"\d[\d.,]*\s*(?:dong|d|nghin|ngan|trieu|ty|vnd)\b|\bhe so\s*\d|\bluong co so\b"),
    "age": re.compile(rf"\b{_NUMBER}\s*tuoi\b"),
    "share": re.compile(r"\d+(?:[.,]\d+)?\s*%|\bphan (?:tram|ba|tu|hai)\b"),
    "duration": re.compile(rf"\b{_NUMBER}\s*(?:ngay|tuan|thang|nam|gio)\b"),
    "date": re.compile(r"\b\d{1,2}\s*/\s*\d{1,2}\b|\bngay \d{1,2}\b|\bthang \d{1,2}\b"),
}
DECISIVE = {"money", "age"}
COUNT = "count:"  # + the folded counted word: "mấy người", "bao nhiêu hộ" -> "count:nguoi", "count:ho"


def asks_for(text: str, folded: str | None = None) -> tuple[str, ...]:
    """The forms the answer to this question takes (keys of ANSWER_FORMS, and COUNT + the counted word): a
    question can ask for several ("họp mấy lần một năm và vào lúc nào"). folded: fold(text), when the caller
    has it."""
    folded = fold(text) if folded is None else folded
    forms = [kind for kind, pattern in _ASKS.items() if pattern.search(folded)]
    counted = counted_word(text)
    if counted and not (forms and counted in _UNITS):  # "bao nhiêu tiền" is money, not a count of "tiền"
        forms.append(COUNT + counted)
    return tuple(forms)


_UNITS = {"tien", "dong", "tuoi", "phan", "ngay", "tuan", "thang", "nam", "gio"}  # the other forms' own words


_JOINING = {"thì", "là", "và", "hay", "nữa", "để", "mà", "mới", "rồi"}  # words after a question word, not counted
_JOINING_FOLDED = {fold(w) for w in _JOINING}


def counted_word(text: str) -> str | None:
    """The folded word a question asks to count ("gồm mấy người" -> "nguoi", "bao nhiêu hộ dân" -> "ho"), or None.
    "mấy" is told from "máy" by its accents when the question has any; a question word followed by a stop-word
    ("bao nhiêu thì") or nothing ("là bao nhiêu") counts nothing."""
    words = [w.lower() for w in _WORD_RE.findall(text)]
    accented = any(w != fold(w) for w in words)
    joining = _JOINING if accented else _JOINING_FOLDED
    for i, w in enumerate(words[:-1]):
        if accented:
            ask = 1 if w == "mấy" else 2 if w == "bao" and words[i + 1] == "nhiêu" else 0
        else:
            ask = 1 if w == "may" else 2 if w == "bao" and words[i + 1] == "nhieu" else 0
        if ask and i + ask < len(words):
            word = fold(words[i + ask])
            counted = word.isalpha() and word not in stopwords() and words[i + ask] not in joining
            return word if counted else None
    return None


_fold_passage = lru_cache(maxsize=512)(fold)  # the same candidates come back question after question


@lru_cache(maxsize=256)
def _count_pattern(word: str) -> re.Pattern:
    """A number (digits, a share, a fraction or a number word) right before the counted word, or before "(tổng)
    số" + the word, as laws state quotas ("05 người", "một lần", "ít nhất 50% tổng số hộ")."""
    return re.compile(rf"\b(?:\d+(?:[.,/]\d+)?%?|{_NUMBER})\s+(?:(?:tong\s+)?so\s+)?{re.escape(word)}\b")


def shows_form(kind: str, text: str) -> bool:
    """Does text hold something of that form (an amount of money, an age, a date, a count of the word…)?"""
    pattern = _count_pattern(kind[len(COUNT):]) if kind.startswith(COUNT) else ANSWER_FORMS[kind]
    return pattern.search(_fold_passage(text)) is not None


# What is left of a question that only asks what a named document is about ("NĐ 59 quy định gì", "chỉ thị 33
# nói về vấn đề gì", "Luật 10/2022 có những nội dung chính nào") once its reference is taken away.
_ABOUT = frozenset((
    "quy dinh noi dung ve gi la cua nhung cac chinh nao viec van de gom tom tat de cap muc dich y nghia so nam "
    "ban hanh co the nhu"
).split())
_PREFIX_WORDS = re.compile(rf"\b(?:{_PREFIX_ALT})\b")


def asks_about(text: str, refs: list[DocRef]) -> bool:
    """Does the question name documents and ask nothing but what they are about?"""
    if not refs:
        return False
    rest = _PREFIX_WORDS.sub(" ", _SHORT_REF.sub(" ", fold(_FULL_REF.sub(" ", normalize(text)))))
    return all(w in _ABOUT for w in re.findall(r"[a-z]+", rest))


_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+)\W*$")


def names(text: str) -> list[str]:
    """The syllable pairs of the proper names typed in a question: runs of two or more capitalized words ("Giao
    Thủy", "Nghệ An" -> "giao_thuy", "nghe_an"), not counting a sentence's first word (capitalized anyway) or
    words in capitals (abbreviations)."""
    pairs: list[str] = []
    run: list[str] = []
    for m in chain(_WORD_RE.finditer(text), [None]):
        word = m.group(0) if m else ""
        if (m and word[0].isupper() and word[1:].islower() and word.isalpha()
                and not _SENTENCE_START.search(text[:m.start()])):
            run.append(fold(word))
            continue
        pairs.extend(a + "_" + b for a, b in zip(run, run[1:], strict=False))
        run = []
    return pairs


def parse(text: str, abbreviations: Abbreviations | None = None, synonyms: Synonyms | None = None) -> Query:
    text = normalize(text)
    abbr = abbreviations if abbreviations is not None else _default_abbreviations()
    expansions = abbr.expand(text)
    extra = " . ".join(v for values in expansions.values() for v in values)
    table = synonyms if synonyms is not None else _default_synonyms()
    phrases = table.phrases(text)
    wordings = [v for key in phrases for v in table.table[key]]
    folded = fold(text)
    refs = find_refs(text)
    years = sorted({int(y) for y in _YEAR.findall(folded)} | {int(r.number) for r in refs if r.year_like})
    types = [name for key, name in TYPE_NAMES.items() if re.search(rf"\b{re.escape(key)}\b", folded)]
    content = strip_question_words(text)
    own = terms(content) + terms(extra)
    typed = set(own)
    related = [t for t in terms(" . ".join(wordings)) if t not in typed]
    stand_ins: dict[str, list[str]] = {}
    for key in phrases:
        for t in terms(key):
            stand_ins.setdefault(t, []).extend(normalize(v).lower() for v in table.table[key])
    return Query(text, own + related, refs, years, types, expansions, related,
                 wants=asks_for(text, folded), about=asks_about(text, refs), stand_ins=stand_ins,
                 articles=list(dict.fromkeys(_ARTICLE.findall(folded))))
