"""Vietnamese text analysis, identical for passages and queries.

clean(): Unicode NFC, zero-width characters removed (documents are stored so, in their own spelling).
normalize(): clean(), then one tone-mark placement, for comparing accented words.
fold(): the accent-free form (đ -> d), lower case.
terms(): the tokens BM25 sees: folded syllables (stop-words dropped) plus folded syllable bigrams.
Document numbers ("33/CT-TTg"), dates, numbers and percentages stay whole tokens, and their parts are
emitted too, so "33" and "ct" still meet "33/ct-ttg".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain, filterfalse
from pathlib import Path

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # grave, acute, tilde, hook, dot below
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WORD = re.compile(r"\w+", re.UNICODE)
# A number glued to the word after it ("15 tháng 10Ngày truyền thống", "0đồng": table cells or lines run together
# by text extraction) is read as two words; "5a", "12b" (one letter) stay whole. The stored text is not changed.
_GLUED = re.compile(r"(\d)([^\W\d_]{2})")
_WORD_OR_NUMBER = re.compile(r"\d+(?=[^\W\d_]{2})|\w+")
SENTENCE_BREAK = re.compile(r"(?<=[.!?;:…])\s+|\n+")  # where snippets and sentence-level matching cut
# A token is a run of word characters, optionally joined by / - . , % into one (33/CT-TTg, 26/11/2021, 80%).
_TOKEN = re.compile(r"\w+(?:[/\-.,]\w+)*%?", re.UNICODE)
_PARTS = re.compile(r"[/\-.,%]")

STOPWORDS_FILE = Path(__file__).with_name("data") / "stopwords.txt"


@lru_cache(maxsize=200_000)
def _place_tone(word: str) -> str:
    """Canonical tone placement: hoà -> hòa, khoẻ -> khỏe, thuỷ -> thủy (tone on the first vowel of a
    final oa/oe/uy with no final consonant; 'qu' + y keeps its tone on y)."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = next((c for c in decomposed if c in TONE_MARKS), None)
    if tone is None:
        return word
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    low = bare.lower()
    if len(low) < 2 or low[-2:] not in ("oa", "oe", "uy"):
        return word
    if low[-2:] == "uy" and low[:-2].endswith("q"):
        return word
    # Only move a tone that sits on the last vowel.
    last = unicodedata.normalize("NFD", word[-1])
    if tone not in last:
        return word
    target = len(bare) - 2
    rebuilt = bare[:target] + unicodedata.normalize("NFC", bare[target] + tone) + bare[target + 1 :]
    return rebuilt


_TONED_FINAL = "àáảãạèéẻẽẹỳýỷỹỵ"
_O_U = "oòóỏõọuùúủũụ"
_HAS_ZERO_WIDTH = re.compile("[" + "".join(map(chr, _ZERO_WIDTH)) + "]")


# Where _place_tone can change a word at all: its last two letters are o + a toned a/e, or u + a toned y (the
# o/u toned or not), at the end of the word. Text without any (nearly all of it) skips the substitution.
_TONE_MOVABLE = re.compile(
    rf"(?:[{_O_U[:6]}{_O_U[:6].upper()}][{_TONED_FINAL[:10]}{_TONED_FINAL[:10].upper()}]"
    rf"|[{_O_U[6:]}{_O_U[6:].upper()}][{_TONED_FINAL[10:]}{_TONED_FINAL[10:].upper()}])(?!\w)")


def clean(text: str) -> str:
    """NFC, zero-width characters removed: the text as written ("hoà" and "hòa" both stay), as documents are
    stored and shown. Terms do not depend on where a tone mark sits (folding drops it)."""
    if _HAS_ZERO_WIDTH.search(text):
        text = text.translate(_ZERO_WIDTH)
    return unicodedata.normalize("NFC", text)


def normalize(text: str) -> str:
    """clean(), then one tone-mark style ("hoà" -> "hòa"), for comparing accented words."""
    text = clean(text)
    if text.isascii():
        return text
    out: list[str] = []
    done = 0
    for m in _TONE_MOVABLE.finditer(text):  # a few per document: each one's word is found backwards
        start = m.start()
        while start > done and (text[start - 1].isalnum() or text[start - 1] == "_"):  # re's \w
            start -= 1
        word = text[start:m.end()]
        placed = _place_tone(word)
        if placed != word:
            out += (text[done:start], placed)
            done = m.end()
    return "".join(out) + text[done:] if out else text


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold(text: str) -> str:
    """Lower-case, accent-free form: 'Đảng ủy' -> 'dang uy'. (Character by character when every character is in
    the table below, which gives the same string; word by word otherwise.)"""
    if _UNSAFE_FOR_FOLD.search(text) is None:
        return text.translate(_FOLD_CHARS).lower()
    return _WORD.sub(lambda m: _fold_word(m.group(0)), text.lower())


def folded_words(text: str) -> list[str]:
    """Folded words of clean()ed text (a fast path for snippets and highlighting)."""
    return [_fold_word(w) for w in _WORD_OR_NUMBER.findall(text)]


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


