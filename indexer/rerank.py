"""Second-stage ordering of the best BM25 candidates by where and how the question's words occur.

BM25 counts words anywhere in a passage. A passage that answers usually holds the question's words close
together (in one or two sentences), under a heading that names the topic, and, when the question is typed
with accents, with the same accents. Each candidate's score becomes

    bm25 / best_bm25 + SENTENCE * sentence_cover + HEADING * heading_cover + ACCENTS * accent_agreement
        + FORM * shows_the_asked_form - NO_ANSWER * is_no_answer

where the covers are the share of the question's idf weight found in the best two consecutive sentences and in
the passage's own heading, accent_agreement is the share of the question's accented content syllables found
with the same accents, is_no_answer is 1 for a passage that is mostly dot leaders to fill in (unless the
question asks for a "mẫu") or mostly a preamble's legal bases ("Căn cứ Luật …; Theo đề nghị của …", unless the
question asks for the "căn cứ") or mostly a letterhead, a list of recipients or a signature block
("Độc lập - Tự do - Hạnh phúc", "Nơi nhận: …", "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", unless the question asks for
a date or who signed), and shows_the_asked_form is 1 when the question asks for a date, a length of time, a
share, an amount of money, an age or a count of something (query.asks_for) and the passage holds one. The
weights are small, so these only reorder close candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from .analysis import SENTENCE_BREAK, folded_words, has_diacritics, normalize, raw_tokens, stopwords
from .query import shows_form

POOL = 20  # candidates reordered; later pages keep BM25 order
SENTENCE = 0.2
HEADING = 0.1
ACCENTS = 0.1
FORM = 0.1
NO_ANSWER = 0.2
BLANKS = 0.3  # a passage this much dot leaders ("Số tiết: ........") is a form to fill in
_WORD = re.compile(r"\w+")
_LEADERS = re.compile(r"(?:\.\s?){4,}|…+")


PREAMBLE = 0.5  # a passage this much "Căn cứ …; Theo đề nghị …" lists what a document rests on
_CLAUSE = re.compile(r"[^;\n]+")
_KINDS = ("Hiến pháp|Bộ luật|Luật|Pháp lệnh|Nghị quyết|Nghị định|Quyết định|Chỉ thị|Thông tư|Quy định|Quy chế|Kết luận|"
          "Điều lệ|Hướng dẫn|Kế hoạch|Công văn|Văn bản")
_BASIS = re.compile(rf"[\W_]*(?:Căn cứ|Theo đề nghị|Xét đề nghị|[^;\n]{{0,60}}\bban hành (?:{_KINDS})\b)",
                    re.IGNORECASE)
_ENACTS = re.compile(rf"Điều 1\.\s*Ban hành kèm theo (?:{_KINDS}) này\b[^\n]*$")  # a title echoed, nothing more
_CITED_BASIS = re.compile(rf"Căn cứ (?:vào )?(?:{_KINDS})\b")


@lru_cache(maxsize=512)  # the same candidates come back question after question
def blank_share(text: str) -> float:
    """The share of a passage's characters that are dot leaders, the blanks of a form ("Họ tên: ..........")."""
    return sum(len(m) for m in _LEADERS.findall(text)) / max(1, len(text))


@lru_cache(maxsize=512)
def preamble_share(text: str) -> float:
    """The share of a passage's characters in clauses that give a document's legal bases ("Căn cứ Luật …", "Theo
    đề nghị của …") or enact it ("Chính phủ ban hành Nghị định …"; 1 for an article that only says "Điều 1. Ban
    hành kèm theo Quyết định này Quy chế …"); 0 unless it cites a document as a basis
    ("Căn cứ từng trường hợp" is a rule, not a basis)."""
    if _ENACTS.match(text):
        return 1.0
    if not _CITED_BASIS.search(text):
        return 0.0
    return sum(len(m) for m in _CLAUSE.findall(text) if _BASIS.match(m)) / max(1, len(text))


FORMALITIES = 0.5  # a passage this much letterhead, recipients and signature frames a document, says nothing
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_FORMALITY = re.compile(
    r"Nơi nhận:.*"  # the recipients, then the signature: the end of a document's body
    r"|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc|Số:\s*\S+|-{3,}|[^\W\d_][\w ]{1,30}, ngày \d{1,2} tháng \d{1,2} năm \d{4}"
    r"|- Lưu(?!\s*ý)\b[^\n]*|\(Kèm theo [^()\n]{0,200}\)"
    rf"|(?:(?:TM|KT|K/T|T/M)\.? )?[{_UPPER}]{{2,}}(?: [{_UPPER}]{{2,}})+",  # "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH"
    re.DOTALL)


