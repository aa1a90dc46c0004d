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

from indexer.analysis import fold

GREETING = "greeting"
THANKS = "thanks"
ACK = "ack"
MAX_WORDS = 8
MAX_CHARS = 80

# Folded (accent-free, lower-case) phrases; the longest match is taken first.
_CORE = {
    GREETING: ["xin chao", "kinh chao", "chao", "hello", "helo", "hi", "hey", "alo"],
    THANKS: ["xin cam on", "cam on", "camon", "thank you", "thanks", "thank", "thx", "tks"],
    ACK: ["ok", "oke", "okay", "okie", "oki", "vang", "da vang", "da", "ro roi", "da ro", "duoc roi"],
}
_FILLERS = [
    # who is addressed, or who speaks
    "bot", "ban", "ad", "admin", "dong chi", "moi nguoi", "ca nha", "cac", "anh", "chi", "em", "toi", "minh",
    "chau",
    "you", "u",
    # particles and intensifiers
    "a", "nhe", "nha", "nhen", "nhieu", "rat nhieu", "lam", "nhi",
    "buoi sang", "buoi chieu", "buoi toi",
]
_PHRASES = sorted(
    [(tuple(p.split()), kind) for kind, phrases in _CORE.items() for p in phrases]
    + [(tuple(p.split()), None) for p in _FILLERS],
    key=lambda item: -len(item[0]),
)
# Emoji that say "thanks" or "fine" on their own; others (🤔, ❓) are not taken as an acknowledgement.
_POSITIVE_EMOJI = set("👍👌🙏👏❤♥💖😊🙂☺😀😁😃😄🤝💐🌹✅💯")
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")
_WORD = re.compile(r"\w+")


def kind(text: str) -> str | None:
    """GREETING, THANKS or ACK when text is nothing but small talk, else None (a question to search)."""
    text = unicodedata.normalize("NFC", text or "").strip()
    if not text or len(text) > MAX_CHARS:
        return None
    words = _WORD.findall(fold(text))
    if not words:  # emoji and punctuation only: an acknowledgement if a friendly emoji is among them
        symbols = {c for c in _EMOJI_MODIFIERS.sub("", text) if not c.isspace()}
        return ACK if symbols & _POSITIVE_EMOJI else None
    if len(words) > MAX_WORDS:
        return None
    found: set[str] = set()
    i = 0
    while i < len(words):
        for phrase, phrase_kind in _PHRASES:
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
