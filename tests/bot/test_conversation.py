"""The conversation core, without Telegram: questions, buttons, commands, groups, admins, limits."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import messages as M
from bot.config import Config
from bot.conversation import (
    CONSOLE,
    Conversation,
    Incoming,
    RateLimiter,
    safe_file_name,
)
from bot.formatting import html_to_text
from bot.querylog import QueryLog
from indexer.store import build

from .bot_testkit import assert_telegram_html, button, buttons_of
from .conftest import ADMIN, OPEN, write_knowledge

USER = 1001
NONSENSE = "xyzzy qwerty plugh"


def private(text: str, user: int = USER) -> Incoming:
    return Incoming(user_id=user, chat_id=user, chat_type="private", text=text)


def group(text: str, user: int = USER, reply_to_bot: bool = False) -> Incoming:
    return Incoming(
        user_id=user, chat_id=-100500, chat_type="supergroup", text=text, reply_to_bot=reply_to_bot
    )


def all_callback_data(reply) -> list[str]:
    return [b.data for b in buttons_of(reply) if b.data]


def check_buttons(reply) -> None:
    for data in all_callback_data(reply):
        assert len(data.encode("utf-8")) <= 64 and data.isascii(), data


# -- answers
async def test_question_gets_cited_answer_with_bold_words(conv):
    reply = await conv.handle_message(private("Trách nhiệm của người đứng đầu là gì?"))
    text = reply.text_html
    assert_telegram_html(text)
    first = text.split("\n\n")[1]
    assert "Chỉ thị về tăng cường công tác dân vận" in first
    assert "<b>33/CT-TTg</b>" in first and "26/11/2021" in first
    assert "Điều 1. Trách nhiệm của người đứng đầu" in first
    assert "<b>đứng</b>" in first and "<b>đầu</b>" in first
    # the source is a link, its & escaped inside the attribute
    assert '<a href="https://vanban.chinhphu.vn/?pageid=27160&amp;docid=204594">' in first
    assert text.count("\n<b>") >= 1 and text.count("Số hiệu") <= 3
    labels = [b.text for b in buttons_of(reply)]
    assert M.BUTTON_LIKE in labels and M.BUTTON_DISLIKE in labels
    assert any(label.startswith(M.BUTTON_FULL) for label in labels)
    check_buttons(reply)


async def test_document_text_is_escaped(conv):
    reply = await conv.handle_message(private("tỷ lệ hài lòng đơn thư kéo dài"))
    assert_telegram_html(reply.text_html)
    # the passage says: tỷ lệ hài lòng <b>phải</b> đạt > 80% & không để đơn thư kéo dài
    assert "&lt;b&gt;phải&lt;/b&gt;" in reply.text_html
    assert "&gt; 80% &amp; không" in reply.text_html


async def test_question_text_is_escaped(conv):
    reply = await conv.handle_message(private("<script>alert(1)</script> người đứng đầu & dân vận"))
    assert "<script>" not in reply.text_html and "&lt;script&gt;" in reply.text_html
    assert_telegram_html(reply.text_html)


async def test_nothing_found_says_so_and_suggests(conv, querylog):
    reply = await conv.handle_message(private(NONSENSE))
    assert reply.text_html == M.NOTHING_FOUND_HTML.format(question=NONSENSE)
    assert "/vanban" in reply.text_html and "/danhsach" in reply.text_html
    assert not reply.buttons  # never unrelated passages
    assert querylog.stats()["unanswered"] == 1


async def test_low_confidence_result_is_not_presented(conv, monkeypatch):
    """Whatever the hits, a result the index is not confident about is not an answer."""
    searcher = await conv.open()
    real = searcher.search

    def unsure(*args, **kwargs):
        result = real(*args, **kwargs)
        result.confident = False
        return result

    monkeypatch.setattr(searcher, "search", unsure)
    reply = await conv.handle_message(private("trách nhiệm người đứng đầu"))
    assert reply.text_html.startswith("Chưa tìm thấy") and not reply.buttons


async def test_more_pages_edit_the_same_message(conv):
    first = await conv.handle_message(private("dân vận"))
    more = button(first, "m:")
    assert more.text == M.BUTTON_MORE
    second = await conv.handle_button(private(""), more.data)
    assert second.edit and "<b>4. " in second.text_html and "<b>1. " not in second.text_html
    assert_telegram_html(second.text_html)
    back = next(b for b in buttons_of(second) if b.text == M.BUTTON_BACK)
    again = await conv.handle_button(private(""), back.data)
    assert again.edit and "<b>1. " in again.text_html
    # beyond the last result: a notice, the message stays
    qid = more.data.split(":")[1]
    end = await conv.handle_button(private(""), f"m:{qid}:27")
    assert end.notice == M.NOTICE_NO_MORE and not end.text_html


async def test_full_text_is_paged(conv):
    reply = await conv.handle_message(private("phong trào thi đua dân vận khéo"))
    full = next(b for b in buttons_of(reply) if b.text.startswith(M.BUTTON_FULL))
    page = await conv.handle_button(private(""), full.data)
    assert not page.edit  # a new message; the answer stays
    assert_telegram_html(page.text_html)
    assert "Trang 2/2" in page.text_html  # Điều 4 is the 4th passage of 5: the second page
    assert "Dân vận khéo" in page.text_html and "Điều 5. Tổ chức thực hiện" in page.text_html
    previous = next(b for b in buttons_of(page) if b.text == M.BUTTON_PAGE_PREV)
    first = await conv.handle_button(private(""), previous.data)
    assert first.edit and "Trang 1/2" in first.text_html
    assert "Điều 1. Trách nhiệm của người đứng đầu" in first.text_html
    assert any(b.text == M.BUTTON_PAGE_NEXT for b in buttons_of(first))
    assert "vanban.chinhphu.vn" not in first.text_html  # the source closes the last page
    assert "vanban.chinhphu.vn" in page.text_html


async def test_vanban_by_short_name(conv):
    for query in ("CT 33", "33/CT-TTg", "chỉ thị 33", "33", "33/2021", "tăng cường công tác dân vận",
                  "chi thi tang cuong cong tac dan van", "hành chính nhà nước chính quyền"):
        reply = await conv.handle_message(private(f"/vanban {query}"))
        text = reply.text_html
        assert_telegram_html(text)
        assert "📄 <b>Chỉ thị về tăng cường công tác dân vận" in text
        for part in (
            "Số hiệu: <b>33/CT-TTg</b>",
            "Loại văn bản: Chỉ thị",
            "Cơ quan ban hành: Thủ tướng Chính phủ",
            "Ngày ban hành: 26/11/2021",
            "Số đoạn: 5",
            "vanban.chinhphu.vn",
            M.CARD_OPENING_HTML,
        ):
            assert part in text, part
        assert [b.text for b in buttons_of(reply)] == [M.BUTTON_FULL]


async def test_vanban_several_matches_are_listed(tmp_path):
    second = (
        "---\ntitle: Chỉ thị về phòng chống dịch bệnh\nnumber: 16/CT-TTg\nissued: 2020-03-31\n---\n\n"
        "Thực hiện cách ly toàn xã hội trong 15 ngày trên phạm vi toàn quốc.\n"
    )
    first = (
        "---\ntitle: Chỉ thị về đổi mới công tác dân vận\nnumber: 16/CT-TTg\nissued: 2016-05-16\n---\n\n"
        "Tăng cường và đổi mới công tác dân vận trong cơ quan hành chính nhà nước.\n"
    )
    knowledge = write_knowledge(tmp_path / "k", {"ct-16-2020.md": second, "ct-16-2016.md": first})
    build(knowledge, tmp_path / "i.db", visibility=OPEN)
    conv = Conversation(Config.for_paths(knowledge, tmp_path / "i.db", visibility=OPEN), QueryLog(tmp_path / "q.db"))
    reply = await conv.handle_message(private("/vanban CT 16"))
    assert reply.text_html.startswith("Có 2 văn bản")
    assert "31/03/2020" in reply.text_html and "16/05/2016" in reply.text_html
    labels = [b.text for b in buttons_of(reply)]
    assert labels == ["1. 16/CT-TTg (2020)", "2. 16/CT-TTg (2016)"]
    card = await conv.handle_button(private(""), buttons_of(reply)[1].data)
    assert "đổi mới công tác dân vận" in card.text_html and "Ngày ban hành: 16/05/2016" in card.text_html
    one = await conv.handle_message(private("/vanban chỉ thị 16 năm 2020"))
    assert "phòng chống dịch bệnh" in one.text_html and one.text_html.startswith("📄")
    missing = await conv.handle_message(private("/vanban 999/QĐ-TTg"))
    assert missing.text_html.startswith("Không tìm thấy văn bản")
    usage = await conv.handle_message(private("/vanban"))
    assert usage.text_html == M.VANBAN_USAGE_HTML


async def test_danhsach_pages(tmp_path):
    extra = {
        f"them/van-ban-{i:02d}.md": f"---\ntitle: Hướng dẫn số {i} về công tác dân vận ở cơ sở\n"
        f"number: {i}-HD/BDVTW\nissued: 2019-01-{i + 1:02d}\n---\n\nNội dung hướng dẫn thứ {i} "
        "về vận động quần chúng nhân dân.\n"
        for i in range(1, 8)
    }
    knowledge = write_knowledge(tmp_path / "k", extra)
    build(knowledge, tmp_path / "i.db", visibility=OPEN)
    conv = Conversation(Config.for_paths(knowledge, tmp_path / "i.db", visibility=OPEN), QueryLog(tmp_path / "q.db"))
    first = await conv.handle_message(private("/danhsach"))
    assert "(10) — trang 1/2" in first.text_html
    assert_telegram_html(first.text_html)
    assert first.text_html.count("<code>") == 8
    assert "Kế hoạch thực hiện công tác dân vận" in first.text_html  # newest first
    nxt = button(first, "l:")
    assert nxt.text == M.BUTTON_PAGE_NEXT
    second = await conv.handle_button(private(""), nxt.data)
    assert second.edit and "trang 2/2" in second.text_html and second.text_html.count("<code>") == 2
    assert [b.text for b in buttons_of(second) if b.data.startswith("l:")] == [M.BUTTON_PAGE_PREV]
    card = await conv.handle_button(private(""), button(second, "c:").data)
    assert card.text_html.startswith("📄") and not card.edit
    assert "trang 2/2" in (await conv.handle_message(private("/danhsach 2"))).text_html


async def test_about_and_help(conv):
    about = await conv.handle_message(private("/gioithieu"))
    assert "3 văn bản" in about.text_html
    help_ = await conv.handle_message(private("/help"))
    assert "/vanban" in help_.text_html and "@danvan_test_bot" in help_.text_html
    assert M.ADMIN_HELP_HTML not in help_.text_html
    admin_help = await conv.handle_message(private("/start", user=ADMIN))
    assert admin_help.text_html.endswith(M.ADMIN_HELP_HTML)
    for reply in (about, help_, admin_help):
        assert_telegram_html(reply.text_html)
    assert (await conv.handle_message(private("/khong_co"))).text_html == M.UNKNOWN_COMMAND_HTML
    assert (await conv.handle_message(private("/hỏi người đứng đầu"))).text_html.startswith("🔎")


async def test_feedback_is_recorded(conv, querylog):
    reply = await conv.handle_message(group("/hoi trách nhiệm người đứng đầu"))
    like = next(b for b in buttons_of(reply) if b.text == M.BUTTON_LIKE)
    dislike = next(b for b in buttons_of(reply) if b.text == M.BUTTON_DISLIKE)
    assert (await conv.handle_button(group(""), like.data)).notice == M.NOTICE_THANKS
    await conv.handle_button(group("", user=7), dislike.data)  # another member of the group
    await conv.handle_button(group("", user=7), like.data)  # changed their mind
    assert querylog.feedback_totals() == (2, 0)
    assert (await conv.handle_button(private(""), "v:9999:+")).notice == M.NOTICE_STALE
    # a forged press from another chat counts for nothing
    assert (await conv.handle_button(private("", user=8), dislike.data)).notice == M.NOTICE_STALE
    assert querylog.feedback_totals() == (2, 0)


@pytest.mark.parametrize(
    "data",
    ["", "x", "m:abc:0", "m:1", "f:999999", "c:999999", "f:1:2:3", "v:1:?", "m:99999:0", "l:x", "💥:1"],
)
async def test_bad_or_stale_buttons(conv, data):
    reply = await conv.handle_button(private(""), data)
    assert reply.notice == M.NOTICE_STALE and not reply.text_html


# -- groups
async def test_group_answers_only_when_addressed(conv):
    assert await conv.handle_message(group("Chiều nay họp mấy giờ các đồng chí?")) is None
    assert await conv.handle_message(group("/hoi@another_bot người đứng đầu")) is None
    assert await conv.handle_message(group("/start@another_bot")) is None
    assert await conv.handle_message(group("/lenh_cua_bot_khac")) is None
    assert await conv.handle_message(group("/start")) is None  # maybe for another bot
    assert "/vanban" in (await conv.handle_message(group("/help@danvan_test_bot"))).text_html
    for msg in (
        group("/hoi người đứng đầu"),
        group("/hoi@danvan_test_bot người đứng đầu"),
        group("/hoi@DanVan_Test_Bot người đứng đầu"),
        group("@danvan_test_bot người đứng đầu?"),
        group("cho hỏi @danvan_test_bot: trách nhiệm người đứng đầu"),
        group("thế còn trách nhiệm người đứng đầu?", reply_to_bot=True),
    ):
        reply = await conv.handle_message(msg)
        assert reply is not None and "Trách nhiệm của người đứng đầu" in reply.text_html, msg.text
        assert "@danvan_test_bot" not in reply.text_html.split("\n")[0]
    empty = await conv.handle_message(group("@danvan_test_bot"))
    assert "Đồng chí cần hỏi gì" in empty.text_html
    usage = await conv.handle_message(group("/hoi@danvan_test_bot"))
    assert "/hoi@danvan_test_bot" in usage.text_html
    assert await conv.handle_message(group("email tới @danvan_test_bot_cu nhé")) is None


# -- inline
async def test_inline_offers_cited_passages(conv):
    answer = await conv.handle_inline(private(""), "tiếp công dân đối thoại với nhân dân")
    assert answer.items and not answer.button_text
    item = answer.items[0]
    assert item.title.startswith("33/CT-TTg — Chỉ thị")
    assert_telegram_html(item.text_html)
    assert "<blockquote>" in item.text_html and "<b>tiếp</b>" in item.text_html
    assert "vanban.chinhphu.vn" in item.text_html and "26/11/2021" in item.text_html
    assert len({i.id for i in answer.items}) == len(answer.items)
    nothing = await conv.handle_inline(private(""), NONSENSE)
    assert nothing.items == [] and nothing.button_text == M.INLINE_NOTHING_BUTTON
    empty = await conv.handle_inline(private(""), "  ")
    assert empty.items == [] and empty.button_text == M.INLINE_HELP_BUTTON


# -- limits
async def test_reply_never_exceeds_telegram_limit(tmp_path):
    huge_title = 'Quy định <đặc biệt> & "dài" về dân vận ' * 120
    sentence = " ".join(["người đứng đầu & <cán bộ> dân vận"] * 900)  # one ~30,000-character sentence
    text = (
        f"---\ntitle: '{huge_title.replace(chr(39), '')}'\nnumber: 1/QĐ-X\nissued: 2020-01-01\n"
        f"source: https://example.org/{'a' * 3000}\n---\n\nĐiều 1. {'Tiêu đề rất dài ' * 15}\n\n{sentence}\n"
    )
    knowledge = write_knowledge(tmp_path / "k", {"dai.md": text})
    build(knowledge, tmp_path / "i.db", visibility=OPEN)
    conv = Conversation(Config.for_paths(knowledge, tmp_path / "i.db", visibility=OPEN), QueryLog(tmp_path / "q.db"))
    replies = [await conv.handle_message(private("người đứng đầu cán bộ dân vận " * 40))]
    replies.append(await conv.handle_message(private("/vanban 1/QĐ-X")))
    replies.append(await conv.handle_button(private(""), button(replies[0], "f:").data))
    replies.append(await conv.handle_message(private("/danhsach")))
    for reply in replies:
        assert reply.text_html
        assert_telegram_html(reply.text_html)
        check_buttons(reply)
    answer = await conv.handle_inline(private(""), "người đứng đầu cán bộ")
    for item in answer.items:
        assert_telegram_html(item.text_html)
    assert "<b>người</b>" in replies[0].text_html


QUESTION_PIECES = list("aăâđêôơư áàảãạ ếềểễệ ọồ<>&\"'/:0123456789 ") + [
    "người ",
    "đứng ",
    "đầu ",
    "dân vận ",
    "CT 33 ",
    "khéo ",
    "@danvan_test_bot",
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.lists(st.sampled_from(QUESTION_PIECES), min_size=1, max_size=80).map("".join))
def test_callback_data_fits_and_html_is_valid_for_any_question(conv, question):
    async def run():
        reply = await conv.handle_message(private(question))
        if reply is None:
            return
        assert_telegram_html(reply.text_html)
        check_buttons(reply)
        for data in all_callback_data(reply)[:2]:
            pressed = await conv.handle_button(private(""), data)
            check_buttons(pressed)
            if pressed.text_html:
                assert_telegram_html(pressed.text_html)

    asyncio.run(run())


async def test_rate_limit_warns_once_then_stays_silent(config, querylog):
    now = [1000.0]
    conv = Conversation(
        Config.for_paths(config.knowledge, config.db, rate_limit=3, admins=frozenset({ADMIN})),
        querylog,
        bot_username="danvan_test_bot",
        clock=lambda: now[0],
    )
    for _ in range(3):
        assert (await conv.handle_message(group("/hoi dân vận"))).text_html.startswith("🔎")
    warn = await conv.handle_message(group("/hoi dân vận"))
    assert "vui lòng chờ khoảng 60 giây" in warn.text_html
    assert await conv.handle_message(group("/hoi dân vận")) is None
    assert await conv.handle_message(group("@danvan_test_bot dân vận")) is None
    assert (await conv.handle_message(group("/hoi dân vận", user=2002))).text_html.startswith(
        "🔎"
    )  # others fine
    for _ in range(5):
        assert (await conv.handle_message(group("/hoi dân vận", user=ADMIN))).text_html.startswith("🔎")
    # chatter does not count
    assert await conv.handle_message(group("hôm nay trời đẹp")) is None
    now[0] += 61
    assert (await conv.handle_message(group("/hoi dân vận"))).text_html.startswith("🔎")


def test_rate_limiter_window():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.check(1)[0] for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    now[0] = 30
    assert limiter.check(1) == ("drop", 30)
    now[0] = 60.5
    assert limiter.check(1)[0] == "ok"
    assert limiter.check(1)[0] == "ok"
    assert limiter.check(1)[0] == "warn"
    assert RateLimiter(0).check(1) == ("ok", 0)


# -- administration
def snapshot(config: Config) -> tuple:
    files = sorted(
        (p.relative_to(config.knowledge).as_posix(), p.read_bytes())
        for p in config.knowledge.rglob("*")
        if p.is_file()
    )
    stat = config.db.stat()
    return files, stat.st_ino, stat.st_mtime_ns


async def test_non_admins_are_refused_and_nothing_changes(conv, config, querylog):
    before = snapshot(config)
    fetched = []

    async def fetch():
        fetched.append(True)
        return b"# Tai lieu\n\nNoi dung tai lieu moi ve dan van.\n"

    for reply in (
        await conv.handle_message(private("/reindex")),
        await conv.handle_message(private("/xoa ke-hoach-xa")),
        await conv.handle_message(private("/thongke")),
        await conv.handle_message(group("/reindex@danvan_test_bot")),
        await conv.handle_upload(private(""), "moi.md", 40, fetch),
    ):
        assert reply.text_html == M.ADMIN_ONLY_HTML and reply.followup is None
    assert not fetched
    assert snapshot(config) == before
    refused = querylog.events("refused")
    assert len(refused) == 5 and {e["user_id"] for e in refused} == {USER}
    assert "upload 'moi.md'" in refused[-1]["detail"]


async def test_reindex_reports_in_background(conv, config):
    (config.knowledge / "moi.md").write_text(
        "---\ntitle: Hướng dẫn mới về dân vận\nnumber: 7-HD/BDVTW\n---\n\n"
        "Nội dung về mô hình phường văn minh sạch đẹp.\n",
        encoding="utf-8",
    )
    (config.knowledge / "hong.pdf").write_bytes(b"%PDF-1.4 not really")
    reply = await conv.handle_message(private("/reindex", user=ADMIN))
    assert reply.text_html == M.REINDEX_STARTED_HTML and reply.followup is not None
    again = await conv.handle_message(private("/reindex", user=ADMIN))
    assert again.text_html == M.REINDEX_RUNNING_HTML
    done = await reply.followup
    assert_telegram_html(done.text_html)
    assert done.text_html.startswith("✅ <b>Đã lập lại chỉ mục</b>")
    assert (
        "Văn bản: 4 · Đoạn:" in done.text_html and "Mới: 1" in done.text_html and "Lỗi: 1" in done.text_html
    )
    assert "<code>hong.pdf</code>" in done.text_html
    found = await conv.handle_message(private("phường văn minh sạch đẹp"))
    assert "Hướng dẫn mới về dân vận" in found.text_html


async def test_admin_upload_saves_indexes_and_confirms(conv, config):
    data = (
        "---\ntitle: Quy chế dân chủ ở thôn Đông\nnumber: 12/QC-UBND\nissued: 2024-05-02\n---\n\n"
        "Điều 1. Họp thôn\n\nHọp thôn bàn việc làm đường bê tông liên xóm theo phương châm nhà nước và "
        "nhân dân cùng làm.\n"
    )

    async def fetch():
        return data.encode("utf-8")

    reply = await conv.handle_upload(private("", ADMIN), "../../quy che/thon Đông.md", len(data), fetch)
    assert_telegram_html(reply.text_html)
    assert reply.text_html.startswith("✅ Đã lưu và lập chỉ mục <code>thon-Đông.md</code>")
    assert "Quy chế dân chủ ở thôn Đông" in reply.text_html and "12/QC-UBND" in reply.text_html
    assert (config.knowledge / "thon-Đông.md").read_text(encoding="utf-8") == data
    assert not (config.knowledge.parent / "thon-Đông.md").exists()
    answer = await conv.handle_message(private("làm đường bê tông liên xóm"))
    assert "Quy chế dân chủ ở thôn Đông" in answer.text_html
    # the same name again: replaces the old version
    data = data.replace("bê tông", "nhựa")
    again = await conv.handle_upload(private("", ADMIN), "thon Đông.md", len(data), fetch)
    assert "(thay bản cũ)" in again.text_html
    assert "nhựa" in (config.knowledge / "thon-Đông.md").read_text(encoding="utf-8")


async def test_upload_checks_type_size_and_failures(conv, config):
    async def fetch_bytes(data):
        async def fetch():
            return data

        return fetch

    admin = private("", ADMIN)
    before = sorted(p.name for p in config.knowledge.rglob("*"))
    exe = await conv.handle_upload(admin, "virus.exe", 10, await fetch_bytes(b"MZ"))
    assert exe.text_html.startswith("❌ Không nhận tệp <code>virus.exe</code>: định dạng .exe chưa được hỗ trợ")
    assert ".docx" in exe.text_html
    big = await conv.handle_upload(admin, "to.pdf", 21 * 1024 * 1024, await fetch_bytes(b""))
    assert big.text_html == "❌ Không nhận tệp <code>to.pdf</code>: tệp quá lớn (21,0 MB, giới hạn 20,0 MB)."
    bad_name = await conv.handle_upload(admin, "...", 3, await fetch_bytes(b"abc"))
    assert bad_name.text_html == M.UPLOAD_REJECTED_HTML.format(name="...", reason=M.UPLOAD_REASON_BAD_NAME)
    empty = await conv.handle_upload(admin, "rong.md", 0, await fetch_bytes(b""))
    assert empty.text_html == M.UPLOAD_REJECTED_HTML.format(name="rong.md", reason=M.UPLOAD_REASON_EMPTY)
    broken = await conv.handle_upload(admin, "hong.docx", 20, await fetch_bytes(b"this is not a zip file"))
    assert broken.text_html.startswith("❌ Không nhận tệp <code>hong.docx</code>")
    assert ".docx bị hỏng" in broken.text_html
    # a failing new version of an existing document leaves the old one in place
    old = (config.knowledge / "ke-hoach-xa.md").read_bytes()
    failed = await conv.handle_upload(admin, "ke-hoach-xa.md", 4, await fetch_bytes(b"\x00\x01\x02\x03"))
    assert failed.text_html.startswith("❌")
    assert (config.knowledge / "ke-hoach-xa.md").read_bytes() == old
    assert sorted(p.name for p in config.knowledge.rglob("*")) == before
    assert "Minh Hòa" in (await conv.handle_message(private("/vanban 45/KH-UBND"))).text_html
    group_upload = await conv.handle_upload(group("", ADMIN), "a.md", 3, await fetch_bytes(b"abc"))
    assert group_upload is None


async def test_upload_without_passages_is_flagged(conv, config):
    data = "Điều 1. Họp thôn bàn việc làm đường theo phương châm nhà nước và nhân dân cùng làm.\n".encode()

    async def fetch():
        return data

    reply = await conv.handle_upload(private("", ADMIN), "chi-tieu-de.md", len(data), fetch)
    assert reply.text_html.startswith("✅")
    searcher = await conv.open()
    empty = searcher.document("chi-tieu-de").n_passages == 0
    assert (M.UPLOAD_NO_PASSAGES_HTML in reply.text_html) == empty


async def test_admin_deletes_a_document(conv, config):
    assert (await conv.handle_message(private("/xoa", user=ADMIN))).text_html == M.DELETE_USAGE_HTML
    missing = await conv.handle_message(private("/xoa khong-co", user=ADMIN))
    assert missing.text_html.startswith("Không có văn bản mã")
    reply = await conv.handle_message(private("/xoa ke-hoach-xa", user=ADMIN))
    assert_telegram_html(reply.text_html)
    assert reply.text_html.startswith("🗑 Đã xóa văn bản <b>Kế hoạch thực hiện")
    assert "Đã xóa: 1" in reply.text_html
    assert not (config.knowledge / "ke-hoach-xa.md").exists()
    assert "Không tìm thấy" in (await conv.handle_message(private("/vanban 45/KH-UBND"))).text_html
    # no guess on what to delete: a bare number or a sentence that names a document deletes nothing
    for loose in ("10", "Điều 5 Luật 10/2022", "luật 10"):
        assert (await conv.handle_message(private(f"/xoa {loose}", user=ADMIN))).text_html.startswith(
            "Không có văn bản mã"), loose
    by_number = await conv.handle_message(private("/xoa 10/2022/QH15", user=ADMIN))
    assert "Luật Thực hiện dân chủ ở cơ sở" in by_number.text_html


async def test_stats(conv, querylog):
    for q in ("người đứng đầu", "Người đứng đầu!", "dân vận khéo", NONSENSE):
        await conv.handle_message(private(q))
    reply = await conv.handle_message(private("trách nhiệm người đứng đầu"))
    await conv.handle_button(private(""), button(reply, "v:").data)
    await conv.handle_message(private("/thongke", user=9))  # refused, counted
    stats = await conv.handle_message(private("/thongke", user=ADMIN))
    text = html_to_text(stats.text_html)
    assert_telegram_html(stats.text_html)
    assert "Chỉ mục: 3 văn bản" in text
    assert "Câu hỏi: 5 (từ 1 người) · Không tìm thấy: 1 · Từ chối quyền: 1" in text
    assert "Góp ý: 👍 1 · 👎 0" in text
    assert "1. Người đứng đầu! (2)" in text
    unanswered = text.split("Chưa tìm thấy câu trả lời:")[1]
    assert NONSENSE in unanswered and "dân vận khéo" not in unanswered


async def test_console_user_is_admin(conv):
    reply = await conv.handle_message(Incoming(0, 0, CONSOLE, "/thongke"))
    assert reply.text_html.startswith(M.STATS_HEADER_HTML)


def test_allowed_chats(config, querylog):
    open_conv = Conversation(config, querylog)
    assert open_conv.allowed(-1, 5) and open_conv.allowed(None, None)
    conv = Conversation(
        Config.for_paths(
            config.knowledge, config.db, admins=frozenset({ADMIN}), allowed_chats=frozenset({-100500, 1001})
        ),
        querylog,
    )
    assert conv.allowed(-100500, 7) and conv.allowed(1001, 1001)
    assert not conv.allowed(-999, 1001) and not conv.allowed(7, 7)
    assert conv.allowed(None, 1001) and conv.allowed(None, ADMIN) and not conv.allowed(None, 7)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ke-hoach.docx", "ke-hoach.docx"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\x.pdf", "x.pdf"),
        ("/abs/path/Kế hoạch 2024.txt", "Kế-hoạch-2024.txt"),
        (".hidden.md", "hidden.md"),
        ("a<b>:c|d?.html", "abcd.html"),
        ("..", None),
        ("", None),
        ("noext", None),
        (".md", None),
        ("../", None),
    ],
)
def test_safe_file_name(name, expected):
    assert safe_file_name(name) == expected


def test_safe_file_name_never_escapes():
    for name in ("../a.md", "a/../../b.md", "C:\\x\\..\\y.md", "\x00.md", "x/./y.md", "~/z.md"):
        safe = safe_file_name(name)
        assert safe is None or ("/" not in safe and "\\" not in safe and not safe.startswith("."))
    assert len(safe_file_name("ả" * 300 + ".md").encode()) <= 180
    assert re.fullmatch(r"ả+\.md", safe_file_name("ả" * 300 + ".md"))


async def test_a_document_the_bot_lacks_is_named_in_the_answer(conv, querylog):
    """A question about a document number no document has says so, instead of the general 'not found'."""
    reply = await conv.handle_message(private("Nghị định 77/2031 quy định gì về tiếp công dân?"))
    assert reply.text_html == M.DOCUMENT_MISSING_HTML.format(question="Nghị định 77/2031 quy định gì về tiếp công dân?")
    assert "/danhsach" in reply.text_html and not reply.buttons
    assert querylog.stats()["unanswered"] == 1
    assert (await conv.handle_message(private(NONSENSE))).text_html == M.NOTHING_FOUND_HTML.format(question=NONSENSE)
    # a year after the type word is no document number the bot lacks; nor is "pháp luật" a law's type word
    for question in ("luật 2022 về dân chủ ở cơ sở có những nội dung gì", "Ban Thanh tra nhân dân theo pháp luật 2022"):
        reply = await conv.handle_message(private(question))
        assert reply.text_html != M.DOCUMENT_MISSING_HTML.format(question=question)
    reply = await conv.handle_message(private("luật 2022 về dân chủ ở cơ sở có những nội dung gì"))
    assert "Luật" in reply.text_html and reply.buttons  # the law is found by its year


async def test_help_says_accents_are_optional_and_shorthand_works(conv):
    """/help invites questions typed on a phone: accents optional, abbreviations and short numbers understood
    (and they are: each example the help gives finds its passage)."""
    text = html_to_text((await conv.handle_message(private("/help"))).text_html)
    assert "có dấu hoặc không dấu đều được" in text
    assert "bằng tiếng Việt có dấu." not in text
    for shorthand in ("UBND", "HĐND", "MTTQ", '"NĐ 59"', '"CT 33"'):
        assert shorthand in text, shorthand
    for question in ("trach nhiem nguoi dung dau", "UBND tiếp công dân", "CT 33 phong trào thi đua"):
        reply = await conv.handle_message(private(question))
        assert reply.text_html.startswith("🔎") and "33/CT-TTg" in reply.text_html, question


async def test_admin_help_lists_every_accepted_file_type(conv):
    """Every suffix the indexer reads (one spelling of each: .jpg for .jpeg) is named in the admins' /help,
    and links are mentioned; spreadsheets, which are refused, are not offered."""
    from indexer.documents import SUPPORTED, UNSUPPORTED_DOCUMENTS

    text = (await conv.handle_message(private("/help", user=ADMIN))).text_html
    admin = text[text.index("Quản trị viên"):]
    same = {".jpeg": ".jpg", ".tiff": ".tif", ".markdown": ".md", ".htm": ".html"}
    for suffix in SUPPORTED:
        shown = same.get(suffix, suffix)
        assert re.search(re.escape(shown) + r"(?![a-z])", admin), suffix
    for suffix in UNSUPPORTED_DOCUMENTS:
        assert not re.search(re.escape(suffix) + r"(?![a-z])", admin), suffix
    assert "https://" in admin  # a news page is added by sending its link


async def test_answers_do_not_claim_verbatim_quotes(tmp_path):
    """The bundled fact cards are paraphrases written by the project, not the documents' text: an answer from
    one, /help and /gioithieu must not call what they show 'nguyên văn' (verbatim)."""
    from indexer.search import default_knowledge_dir

    knowledge = tmp_path / "k"
    knowledge.mkdir()
    card = default_knowledge_dir() / "van-ban-chinh" / "ct-33-2021-ct-ttg.md"
    (knowledge / card.name).write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    build(knowledge, tmp_path / "i.db", visibility=OPEN)
    conv = Conversation(Config.for_paths(knowledge, tmp_path / "i.db", visibility=OPEN), QueryLog(tmp_path / "q.db"))
    answer = await conv.handle_message(private("Chỉ thị 33 yêu cầu gì về tiếp công dân, đối thoại với nhân dân?"))
    assert answer.text_html.startswith("🔎") and "33/CT-TTg" in answer.text_html
    assert "diễn đạt lại" in (card.read_text(encoding="utf-8"))  # the card says what it is
    assert answer.text_html.endswith(M.ANSWER_FOOTER_HTML)
    assert "Đoạn trích từ văn bản đã lập chỉ mục" in M.ANSWER_FOOTER_HTML
    assert "đối chiếu văn bản gốc" in M.ANSWER_FOOTER_HTML
    help_ = await conv.handle_message(private("/help"))
    about = await conv.handle_message(private("/gioithieu"))
    for reply in (answer, help_, about):
        assert "nguyên văn" not in reply.text_html, reply.text_html[-300:]


# -- small talk
GREETINGS = ["chào bot", "xin chào", "chao ban", "Chào bot!", "Xin chào ạ", "chào bạn nhé 😊", "hello bot",
             "Em chào bot ạ", "xin chào các đồng chí", "  Chào   BOT  ! ", "Chào bot ơi", "Cháu chào bác ạ"]
THANKS = ["cảm ơn", "cam on bot nhe", "cảm ơn bot nhé", "Cảm ơn nhiều!", "cám ơn bạn nha 🙏", "thanks",
          "thank you bot", "ok cảm ơn", "xin cảm ơn ạ", "cảm ơn bot rất nhiều 👍🏻", "Cảm ơn cô ạ", "Thanks a lot"]
ACKS = ["ok", "👍", "OK!", "oke nha", "👍🏻", "vâng ạ", "ok bot"]
NOT_SMALL_TALK = [
    "chào cờ đầu tuần",
    "Chào bot, trách nhiệm người đứng đầu là gì?",
    "Cảm ơn bot, cho hỏi tiếp công dân định kỳ thế nào?",
    "thư cảm ơn nhân dân",
    "ok vậy trách nhiệm người đứng đầu",
    "chào mừng ngày thành lập Mặt trận",
    "???",
    # a short question whose words, folded, look like "chị", "tôi", "dạ": typed with accents it is read as written
    "Chi tối đa?",
    "chi toi da",
    "Đã chi",
    "mỗi người tối đa?",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(t, "greeting") for t in GREETINGS] + [(t, "thanks") for t in THANKS] + [(t, "ack") for t in ACKS],
)
async def test_small_talk_gets_a_short_reply_not_a_search(conv, querylog, text, expected):
    reply = await conv.handle_message(private(text))
    want = {"greeting": M.SMALLTALK_GREETING_HTML.format(help="/help"), "thanks": M.SMALLTALK_THANKS_HTML,
            "ack": M.SMALLTALK_ACK_HTML}[expected]
    assert reply.text_html == want, (text, reply.text_html[:200])
    assert not reply.buttons
    assert_telegram_html(reply.text_html)
    assert querylog.stats()["questions"] == 0  # not a question: neither asked nor unanswered in /thongke


async def test_greeting_says_what_the_bot_does_and_points_to_help(conv):
    text = (await conv.handle_message(private("xin chào"))).text_html
    assert "đồng chí" in text and "dân vận" in text and "/help" in text
    assert "Chưa tìm thấy" not in text
    thanks = (await conv.handle_message(private("cảm ơn bot nhé"))).text_html
    assert "Không có gì" in thanks and "Chưa tìm thấy" not in thanks


@pytest.mark.parametrize("text", NOT_SMALL_TALK)
async def test_questions_that_start_with_a_greeting_are_still_searched(conv, querylog, text):
    reply = await conv.handle_message(private(text))
    assert reply.text_html not in (
        M.SMALLTALK_GREETING_HTML.format(help="/help"), M.SMALLTALK_THANKS_HTML, M.SMALLTALK_ACK_HTML
    )
    assert reply.text_html.startswith(("🔎", "Chưa tìm thấy")), reply.text_html[:200]
    assert querylog.stats()["questions"] == 1


async def test_small_talk_in_a_group_only_when_addressed(conv, querylog):
    assert await conv.handle_message(group("chào bot")) is None
    assert await conv.handle_message(group("cảm ơn các đồng chí")) is None
    hello = await conv.handle_message(group("@danvan_test_bot chào bot"))
    assert hello.text_html == M.SMALLTALK_GREETING_HTML.format(help="/help@danvan_test_bot")  # a bare /help is
    thanks = await conv.handle_message(group("cảm ơn nhé", reply_to_bot=True))       # ignored in a group
    assert thanks.text_html == M.SMALLTALK_THANKS_HTML
    assert (await conv.handle_message(group("/hoi@danvan_test_bot cảm ơn"))).text_html == M.SMALLTALK_THANKS_HTML
    assert querylog.stats()["questions"] == 0
