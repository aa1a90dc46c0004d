"""The Telegram front end (python-telegram-bot 22): turns updates into the conversation core's plain data and
its Replies into Bot API calls. No behaviour of its own beyond Telegram's mechanics (reply threading, forum
topics, editing, inline results, file download)."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import messages as M
from .access import INLINE
from .config import Config
from .conversation import Conversation, Incoming, Reply
from .logs import REDACTED, install_redaction, redact, redact_secrets
from .querylog import QueryLog

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
DOWNLOAD_ATTEMPTS = 3
CONCURRENT_UPDATES = 16  # handled at once; more only makes the event loop lag (answers are limited to 30/s anyway)
REDACTED_HTML = html.escape(REDACTED)


def outgoing(text_html: str) -> str:
    """A message about to be sent, with the bot token taken out should it ever be in it (e.g. pasted into a
    document by mistake)."""
    return redact_secrets(text_html, REDACTED_HTML)


def not_carried_out(exc: TelegramError) -> bool:
    """Is it safe to send this failed request again, i.e. did Telegram not carry it out? Yes for an error
    status from the server (5xx), for a connection that could not be made, and for one closed before any
    answer came (a stale keep-alive connection, a failing proxy: the request was not taken in). No for a
    read timeout (Telegram usually does send the message, late: repeating it would answer twice) and for a
    Bad Request (it would fail again)."""
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return False
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(cause, (httpx.ConnectTimeout, httpx.PoolTimeout))
    if cause is None:  # raised for an HTTP error status
        return True
    return isinstance(cause, (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter keeps within Telegram's flood limits (30 messages/s overall, 20 per minute per group)
    and, on a 429, waits out retry_after, holding back every other request meanwhile, then retries (up to
    max_retries times). On top of that: requests Telegram did not carry out (see not_carried_out)
    are retried network_retries times with a doubling pause (0.5 s, 1 s, ... 8 s: an outage of about 15 s is
    ridden out). getUpdates never comes here: the Updater retries it itself, pausing 1 s, 1.5 s, ... 30 s."""

    def __init__(self, *, network_retries: int = 5, backoff: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.network_retries = network_retries
        self.backoff = backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        delay = self.backoff
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except TelegramError as exc:
                if attempt == self.network_retries or not not_carried_out(exc):
                    raise
                log.warning(
                    "%s failed (%s); retry %s of %s in %.1f s",
                    endpoint,
                    redact(str(exc)),
                    attempt + 1,
                    self.network_retries,
                    delay,
                )
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(b.text, url=b.url)
            if b.url
            else InlineKeyboardButton(b.text, callback_data=b.data)
            for b in row
        ]
        for row in reply.buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramFrontend:
    def __init__(self, conversation: Conversation, retry_backoff: float = 0.5):
        self.conv = conversation
        self.retry_backoff = retry_backoff

    # -- plumbing
    def register(self, app: Application) -> None:
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL, self.on_document))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(InlineQueryHandler(self.on_inline))
        app.add_error_handler(self.on_error)

    async def on_startup(self, app: Application) -> None:
        """post_init: learn the bot's username, open the index, register the command menus."""
        self.conv.bot_username = app.bot.username or ""
        await self.conv.open()
        self.conv.start_sync()  # rescan the knowledge folder every sync_interval seconds
        public = [BotCommand(name, text) for name, text in M.COMMANDS]
        admin = public + [BotCommand(name, text) for name, text in M.ADMIN_COMMANDS]
        await app.bot.set_my_commands(public, scope=BotCommandScopeDefault())
        for admin_id in sorted(self.conv.config.admins):
            try:  # fails until the admin has opened a chat with the bot; harmless
                await app.bot.set_my_commands(admin, scope=BotCommandScopeChat(admin_id))
            except TelegramError as exc:
                log.info("admin command menu for %s not set: %s", admin_id, exc)
        log.info(
            "bot @%s ready: %s admins, index %s",
            self.conv.bot_username,
            len(self.conv.config.admins),
            self.conv.config.db,
        )

    async def on_shutdown(self, app: Application) -> None:
        await self.conv.stop_sync()
        self.conv.close()
        self.conv.log.close()

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """allowed_chats: updates from any other chat (every update type) stop here."""
        chat = update.effective_chat
        user = update.effective_user
        if not self.conv.allowed(chat.id if chat else None, user.id if user else None):
            log.debug(
                "update %s from chat %s ignored (not in allowed_chats)",
                update.update_id,
                chat.id if chat else None,
            )
            raise ApplicationHandlerStop

    @staticmethod
    def _incoming(update: Update, text: str = "") -> Incoming:
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        reply_to_bot = False
        if message is not None and message.reply_to_message is not None:
            original = message.reply_to_message
            reply_to_bot = bool(
                original.from_user
                and original.from_user.id == message.get_bot().id
                and original.forum_topic_created is None
            )
        return Incoming(
            user_id=user.id if user else 0,
            chat_id=chat.id if chat else (user.id if user else 0),
            # no chat: an inline query, or a button under a message sent inline (it may be anywhere): public
            chat_type=chat.type if chat else (INLINE if update.callback_query or update.inline_query
                                              else ChatType.PRIVATE),
            text=text,
            reply_to_bot=reply_to_bot,
        )

    async def send(
        self, bot, chat_id: int, reply: Reply, *, thread_id: int | None = None, reply_to: int | None = None
    ) -> Message | None:
        if not reply.text_html:
            return None
        params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        return await bot.send_message(
            chat_id,
            outgoing(reply.text_html),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            message_thread_id=thread_id,
            reply_parameters=params,
            link_preview_options=NO_PREVIEW,
        )

    async def respond(self, context: ContextTypes.DEFAULT_TYPE, message, reply: Reply | None) -> None:
        """Answer a message: in groups as a reply to it, inside its forum topic when there is one; then start
        sending the reply's follow-up when it completes."""
        if reply is None:
            return
        chat = message.chat
        group = chat.type != ChatType.PRIVATE
        thread_id = message.message_thread_id if getattr(message, "is_topic_message", False) else None
        reply_to = message.message_id if group else None
        await self.send(context.bot, chat.id, reply, thread_id=thread_id, reply_to=reply_to)
        if reply.followup is not None:
            context.application.create_task(
                self._follow(context, chat.id, thread_id, reply_to, reply.followup)
            )

    async def _follow(self, context, chat_id: int, thread_id: int | None, reply_to: int | None, task) -> None:
        try:
            reply = await task
            await self.send(context.bot, chat_id, reply, thread_id=thread_id, reply_to=reply_to)
        except Exception:
            log.exception("sending a follow-up failed")

    # -- handlers
    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        reply = await self.conv.handle_message(self._incoming(update, message.text or ""))
        await self.respond(context, message, reply)

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        document = message.document

        async def fetch() -> bytes:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(message.chat.id, ChatAction.TYPING)
            for attempt in range(DOWNLOAD_ATTEMPTS):
                try:
                    file = await context.bot.get_file(document.file_id)
                    return bytes(await file.download_as_bytearray())
                except NetworkError as exc:  # a download can be repeated safely; a Bad Request cannot help
                    if isinstance(exc, BadRequest) or attempt + 1 == DOWNLOAD_ATTEMPTS:
                        raise
                    log.warning("download of %r failed (%s); trying again", document.file_name, redact(str(exc)))
                    await asyncio.sleep(self.retry_backoff * 2**attempt)
            raise AssertionError("unreachable")

        reply = await self.conv.handle_upload(
            self._incoming(update, message.caption or ""), document.file_name or "", document.file_size, fetch
        )
        await self.respond(context, message, reply)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        reply = await self.conv.handle_button(self._incoming(update), query.data or "")
        try:
            await query.answer(reply.notice)
        except TelegramError as exc:  # too old, already answered: only the pop-up is lost
            log.info("callback query %s not answered: %s", query.id, exc)
        if not reply.text_html:
            return
        if reply.edit:
            try:
                await query.edit_message_text(
                    outgoing(reply.text_html),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(reply),
                    link_preview_options=NO_PREVIEW,
                )
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                log.info("editing failed (%s); sending a new message", exc)
        if query.message is not None:
            await self.respond(context, query.message, reply)
        else:  # a button under a message sent in inline mode: answer in the private chat
            try:
                await self.send(context.bot, query.from_user.id, reply)
            except Forbidden:
                pass

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        answer = await self.conv.handle_inline(self._incoming(update), query.query)
        results = [
            InlineQueryResultArticle(
                id=item.id,
                title=item.title,
                description=item.description,
                input_message_content=InputTextMessageContent(
                    outgoing(item.text_html), parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                ),
            )
            for item in answer.items
        ]
        button = (
            InlineQueryResultsButton(text=answer.button_text, start_parameter="help")
            if answer.button_text
            else None
        )
        await query.answer(results, cache_time=30, is_personal=False, button=button)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log; in a private chat, apologise for a fault of the bot's own. A request Telegram failed or refused
        (network, flood limit, blocked by the user) is only logged: an apology would fail the same way, or
        come after an answer that did arrive."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, (NetworkError, RetryAfter, Conflict, Forbidden)) and not isinstance(error, BadRequest):
            log.warning("Telegram request failed while handling update %s: %s", update_id, redact(str(error)))
            return
        log.error("error while handling update %s", update_id, exc_info=error)
        if (
            isinstance(update, Update)
            and update.effective_chat
            and update.effective_message
            and update.effective_chat.type == ChatType.PRIVATE
            and update.callback_query is None
        ):
            try:
                await context.bot.send_message(
                    update.effective_chat.id, M.ERROR_HTML, parse_mode=ParseMode.HTML
                )
            except TelegramError:
                pass


