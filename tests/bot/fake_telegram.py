"""A small fake Telegram Bot API server (aiohttp) for end-to-end tests of the real PTB Application.

It implements the methods the bot uses, queues updates that tests inject (served by getUpdates long
polling), keeps the messages the bot sends so that tests can reply to them, serves uploaded files, and
records every call. Like Telegram, it refuses what Telegram refuses (HTML it cannot parse or with
unsupported tags, texts over 4,096 characters, callback data over 64 bytes, bad inline results: see
`rejected`), and it can be told to fail (`fail`): 429 with retry_after, 409 Conflict, 5xx, a connection
dropped before anything is done, a request that stalls past the client's timeout and is then carried out
anyway, an error whose description contains the request URL (and so the token).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopqrstu"
BOT_ID = 123456789
BOT_USERNAME = "danvan_test_bot"
# Parameters PTB sends as raw strings (everything else is JSON-encoded).
_STRING_PARAMS = {
    "text",
    "parse_mode",
    "callback_query_id",
    "inline_query_id",
    "inline_message_id",
    "file_id",
    "action",
    "url",
    "secret_token",
    "next_offset",
    "language_code",
    "caption",
    "business_connection_id",
}


@dataclass
class Call:
    method: str
    params: dict
    at: float


@dataclass
class Fault:
    """An injected failure for the next `times` calls of `method` (None: any method but getUpdates)."""

    method: str | None
    kind: str  # "429" | "409" | "500" | "502" | "drop" | "stall" | "url-error"
    times: int = 1
    retry_after: int = 1
    stall: float = 1.0
    hits: list[float] = field(default_factory=list)  # when it struck


TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
                 "tg-spoiler", "span", "tg-emoji"}


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode, strictly enough for tests: the text without tags, or an error."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in TELEGRAM_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'

    def handle_data(self, data):
        if "<" in data or ">" in data:  # must be &lt; &gt; outside tags
            self.error = self.error or "Unexpected character"
        self.text.append(data)

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = self.error or f'Unsupported HTML entity "&{name};"'
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name, ""))

    def handle_charref(self, name):
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))


def parse_telegram_html(html: str) -> tuple[str, str | None]:
    """(the text as Telegram shows it, error description or None)."""
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", html):
        return html, "Bad Request: can't parse entities: character entity expected"
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    if parser.error or parser.stack or parser.rawdata:
        error = parser.error or (f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
                                 if parser.stack else "Unexpected end of text")
        return html, f"Bad Request: can't parse entities: {error}"
    return "".join(parser.text), None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    def __init__(self, token: str = TOKEN, hold: float = 0.25):
        self.token = token
        self.hold = hold  # longest time getUpdates waits for an update
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> message
        self.chats: dict[int, dict] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._sent: dict[int, list[dict]] = {}  # chat id -> sendMessage params, in order
        self.faults: list[Fault] = []
        self.injected: list[Call] = []  # calls that met an injected fault
        self.rejected: list[tuple[str, str]] = []  # (method, description) refused as Telegram would
        self.too_old: set[str] = set()  # callback query ids whose answer Telegram refuses (too late)
        self.base = ""
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Hỏi đáp Dân vận",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server
    async def start(self) -> FakeTelegram:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @staticmethod
    def _decode(key: str, value: str):
        if key in _STRING_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    # -- faults
    def fail(self, method: str | None, kind: str, times: int = 1, **options) -> Fault:
        """Make the next `times` calls of method (None: any but getUpdates) fail this way."""
        fault = Fault(method, kind, times, **options)
        self.faults.append(fault)
        return fault

    def _fault_for(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and (fault.method == method or (fault.method is None and method != "getUpdates")):
                fault.times -= 1
                fault.hits.append(time.monotonic())
                return fault
        return None

    async def _inject(self, fault: Fault, request: web.Request, method: str, params: dict):
        """The response for an injected fault, or None to carry the request out after all (a stall)."""
        self.injected.append(Call(method, params, time.monotonic()))

        def error(status: int, description: str, **extra) -> web.Response:
            return web.json_response({"ok": False, "error_code": status, "description": description, **extra},
                                     status=status)

        if fault.kind == "429":
            return error(429, f"Too Many Requests: retry after {fault.retry_after}",
                         parameters={"retry_after": fault.retry_after})
        if fault.kind == "409":
            return error(409, "Conflict: terminated by other getUpdates request; "
                              "make sure that only one bot instance is running")
        if fault.kind in ("500", "502", "503", "504"):
            return error(int(fault.kind), {"500": "Internal Server Error", "502": "Bad Gateway",
                                           "503": "Service Unavailable", "504": "Gateway Timeout"}[fault.kind])
        if fault.kind == "url-error":
            return error(400, f"Bad Request: request to {request.url} failed")
        if fault.kind == "drop":
            request.transport.close()
            return web.Response()
        if fault.kind == "stall":  # the client times out; Telegram carries the request out anyway
            await asyncio.sleep(fault.stall)
            return None
        raise ValueError(fault.kind)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict = {k: self._decode(k, v) for k, v in request.query.items()}
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                params.update({k: self._decode(k, v) for k, v in form.items() if isinstance(v, str)})
        handler = getattr(self, "_m_" + method.lower(), None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"}, status=404
            )
        fault = self._fault_for(method)
        if fault is not None:
            response = await self._inject(fault, request, method, params)
            if response is not None:
                return response
        problem = self._check(method, params)
        if problem:
            self.rejected.append((method, problem))
            return web.json_response({"ok": False, "error_code": 400, "description": problem}, status=400)
        if method != "getUpdates":
            self.calls.append(Call(method, params, time.monotonic()))
            if method == "sendMessage":
                self._sent.setdefault(int(params["chat_id"]), []).append(params)
        try:
            result = await handler(params)
        except _ApiError as exc:
            self.rejected.append((method, exc.description))
            return web.json_response(
                {"ok": False, "error_code": 400, "description": exc.description}, status=400
            )
        if method != "getUpdates":
            async with self._changed:
                self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        fault = self._fault_for("download")
        if fault is not None:
            response = await self._inject(fault, request, "download", {"path": path})
            if response is not None:
                return response
        for file_path, data in self.files.values():
            if file_path == path:
                self.calls.append(Call("download", {"path": path}, time.monotonic()))
                return web.Response(body=data)
        return web.Response(status=404)

    # -- what Telegram refuses
    @staticmethod
    def _check_text(text, parse_mode) -> str | None:
        if not isinstance(text, str) or not text.strip():
            return "Bad Request: message text is empty"
        shown = text
        if parse_mode == "HTML":
            shown, error = parse_telegram_html(text)
            if error:
                return error
        if not shown.strip():
            return "Bad Request: message text is empty"
        if utf16_len(shown) > 4096:
            return "Bad Request: message is too long"
        return None

    @staticmethod
    def _check_markup(markup) -> str | None:
        for row in (markup or {}).get("inline_keyboard", []):
            for b in row:
                if not b.get("text"):
                    return "Bad Request: text buttons are unallowed in the inline keyboard"
                data = b.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
        return None

    def _check(self, method: str, p: dict) -> str | None:
        if method in ("sendMessage", "editMessageText"):
            return self._check_text(p.get("text"), p.get("parse_mode")) or self._check_markup(p.get("reply_markup"))
        if method == "answerCallbackQuery":
            if str(p.get("callback_query_id")) in self.too_old:
                return "Bad Request: query is too old and response timeout expired or query ID is invalid"
            if p.get("text") and len(p["text"]) > 200:
                return "Bad Request: MESSAGE_TOO_LONG"
        if method == "answerInlineQuery":
            results = p.get("results") or []
            if len(results) > 50:
                return "Bad Request: RESULTS_TOO_MUCH"
            ids = [r.get("id", "") for r in results]
            if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
                return "Bad Request: RESULT_ID_INVALID"
            for r in results:
                content = r.get("input_message_content") or {}
                problem = self._check_text(content.get("message_text"), content.get("parse_mode"))
                if problem or not r.get("title"):
                    return problem or "Bad Request: RESULT_TITLE_EMPTY"
        return None

    # -- Bot API methods
    async def _m_getme(self, p):
        return self.bot_user

    async def _m_setwebhook(self, p):
        return True

    async def _m_deletewebhook(self, p):
        return True

    async def _m_setmycommands(self, p):
        return True

    async def _m_sendchataction(self, p):
        return True

    async def _m_answercallbackquery(self, p):
        return True

    async def _m_answerinlinequery(self, p):
        return True

    async def _m_getupdates(self, p):
        offset = int(p.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = min(float(p.get("timeout") or 0), self.hold)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self.updates and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        limit = int(p.get("limit") or 100)
        return self.updates[:limit]

    async def _m_sendmessage(self, p):
        chat_id = int(p["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "from": self.bot_user,
            "chat": self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "Cán bộ"}),
            "text": p.get("text", ""),
        }
        if p.get("message_thread_id"):
            message["message_thread_id"] = int(p["message_thread_id"])
            message["is_topic_message"] = True
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_editmessagetext(self, p):
        if p.get("inline_message_id"):
            return True
        key = (int(p["chat_id"]), int(p["message_id"]))
        if key not in self.messages:
            raise _ApiError("Bad Request: message to edit not found")
        message = self.messages[key]
        if message["text"] == p.get("text") and message.get("reply_markup") == p.get("reply_markup"):
            raise _ApiError("Bad Request: message is not modified")
        message["text"] = p.get("text", "")
        message["edit_date"] = int(time.time())
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_getfile(self, p):
        file_id = p["file_id"]
        if file_id not in self.files:
            raise _ApiError("Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_size": len(data),
            "file_path": path,
        }

    # -- injecting updates
    def _push(self, kind: str, payload: dict) -> dict:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)

        async def notify():
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())
        return update

    @staticmethod
    def user(user_id: int, name: str = "Cán bộ") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}

    def private_chat(self, user_id: int) -> dict:
        chat = {"id": user_id, "type": "private", "first_name": "Cán bộ"}
        self.chats[user_id] = chat
        return chat

    def group_chat(self, chat_id: int = -100200300, forum: bool = False) -> dict:
        chat = {"id": chat_id, "type": "supergroup", "title": "Họp giao ban Ban Dân vận"}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def text_message(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat: dict | None = None,
        reply_to: dict | None = None,
        thread_id: int | None = None,
    ) -> dict:
        """A user's text message (not queued)."""
        chat = chat or self.private_chat(user_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return message

    def send_text(self, text: str, **kwargs) -> dict:
        """A user's text message, queued as an update; returns the message."""
        message = self.text_message(text, **kwargs)
        self._push("message", message)
        return message

    def send_document(
        self,
        file_name: str,
        data: bytes,
        *,
        user_id: int,
        mime: str = "",
        chat: dict | None = None,
        caption: str | None = None,
        declare_size: bool = True,
    ) -> dict:
        """A user sends a file (declare_size=False: the update does not say how big it is)."""
        file_id = f"file{next(self._ids)}"
        safe = re.sub(r"[^\w.-]", "_", file_name)[-60:]
        self.files[file_id] = (f"documents/{file_id}_{safe}", data)
        chat = chat or self.private_chat(user_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id),
            "document": {
                "file_id": file_id,
                "file_unique_id": "u" + file_id,
                "file_name": file_name,
                "mime_type": mime or "application/octet-stream",
            },
        }
        if declare_size:
            message["document"]["file_size"] = len(data)
        if caption:
            message["caption"] = caption
        self._push("message", message)
        return message

    def press(self, message: dict, data: str, *, user_id: int = 1001) -> dict:
        """A button press on a message the bot sent."""
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id),
            "chat_instance": "ci1",
            "message": message,
            "data": data,
        }
        return self._push("callback_query", query)

    def inline_query(self, text: str, *, user_id: int = 1001) -> dict:
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id),
            "query": text,
            "offset": "",
            "chat_type": "sender",
        }
        return self._push("inline_query", query)

    # -- looking at what the bot did
    def calls_of(self, method: str, where: Callable[[dict], bool] | None = None) -> list[dict]:
        return [c.params for c in self.calls if c.method == method and (where is None or where(c.params))]

    def sent_to(self, chat_id: int) -> list[dict]:
        return list(self._sent.get(chat_id, ()))

    def bot_message(self, chat_id: int, message_id: int) -> dict:
        return self.messages[(chat_id, message_id)]

    def last_bot_message(self, chat_id: int) -> dict:
        mine = [m for (c, _), m in self.messages.items() if c == chat_id]
        return mine[-1]

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
        """Wait until predicate() is truthy (re-checked whenever the bot calls the API); return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.1))
                except TimeoutError:
                    pass


class _ApiError(Exception):
    def __init__(self, description: str):
        super().__init__(description)
        self.description = description
