"""The Telegram front end (python-telegram-bot 22): turns updates into the conversation core's plain data and
its Replies into Bot API calls. No behaviour of its own beyond Telegram's mechanics (reply threading, forum
topics, editing, inline results, file download)."""

from __future__ import annotations

import logging
import secrets

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
from telegram.error import BadRequest, Forbidden, TelegramError
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
from .config import Config
from .conversation import Conversation, Incoming, Reply
from .querylog import QueryLog

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


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
    def __init__(self, conversation: Conversation):
        self.conv = conversation

    # -- plumbing
    def register(self, app: Application) -> None:
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self.on_text))
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.Document.ALL & filters.ChatType.PRIVATE, self.on_document
            )
        )
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(InlineQueryHandler(self.on_inline))
        app.add_error_handler(self.on_error)

    async def on_startup(self, app: Application) -> None:
        """post_init: learn the bot's username, open the index, register the command menus."""
        self.conv.bot_username = app.bot.username or ""
        await self.conv.open()
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
            chat_type=chat.type if chat else ChatType.PRIVATE,
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
            reply.text_html,
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
            await context.bot.send_chat_action(message.chat.id, ChatAction.TYPING)
            file = await context.bot.get_file(document.file_id)
            return bytes(await file.download_as_bytearray())

        reply = await self.conv.handle_upload(
            self._incoming(update), document.file_name or "", document.file_size, fetch
        )
        await self.respond(context, message, reply)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        reply = await self.conv.handle_button(self._incoming(update), query.data or "")
        await query.answer(reply.notice)
        if not reply.text_html:
            return
        if reply.edit:
            try:
                await query.edit_message_text(
                    reply.text_html,
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
                    item.text_html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
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
        log.error("error while handling an update", exc_info=context.error)
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


def build_application(config: Config, token: str, *, conversation: Conversation | None = None) -> Application:
    """The production Application: the Bot API URLs from the config, AIORateLimiter, concurrent updates (a
    reindex or an upload never holds up questions), handlers and start-up hooks."""
    conv = conversation or Conversation(config, QueryLog(config.querylog))
    frontend = TelegramFrontend(conv)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(frontend.on_startup)
        .post_shutdown(frontend.on_shutdown)
        .build()
    )
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
