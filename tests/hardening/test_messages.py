"""Hostile messages: empty, invisible, huge, marked-up, emoji, junk commands, forged and stale buttons, inline
queries at Telegram's limits; end to end through the fake Bot API server (which refuses, as Telegram would,
any HTML it cannot parse and any text over 4,096 characters), and property-based over the query parser, the
search and the reply formatter."""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import messages as M
from bot.conversation import MAX_QUESTION_CHARS, Conversation, Incoming
from bot.formatting import length
from bot.querylog import QueryLog
from indexer import query as query_mod
from indexer.search import Hit, Result, Searcher
from indexer.store import build
from tests.bot.fake_telegram import BOT_USERNAME, parse_telegram_html

from .conftest import ADMIN, USER, ask, quiet

# -- the HTML check of the property tests: balanced, Telegram's tags only, within the limit
ANSWER_TAGS = {"b", "i", "a", "code", "pre"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag not in self.allowed:
            self.problems.append(f"<{tag}>")
        if tag == "a" and [k for k, _ in attrs] != ["href"]:
            self.problems.append("a without exactly one href")

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")


def check_html(text: str, allowed: set[str] = ANSWER_TAGS) -> str:
    """Assert text is HTML Telegram accepts: balanced tags from `allowed`, 1..4,096 characters once parsed.
    Returns the text as Telegram shows it."""
    parser = _Tags()
    parser.allowed = allowed
    parser.feed(text)
    parser.close()
    assert not parser.problems and not parser.stack, (parser.problems, parser.stack, text[:300])
    shown, error = parse_telegram_html(text)
    assert error is None, (error, text[:300])
    assert 0 < length(shown) <= 4096 and length(text) <= 4096
    return shown


def shown(message: dict) -> str:
    return parse_telegram_html(message["text"])[0]


HOSTILE_DOC = """---
title: "Quy chế <script>alert('tieu de')</script> **đậm** & <b>giả</b> về dân vận"
number: "<i>99</i>/QC-UBND"
issued: "2024-02-30"
source: "javascript:alert('nguon')"
aliases: ["<a href='x'>bí danh</a>"]
---

# Điều 1. <b>Quy định</b> về *họp* thôn & [liên kết](javascript:alert(1))

Thôn tổ chức họp dân bàn việc nạo vét mương <script>alert("x")</script> ở xóm Bến Đò 🚣‍♀️, cử tri > 18 tuổi
và < 80 tuổi tham dự; biên bản ghi `mã` và **kết luận** &amp; &lt;không&gt; &#128512; \u200b\u202e đảo chiều.
"""


@pytest.fixture
async def hostile_bot(live_config, start_bot):
    (live_config.knowledge / "quy-che-doc-hai.md").write_text(HOSTILE_DOC, encoding="utf-8")
    build(live_config.knowledge, live_config.db)
    return await start_bot(live_config)


# -- end to end
async def test_empty_invisible_huge_and_emoji_questions(hostile_bot, telegram):
    tg = telegram
    for text in ("   \n\t  ", "\u200b\u200d\u2060\ufeff", "\u202e\u202d"):
        reply = await ask(tg, text)
        assert reply["text"] == M.EMPTY_QUESTION_HTML
    group = tg.group_chat(-100321)
    tg.send_text("\u200b \u200b", chat=group, user_id=USER)

    reversed_question = await ask(tg, "\u202etrách nhiệm người đứng đầu\u202c")
    assert "\u202e" not in reversed_question["text"] and "Trách nhiệm của người đứng đầu" in reversed_question["text"]

    huge = ("trách nhiệm của người đứng đầu trong công tác dân vận " * 200)[:10_000]
    reply = await ask(tg, huge)
    text = shown(reply)
    assert "Trách nhiệm của người đứng đầu" in text and "chỉ dùng 500 ký tự đầu" in text
    assert length(text) <= 4096

    emoji = await ask(tg, "người\u200b đứng\u00ad đầu 👨‍👩‍👧‍👦🙏🏽 trách nhiệm 🇻🇳")
    assert "Trách nhiệm của người đứng đầu" in emoji["text"]
    await quiet(tg)
    assert not tg.sent_to(-100321)


async def test_markup_in_questions_and_documents_is_shown_literally(hostile_bot, telegram):
    tg = telegram
    question = "<script>alert(1)</script> **họp thôn** <b>nạo vét</b> [x](javascript:alert(2)) & mương"
    reply = await ask(tg, question)  # whatever the answer, the question is echoed as typed
    assert question in shown(reply) and "<script" not in reply["text"]
    question = "<i>họp thôn</i> **nạo vét mương** xóm Bến Đò <script>"
    reply = await ask(tg, question)
    text = shown(reply)
    assert question in text
    assert "Quy chế <script>alert('tieu de')</script> **đậm** & <b>giả</b>" in text  # the title, literally
    assert '<script>alert("x")</script>' in text and "< 80 tuổi" in text
    assert "href=\"javascript" not in reply["text"] and "<script" not in reply["text"]
    full = next(b["callback_data"] for row in tg.last_bot_message(USER)["reply_markup"]["inline_keyboard"]
                for b in row if b.get("callback_data", "").startswith("f:"))
    tg.press(tg.last_bot_message(USER), full)
    page = (await tg.wait_for(lambda: tg.sent_to(USER)[1:], what="the full text"))[0]
    # HTML in a Markdown file is literal text; Markdown's own markup is taken out, a javascript: link's target too
    assert "<b>Quy định</b> về họp thôn & liên kết" in shown(page) and "alert(1)" not in shown(page)
    card = await ask(tg, "/vanban quy-che-doc-hai")
    assert "<i>99</i>/QC-UBND" in shown(card) and "javascript:alert('nguon')" in shown(card)
    assert "<a " not in card["text"]  # a javascript: source is text, never a link
    tg.inline_query("<b>nạo vét</b> mương xóm Bến Đò")
    (inline,) = await tg.wait_for(lambda: tg.calls_of("answerInlineQuery"), what="the inline answer")
    cited = inline["results"][0]["input_message_content"]["message_text"]
    assert '<script>alert("x")</script>' in parse_telegram_html(cited)[0]


async def test_commands_with_junk_arguments(hostile_bot, telegram, live_config, caplog):
    tg = telegram
    files = {p: p.read_bytes() for p in live_config.knowledge.rglob("*") if p.is_file()}
    caplog.set_level(logging.WARNING)
    junk = [
        "/danhsach ²", "/danhsach " + "9" * 5000, "/danhsach -3", "/danhsach 1e9", "/danhsach 0x10",
        "/vanban " + "<b>" * 300, "/vanban \x00\x01", "/vanban " + "33/CT-TTg " * 400, "/hoi " + "/" * 100,
        "/thongke <script>", "/start@danvan_test_bot junk junk", f"/HOI@{BOT_USERNAME.upper()} người đứng đầu",
        "/hoi@", "/@", "/", "//", "/hỏi", "/" + "a" * 300, "/help " + "x" * 4000, "/xoa", "/reindex@other_bot",
    ]
    for i, text in enumerate(junk):
        tg.send_text(text, user_id=7000 + i)
    admin = ["/xoa ../../etc/passwd", "/xoa *", "/xoa " + "%" * 500, "/danhsach 99999999999999"]
    for text in admin:
        tg.send_text(text, user_id=ADMIN)
    expected_silent = {"/reindex@other_bot"}
    await tg.wait_for(lambda: all(tg.sent_to(7000 + i) for i, t in enumerate(junk) if t not in expected_silent)
                      and len(tg.sent_to(ADMIN)) == len(admin), what="every reply")
    await quiet(tg)
    everything = [m["text"] for m in tg.calls_of("sendMessage")]
    assert M.ERROR_HTML not in everything
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert not tg.sent_to(7000 + junk.index("/reindex@other_bot"))
    assert tg.sent_to(7000 + junk.index("/danhsach ²"))[0]["text"].startswith("📚")
    assert "Trách nhiệm của người đứng đầu" in tg.sent_to(7000 + junk.index(f"/HOI@{BOT_USERNAME.upper()} "
                                                                            "người đứng đầu"))[0]["text"]
    assert {p: p.read_bytes() for p in live_config.knowledge.rglob("*") if p.is_file()} == files


async def test_forged_and_stale_buttons(hostile_bot, telegram, live_config):
    tg = telegram
    secret_question = "khiếu nại của ông Nguyễn Văn Bí mật về tiếp công dân"
    await ask(tg, secret_question, user=5555)
    with sqlite3.connect(live_config.querylog) as db:
        (victim_qid,) = db.execute("SELECT id FROM questions WHERE user_id = 5555").fetchone()
    await ask(tg, "trách nhiệm người đứng đầu")
    mine = tg.last_bot_message(USER)
    forged = [
        f"m:{victim_qid}:0", f"m:{victim_qid}:3", f"v:{victim_qid}:-", "m:99999999999999999999:0",
        "f:99999999999999999999", "f:-1", "c:1e5", "f:1:2:3", "x" * 64, "💥", "v:1:?", "m:1", ":", "l:abc",
    ]
    for data in forged:
        tg.press(dict(mine), data)
    answers = await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) >= len(forged) and
                                tg.calls_of("answerCallbackQuery"), what="every button answered")
    assert {a.get("text") for a in answers} == {M.NOTICE_STALE}
    await quiet(tg)
    leaked = [m for m in tg.calls_of("sendMessage") + tg.calls_of("editMessageText")
              if "Bí mật" in m["text"] and int(m["chat_id"]) != 5555]
    assert not leaked
    log = QueryLog(live_config.querylog)
    assert log.feedback_totals() == (0, 0)
    log.close()

    # an old message's buttons after a full rebuild: passage ids are never reused, so "Toàn văn" is stale,
    # never another passage; "Xem thêm" searches again and still works
    old_full = next(b["callback_data"] for row in mine["reply_markup"]["inline_keyboard"] for b in row
                    if b.get("callback_data", "").startswith("f:"))
    old_more = next(b["callback_data"] for row in mine["reply_markup"]["inline_keyboard"] for b in row
                    if b.get("callback_data", "").startswith("m:"))
    await ask(tg, "/reindex full", user=ADMIN)
    await tg.wait_for(lambda: len(tg.sent_to(ADMIN)) >= 2, what="the reindex report")
    before = len(tg.calls_of("answerCallbackQuery"))
    tg.press(dict(mine), old_full)
    (notice,) = await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery")[before:], what="the stale notice")
    assert notice["text"] == M.NOTICE_STALE
    searcher = Searcher(live_config.db)
    assert searcher.passage(int(old_full.split(":")[1])) is None
    tg.press(dict(mine), old_more)
    (edit,) = await tg.wait_for(lambda: tg.calls_of("editMessageText"), what="the next answers")
    assert "<b>4. " in edit["text"]

    # Telegram refuses to answer a button press that came too late: the bot still does what was asked
    press = tg.press(dict(tg.bot_message(USER, mine["message_id"])), old_more.replace(":3", ":0"))
    tg.too_old.add(press["callback_query"]["id"])
    await tg.wait_for(lambda: len(tg.calls_of("editMessageText")) >= 2, what="the edit after a refused answer")
    assert [r for r in tg.rejected if "too old" in r[1]]
    tg.rejected.clear()


