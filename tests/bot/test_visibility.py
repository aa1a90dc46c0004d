"""Issue 8, who may see what: for every way out of the bot (answers, Xem thêm, Toàn văn, cards, /vanban,
/danhsach, /gioithieu, inline, buttons pressed elsewhere, the terminal chat, the command line), an outsider
tries to get internal and restricted passages out and fails; members and audiences get what is theirs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot import messages as M
from bot.access import chat_viewer, user_viewer, viewer_for
from bot.config import Config
from bot.conversation import CONSOLE, Conversation, Incoming
from bot.formatting import esc, html_to_text
from bot.querylog import QueryLog
from indexer.store import build
from indexer.visibility import Viewer

from .bot_testkit import assert_telegram_html, buttons_of
from .conftest import ADMIN, write_knowledge
from .visibility_world import (
    BDV_GROUP,
    BDV_USER,
    HIDDEN,
    INTERNAL,
    MEMBER,
    MEMBER_GROUP,
    OUTSIDER,
    PUBLIC_GROUP,
    RESTRICTED,
    UBKT_USER,
    assert_no_leak,
    write_world,
)


def private(text: str, user: int) -> Incoming:
    return Incoming(user_id=user, chat_id=user, chat_type="private", text=text)


def in_group(text: str, chat: int, user: int = OUTSIDER) -> Incoming:
    return Incoming(user_id=user, chat_id=chat, chat_type="supergroup", text=text)


def press(user: int, chat: int | None = None) -> Incoming:
    """Who presses a button, where (None: their private chat)."""
    if chat is None:
        return Incoming(user_id=user, chat_id=user, chat_type="private")
    return Incoming(user_id=user, chat_id=chat, chat_type="supergroup")


@pytest.fixture
def world(tmp_path):
    config = write_world(tmp_path)
    log = QueryLog(config.querylog)
    conv = Conversation(config, log, bot_username="danvan_test_bot")
    yield conv
    conv.close()
    log.close()


async def ask_all(conv, make) -> dict[str, str]:
    return {d: (await conv.handle_message(make(q))).text_html for d, (q, _) in HIDDEN.items()}


def found(text: str, doc: str) -> bool:
    return any(m in text for m in HIDDEN[doc][1])


# -- who is whom ----------------------------------------------------------------------------------------------
def test_rights_from_the_config(world):
    config = world.config
    assert user_viewer(config, OUTSIDER) == Viewer.public()
    assert user_viewer(config, MEMBER) == Viewer.member()
    assert user_viewer(config, BDV_USER) == Viewer.member({"bdv"})
    assert user_viewer(config, UBKT_USER) == Viewer.member({"ubkt"})
    assert user_viewer(config, ADMIN) == Viewer.everything()
    assert chat_viewer(config, PUBLIC_GROUP) == Viewer.public()
    assert chat_viewer(config, MEMBER_GROUP) == Viewer.member()
    assert chat_viewer(config, BDV_GROUP) == Viewer.member({"bdv"})
    # a group's rights, never the asker's; inline and unknown places: public
    assert viewer_for(config, ADMIN, PUBLIC_GROUP, "group") == Viewer.public()
    assert viewer_for(config, ADMIN, ADMIN, "inline") == Viewer.public()
    assert viewer_for(config, BDV_USER, 555, "private") == Viewer.public()  # a private chat not with the bot
    assert viewer_for(config, ADMIN, -100999, "channel") == Viewer.public()


def test_members_of_allowed_chats_see_internal(world):
    from dataclasses import replace

    config = replace(world.config, allowed_chats=frozenset({OUTSIDER, PUBLIC_GROUP}))
    assert user_viewer(config, OUTSIDER) == Viewer.member() and chat_viewer(config, PUBLIC_GROUP) == Viewer.member()


# -- answers ----------------------------------------------------------------------------------------------------
async def test_private_answers_follow_the_askers_rights(world):
    expected = {
        OUTSIDER: set(),
        MEMBER: set(INTERNAL),
        BDV_USER: set(INTERNAL) | {"ban-dan-van/de-an"},
        UBKT_USER: set(INTERNAL) | {"ubkt/tà-xùa"},
        ADMIN: set(HIDDEN),
    }
    for user, allowed in expected.items():
        replies = await ask_all(world, lambda q, user=user: private(q, user))
        for doc, text in replies.items():
            assert_telegram_html(text)
            if doc in allowed:
                assert found(text, doc), (user, doc, text[:300])
                mark = M.MARK_RESTRICTED if doc in RESTRICTED else M.MARK_INTERNAL
                assert mark in text
            else:
                assert_no_leak(text, [doc])
                if doc != "ke-hoach-xa":  # (its question also fits a public directive, which answers it)
                    # exactly what a question about nothing gets: no hint that something was withheld
                    question = HIDDEN[doc][0]
                    assert text == M.NOTHING_FOUND_HTML.format(question=esc(question)), (user, doc, text[:300])


async def test_group_answers_follow_the_groups_rights_not_the_askers(world):
    for chat, allowed in (
        (PUBLIC_GROUP, set()),
        (MEMBER_GROUP, set(INTERNAL)),
        (BDV_GROUP, set(INTERNAL) | {"ban-dan-van/de-an"}),
    ):
        for asker in (ADMIN, BDV_USER, OUTSIDER):
            for doc, (question, _) in HIDDEN.items():
                text = (await world.handle_message(in_group(f"/hoi@danvan_test_bot {question}", chat, asker))).text_html
                assert found(text, doc) == (doc in allowed), (chat, asker, doc, text[:300])
                if doc not in allowed:
                    assert_no_leak(text, [doc])
    # a mention and a reply to the bot go the same way
    question = HIDDEN["ben-loi"][0]
    mention = await world.handle_message(in_group(f"@danvan_test_bot {question}", PUBLIC_GROUP, ADMIN))
    reply = Incoming(ADMIN, PUBLIC_GROUP, "supergroup", question, reply_to_bot=True)
    for text in (mention.text_html, (await world.handle_message(reply)).text_html):
        assert text.startswith("Chưa tìm thấy") and "88/PA-UBND" not in text


async def test_public_answers_still_fill_a_page(world):
    """Filtering happens inside the top-k: an outsider's page is full of public passages, not emptied by
    hidden ones that score higher."""
    reply = await world.handle_message(private("công tác dân vận nhân dân", OUTSIDER))
    assert "<b>1. " in reply.text_html and "<b>3. " in reply.text_html
    assert_no_leak(reply.text_html)


# -- Xem thêm ---------------------------------------------------------------------------------------------------
async def test_more_pages_never_show_hidden_passages(world):
    for user in (OUTSIDER, MEMBER):
        reply = await world.handle_message(private("dân vận", user))
        seen = reply.text_html
        while True:
            more = [b for b in buttons_of(reply) if b.data.startswith("m:") and b.text == M.BUTTON_MORE]
            if not more:
                break
            reply = await world.handle_button(press(user), more[0].data)
            if not reply.text_html:
                break
            seen += reply.text_html
        if user == OUTSIDER:
            assert_no_leak(seen)
        else:
            assert_no_leak(seen, list(RESTRICTED))


async def test_more_pressed_in_another_chat_is_stale(world):
    reply = await world.handle_message(in_group("/hoi@danvan_test_bot dân vận", MEMBER_GROUP, MEMBER))
    more = next(b.data for b in buttons_of(reply) if b.data.startswith("m:"))
    for who in (press(OUTSIDER), press(OUTSIDER, PUBLIC_GROUP), press(MEMBER)):
        assert (await world.handle_button(who, more)).notice == M.NOTICE_STALE


# -- Toàn văn and cards ----------------------------------------------------------------------------------------
async def _hidden_buttons(conv) -> dict[str, list[str]]:
    """The f: and c: buttons an admin gets for every hidden document (ids an outsider could guess or be
    forwarded)."""
    out = {}
    for doc, (question, _) in HIDDEN.items():
        reply = await conv.handle_message(private(question, ADMIN))
        full = next(b.data for b in buttons_of(reply) if b.data.startswith("f:"))
        pid = full.split(":")[1]
        out[doc] = [f"f:{pid}", f"f:{pid}:0", f"f:{pid}:1", f"c:{pid}"]
    return out


async def test_full_text_and_cards_refused_like_missing_ones(world):
    buttons = await _hidden_buttons(world)
    missing = await world.handle_button(press(OUTSIDER), "f:987654")
    assert missing.notice == M.NOTICE_STALE and not missing.text_html
    places = [(OUTSIDER, None), (ADMIN, PUBLIC_GROUP), (MEMBER, PUBLIC_GROUP), (MEMBER, None), (BDV_USER, MEMBER_GROUP)]
    for user, chat in places:
        viewer = world.viewer(press(user, chat))
        for doc, datas in buttons.items():
            allowed = doc not in RESTRICTED and viewer.level >= 1 or viewer.all_documents or (
                doc in RESTRICTED and RESTRICTED[doc] in viewer.audiences)
            for data in datas:
                reply = await world.handle_button(press(user, chat), data)
                if allowed:
                    assert reply.text_html and found(reply.text_html, doc), (user, chat, doc, data)
                else:
                    assert (reply.text_html, reply.notice, reply.buttons) == ("", M.NOTICE_STALE, []), (user, doc)
    # the restricted document's owners read it, marked
    page = await world.handle_button(press(BDV_USER), buttons["ban-dan-van/de-an"][0])
    assert "Suối Ngang" in page.text_html and M.MARK_RESTRICTED in page.text_html
    card = await world.handle_button(press(BDV_USER, BDV_GROUP), buttons["ban-dan-van/de-an"][3])
    assert "Phạm vi: 🔒 hạn chế, chỉ dành cho: bdv" in card.text_html


# -- /vanban, /danhsach, /gioithieu ----------------------------------------------------------------------------
async def test_vanban_answers_hidden_documents_like_missing_ones(world):
    for query in ("88/PA-UBND", "PA 88", "07-ĐA/BDV", "ben-loi", "ban-dan-van/de-an", "45/KH-UBND"):
        for who in (private(f"/vanban {query}", OUTSIDER), in_group(f"/vanban@danvan_test_bot {query}", PUBLIC_GROUP,
                                                                      ADMIN)):
            reply = await world.handle_message(who)
            assert reply.text_html == M.VANBAN_NOT_FOUND_HTML.format(query=esc(query)), (query, reply.text_html)
            assert not reply.buttons
    member = await world.handle_message(private("/vanban 88/PA-UBND", MEMBER))
    assert "Phương án nắm tình hình" in member.text_html and "Phạm vi: 🔒 lưu hành nội bộ" in member.text_html
    assert (await world.handle_message(private("/vanban 07-ĐA/BDV", MEMBER))).text_html.startswith("Không tìm thấy")
    bdv = await world.handle_message(in_group("/vanban@danvan_test_bot 07-ĐA/BDV", BDV_GROUP))
    assert "Đề án kiện toàn" in bdv.text_html
    public = await world.handle_message(private("/vanban CT 33", OUTSIDER))
    assert "Phạm vi: công khai" in public.text_html


async def test_danhsach_lists_only_visible_documents(world):
    async def listing(who_message, who_press) -> str:
        reply = await world.handle_message(who_message)
        text = reply.text_html
        for b in buttons_of(reply):
            if b.data.startswith("c:"):  # every card button opens a document the reader may see
                text += (await world.handle_button(who_press, b.data)).text_html
        return text

    outsider = await listing(private("/danhsach", OUTSIDER), press(OUTSIDER))
    assert "(2) — trang 1/1" in outsider
    assert_no_leak(outsider)
    for doc_title in ("Phương án nắm tình hình", "Biên bản họp giao ban", "Đề án kiện toàn", "tà-xùa"):
        assert doc_title not in outsider
    group = await listing(in_group("/danhsach@danvan_test_bot", PUBLIC_GROUP, ADMIN), press(ADMIN, PUBLIC_GROUP))
    assert "(2) — trang 1/1" in group
    assert_no_leak(group)
    member = await listing(private("/danhsach", MEMBER), press(MEMBER))
    assert "(5) — trang 1/1" in member and "🔒 nội bộ" in member and "Đề án kiện toàn" not in member
    admin = (await world.handle_message(private("/danhsach", ADMIN))).text_html
    assert "(7) — trang 1/1" in admin and "🔒 hạn chế" in admin
    page = await world.handle_button(press(OUTSIDER), "l:0")
    assert "(2) — trang 1/1" in page.text_html


async def test_gioithieu_counts_only_visible_documents(world):
    assert "Hiện bot có 2 văn bản" in (await world.handle_message(private("/gioithieu", OUTSIDER))).text_html
    assert "Hiện bot có 5 văn bản" in (await world.handle_message(private("/gioithieu", MEMBER))).text_html
    assert "Hiện bot có 7 văn bản" in (await world.handle_message(private("/gioithieu", ADMIN))).text_html


async def test_thongke_is_for_admins_who_see_everything(world):
    await world.handle_message(in_group("/hoi@danvan_test_bot Trưởng ban Dân vận xã Suối Ngang", BDV_GROUP))
    assert (await world.handle_message(private("/thongke", MEMBER))).text_html == M.ADMIN_ONLY_HTML
    group = await world.handle_message(in_group("/thongke@danvan_test_bot", BDV_GROUP, ADMIN))
    assert group.text_html == M.ADMIN_PRIVATE_ONLY_HTML
    stats = await world.handle_message(private("/thongke", ADMIN))
    assert "7 văn bản" in stats.text_html and "Suối Ngang" in stats.text_html  # documented: admins see all


# -- inline -----------------------------------------------------------------------------------------------------
async def test_inline_results_are_public_only_whoever_asks(world):
    for user in (OUTSIDER, MEMBER, BDV_USER, ADMIN):
        for question, _ in HIDDEN.values():
            answer = await world.handle_inline(Incoming(user, user, "inline"), question)
            everything = json.dumps([item.__dict__ for item in answer.items], ensure_ascii=False)
            assert_no_leak(everything)
        answer = await world.handle_inline(Incoming(user, user, "inline"), "tiếp công dân đối thoại với nhân dân")
        assert answer.items and all("🔒" not in item.text_html for item in answer.items)


# -- the terminal chat and the command line --------------------------------------------------------------------
async def test_terminal_chat_is_public_unless_told(world):
    config, log = world.config, world.log
    for viewer, allowed in ((None, set()), (user_viewer(config, MEMBER), set(INTERNAL)),
                            (Viewer.everything(), set(HIDDEN))):
        conv = Conversation(config, log, console_viewer=viewer)
        try:
            for doc, (question, _) in HIDDEN.items():
                text = (await conv.handle_message(Incoming(0, 0, CONSOLE, question))).text_html
                assert found(text, doc) == (doc in allowed), (viewer, doc)
            listing = (await conv.handle_message(Incoming(0, 0, CONSOLE, "/danhsach"))).text_html
            assert f"({2 + len(allowed)}) — trang" in listing
        finally:
            conv.close()


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_cli_answers_as_the_public_unless_given_as_or_all(world):
    config = world.config
    db, conf = str(config.db), str(config.path)
    questions = "\n".join(q for q, _ in HIDDEN.values()) + "\n"

    def docs_found(*flags) -> list[set[str]]:
        proc = cli("search", "--db", db, "--jsonl", "-k", "10", *flags, stdin=questions)
        assert proc.returncode == 0, proc.stderr
        return [{h["doc"] for h in json.loads(line)["hits"]} for line in proc.stdout.splitlines()]

    public = docs_found()
    assert all(not (hits & set(HIDDEN)) for hits in public)
    member = docs_found("--config", conf, "--as", str(MEMBER))
    assert set().union(*member) & set(HIDDEN) == set(INTERNAL)
    bdv = docs_found("--config", conf, "--as", str(BDV_USER))
    assert set().union(*bdv) & set(HIDDEN) == set(INTERNAL) | {"ban-dan-van/de-an"}
    everything = docs_found("--all")
    assert set().union(*everything) >= set(HIDDEN)

    question = HIDDEN["ban-dan-van/de-an"][0]
    proc = cli("ask", "--db", db, "--json", question)
    assert "07-ĐA/BDV" not in proc.stdout and "Suối Ngang dự kiến" not in proc.stdout
    assert_no_leak(proc.stdout)
    proc = cli("ask", "--db", db, "--config", conf, "--as", str(BDV_USER), question)
    assert "07-ĐA/BDV" in proc.stdout and "hạn chế" in proc.stdout
    proc = cli("ask", "--db", db, "--as", "5", "--all", question)
    assert proc.returncode == 2  # one or the other


# -- uploads --------------------------------------------------------------------------------------------------
SECRET_UPLOAD = (
    "---\ntitle: Kế hoạch vận động di dời mộ phần khu Đồi Thông\n---\n\n"
    "Tổ vận động gặp riêng từng dòng họ có mộ phần ở khu Đồi Thông, thống nhất mức hỗ trợ di dời 9 triệu đồng mỗi mộ.\n"
)
SECRET_QUESTION = "di dời mộ phần khu Đồi Thông"


async def upload(conv, caption: str, name: str = "di-doi.md", data: str = SECRET_UPLOAD, user: int = ADMIN):
    async def fetch() -> bytes:
        return data.encode("utf-8")

    return await conv.handle_upload(private(caption, user), name, len(data.encode()), fetch)


async def test_upload_captions_set_the_level_and_rebuilds_keep_it(world):
    from indexer.visibility import SIDECAR

    async def finders() -> set[int]:
        out = set()
        for user in (OUTSIDER, MEMBER, BDV_USER, UBKT_USER):
            text = (await world.handle_message(private(SECRET_QUESTION, user))).text_html
            if "9 triệu" in text:
                out.add(user)
        return out

    reply = await upload(world, "/hanche bdv")
    assert reply.text_html.startswith("✅") and "Phạm vi: 🔒 hạn chế, chỉ dành cho: bdv" in reply.text_html
    assert await finders() == {BDV_USER}
    assert "di-doi.md" in (world.config.knowledge / SIDECAR).read_text(encoding="utf-8")
    report = await world.handle_message(private("/reindex full", ADMIN))
    await report.followup
    assert await finders() == {BDV_USER}  # the label survives a full rebuild
    # the same file again with another label: relabelled, not refused as unchanged
    reply = await upload(world, "/noibo@danvan_test_bot")
    assert "Phạm vi: 🔒 lưu hành nội bộ" in reply.text_html
    assert await finders() == {MEMBER, BDV_USER, UBKT_USER}
    reply = await upload(world, "/congkhai")
    assert "Phạm vi: công khai" in reply.text_html and await finders() == {OUTSIDER, MEMBER, BDV_USER, UBKT_USER}
    assert (await upload(world, "")).text_html.startswith("Tệp <code>di-doi.md</code> đã có")  # nothing changes
    # without a caption a new file gets its own, folder or default level: internal here
    other = SECRET_UPLOAD.replace("Đồi Thông", "Gò Mả").replace("9 triệu", "7 triệu")
    reply = await upload(world, "", name="go-ma.md", data=other)
    assert "Phạm vi: 🔒 lưu hành nội bộ" in reply.text_html
    # /xoa forgets the label with the document
    await world.handle_message(private("/xoa di-doi", ADMIN))
    assert "di-doi.md" not in (world.config.knowledge / SIDECAR).read_text(encoding="utf-8")


async def test_upload_caption_mistakes_are_refused(world):
    for caption, reason in (
        ("/hanche", M.UPLOAD_REASON_NO_AUDIENCE),
        ("/hanche bdv, ban-to-chuc",
         "chưa có nhóm ban-to-chuc trong cấu hình (audiences); các nhóm hiện có: bdv, ubkt"),
    ):
        reply = await upload(world, caption)
        assert reply.text_html.startswith("❌ Không nhận tệp") and esc(reason) in reply.text_html
    assert not (world.config.knowledge / "di-doi.md").exists()
    # a non-admin's caption changes nothing either
    assert (await upload(world, "/congkhai", user=MEMBER)).text_html == M.ADMIN_ONLY_HTML


# -- configuration -----------------------------------------------------------------------------------------------
def test_config_keys_and_their_mistakes(tmp_path):
    from bot.config import ConfigError, Group, load_config
    from indexer.visibility import INTERNAL, PUBLIC, Label

    path = tmp_path / "c.yaml"
    path.write_text(
        "visibility:\n  default: công khai\n  folders: {noi-bo: internal, 'ban/bdv/': {visibility: restricted, "
        "audience: BDV}}\nmembers: [5, '6']\naudiences: {BDV: {users: [7], chats: [-100]}, ubkt: [8]}\n",
        encoding="utf-8",
    )
    config = load_config(path, env={})
    assert config.visibility.default == Label(PUBLIC)
    assert config.visibility.for_path("noi-bo/x.md") == Label(INTERNAL)
    assert config.visibility.for_path("ban/bdv/x.md").audience == ("bdv",)
    assert config.members == Group(users=frozenset({5, 6}))
    assert config.audiences == {"bdv": Group(frozenset({7}), frozenset({-100})), "ubkt": Group(frozenset({8}))}
    assert load_config(None, env={}).visibility.default == Label(INTERNAL)  # the safe default
    for text, key in (
        ("visibility: {default: mở}\n", "visibility"),
        ("visibility: public\n", "visibility"),
        ("audiences: {'Ban Tổ chức!': [1]}\n", "audiences.Ban Tổ chức!"),
        ("audiences: {bdv: {users: [abc]}}\n", "audiences.bdv.users"),
        ("members: {chats: x}\n", "members.chats"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match="giá trị của '" + key.replace(".", r"\.")):
            load_config(path, env={})


def test_start_brings_the_index_in_line_with_the_config(tmp_path):
    """A tightened rule takes effect when the bot (or terminal chat) starts, not at the next /reindex; an
    index built before levels existed is closed until rebuilt."""
    import io
    import sqlite3
    from dataclasses import replace

    from bot.console import ensure_index
    from indexer.search import Searcher
    from indexer.visibility import Rules

    config = write_world(tmp_path)
    err = io.StringIO()
    ensure_index(config, out=err)
    assert err.getvalue() == ""  # up to date: nothing done
    ensure_index(replace(config, path=None, visibility=Rules()), out=err)  # no config file: keeps the index's rules
    assert err.getvalue() == ""
    tightened = replace(config, visibility=Rules.from_config({"default": "internal"}))  # van-ban/ not public now
    ensure_index(tightened, out=err)
    assert "đang cập nhật" in err.getvalue()
    assert Searcher(config.db).search("người đứng đầu", viewer=Viewer.public()).hits == []
    with sqlite3.connect(config.db) as conn:  # as an index from before levels would be
        conn.execute("ALTER TABLE documents DROP COLUMN level")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    old = Searcher(config.db)
    assert old.search("người đứng đầu", viewer=Viewer.member({"bdv"})).hits == []
    assert old.search("người đứng đầu", viewer=Viewer.everything()).hits
    ensure_index(tightened, out=err)
    assert Searcher(config.db).search("người đứng đầu", viewer=Viewer.member()).hits


# -- documents exist, none may be seen here ---------------------------------------------------------------------
@pytest.fixture
def all_internal(tmp_path):
    """The test documents indexed without a config: internal by the default, nothing public."""
    knowledge = write_knowledge(tmp_path / "knowledge")
    db = tmp_path / "data" / "index.db"
    build(knowledge, db)
    log = QueryLog(tmp_path / "data" / "q.db")
    conv = Conversation(Config.for_paths(knowledge, db, admins=frozenset({ADMIN}), rate_limit=0), log,
                        bot_username="danvan_test_bot")
    yield conv
    conv.close()
    log.close()


async def test_danhsach_and_gioithieu_say_when_documents_are_there_but_none_may_be_seen(all_internal):
    """Not 'Bot chưa có văn bản nào' / '0 văn bản' while /thongke counts 3: the reader is told that documents
    exist but none is open to this chat, and how they are opened; the terminal's operator gets the count and
    the flags. No title, number or count reaches a Telegram reader."""
    conv = all_internal
    stats = html_to_text((await conv.handle_message(private("/thongke", ADMIN))).text_html)
    assert "Chỉ mục: 3 văn bản" in stats
    for who in (private("/danhsach", OUTSIDER), in_group("/danhsach@danvan_test_bot", PUBLIC_GROUP, ADMIN)):
        text = (await conv.handle_message(who)).text_html
        assert M.LIST_EMPTY_HTML not in text and text == M.HIDDEN_ONLY_HTML
        assert "3" not in text and "33/CT-TTg" not in text and "Minh Hòa" not in text
        assert "công khai" in text and "quản trị viên" in text.lower()
    about = (await conv.handle_message(private("/gioithieu", OUTSIDER))).text_html
    assert M.HIDDEN_ONLY_HTML in about and "0 văn bản" not in about and "Hiện bot có" not in about
    assert_telegram_html(about)
    listing = (await conv.handle_button(press(OUTSIDER), "l:0")).text_html  # an old list page's button
    assert listing == M.HIDDEN_ONLY_HTML
    console = Incoming(0, 0, CONSOLE, "/danhsach")  # the operator at the terminal, reading as the public
    for text in [(await conv.handle_message(console)).text_html,
                 (await conv.handle_message(Incoming(0, 0, CONSOLE, "/gioithieu"))).text_html]:
        plain = html_to_text(text)
        assert "Chỉ mục có 3 văn bản" in plain and "--all" in plain and "visibility: public" in plain, plain
        assert_telegram_html(text)
    # whoever may see some still gets the list and the count
    admin = (await conv.handle_message(private("/danhsach", ADMIN))).text_html
    assert "(3) — trang 1/1" in admin
    assert "Hiện bot có 3 văn bản" in (await conv.handle_message(private("/gioithieu", ADMIN))).text_html
