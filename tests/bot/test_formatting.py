"""HTML helpers, the query log and token redaction."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from bot.formatting import (
    clip,
    date_vi,
    esc_clip,
    html_to_text,
    join_blocks,
    length,
    marked_html,
    safe_url,
    source_html,
)
from bot.logs import REDACTED, install_redaction, redact, setup_logging
from bot.querylog import QueryLog, question_key

from .bot_testkit import assert_telegram_html

TEXT = st.text(alphabet=st.sampled_from(list("ab đ<>&\"'ệ😀\n")), max_size=200)


def test_dates():
    assert date_vi("2021-11-26") == "26/11/2021"
    assert date_vi("2021-11") == "11/2021"
    assert date_vi("2021") == "2021" and date_vi(None) == "" and date_vi("26/11/2021") == "26/11/2021"


def test_urls_and_sources():
    assert safe_url("https://vbpl.vn/a?b=1&c=2") == "https://vbpl.vn/a?b=1&c=2"
    for bad in (
        "javascript:alert(1)",
        "vbpl.vn",
        "https://x y",
        'https://x"><b>',
        "ftp://x",
        "Nguồn: https://x",
    ):
        assert safe_url(bad) is None, bad
    assert source_html("https://vbpl.vn/a?b=1&c=2") == '<a href="https://vbpl.vn/a?b=1&amp;c=2">vbpl.vn</a>'
    assert source_html("Công báo <số 5> & vbpl.vn") == "Công báo &lt;số 5&gt; &amp; vbpl.vn"


def test_marked_html_bolds_and_clips_between_tags():
    text = "Người đứng đầu & cán bộ <dân vận>"
    marks = [(0, 5), (6, 10), (11, 14)]
    assert marked_html(text, marks) == "<b>Người</b> <b>đứng</b> <b>đầu</b> &amp; cán bộ &lt;dân vận&gt;"
    short = marked_html(text, marks, 30)
    assert length(short) <= 30 and short.endswith("…")
    assert_telegram_html(short)
    clamped = marked_html(text, [(5, 100), (-3, 2), (3, 1)])
    assert clamped == "<b>Ng</b>ười<b> đứng đầu &amp; cán bộ &lt;dân vận&gt;</b>"


@given(
    text=TEXT,
    spans=st.lists(st.tuples(st.integers(-5, 210), st.integers(-5, 210)), max_size=8),
    limit=st.integers(0, 150),
)
def test_marked_html_is_always_valid_and_within_limit(text, spans, limit):
    out = marked_html(text, spans, limit)
    assert length(out) <= max(limit, 0)
    assert_telegram_html(out)
    assert html_to_text(out).replace("…", "") in text or out.endswith("…")


@given(text=TEXT, limit=st.integers(0, 120))
def test_esc_clip(text, limit):
    out = esc_clip(text, limit)
    assert length(out) <= limit
    assert_telegram_html(out)
    if length(out) and not out.endswith("…"):
        assert html_to_text(out) == text


def test_clip_and_join():
    assert clip("một hai ba bốn năm", 10) == "một hai…"
    assert clip("ngắn", 10) == "ngắn"
    assert join_blocks(["a" * 3000, "b" * 2000, "c"], 4096) == "a" * 3000
    assert join_blocks(["x", "", "y"]) == "x\n\ny"
    assert length("😀") == 2


def test_html_to_text():
    html = '<b>Đậm</b> &amp; <i>nghiêng</i> <a href="https://a.vn/x">a.vn</a> <code>mã</code>'
    assert html_to_text(html) == "Đậm & nghiêng a.vn <https://a.vn/x> mã"
    assert html_to_text('<a href="https://a.vn">https://a.vn</a>') == "https://a.vn"
    assert html_to_text("<b>x</b>", ("[", "]")) == "[x]"


def test_querylog(tmp_path):
    log = QueryLog(tmp_path / "sub" / "q.db")
    a = log.add_question(
        "Người đứng đầu?", user_id=1, chat_id=1, chat_type="private", hits=3, confident=True, top_doc="d"
    )
    log.add_question("người   ĐỨNG đầu", user_id=2, chat_id=-5, chat_type="group", hits=0, confident=False)
    assert log.question(a) == "Người đứng đầu?" and log.question(999) is None
    assert log.set_feedback(a, 1, 1) and log.set_feedback(a, 1, -1) and not log.set_feedback(999, 1, 1)
    log.add_event("refused", user_id=3, chat_id=3, detail="reindex")
    stats = log.stats()
    assert stats["questions"] == 2 and stats["users"] == 2 and stats["unanswered"] == 1
    assert stats["top"] == [("người   ĐỨNG đầu", 2)] and stats["top_unanswered"] == [("người   ĐỨNG đầu", 1)]
    assert (stats["feedback_up"], stats["feedback_down"], stats["refusals"]) == (0, 1, 1)
    assert question_key("Người  đứng đầu?!") == "nguoi dung dau"
    log.close()
    again = QueryLog(tmp_path / "sub" / "q.db")  # survives reopening; a separate file from the index
    assert again.question(a) == "Người đứng đầu?"
    again.close()


def test_token_redaction(caplog):
    token = "987654321:AAH_secret-Token-value_1234567890abcdef"
    install_redaction(token)
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info('HTTP Request: POST https://api.telegram.org/bot%s/getMe "200 OK"', token)
    try:
        raise RuntimeError(f"failed https://api.telegram.org/bot{token}/getUpdates")
    except RuntimeError:
        logging.getLogger("bot.test").exception("boom")
    assert token not in caplog.text and REDACTED in caplog.text
    assert "secret-Token" not in caplog.text
    assert redact("bot123456:" + "A" * 35 + "/x") == f"bot{REDACTED}/x"
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    try:
        setup_logging(token)
        assert logging.getLogger("httpx").level == logging.WARNING
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