async def test_inline_queries_at_telegram_limits(hostile_bot, telegram):
    tg = telegram
    queries = [
        ("trách nhiệm người đứng đầu công tác dân vận " * 10)[:256],
        ("😀" * 128),
        ("<" * 256),
        ("&" * 256),
        "   ",
        "",
        ("họp thôn nạo vét mương <script>" + "\u200b" * 200)[:256],
    ]
    for i, q in enumerate(queries):
        tg.inline_query(q, user_id=8000 + i)
    calls = await tg.wait_for(lambda: len(tg.calls_of("answerInlineQuery")) >= len(queries) and
                              tg.calls_of("answerInlineQuery"), what="every inline answer")
    for call in calls:
        assert len(call["results"]) <= 50
        for result in call["results"]:
            check_html(result["input_message_content"]["message_text"], ANSWER_TAGS | {"blockquote"})
    assert any(c["results"] for c in calls)


# -- properties
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
PIECES = st.sampled_from([
    "người đứng đầu", "dân vận khéo", "CT 33", "33/CT-TTg", "NĐ 59/2023", "<b>", "</i>", "&amp;", "&", "<script>",
    "**", "_", "`", "[a](javascript:x)", "😀", "👨‍👩‍👧", "\u200b", "\u202e", "\x00", "\n", " ", "%", "năm 2021",
    "hòa", "hoà", "ĐẢNG", "ﬁ", "Ⅻ", "²", "١٢", "/", "@danvan_test_bot", "?", "không",
])
QUESTIONS = st.one_of(TEXT, st.lists(PIECES, max_size=60).map("".join), st.text(max_size=60))


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    from tests.bot.conftest import write_knowledge

    root = tmp_path_factory.mktemp("props")
    knowledge = write_knowledge(root / "knowledge", {"doc-hai.md": HOSTILE_DOC})
    build(knowledge, root / "index.db")
    return Searcher(root / "index.db")