_FRAME_MARK = re.compile(r"Nơi nhận|Hạnh phúc|Số:|- Lưu(?!\s*ý)|\b(?:TM|KT|K/T|T/M)\.|Kèm theo|---")


@lru_cache(maxsize=512)
def _framed(text: str) -> tuple[float, frozenset[str]]:
    """The share of a passage's words in a document's frame, and the folded words outside it."""
    if not _FRAME_MARK.search(text):  # (cheap first: a frame always has one of these)
        return 0.0, frozenset()
    rest = _FORMALITY.sub(" ", text)
    return 1 - len(_WORD.findall(rest)) / max(1, len(_WORD.findall(text))), frozenset(folded_words(rest))


def formality_share(text: str) -> float:
    """The share of a passage's words in a document's frame: its letterhead ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc", "Số: …", "Hà Nội, ngày 21 tháng 02 năm 2025"), its recipients ("Nơi nhận: …")
    and its signature block ("- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", "(Kèm theo Quyết định số …)")."""
    return _framed(text)[0]


_FRAME_ASKED = {"ky", "gui", "nhan"}  # who signed it, where it was sent ("gửi", "nơi nhận")


def no_answer(text: str, question_words: list[str], forms: tuple[str, ...] = (),
              wanted: frozenset[str] = frozenset()) -> bool:
    """Is the passage a blank form, a preamble or a document's frame, that the question does not ask for? A
    frame whose few other words hold the question's (wanted: "Điều 2. Quyết định này có hiệu lực kể từ ngày ký"
    before "Nơi nhận") is no frame."""
    if "mau" not in question_words and blank_share(text) >= BLANKS:
        return True
    share, rest = _framed(text)
    if share >= FORMALITIES and "date" not in forms and _FRAME_ASKED.isdisjoint(question_words) and not wanted & rest:
        return True
    return not ("can" in question_words and "cu" in question_words) and preamble_share(text) >= PREAMBLE


def _cover(words: set[str], weights: dict[str, float], total: float) -> float:
    return sum(w for t, w in weights.items() if t in words) / total


@lru_cache(maxsize=512)  # about 1 MB per 100 passages
def sentence_words(text: str) -> tuple[frozenset[str], ...]:
    """The folded words of each sentence of a passage's text; cached,
    as the same passages come back question after question. Their union is the text's words."""
    return tuple(frozenset(folded_words(s)) for s in SENTENCE_BREAK.split(text) if s.strip()) or (frozenset(),)


def sentence_cover(text: str, weights: dict[str, float], total: float) -> float:
    """The largest share of the question's weight found within two consecutive sentences."""
    sentences = sentence_words(text)
    return max(_cover(a | b, weights, total)
               for a, b in zip(sentences, sentences[1:] + (frozenset(),), strict=True))


def accented_words(question: str) -> set[str]:
    """The question's content syllables typed with accents (empty when it is typed without any)."""
    if not has_diacritics(question):
        return set()
    stop = stopwords()
    return {w for w in raw_tokens(question) if w.isalpha() and has_diacritics(w) and folded_words(w)[0] not in stop}


def rerank(hits: list, question: str, unigrams: list[str], idf: Callable[[str], float],
           forms: tuple[str, ...] = ()) -> list:
    """Reorder hits (objects with text, heading, title and score) in place of their BM25 order; scores are
    rescaled to the BM25 scale so they still decrease down the list."""
    if len(hits) < 2:
        return hits
    weights = {t: max(idf(t), 0.0) for t in dict.fromkeys(unigrams)}
    total = sum(weights.values())
    top = max(h.score for h in hits)
    if total <= 0 or top <= 0:
        return hits
    accented = accented_words(question)
    asked = folded_words(question)  # "mẫu báo cáo" asks for a form, "căn cứ ban hành" for a preamble
    wanted = frozenset(t for t, w in weights.items() if w > 0)
    scored = []
    for h in hits:
        value = h.score / top + SENTENCE * sentence_cover(h.text, weights, total)
        last_heading = h.heading.rsplit("›", 1)[-1] if h.heading else ""
        value += HEADING * _cover(set(folded_words(last_heading)), weights, total)
        if accented:
            present = set(_WORD.findall(normalize(" ".join((h.text, h.heading, h.title))).lower()))
            value += ACCENTS * len(accented & present) / len(accented)
        if any(shows_form(f, h.text) for f in forms):
            value += FORM
        if no_answer(h.text, asked, forms, wanted):
            value -= NO_ANSWER
        scored.append((value, h))
    scored.sort(key=lambda x: -x[0])
    for value, h in scored:
        h.score = value * top
    return [h for _, h in scored]