@lru_cache(maxsize=1)
def _bigrams_never_stop() -> bool:
    """No stop-word holds "_", so no bigram ("a_b") is ever dropped as a stop-word."""
    return not any("_" in word for word in stopwords())


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Folded single-syllable stop-words (the project's own list)."""
    words = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(_fold_word(line))
    return frozenset(words)


def raw_tokens(text: str) -> list[str]:
    """Normalized, lower-cased surface tokens (with accents); compound tokens kept whole."""
    return [m.group(0).lower() for m in _TOKEN.finditer(normalize(text))]


def _split_compound(token: str) -> list[str]:
    return [p for p in _PARTS.split(token) if p]


def _fold_table() -> dict[int, str]:
    """Characters whose fold is one character of the same kind (word / space / the very same punctuation), so
    that folding a whole text character by character equals folding it word by word and keeps every token and
    segment boundary in place. Greek is left out (its final sigma lowers by context)."""
    table = {}
    for cp in range(0x80, 0x2070):
        c = chr(cp)
        if 0x370 <= cp < 0x400 or unicodedata.normalize("NFC", c) != c or unicodedata.combining(c):
            continue
        folded = _fold_word(c)
        word = _WORD.fullmatch(c) is not None
        if len(folded) != 1 or word != (_WORD.fullmatch(folded) is not None) or not word and folded != c:
            continue
        table[cp] = folded
    return table


_SAFE = _fold_table()
_UNSAFE = re.compile("[^\x00-\x7f" + "".join(re.escape(chr(cp)) for cp in sorted(_SAFE)) + "]")
# fold() lower-cases before it finds words: also leave out characters that lower-case to something else
# than what their fold starts from ("İ" -> "i" + a combining dot).
_UNSAFE_FOR_FOLD = re.compile("[^\x00-\x7f" + "".join(
    re.escape(chr(cp)) for cp, f in sorted(_SAFE.items())
    if len(chr(cp).lower()) == 1 and _fold_word(chr(cp).lower()) == f
    and (_WORD.fullmatch(chr(cp)) is not None or chr(cp).lower() == chr(cp))) + "]")
_FOLD_CHARS = str.maketrans({cp: f for cp, f in _SAFE.items() if f != chr(cp)})
_SEGMENT = re.compile(r"[^\w\s/\-.,%]+|[.,;:](?:\s|$)|\s-\s")
_COMPOUND = re.compile(r"[/\-.,%]")


def terms(text: str, bigrams: bool = True, normalized: bool = False) -> list[str]:
    """The BM25 terms of a text (see module doc). Bigrams join adjacent folded syllables, across stop-words
    too, but never across a compound token or punctuation. normalized=True: text is already clean()ed
    (a passage cut from a stored document), so that step is skipped.

    Fast path: the text is folded at once and each segment's tokens found by one findall; texts with
    characters outside the table above take the word-by-word path (_terms_by_word), which gives the same list."""
    norm = text if normalized else clean(text)
    if _GLUED.search(norm):
        norm = _GLUED.sub(r"\1 \2", norm)
    if _UNSAFE.search(norm):
        return _terms_by_word(norm, bigrams)
    stop = stopwords()
    stop_free_bigrams = _bigrams_never_stop()
    out: list[str] = []
    for segment in _SEGMENT.split(norm.translate(_FOLD_CHARS).lower()):
        # A segment holds only word characters, white space and / - . , % (the rest split segments); without
        # the last five its tokens are its words, which str.split finds faster than the token pattern.
        if _COMPOUND.search(segment):
            tokens = _TOKEN.findall(segment)
            if any(_COMPOUND.search(t) for t in tokens):
                _add_segment_terms(out, tokens, stop, bigrams)
                continue
        else:
            tokens = segment.split()
        if not tokens:
            continue
        if tokens[0] not in stop:
            out.append(tokens[0])
        if bigrams:
            rest = tokens[1:]
            if stop_free_bigrams:  # b, a_b for each pair, stop-words dropped (never a bigram): all in C
                out.extend(filterfalse(stop.__contains__, chain.from_iterable(
                    zip(rest, map("_".join, zip(tokens, rest))))))  # noqa: B905 (one shorter on purpose)
                continue
            for a, b in zip(tokens, rest):  # noqa: B905 (one shorter on purpose)
                if b not in stop:
                    out.append(b)
                out.append(a + "_" + b)
        else:
            out.extend(t for t in tokens[1:] if t not in stop)
    return out


def _add_segment_terms(out: list[str], tokens: list[str], stop: frozenset[str], bigrams: bool) -> None:
    """The terms of one segment's folded tokens, compounds included."""
    prev = None
    for token in tokens:
        if not token.isalnum():  # (a plain syllable has nothing to strip or split: most tokens skip this)
            token = token.rstrip(".,")
            if not token:
                continue
            parts = _split_compound(token)
            if len(parts) > 1 or token.endswith("%"):
                out.append(token)
                out.extend(p for p in parts if p not in stop)
                prev = None
                continue
        if token not in stop:
            out.append(token)
        if bigrams and prev is not None:
            out.append(prev + "_" + token)
        prev = token


def _terms_by_word(norm: str, bigrams: bool) -> list[str]:
    """terms() of normalized text, folding word by word (any character)."""
    out: list[str] = []
    stop = stopwords()
    for segment in _SEGMENT.split(norm):
        tokens = [_fold_word(m.group(0)) for m in _TOKEN.finditer(segment)]
        _add_segment_terms(out, tokens, stop, bigrams)
    return out