@settings(max_examples=200, deadline=None)
@given(text=QUESTIONS)
def test_query_parse_never_fails(text):
    q = query_mod.parse(text)
    assert isinstance(q.terms, list) and all(isinstance(t, str) and t for t in q.terms)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUESTIONS, k=st.integers(1, 12), offset=st.integers(0, 40))
def test_search_never_fails(searcher, text, k, offset):
    result = searcher.search(text, k=k, offset=offset)
    assert len(result.hits) <= k
    for hit in result.hits:
        assert math.isfinite(hit.score)
        assert all(0 <= a < b <= len(hit.snippet) for a, b in hit.marks), (hit.marks, hit.snippet)


DOC_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=1500)


def hits(draw_text=DOC_TEXT):
    def make(args):
        (title, number, issued, heading, snippet, source, marks, pid) = args
        return Hit(pid, "doc", title, number, issued, heading, snippet, snippet, 1.0, 0, source, marks)

    return st.tuples(
        draw_text, st.none() | draw_text, st.none() | st.sampled_from(["2021-11-26", "2021-11", "x<y", ""]),
        draw_text, draw_text, st.none() | st.sampled_from(["https://a.vn/x?a=1&b=<2>", "javascript:alert(1)",
                                                           'https://e.vn/"><script>', "Văn bản giấy", ""]),
        st.lists(st.tuples(st.integers(-3, 1600), st.integers(-3, 1600)), max_size=12),
        st.integers(1, 2**62),
    ).map(make)


