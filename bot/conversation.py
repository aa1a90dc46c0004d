"""The conversation core, free of any front end: plain data in (`Incoming`, button data, inline text, an
uploaded file), `Reply` out (Telegram-flavoured HTML text plus buttons). The Telegram handlers and the
terminal chat are thin adapters over `Conversation`.

Callback data (at most 64 bytes, ASCII only) refers to things by short numeric ids:
    m:<question id>:<offset>   answer page (the question's text is in the query log)
    f:<passage id>[:<page>]    full text of the passage's document; with a page: turn that page (edit)
    c:<passage id>             card of the passage's document
    l:<page>                   page of the document list (edit)
    v:<question id>:<+|->      feedback
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from indexer import store, web
from indexer import visibility as vis
from indexer.analysis import fold
from indexer.documents import SUPPORTED, UNSUPPORTED_DOCUMENTS
from indexer.documents import doc_id as make_doc_id
from indexer.query import find_refs
from indexer.search import DocumentInfo, Hit, Result, Searcher
from indexer.visibility import Viewer

from . import access, smalltalk
from . import messages as M
from .config import MB, Config
from .formatting import TELEGRAM_LIMIT, date_vi, decimal_vi, esc, esc_clip, join_blocks, length, marked_html
from .formatting import source_html as render_source
from .querylog import QueryLog
from .realworld import RealWorld, updated_vi

log = logging.getLogger(__name__)

PRIVATE = "private"
CONSOLE = "console"  # the terminal chat: a private chat whose user is the local operator (an admin)
ANSWERS_PER_PAGE = 3
MAX_ANSWER_OFFSET = 30
PASSAGES_PER_PAGE = 3
DOCS_PER_PAGE = 8
INLINE_RESULTS = 5
MAX_QUESTION_CHARS = 500
READ_THREADS = 2  # searches and page renders at once: more threads only fight over the GIL (and the event loop)
CALLBACK_LIMIT = 64
GENERIC_COMMANDS = {"start", "help"}
ADMIN_COMMANDS = {"reindex", "xoa", "thongke"}
MAX_REPORTED_ERRORS = 8
_COMMAND = re.compile(r"^/([^\s@/]+)(?:@(\w+))?(?:\s+(.*))?$", re.DOTALL)
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_NUMBER = re.compile(r"-?[0-9]{1,15}")  # ASCII digits only: int() also takes "²"-free Unicode digits, and huge ones
_INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def number(text: str) -> int:
    """A small integer from user-controlled text (callback data, command arguments), or ValueError."""
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"not a small integer: {text[:20]!r}")
    return int(text)


def visible(text: str) -> str:
    """Text without zero-width, bidirectional-control and other invisible format characters (they hide
    nothing useful in a question and can reverse or disguise the echoed text) and without lone surrogates
    (not text; they cannot be sent back), stripped."""
    return _INVISIBLE.sub("", text or "").strip()


@dataclass
class Incoming:
    """Who says what, where. chat_type: 'private', 'group', 'supergroup', 'channel' or 'console'."""

    user_id: int
    chat_id: int
    chat_type: str = PRIVATE
    text: str = ""
    reply_to_bot: bool = False  # the message answers one of the bot's own messages


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None  # callback data
    url: str | None = None


@dataclass
class Reply:
    text_html: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    edit: bool = False  # replaces the message whose button was pressed
    notice: str | None = None  # short pop-up answering a button press
    followup: asyncio.Task | None = None  # background work whose Reply is sent when it completes


@dataclass
class InlineItem:
    id: str
    title: str
    description: str
    text_html: str


@dataclass
class InlineAnswer:
    items: list[InlineItem]
    button_text: str | None = None  # shown above the results; opens the private chat with /start help


def callback(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode("utf-8")) > CALLBACK_LIMIT:  # cannot happen with numeric ids; a guard for changes
        raise ValueError(f"callback data too long: {data!r}")
    return data


class RateLimiter:
    """At most `per_minute` accepted requests per user in any 60 s window. Over the limit the first request
    is told to wait ('warn'), the following ones are dropped silently ('drop') until the window has room."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int) -> tuple[str, int]:
        """('ok' | 'warn' | 'drop', seconds until the window has room)."""
        if self.per_minute <= 0:
            return "ok", 0
        now = self.clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.per_minute:
            seen.append(now)
            self._warned.discard(user_id)
            if len(self._seen) > 10_000:
                self._forget(now)
            return "ok", 0
        wait = max(1, math.ceil(seen[0] + self.window - now))
        if user_id in self._warned:
            return "drop", wait
        self._warned.add(user_id)
        return "warn", wait

    def _forget(self, now: float) -> None:
        for uid in [u for u, s in self._seen.items() if not s or s[-1] <= now - self.window]:
            del self._seen[uid]
            self._warned.discard(uid)


