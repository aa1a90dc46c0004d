"""Small talk: a short message that is nothing but a greeting ("chào bot", "xin chào"), thanks ("cảm ơn bot
nhé", "cam on nhe") or an acknowledgement ("ok", "👍"). Such a message gets a short reply instead of a
search ("Chưa tìm thấy nội dung phù hợp với câu hỏi chào bot" helped nobody).

Recognised with or without accents, in any case, with optional words of address ("bot", "bạn", "đồng chí"),
particles ("nhé", "nha", "ạ"), punctuation and emoji. Every word must be one of these: a greeting or thanks
inside a longer question ("chào cờ đầu tuần", "Cảm ơn bot, cho hỏi …", "thư cảm ơn nhân dân") is not small
talk, and is searched.
"""

from __future__ import annotations

import re
import unicodedata

from indexer.analysis import fold, has_diacritics, normalize

GREETING = "greeting"
THANKS = "thanks"
ACK = "ack"
MAX_WORDS = 8
MAX_CHARS = 80

# Phrases as written; the longest match is taken first. A message typed with accents is matched as written
# ("Chi tối đa?" is a question, not "chị" + "dạ"), one typed without any against the same phrases folded, less
# a lone "da" (dạ? đã? đa?).
_CORE = {
    GREETING: ["xin chào", "kính chào", "chào", "hello", "helo", "hi", "hey", "alô", "alo", "tạm biệt"],
    THANKS: ["xin cảm ơn", "cảm ơn", "cám ơn", "camon", "thank you", "thanks", "thank", "thx", "tks"],
    ACK: ["ok", "oke", "okay", "okie", "oki", "vâng", "dạ vâng", "dạ", "rõ rồi", "dạ rõ", "được rồi", "hiểu rồi",
          "hihi", "haha"],
}
_FILLERS = [
    # who is addressed, or who speaks
    "bot", "bạn", "ad", "admin", "đồng chí", "mọi người", "cả nhà", "các", "anh", "chị", "em", "tôi", "mình",
    "cháu", "bác", "cô", "chú", "ông", "you", "u", "ơi",
    # particles and intensifiers
    "ạ", "nhé", "nha", "nhen", "nhiều", "rất nhiều", "lắm", "nhỉ", "a lot",
    "buổi sáng", "buổi chiều", "buổi tối",
]


def _table(folded: bool) -> list[tuple[tuple[str, ...], str | None]]:
    def form(phrase: str) -> tuple[str, ...]:
        return tuple((fold(phrase) if folded else phrase).split())

    phrases = [(form(p), kind) for kind, ps in _CORE.items() for p in ps if not (folded and p == "dạ")]
    phrases += [(form(p), None) for p in _FILLERS]
    return sorted(set(phrases), key=lambda item: -len(item[0]))


_AS_WRITTEN, _FOLDED = _table(folded=False), _table(folded=True)
# Emoji that say "thanks" or "fine" on their own; others (🤔, ❓) are not taken as an acknowledgement.
_POSITIVE_EMOJI = set("👍👌🙏👏❤♥💖😊🙂☺😀😁😃😄🤝💐🌹✅💯")
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")
_WORD = re.compile(r"\w+")


def kind(text: str) -> str | None:
    """GREETING, THANKS or ACK when text is nothing but small talk, else None (a question to search)."""
    text = unicodedata.normalize("NFC", text or "").strip()
    if not text or len(text) > MAX_CHARS:
        return None
    accented = has_diacritics(text)
    words = _WORD.findall(normalize(text).lower() if accented else fold(text))
    if not words:  # emoji and punctuation only: an acknowledgement if a friendly emoji is among them
        symbols = {c for c in _EMOJI_MODIFIERS.sub("", text) if not c.isspace()}
        return ACK if symbols & _POSITIVE_EMOJI else None
    if len(words) > MAX_WORDS:
        return None
    found: set[str] = set()
    i = 0
    while i < len(words):
        for phrase, phrase_kind in _AS_WRITTEN if accented else _FOLDED:
            if tuple(words[i : i + len(phrase)]) == phrase:
                if phrase_kind:
                    found.add(phrase_kind)
                i += len(phrase)
                break
        else:
            return None  # a word of something else: a question
    for k in (THANKS, GREETING, ACK):  # "ok cảm ơn" thanks; "chào bot" greets
        if k in found:
            return k
    return None  # fillers only ("bot", "bạn ạ")
