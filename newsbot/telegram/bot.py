"""The Telegram bot as a PTB Application: the gate in group -1, the handlers, the error handler, the
command menu, and `serve` for long polling or a webhook. Tokens never reach the logs."""

from __future__ import annotations

import gc
import logging
import uuid
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    InvalidCallbackData,
    MessageHandler,
    TypeHandler,
    filters,
)

from newsbot.app import Newsbot
from newsbot.settings import Settings
from newsbot.telegram.admin import Admin
from newsbot.telegram.conversation import Conversation, SourceButton, VoteButton
from newsbot.telegram.feeds import FeedDesk
from newsbot.telegram.follow import AskButton, Following
from newsbot.telegram.state import BotState
from newsbot.telegram.gate import Gate
from newsbot.telegram.send import reply

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "what I know and how to ask"),
    BotCommand("help", "how to ask questions"),
    BotCommand("ask", "ask a question (in groups)"),
    BotCommand("new", "start a new conversation"),
    BotCommand("latest", "the newest stories (or: /latest this week)"),
    BotCommand("stats", "index and usage figures (admins)"),
    BotCommand("add", "add the article at a link (admins)"),
    BotCommand("follow", "be told when news about a topic arrives"),
    BotCommand("following", "the topics you follow"),
    BotCommand("unfollow", "stop following a topic"),
    BotCommand("feeds", "the feeds polled for news (admins)"),
    BotCommand("feed_add", "poll a feed for news (admins)"),
    BotCommand("feed_remove", "stop polling a feed (admins)"),
]
KEYBOARDS_KEPT = 1000
SEND_RETRIES = 3
ERROR_REPLY = "Sorry, something went wrong. Please try again."


class RedactingFilter(logging.Filter):
    """Replaces the bot token wherever it appears in a log record (httpx logs URLs that hold it)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg, record.args = message.replace(self.secret, "<token>"), None
            if record.exc_info and record.exc_info[1] and self.secret in str(record.exc_info[1]):
                record.exc_info = None
                record.msg = f"{record.msg} (exception text withheld: it contained the token)"
        return True


def protect_logs(token: str) -> None:
    """Add the redacting filter to every handler of the root logger, and quiet httpx."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter(token))
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler's failure and tell the user, unless the user blocked the bot."""
    error = context.error
    log.error("handling an update failed: %s: %s", type(error).__name__, error)
    if isinstance(update, Update) and update.effective_message and not isinstance(error, Forbidden):
        await reply(update.effective_message, ERROR_REPLY)


async def setup(application: Application) -> None:
    """Learn the bot's username and register the command menu (failures are logged, not fatal), warm
    the answering threads up, and move the startup heap (model, libraries) out of the cyclic garbage
    collector's way: a full collection over it holds every thread, the event loop too, for a quarter
    of a second."""
    newsbot: BotState = application.bot_data["newsbot"]
    try:
        await newsbot.warm_up()
    except Exception:
        log.exception("warming the answering threads up failed; the first questions may be slower")
    gc.collect()
    gc.freeze()
    application.bot_data["feeds"].schedule(application.job_queue)
    try:
        newsbot.username = (await application.bot.get_me()).username or ""
    except TelegramError as exc:
        log.warning("getMe failed: %s", exc)
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:
        log.warning("registering the command menu failed: %s", exc)


def build_application(settings: Settings, newsbot: BotState) -> Application:
    """A PTB Application with the gate and every handler, the flood limiter (which retries flood
    waits), buttons that carry objects, and a bounded number of updates handled at once."""
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .rate_limiter(AIORateLimiter(max_retries=SEND_RETRIES))
        .arbitrary_callback_data(KEYBOARDS_KEPT)
        .concurrent_updates(settings.concurrent_updates)
        .post_init(setup)
        .build()
    )
    application.bot_data["newsbot"] = newsbot
    talk, admin = Conversation(newsbot), Admin(newsbot)
    following = Following(newsbot, talk)
    desk = FeedDesk(newsbot, following)
    application.bot_data["feeds"] = desk
    application.add_handler(TypeHandler(Update, Gate(settings).check), group=-1)
    application.add_handlers([
        CommandHandler("start", talk.start),
        CommandHandler("help", talk.help),
        CommandHandler("new", talk.new),
        CommandHandler("latest", talk.latest),
        CommandHandler("ask", talk.ask_command),
        CommandHandler("stats", admin.stats),
        CommandHandler("add", admin.add_url),
        CommandHandler("follow", following.follow),
        CommandHandler("following", following.list),
        CommandHandler("unfollow", following.unfollow),
        CommandHandler("feeds", desk.list),
        CommandHandler("feed_add", desk.add),
        CommandHandler("feed_remove", desk.remove),
        MessageHandler(filters.TEXT & ~filters.COMMAND, talk.on_text),
        MessageHandler(filters.Document.ALL, admin.on_document),
        MessageHandler(~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, talk.on_other),
        CallbackQueryHandler(talk.on_source, pattern=SourceButton),
        CallbackQueryHandler(talk.on_vote, pattern=VoteButton),
        CallbackQueryHandler(following.on_ask, pattern=AskButton),
        CallbackQueryHandler(talk.on_expired, pattern=InvalidCallbackData),
        InlineQueryHandler(talk.on_inline),
    ])
    application.add_error_handler(on_error)
    return application


def webhook_options(webhook_url: str, listen: str, secret_token: str) -> dict:
    """The arguments of PTB's webhook server: listen on `host:port` at the path of `webhook_url`,
    and accept only requests that carry `secret_token` (Telegram sends it as set with setWebhook)."""
    host, _, port = listen.rpartition(":")
    return {"listen": host or "127.0.0.1", "port": int(port), "url_path": urlparse(webhook_url).path.lstrip("/"),
            "webhook_url": webhook_url, "allowed_updates": Update.ALL_TYPES, "secret_token": secret_token}


def serve(settings: Settings, app: Newsbot, webhook_url: str | None = None, listen: str = "127.0.0.1:8443") -> None:
    """Run the bot until interrupted: long polling, or a webhook when `webhook_url` is given. The
    caller opened `app` and closes it."""
    protect_logs(settings.telegram_bot_token or "")
    app.embedder.encode(["warm up"])
    app.embedder.encode_query("warm up")
    newsbot = BotState(settings, app)
    try:
        application = build_application(settings, newsbot)
        if webhook_url:
            application.run_webhook(**webhook_options(webhook_url, listen, uuid.uuid4().hex))
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        newsbot.close()