def build_application(
    config: Config,
    token: str,
    *,
    conversation: Conversation | None = None,
    request_timeout: float | None = None,
    retry_backoff: float = 0.5,
    max_rate: float = 30,
) -> Application:
    """The production Application: the Bot API URLs from the config, flood limits and retries
    (RetryingRateLimiter), concurrent updates (a reindex or an upload never holds up questions), handlers and
    start-up hooks. request_timeout (seconds; PTB's default 5 s), retry_backoff and max_rate (messages per
    second overall; Telegram's limit is 30) are for tests."""
    install_redaction(token)  # never in a log line, nor in a message the bot sends
    conv = conversation or Conversation(config, QueryLog(config.querylog))
    frontend = TelegramFrontend(conv, retry_backoff)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .rate_limiter(RetryingRateLimiter(max_retries=3, backoff=retry_backoff, overall_max_rate=max_rate))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(frontend.on_startup)
        .post_shutdown(frontend.on_shutdown)
    )
    if request_timeout is not None:
        t = request_timeout
        builder = builder.connect_timeout(t).read_timeout(t).write_timeout(t).pool_timeout(t)
        builder = builder.get_updates_connect_timeout(t).get_updates_read_timeout(t)
        builder = builder.get_updates_write_timeout(t).get_updates_pool_timeout(t)
    app = builder.build()
    frontend.register(app)
    app.bot_data["frontend"] = frontend
    return app


def webhook_options(config: Config) -> dict:
    """Arguments of Application.run_webhook / Updater.start_webhook from the config."""
    wh = config.webhook
    return {
        "listen": wh.listen,
        "port": wh.port,
        "url_path": wh.path,
        "webhook_url": wh.url,
        "secret_token": wh.secret_token or secrets.token_urlsafe(32),
        "allowed_updates": Update.ALL_TYPES,
    }


def run(config: Config, token: str) -> int:
    """Run the bot until interrupted, by long polling or behind a webhook."""
    app = build_application(config, token)
    if config.mode == "webhook":
        app.run_webhook(**webhook_options(config))
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