def safe_file_name(name: str) -> str | None:
    """A file name safe to create inside the knowledge folder: the base name only (whatever the path syntax),
    no control or reserved characters, no leading dots (hidden files are not indexed), spaces as '-'."""
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name.replace("\\", "/")).name).name
    name = _UNSAFE_NAME_CHARS.sub("", name)
    name = re.sub(r"\s+", "-", name.strip()).lstrip(".-")
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem.strip(".-") or name in (".", ".."):
        return None
    if len(name.encode("utf-8")) > 180:
        keep = 180 - len(("." + suffix).encode("utf-8"))
        stem = stem.encode("utf-8")[:keep].decode("utf-8", "ignore").rstrip(".-")
        name = f"{stem}.{suffix}"
    return name


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Conversation(RealWorld):
    """The bot's behaviour. One instance serves every chat; safe to use from one event loop."""

    def __init__(
        self,
        config: Config,
        querylog: QueryLog,
        searcher: Searcher | None = None,
        *,
        build: Callable[..., store.BuildReport] = store.build,
        bot_username: str = "",
        clock: Callable[[], float] = time.monotonic,
        console_viewer: Viewer | None = None,
    ):
        self.config = config
        self.console_viewer = console_viewer or Viewer.public()  # the terminal chat: public unless --as/--all
        self.log = querylog
        self.searcher = searcher
        self.build = build
        self.bot_username = bot_username
        self.rate = RateLimiter(config.rate_limit, clock=clock)
        self._build_lock: asyncio.Lock | None = None
        self._reload_lock = threading.Lock()
        self._readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="danvan-read")
        self._reindex_task: asyncio.Task | None = None
        self._commands: dict[str, Callable[[Incoming, str], Awaitable[Reply | None]]] = {
            "start": self._cmd_help,
            "help": self._cmd_help,
            "batdau": self._cmd_help,
            "huongdan": self._cmd_help,
            "hoi": self._cmd_ask,
            "vanban": self._cmd_document,
            "danhsach": self._cmd_list,
            "gioithieu": self._cmd_about,
            "reindex": self._cmd_reindex,
            "xoa": self._cmd_delete,
            "thongke": self._cmd_stats,
        }

    # -- who may do what
    def is_admin(self, who: Incoming) -> bool:
        return who.chat_type == CONSOLE or who.user_id in self.config.admins

    def viewer(self, who: Incoming) -> Viewer:
        """What may be shown where this goes (bot/access.py): a private chat's user, a group's members, the
        public for inline mode; the terminal chat's viewer is set when it starts."""
        if who.chat_type == CONSOLE:
            return self.console_viewer
        return access.viewer_for(self.config, who.user_id, who.chat_id, who.chat_type)

    def allowed(self, chat_id: int | None, user_id: int | None) -> bool:
        """Is an update from this chat (or, without a chat, e.g. an inline query, from this user) served?
        An admin's own private chat always is (else an allowlist could lock the admins out)."""
        allowed = self.config.allowed_chats
        if allowed is None:
            return True
        if chat_id is not None:
            return chat_id in allowed or (chat_id == user_id and user_id in self.config.admins)
        return user_id is not None and (user_id in allowed or user_id in self.config.admins)

    def _refuse(self, who: Incoming, action: str, text: str = M.ADMIN_ONLY_HTML) -> Reply:
        log.warning("refused %s for user %s in chat %s", action, who.user_id, who.chat_id)
        self.log.add_event("refused", user_id=who.user_id, chat_id=who.chat_id, detail=action)
        return Reply(text)

    def _admin_gate(self, who: Incoming, action: str) -> Reply | None:
        """None if this admin action may go ahead: an admin, in a private chat (the reports name files and
        show others' questions, which a group must not see)."""
        if not self.is_admin(who):
            return self._refuse(who, action)
        if who.chat_type not in (PRIVATE, CONSOLE):
            return self._refuse(who, f"{action} in a group", M.ADMIN_PRIVATE_ONLY_HTML)
        return None

    @property
    def build_lock(self) -> asyncio.Lock:
        if self._build_lock is None:
            self._build_lock = asyncio.Lock()
        return self._build_lock

    # -- the index
    def _open_sync(self) -> Searcher | None:
        with self._reload_lock:
            if self.searcher is None:
                if self.config.db.exists():
                    self.searcher = Searcher(self.config.db)
            elif self.searcher.changed_on_disk():  # rebuilt by us or by `danvan index`
                self.searcher.reload()
        return self.searcher

    async def _read(self, fn: Callable, *args):
        """Run index reading (search, pages, cards) on the few reader threads, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, functools.partial(fn, *args))

    async def open(self) -> Searcher | None:
        return await self._read(self._open_sync)

    def _search_sync(self, text: str, k: int, offset: int, viewer: Viewer) -> Result | None:
        searcher = self._open_sync()
        return searcher.search(text, k=k, offset=offset, viewer=viewer) if searcher else None

    async def _rebuild(self, force: bool = False, **options) -> store.BuildReport:
        """Build (in a thread) and switch to the new index. Callers hold build_lock. options: more of
        store.build's (known_errors)."""
        report = await asyncio.to_thread(
            self.build,
            self.config.knowledge,
            self.config.db,
            limits=self.config.limits.document_limits(),
            force=force,
            visibility=self.config.index_rules,
            **options,
        )
        await self.open()
        return report

    # -- messages and commands
    async def handle_message(self, msg: Incoming) -> Reply | None:
        """A text message (question or command). None: stay silent (chatter in a group, another bot's command,
        a flood)."""
        if msg.chat_type == "channel":
            return None
        private = msg.chat_type in (PRIVATE, CONSOLE)
        text = visible(msg.text)
        if not text:  # nothing but spaces or invisible characters: a hint, in a private chat
            if not (private and msg.text):
                return None
            blocked, reply = self._rate_check(msg)
            return reply if blocked else Reply(M.EMPTY_QUESTION_HTML)
        m = _COMMAND.match(text)
        if m:
            name, target, arg = fold(m.group(1)).lower(), m.group(2), (m.group(3) or "").strip()
            if target and self.bot_username and target.lower() != self.bot_username.lower():
                return None
            handler = self._commands.get(name)
            if handler is None:
                return Reply(M.UNKNOWN_COMMAND_HTML) if private else None
            if not private and not target and name in GENERIC_COMMANDS:
                return None  # a bare /start or /help in a group may be meant for another bot
            blocked, reply = self._rate_check(msg)
            return reply if blocked else await handler(msg, arg)
        if private and self.is_admin(msg) and web.is_url(text):  # an admin adds a page by its link
            return await self.add_link(msg, text.strip())
        if not private:
            mention = self._mention()
            mentioned = bool(mention and mention.search(text))
            if not (mentioned or msg.reply_to_bot):
                return None
            if mention:
                text = mention.sub(" ", text).strip(" \t\n,:;")
            if not text:
                return Reply(M.GROUP_EMPTY_MENTION_HTML.format(username=esc(self.bot_username)))
        blocked, reply = self._rate_check(msg)
        return reply if blocked else await self.answer(msg, text)

    def _mention(self) -> re.Pattern | None:
        if not self.bot_username:
            return None
        return re.compile(rf"(?<!\w)@{re.escape(self.bot_username)}(?!\w)", re.IGNORECASE)

    def _rate_check(self, msg: Incoming) -> tuple[bool, Reply | None]:
        """(blocked, what to say): over the limit, a 'please wait' once, then silence (None)."""
        if self.is_admin(msg):
            return False, None
        verdict, wait = self.rate.check(msg.user_id)
        if verdict == "ok":
            return False, None
        if verdict == "warn":
            log.info("rate limit: user %s told to wait %s s", msg.user_id, wait)
            return True, Reply(M.RATE_LIMITED_HTML.format(seconds=wait))
        return True, None

    async def _cmd_help(self, msg: Incoming, arg: str) -> Reply:
        hint = M.HELP_GROUP_HINT_HTML.format(username=esc(self.bot_username)) if self.bot_username else ""
        text = M.HELP_HTML.format(group_hint=hint)
        if self.is_admin(msg) and msg.chat_type in (PRIVATE, CONSOLE):
            text += M.ADMIN_HELP_HTML
        return Reply(text)

    async def _cmd_about(self, msg: Incoming, arg: str) -> Reply:
        searcher = await self.open()
        stats = searcher.stats(self.viewer(msg)) if searcher else {"documents": 0, "passages": 0}
        holdings = self._hidden_only(searcher, msg) if not stats["documents"] else None
        if holdings is None:
            holdings = M.ABOUT_COUNTS_HTML.format(documents=stats["documents"], passages=stats["passages"])
        return Reply(M.ABOUT_HTML.format(holdings=holdings))

    @staticmethod
    def _hidden_only(searcher: Searcher | None, who: Incoming) -> str | None:
        """For a reader who may see none of the documents: None when the index holds none either (nothing to
        explain), else that documents exist but none is open here and how they are opened — the count and
        the flags for the operator at the terminal, no count for a chat (README: Who sees what)."""
        total = len(searcher.documents) if searcher else 0
        if not total:
            return None
        if who.chat_type == CONSOLE:
            return M.HIDDEN_ONLY_CONSOLE_HTML.format(documents=total)
        return M.HIDDEN_ONLY_HTML

    async def _cmd_ask(self, msg: Incoming, arg: str) -> Reply:
        if not arg:
            at = (
                f"@{esc(self.bot_username)}"
                if self.bot_username and msg.chat_type not in (PRIVATE, CONSOLE)
                else ""
            )
            return Reply(M.ASK_USAGE_HTML.format(at=at))
        return await self.answer(msg, arg)

    # -- answers
    async def answer(self, msg: Incoming, question: str) -> Reply:
        question = re.sub(r"\s+", " ", visible(question))
        chat = smalltalk.kind(question)
        if chat is not None:  # a greeting or thanks: a short reply, no search, nothing in the query log
            return self._small_talk(msg, chat)
        clipped = len(question) > MAX_QUESTION_CHARS
        if clipped:  # at a word boundary when there is one in the second half
            head = question[:MAX_QUESTION_CHARS]
            space = head.rfind(" ")
            question = head[:space] if space > MAX_QUESTION_CHARS // 2 else head
        reply = await self._answer(msg, question)
        if clipped and reply.text_html:
            reply.text_html = join_blocks([reply.text_html, M.QUESTION_CLIPPED_HTML.format(limit=MAX_QUESTION_CHARS)])
        return reply

    def _small_talk(self, msg: Incoming, chat: str) -> Reply:
        if chat == smalltalk.GREETING:
            group = msg.chat_type not in (PRIVATE, CONSOLE) and self.bot_username
            # a bare /help in a group may be meant for another bot and is not answered: name this one
            return Reply(M.SMALLTALK_GREETING_HTML.format(help=f"/help@{esc(self.bot_username)}" if group else "/help"))
        return Reply(M.SMALLTALK_THANKS_HTML if chat == smalltalk.THANKS else M.SMALLTALK_ACK_HTML)

    async def _answer(self, msg: Incoming, question: str) -> Reply:
        result = await self._read(self._search_sync, question, ANSWERS_PER_PAGE + 1, 0, self.viewer(msg))
        if result is None:
            return Reply(M.NO_INDEX_HTML)
        found = bool(result.hits) and result.confident
        qid = self.log.add_question(
            question,
            user_id=msg.user_id,
            chat_id=msg.chat_id,
            chat_type=msg.chat_type,
            hits=len(result.hits) if found else 0,
            confident=found,
            top_doc=result.hits[0].doc if found else None,
        )
        if not found:
            if await self._read(self._names_a_missing_document, question, self.viewer(msg)):
                return Reply(M.DOCUMENT_MISSING_HTML.format(question=esc_clip(question, 300)))
            return Reply(M.NOTHING_FOUND_HTML.format(question=esc_clip(question, 300)))
        return self._answer_page(qid, question, result, 0)

    def _names_a_missing_document(self, question: str, viewer: Viewer) -> bool:
        """Does the question name a document by number ("NĐ 33/2023") that none of the viewer's documents has?
        (One the viewer may not see counts as missing: the same answer either way.)"""
        searcher = self._open_sync()
        refs = [r for r in find_refs(question) if not r.year_like]  # "luật 2022 về …" names a year, maybe
        return bool(searcher and refs and not searcher.find_documents(question, viewer))

    def _answer_page(self, qid: int, question: str, result: Result, offset: int) -> Reply:
        hits = result.hits[:ANSWERS_PER_PAGE]
        header = M.ANSWER_HEADER_HTML.format(question=esc_clip(question, 300))
        footer = M.ANSWER_FOOTER_HTML
        heads = [self._hit_head(offset + i + 1, h) for i, h in enumerate(hits)]
        tails = [self._hit_tail(h) for h in hits]
        fixed = (
            length(header)
            + length(footer)
            + sum(length(x) + length(y) + 4 for x, y in zip(heads, tails, strict=True))
        )
        room = (TELEGRAM_LIMIT - 40 - fixed) // max(1, len(hits))
        blocks = [header]
        for head, tail, hit in zip(heads, tails, hits, strict=True):
            body = marked_html(hit.snippet, hit.marks, max(80, room))
            blocks.append("\n".join(filter(None, [head, body, tail])))
        blocks.append(footer)
        nav = []
        if offset > 0:
            nav.append(Button(M.BUTTON_BACK, callback("m", qid, max(0, offset - ANSWERS_PER_PAGE))))
        if len(result.hits) > ANSWERS_PER_PAGE and offset + ANSWERS_PER_PAGE < MAX_ANSWER_OFFSET:
            nav.append(Button(M.BUTTON_MORE, callback("m", qid, offset + ANSWERS_PER_PAGE)))
        full = [
            Button(
                M.BUTTON_FULL_N.format(n=offset + i + 1) if len(hits) > 1 else M.BUTTON_FULL,
                callback("f", h.passage_id),
            )
            for i, h in enumerate(hits)
        ]
        votes = [
            Button(M.BUTTON_LIKE, callback("v", qid, "+")),
            Button(M.BUTTON_DISLIKE, callback("v", qid, "-")),
        ]
        return Reply(join_blocks(blocks), [row for row in (nav, full, votes) if row])

    @staticmethod
    def _hit_head(n: int | None, hit: Hit) -> str:
        meta = []
        if hit.number:
            meta.append(f"{M.NUMBER_LABEL}: <b>{esc_clip(hit.number, 60)}</b>")
        if hit.issued:
            meta.append(f"{M.DATE_LABEL} {esc_clip(date_vi(hit.issued), 30)}")
        mark = access.label(hit.visibility)
        scanned = f" {M.SCANNED_LABEL_HTML}" if hit.ocr else ""
        lines = [f"<b>{f'{n}. ' if n else ''}{esc_clip(hit.title, 300)}</b>{scanned}"
                 + (f" · {mark}" if mark else "")]
        if meta:
            lines.append(" · ".join(meta))
        if hit.heading:
            lines.append(f"<i>{esc_clip(hit.heading, 200)}</i>")
        return "\n".join(lines)

    @staticmethod
    def _hit_tail(hit: Hit) -> str:
        return f"{M.SOURCE_LABEL_HTML} {render_source(hit.source, 200)}" if hit.source else ""

    # -- buttons
    async def handle_button(self, who: Incoming, data: str) -> Reply:
        """A button press. The data comes from the client and can be forged (Telegram does not check it
        against the message's buttons): anything unexpected, or a question asked in another chat, is
        answered with the 'old button' notice."""
        parts = (data or "")[:CALLBACK_LIMIT].split(":")
        try:
            kind, args = parts[0], parts[1:]
            if kind == "m" and len(args) == 2:
                return await self._more(number(args[0]), number(args[1]), who)
            if kind == "f" and len(args) in (1, 2):
                page = number(args[1]) if len(args) == 2 else None
                return await self._read(self._full_text_sync, number(args[0]), page, self.viewer(who))
            if kind == "c" and len(args) == 1:
                return await self._read(self._card_by_passage_sync, number(args[0]), self.viewer(who))
            if kind == "l" and len(args) == 1:
                reply = await self._read(self._list_sync, number(args[0]), who)
                reply.edit = True
                return reply
            if kind == "v" and len(args) == 2 and args[1] in ("+", "-"):
                value = 1 if args[1] == "+" else -1
                if self.log.set_feedback(number(args[0]), who.user_id, value, chat_id=who.chat_id):
                    return Reply(notice=M.NOTICE_THANKS)
        except ValueError:
            pass
        log.info("stale or unknown button %r from user %s in chat %s", data[:80], who.user_id, who.chat_id)
        return Reply(notice=M.NOTICE_STALE)

    async def _more(self, qid: int, offset: int, who: Incoming) -> Reply:
        question = self.log.question(qid, chat_id=who.chat_id)
        if question is None or not 0 <= offset < MAX_ANSWER_OFFSET:
            return Reply(notice=M.NOTICE_STALE)
        result = await self._read(self._search_sync, question, ANSWERS_PER_PAGE + 1, offset, self.viewer(who))
        if result is None or not result.hits:
            return Reply(notice=M.NOTICE_NO_MORE)
        reply = self._answer_page(qid, question, result, offset)
        reply.edit = True
        return reply

    def _full_text_sync(self, passage_id: int, page: int | None, viewer: Viewer) -> Reply:
        searcher = self._open_sync()
        hit = searcher.passage(passage_id, viewer) if searcher else None  # hidden = missing: the same notice
        doc = searcher.document(hit.doc, viewer) if hit else None
        if hit is None or doc is None:
            return Reply(notice=M.NOTICE_STALE)
        pages = max(1, math.ceil(doc.n_passages / PASSAGES_PER_PAGE))
        edit = page is not None
        page = hit.position // PASSAGES_PER_PAGE if page is None else page
        page = min(max(page, 0), pages - 1)
        passages = searcher.passages_of(doc.id, page * PASSAGES_PER_PAGE, PASSAGES_PER_PAGE, viewer)
        number = f" ({esc_clip(doc.number, 60)})" if doc.number else ""
        mark = access.label(doc.visibility)
        header = M.FULLTEXT_HEADER_HTML.format(
            title=esc_clip(doc.title, 400), number=number + (f" · {mark}" if mark else ""), page=page + 1, pages=pages
        )
        headings = []
        previous = None
        for p in passages:
            headings.append(
                f"<b>{esc_clip(p.heading, 250)}</b>" if p.heading and p.heading != previous else ""
            )
            previous = p.heading or previous
        source = f"{M.SOURCE_LABEL_HTML} {render_source(doc.source, 250)}" if doc.source else ""
        fixed = length(header) + length(source) + sum(length(h) + 3 for h in headings) + 10
        room = (TELEGRAM_LIMIT - fixed) // max(1, len(passages))
        blocks = [header]
        for heading, p in zip(headings, passages, strict=True):
            blocks.append("\n".join(filter(None, [heading, esc_clip(p.text, max(80, room))])))
        if page == pages - 1:
            blocks.append(source)
        nav = []
        if page > 0:
            nav.append(Button(M.BUTTON_PAGE_PREV, callback("f", passage_id, page - 1)))
        if page + 1 < pages:
            nav.append(Button(M.BUTTON_PAGE_NEXT, callback("f", passage_id, page + 1)))
        rows = [nav] if nav else []
        if page > 1:
            rows.append([Button(M.BUTTON_FIRST_PAGE, callback("f", passage_id, 0))])
        return Reply(join_blocks(blocks), rows, edit=edit)

    # -- documents
    def _card_sync(self, searcher: Searcher, doc: DocumentInfo, viewer: Viewer) -> Reply:
        first = searcher.passages_of(doc.id, 0, 1, viewer)
        lines = [M.CARD_TITLE_HTML.format(title=esc_clip(doc.title, 500))]
        for template, value in (
            (M.CARD_NUMBER_HTML, doc.number),
            (M.CARD_TYPE_HTML, doc.type),
            (M.CARD_ISSUER_HTML, doc.issuer),
            (M.CARD_ISSUED_HTML, date_vi(doc.issued)),
        ):
            if value:
                lines.append(template.format(value=esc_clip(value, 200)))
        if doc.source:
            lines.append(M.CARD_SOURCE_HTML.format(value=render_source(doc.source, 300)))
        lines.append(M.CARD_PASSAGES_HTML.format(value=doc.n_passages))
        lines.append(M.CARD_VISIBILITY_HTML.format(value=self._visibility_html(doc)))
        lines.append(M.CARD_ID_HTML.format(value=esc_clip(doc.id, 200)))
        card = "\n".join(lines)
        blocks = [card]
        buttons = []
        if first:
            p = first[0]
            opening = "\n".join(
                filter(None, [M.CARD_OPENING_HTML, f"<i>{esc_clip(p.heading, 200)}</i>" if p.heading else ""])
            )
            room = TELEGRAM_LIMIT - length(card) - length(opening) - 20
            blocks.append(opening + "\n" + esc_clip(p.text, max(80, min(room, 1500))))
            buttons = [[Button(M.BUTTON_FULL, callback("f", p.passage_id))]]
        return Reply(join_blocks(blocks), buttons)

    @staticmethod
    def _visibility_html(doc: DocumentInfo) -> str:
        if doc.visibility == "restricted":
            names = ", ".join(doc.audience) or M.VISIBILITY_NOBODY
            return M.VISIBILITY_RESTRICTED_HTML.format(audience=esc_clip(names, 200))
        return M.VISIBILITY_INTERNAL_HTML if doc.visibility == "internal" else M.VISIBILITY_PUBLIC_HTML

    def _card_by_passage_sync(self, passage_id: int, viewer: Viewer) -> Reply:
        searcher = self._open_sync()
        hit = searcher.passage(passage_id, viewer) if searcher else None
        doc = searcher.document(hit.doc, viewer) if hit else None
        if doc is None:
            return Reply(notice=M.NOTICE_STALE)
        return self._card_sync(searcher, doc, viewer)

    @staticmethod
    def _doc_label(doc: DocumentInfo) -> str:
        year = f" ({doc.year})" if doc.year else ""
        return doc.number + year if doc.number else doc.title

    def _doc_button(self, searcher: Searcher, doc: DocumentInfo, prefix: str, viewer: Viewer) -> Button | None:
        first = searcher.passages_of(doc.id, 0, 1, viewer)
        if not first:
            return None
        label = prefix + self._doc_label(doc)
        return Button(label if len(label) <= 48 else label[:47] + "…", callback("c", first[0].passage_id))

    async def _cmd_document(self, msg: Incoming, arg: str) -> Reply:
        if not arg:
            return Reply(M.VANBAN_USAGE_HTML)
        return await self._read(self._document_sync, arg[:200], self.viewer(msg))

    def _document_sync(self, query: str, viewer: Viewer) -> Reply:
        """A document's card; one the viewer may not see gets the same 'not found' as a missing one."""
        searcher = self._open_sync()
        if searcher is None:
            return Reply(M.NO_INDEX_HTML)
        found = searcher.find_documents(query, viewer) or searcher.find_titled(query, viewer)
        if not found:
            exact = searcher.document(query.strip(), viewer) or next(
                (d for d in searcher.visible_documents(viewer) if d.number and fold(d.number) == fold(query.strip())),
                None,
            )
            found = [exact] if exact else []
        if not found:
            return Reply(M.VANBAN_NOT_FOUND_HTML.format(query=esc_clip(query, 200)))
        if len(found) == 1:
            return self._card_sync(searcher, found[0], viewer)
        lines = [M.VANBAN_SEVERAL_HTML.format(count=len(found), query=esc_clip(query, 200))]
        buttons = []
        for i, doc in enumerate(found[:20], 1):
            label = " — ".join(filter(None, [f"<b>{esc_clip(doc.number, 60)}</b>" if doc.number else "",
                                             esc(date_vi(doc.issued)) if doc.issued else ""]))
            lines.append(f"{i}. {label}: {esc_clip(doc.title, 250)}" if label else f"{i}. {esc_clip(doc.title, 250)}")
            button = self._doc_button(searcher, doc, f"{i}. ", viewer)
            if button:
                buttons.append([button])
        return Reply(join_blocks(["\n".join(lines[:1]), "\n".join(lines[1:])]), buttons)

    async def _cmd_list(self, msg: Incoming, arg: str) -> Reply:
        try:
            page = max(0, number(arg) - 1)
        except ValueError:
            page = 0
        return await self._read(self._list_sync, page, msg)

    def _list_sync(self, page: int, who: Incoming) -> Reply:
        viewer = self.viewer(who)
        searcher = self._open_sync()
        docs = searcher.visible_documents(viewer) if searcher else []
        if not docs:
            return Reply(self._hidden_only(searcher, who) or M.LIST_EMPTY_HTML)
        docs.sort(key=lambda d: (d.issued or "", d.title), reverse=True)
        pages = math.ceil(len(docs) / DOCS_PER_PAGE)
        page = min(max(page, 0), pages - 1)
        start = page * DOCS_PER_PAGE
        lines = []
        buttons: list[list[Button]] = []
        row: list[Button] = []
        for i, doc in enumerate(docs[start : start + DOCS_PER_PAGE], start + 1):
            meta = " · ".join(esc(x) for x in (doc.number, date_vi(doc.issued)) if x)
            mark = access.label(doc.visibility)
            updated = M.LIST_UPDATED.format(when=updated_vi(doc.indexed_at)) if doc.indexed_at else ""
            lines.append(
                f"{i}. {esc_clip(doc.title, 300)}"
                + (f" {M.SCANNED_LABEL_HTML}" if doc.ocr else "")
                + (f" — <b>{meta}</b>" if meta else "")
                + (f" · {mark}" if mark else "")
                + f"\n    <code>{esc_clip(doc.id, 150)}</code>"
                + (f" · <i>{updated}</i>" if updated else "")
            )
            button = self._doc_button(searcher, doc, f"{i}. ", viewer)
            if button:
                row.append(button)
            if len(row) == 2:
                buttons.append(row)
                row = []
        if row:
            buttons.append(row)
        nav = []
        if page > 0:
            nav.append(Button(M.BUTTON_PAGE_PREV, callback("l", page - 1)))
        if page + 1 < pages:
            nav.append(Button(M.BUTTON_PAGE_NEXT, callback("l", page + 1)))
        if nav:
            buttons.append(nav)
        header = M.LIST_HEADER_HTML.format(count=len(docs), page=page + 1, pages=pages)
        return Reply(join_blocks([header, "\n".join(lines), M.LIST_FOOTER_HTML]), buttons)

    # -- inline mode
    async def handle_inline(self, who: Incoming, query: str) -> InlineAnswer:
        query = re.sub(r"\s+", " ", visible(query))[:MAX_QUESTION_CHARS].strip()
        if not query:
            return InlineAnswer([], M.INLINE_HELP_BUTTON)
        # Public documents only, whoever asks: an inline result can be sent into any chat and forwarded.
        result = await self._read(self._search_sync, query, INLINE_RESULTS, 0, Viewer.public())
        if result is None or not result.hits or not result.confident:
            return InlineAnswer([], M.INLINE_NOTHING_BUTTON)
        items = []
        for hit in result.hits:
            title = " — ".join(x for x in (hit.number, hit.title) if x)
            description = " · ".join(x for x in (date_vi(hit.issued), hit.heading, hit.snippet) if x)
            items.append(InlineItem(str(hit.passage_id), title[:120], description[:250], self._cited(hit)))
        return InlineAnswer(items)

    def _cited(self, hit: Hit) -> str:
        """A self-contained cited message for inline mode: title, số hiệu, date, passage, source."""
        head = self._hit_head(None, hit)
        tail = self._hit_tail(hit)
        room = TELEGRAM_LIMIT - length(head) - length(tail) - length(M.INLINE_CITED_FOOTER_HTML) - 20
        body = "<blockquote>" + marked_html(hit.snippet, hit.marks, max(80, room)) + "</blockquote>"
        return "\n".join(filter(None, [head, body, tail, M.INLINE_CITED_FOOTER_HTML]))

    # -- administration
    async def _cmd_reindex(self, msg: Incoming, arg: str) -> Reply:
        refused = self._admin_gate(msg, "reindex")
        if refused:
            return refused
        if self._reindex_task is not None and not self._reindex_task.done():
            return Reply(M.REINDEX_RUNNING_HTML)
        force = fold(arg).strip() in ("full", "force", "toan bo", "tatca", "tat ca")
        self.log.add_event(
            "reindex", user_id=msg.user_id, chat_id=msg.chat_id, detail="force" if force else ""
        )
        self._reindex_task = asyncio.create_task(self._reindex_job(force), name="danvan-reindex")
        return Reply(M.REINDEX_STARTED_HTML, followup=self._reindex_task)

    async def _reindex_job(self, force: bool) -> Reply:
        try:
            async with self.build_lock:
                report = await self._rebuild(force)
        except Exception as exc:
            log.exception("reindex failed")
            return Reply(M.REINDEX_FAILED_HTML.format(reason=esc_clip(str(exc) or type(exc).__name__, 500)))
        log.info(
            "reindex: %s documents, %s passages, %s errors in %.1f s",
            report.documents,
            report.passages,
            len(report.errors),
            report.seconds,
        )
        return Reply(
            M.REINDEX_DONE_HTML.format(seconds=decimal_vi(report.seconds)) + "\n" + self._report(report)
        )

    @staticmethod
    def _report(report: store.BuildReport) -> str:
        lines = [
            M.REPORT_COUNTS_HTML.format(
                documents=report.documents,
                passages=report.passages,
                added=len(report.added),
                changed=len(report.changed),
                removed=len(report.removed),
                unchanged=report.unchanged,
                errors=len(report.errors),
            )
        ]
        for path, reason in report.errors[:MAX_REPORTED_ERRORS]:
            lines.append(
                M.REPORT_ERROR_LINE_HTML.format(path=esc_clip(path, 150), reason=esc_clip(reason, 200))
            )
        if len(report.errors) > MAX_REPORTED_ERRORS:
            lines.append(M.REPORT_MORE_ERRORS_HTML.format(count=len(report.errors) - MAX_REPORTED_ERRORS))
        return "\n".join(lines)

    async def handle_upload(
        self, msg: Incoming, file_name: str, size: int | None, fetch: Callable[[], Awaitable[bytes]]
    ) -> Reply | None:
        """A document sent to the bot: in a private chat with an admin, saved into the knowledge folder and
        indexed; otherwise refused (or, in a group and not addressed to the bot, ignored). Every refusal is
        one line naming the file and the reason, and is logged."""
        if msg.chat_type not in (PRIVATE, CONSOLE):
            return self._group_upload(msg, file_name)
        if not self.is_admin(msg):
            return self._refuse(msg, f"upload {file_name!r}"[:200])
        name = safe_file_name(file_name)
        if name is None:
            return self._reject(msg, file_name, M.UPLOAD_REASON_BAD_NAME)
        suffix = Path(name).suffix.lower()
        if suffix in UNSUPPORTED_DOCUMENTS:
            return self._reject(msg, name, UNSUPPORTED_DOCUMENTS[suffix])
        if suffix not in SUPPORTED:
            return self._reject(
                msg, name, M.UPLOAD_REASON_UNSUPPORTED.format(suffix=suffix or name, supported=", ".join(SUPPORTED))
            )
        limit = self.config.limits.max_upload_bytes

        def too_big(n: int) -> Reply:
            reason = M.UPLOAD_REASON_TOO_BIG.format(size=decimal_vi(n / MB), limit=decimal_vi(limit / MB))
            return self._reject(msg, name, reason)

        if size and size > limit:
            return too_big(size)
        if size == 0:
            return self._reject(msg, name, M.UPLOAD_REASON_EMPTY)
        try:
            label = self._caption_label(msg.text)
        except _Refused as exc:
            return self._reject(msg, name, exc.reason)
        try:
            data = await fetch()
        except Exception:
            log.exception("download of %r failed", name)
            return self._reject(msg, name, M.UPLOAD_REASON_DOWNLOAD)
        if len(data) > limit:
            return too_big(len(data))
        if not data:
            return self._reject(msg, name, M.UPLOAD_REASON_EMPTY)
        async with self.build_lock:
            return await self._save_and_index(msg, name, data, label)

    def _caption_label(self, caption: str) -> vis.Label | None:
        """The visibility an admin gives an upload in its caption: /congkhai (public), /noibo (internal),
        /hanche <nhóm> ... (restricted to those audiences of the config); None without one."""
        m = _COMMAND.match(visible(caption or ""))
        if not m:
            return None
        name, words = fold(m.group(1)).lower(), re.split(r"[\s,;]+", (m.group(3) or "").strip())
        if name == "congkhai":
            return vis.Label(vis.PUBLIC)
        if name == "noibo":
            return vis.Label(vis.INTERNAL)
        if name != "hanche":
            return None
        names = [w for w in words if w]
        if not names:
            raise _Refused(M.UPLOAD_REASON_NO_AUDIENCE)
        known = set(self.config.audiences)
        unknown = [w for w in names if vis.audience_name(w) not in known]
        if unknown:
            raise _Refused(M.UPLOAD_REASON_UNKNOWN_AUDIENCE.format(
                names=", ".join(unknown)[:200], known=", ".join(sorted(known)) or M.VISIBILITY_NOBODY))
        return vis.Label(vis.RESTRICTED, vis.audience_names(names))

    def _group_upload(self, msg: Incoming, file_name: str) -> Reply | None:
        mention = self._mention()
        if not (msg.reply_to_bot or (mention and mention.search(msg.text or ""))):
            log.info("document %r in chat %s, not addressed to the bot: ignored", file_name[:100], msg.chat_id)
            return None
        if not self.is_admin(msg):
            return self._refuse(msg, f"upload {file_name!r} in a group"[:200])
        return self._refuse(msg, f"upload {file_name!r} in a group"[:200], M.UPLOAD_IN_GROUP_HTML)

    def _reject(self, msg: Incoming, name: str, reason: str) -> Reply:
        shown = re.sub(r"[\x00-\x1f\x7f]", "", name or "")[:150] or "?"
        log.warning("upload %r from user %s not taken: %s", shown, msg.user_id, reason)
        self.log.add_event("upload-failed", user_id=msg.user_id, chat_id=msg.chat_id, detail=f"{shown}: {reason}"[:500])
        return Reply(M.UPLOAD_REJECTED_HTML.format(name=esc_clip(shown, 150), reason=esc_clip(reason, 600)))

    def _save_sync(self, target: Path, data: bytes) -> tuple[bool, bytes | None]:
        """Write the upload into the knowledge folder atomically: (changed, previous content). Raises
        _Refused for a name that is not safe or that another file's document id already has."""
        knowledge = self.config.knowledge
        knowledge.mkdir(parents=True, exist_ok=True)
        if not _inside(target, knowledge) or target.resolve().parent != knowledge.resolve():
            raise _Refused(M.UPLOAD_REASON_BAD_NAME)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise _Refused(M.UPLOAD_REASON_BAD_NAME)
        doc = make_doc_id(target, knowledge)
        for other in knowledge.iterdir():
            if (
                other.name != target.name
                and other.suffix.lower() in SUPPORTED
                and make_doc_id(other, knowledge) == doc
                and other.is_file()
            ):
                raise _Refused(M.UPLOAD_REASON_NAME_TAKEN.format(other=other.name, id=doc))
        old = target.read_bytes() if target.exists() else None
        if old == data:
            return False, old
        web.write_atomically(target, data)
        return True, old

    async def _save_and_index(self, msg: Incoming, name: str, data: bytes, label: vis.Label | None = None) -> Reply:
        knowledge = self.config.knowledge
        target = knowledge / name
        rel = name
        try:
            changed, old = await asyncio.to_thread(self._save_sync, target, data)
        except _Refused as exc:
            return self._reject(msg, name, exc.reason)
        except OSError as exc:
            return self._reject(msg, name, M.UPLOAD_REASON_SAVE.format(reason=exc.strerror or str(exc)))
        old_label = (await asyncio.to_thread(vis.read_uploads, knowledge)).get(rel)
        relabel = label is not None and label != old_label
        if not changed and not relabel:
            log.info("upload %r from user %s: same content as the file already there", name, msg.user_id)
            return Reply(M.UPLOAD_SAME_HTML.format(name=esc(name)))
        undo = functools.partial(self._restore, target, old, old_label if relabel else ...)
        record = functools.partial(vis.write_upload, knowledge, rel, label) if relabel else None
        report, reason = await self._index_saved(rel, undo, before=record)  # the label is kept beside the files
        if report is None:
            return self._reject(msg, name, reason)
        self.log.add_event("upload", user_id=msg.user_id, chat_id=msg.chat_id, detail=rel)
        log.info("upload %r from user %s saved and indexed", name, msg.user_id)

        def blocks(doc) -> list[str]:
            notes = [M.UPLOAD_WARNING_HTML.format(warning=esc_clip(w, 300)) for p, w in report.warnings if p == rel]
            if doc.n_passages == 0:
                notes.insert(0, M.UPLOAD_NO_PASSAGES_HTML)
            head = M.UPLOAD_OK_HTML.format(name=esc(name), replaced=M.UPLOAD_REPLACED_HTML if old is not None else "")
            return [head, *notes[:3]]

        return await self._admin_card(target, blocks)

    async def _index_saved(self, rel: str, undo: Callable[[], None],
                           before: Callable[[], None] | None = None) -> tuple[store.BuildReport | None, str]:
        """Index a file just saved at rel (after before(), if given): (the build's report, ""), or, when the
        build failed or could not read that file, undo() and (None, the reason). Callers hold build_lock."""
        try:
            if before is not None:
                await asyncio.to_thread(before)
            report = await self._rebuild()
        except Exception as exc:
            log.exception("indexing %s failed", rel)
            await asyncio.to_thread(undo)
            return None, M.UPLOAD_REASON_INDEX.format(reason=str(exc) or type(exc).__name__)
        reasons = [reason for path, reason in report.errors if path == rel]
        if reasons:
            await asyncio.to_thread(undo)
            return None, reasons[0]
        return report, ""

    async def _admin_card(self, path: Path, blocks: Callable[[DocumentInfo], list[str]]) -> Reply:
        """The card of the document just indexed from path, shown to the admin who added it, with blocks(doc)
        on top."""
        searcher = self.searcher
        doc = searcher.document(make_doc_id(path, self.config.knowledge)) if searcher else None
        if doc is None:
            return Reply(M.UPLOAD_NOT_FOUND_HTML)
        card = await self._read(self._card_sync, searcher, doc, Viewer.everything())  # an admin, privately
        card.text_html = join_blocks([*blocks(doc), card.text_html])
        return card

    def _restore(self, target: Path, old: bytes | None, old_label=...) -> None:
        """Put back the previous version (the index still holds it), or remove a new file that failed; and
        the previous upload label, when one was given (old_label: the label before, None for none)."""
        if old_label is not ...:
            try:
                vis.write_upload(self.config.knowledge, target.name, old_label)
            except OSError:
                log.exception("could not restore the visibility label of %s", target)
        try:
            if old is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(old)
        except OSError:
            log.exception("could not restore %s", target)

    async def _cmd_delete(self, msg: Incoming, arg: str) -> Reply:
        refused = self._admin_gate(msg, f"delete {arg!r}"[:200])
        if refused:
            return refused
        if not arg:
            return Reply(M.DELETE_USAGE_HTML)
        searcher = await self.open()
        if searcher is None:
            return Reply(M.NO_INDEX_HTML)
        arg = arg.strip().strip("`")
        doc = searcher.document(arg)
        if doc is None:
            # only an id, a path or a whole số hiệu: a deletion takes no guess ("Điều 5 Nghị định 61", a bare "10")
            matches = [d for d in searcher.documents
                       if d.path == arg or d.number and fold(d.number) == fold(arg)]
            if len(matches) > 1:
                ids = "\n".join(f"<code>{esc(d.id)}</code>" for d in matches[:20])
                return Reply(M.DELETE_AMBIGUOUS_HTML.format(query=esc_clip(arg, 100), ids=ids))
            doc = matches[0] if matches else None
        if doc is None:
            return Reply(M.DELETE_NOT_FOUND_HTML.format(id=esc_clip(arg, 200)))
        knowledge = self.config.knowledge
        path = knowledge / doc.path
        if not doc.path or not _inside(path, knowledge) or path.is_symlink():
            return Reply(M.DELETE_UNSAFE_HTML)
        async with self.build_lock:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                return Reply(M.DELETE_FAILED_HTML.format(reason=esc_clip(exc.strerror or str(exc), 200)))
            self.log.add_event("delete", user_id=msg.user_id, chat_id=msg.chat_id, detail=doc.id)
            with contextlib.suppress(OSError):  # a later file of that name starts without the old label
                vis.write_upload(knowledge, doc.path, None)
            report = await self._rebuild()
        return Reply(
            M.DELETE_OK_HTML.format(title=esc_clip(doc.title, 300), id=esc(doc.id))
            + "\n"
            + self._report(report)
        )

    async def _cmd_stats(self, msg: Incoming, arg: str) -> Reply:
        refused = self._admin_gate(msg, "stats")
        if refused:
            return refused
        searcher = await self.open()
        index = searcher.stats() if searcher else {"documents": 0, "passages": 0}
        s = await asyncio.to_thread(self.log.stats)

        def listing(rows: list[tuple[str, int]]) -> str:
            if not rows:
                return M.STATS_NONE_HTML
            return "\n".join(
                M.STATS_LINE_HTML.format(n=i, text=esc_clip(t, 150), count=c)
                for i, (t, c) in enumerate(rows, 1)
            )

        blocks = [
            "\n".join(
                [
                    M.STATS_HEADER_HTML,
                    M.STATS_INDEX_HTML.format(documents=index["documents"], passages=index["passages"]),
                    M.STATS_QUESTIONS_HTML.format(
                        questions=s["questions"],
                        users=s["users"],
                        unanswered=s["unanswered"],
                        refusals=s["refusals"],
                    ),
                    M.STATS_FEEDBACK_HTML.format(up=s["feedback_up"], down=s["feedback_down"]),
                ]
            ),
            M.STATS_TOP_HTML + "\n" + listing(s["top"]),
            M.STATS_UNANSWERED_HTML + "\n" + listing(s["top_unanswered"]),
        ]
        return Reply(join_blocks(blocks))

    def close(self) -> None:
        """Stop the reader threads and the folder sync (the query log is closed by its owner)."""
        if self._sync_task is not None:
            self._sync_task.cancel()
        self._readers.shutdown(wait=False, cancel_futures=True)

    async def wait_idle(self) -> None:
        """Wait for a running reindex (the terminal chat waits before exiting)."""
        if self._reindex_task is not None:
            with contextlib.suppress(Exception):
                await self._reindex_task