@pytest.fixture(scope="module")
def formatter(searcher, tmp_path_factory):
    from bot.config import Config

    root = tmp_path_factory.mktemp("fmt")
    log = QueryLog(root / "q.db")
    yield Conversation(Config.for_paths(root, searcher.db_path, rate_limit=0), log, searcher,
                       bot_username=BOT_USERNAME)
    log.close()


@settings(max_examples=150, deadline=None)
@given(found=st.lists(hits(), min_size=1, max_size=4), question=QUESTIONS, offset=st.integers(0, 27),
       qid=st.integers(1, 2**62))
def test_answer_page_is_valid_html_within_the_limit(formatter, found, question, offset, qid):
    reply = formatter._answer_page(qid, question, Result(question, found, True), offset)
    check_html(reply.text_html)
    for row in reply.buttons:
        for button in row:
            assert button.data is None or len(button.data.encode()) <= 64
    for hit in found:
        check_html(formatter._cited(hit), ANSWER_TAGS | {"blockquote"})


@settings(max_examples=120, deadline=None)
@given(text=QUESTIONS, where=st.sampled_from(["private", "supergroup"]), reply_to_bot=st.booleans())
def test_any_message_gets_a_valid_reply_or_none(formatter, text, where, reply_to_bot):
    msg = Incoming(USER, USER if where == "private" else -100500, where, text, reply_to_bot)
    reply = asyncio.run(formatter.handle_message(msg))
    if reply is not None:
        check_html(reply.text_html, ANSWER_TAGS)
        assert all(b.data is None or len(b.data.encode()) <= 64 for row in reply.buttons for b in row)


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.text(max_size=80), st.from_regex(r"[mfclv]:-?[0-9]{1,25}(:[-+0-9]{0,25})?", fullmatch=True)))
def test_any_button_data(formatter, data):
    reply = asyncio.run(formatter.handle_button(Incoming(USER, USER), data))
    if reply.text_html:
        check_html(reply.text_html)
    else:
        assert reply.notice in (M.NOTICE_STALE, M.NOTICE_NO_MORE, M.NOTICE_THANKS)


@settings(max_examples=60, deadline=None)
@given(query=st.text(max_size=256))
def test_any_inline_query(formatter, query):
    answer = asyncio.run(formatter.handle_inline(Incoming(USER, USER), query))
    assert len(answer.items) <= 50 and len({i.id for i in answer.items}) == len(answer.items)
    for item in answer.items:
        check_html(item.text_html, ANSWER_TAGS | {"blockquote"})
        assert 0 < len(item.id.encode()) <= 64 and item.title


def test_a_question_is_clipped_at_the_limit(formatter):
    reply = asyncio.run(formatter.handle_message(Incoming(USER, USER, "private", "người đứng đầu " * 1000)))
    assert "chỉ dùng 500 ký tự đầu" in reply.text_html
    asked = formatter.log.question(formatter.log.stats()["questions"])
    assert len(asked) <= MAX_QUESTION_CHARS and asked.endswith("đầu")
