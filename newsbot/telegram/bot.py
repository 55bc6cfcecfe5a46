"""The Telegram front end (python-telegram-bot v22): handlers over the answer engine.

Telegram types stay in this module. Encoding and search run in worker threads so one slow
question never stalls the event loop; sends go through `_send`, which degrades instead of failing.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from newsbot.answer.engine import QuestionError
from newsbot.answer.types import Answer, Turn
from newsbot.app import Newsbot
from newsbot.telegram import render
from newsbot.telegram.questions import QuestionLog
from newsbot.telegram.ratelimit import RateLimiter, Verdict
from newsbot.telegram.render import escape
from newsbot.settings import Settings
from newsbot.telegram.uploads import UploadRefused, check_content, check_declared, upload_label
from newsbot.index.articles import ArticleError, load_bytes
from newsbot.index.store import StoreError
from newsbot.web.fetch import FetchError, FetchPolicy, fetch_article

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "what I know and how to ask"),
    BotCommand("help", "how to ask questions"),
    BotCommand("ask", "ask a question (in groups)"),
    BotCommand("new", "start a new conversation"),
    BotCommand("stats", "index and usage figures (admins)"),
    BotCommand("add", "add the article at a link (admins)"),
]
ANSWERS_KEPT = 1000
NON_TEXT_REPLY = "I can only read text. Send me a question about the news in words."
DOWNLOAD_FAILED_REPLY = "I could not download that file from Telegram; nothing was added. Please send it again."
RATE_LIMIT_REPLY = "You're asking faster than I can read. Please wait a minute and try again."


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


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


class NewsBot:
    """The state the handlers share: engine, store, settings, recent answers, rate limits."""

    def __init__(self, settings: Settings, app: Newsbot, fetch_policy: FetchPolicy = FetchPolicy()) -> None:
        self.settings = settings
        self.app = app
        self.log = QuestionLog(settings.index_dir)
        self.limiter = RateLimiter(settings.questions_per_minute)
        self.answers: OrderedDict[str, Answer] = OrderedDict()
        self.username = ""
        self.fetch_policy = fetch_policy
        self._ingest_lock = asyncio.Lock()
        self._workers = ThreadPoolExecutor(settings.answer_threads, thread_name_prefix="newsbot-answer")

    # -- plumbing --------------------------------------------------------------------------

    def allowed(self, update: Update) -> bool:
        allow = set(self.settings.allowed_ids)
        if not allow:
            return True
        user = update.effective_user.id if update.effective_user else None
        chat = update.effective_chat.id if update.effective_chat else None
        return bool({user, chat} & allow) or user in self.settings.admin_ids

    def is_admin(self, update: Update) -> bool:
        return bool(update.effective_user and update.effective_user.id in self.settings.admin_ids)

    def close(self) -> None:
        self._workers.shutdown(wait=True)
        self.log.close()

    def remember(self, answer: Answer) -> str:
        key = uuid.uuid4().hex[:12]
        self.answers[key] = answer
        while len(self.answers) > ANSWERS_KEPT:
            self.answers.popitem(last=False)
        return key

    async def _send(self, message: Message, html: str, plain: str, markup=None) -> Message | None:
        """Reply with HTML; on a parse error resend as plain text; on a timeout do not resend
        (the message may have arrived: nothing is answered twice); retry once on other network errors."""
        preview = LinkPreviewOptions(is_disabled=True)
        for attempt in range(2):
            try:
                return await message.reply_html(html, reply_markup=markup, link_preview_options=preview,
                                                do_quote=message.chat.type != ChatType.PRIVATE)
            except BadRequest as exc:
                log.warning("Telegram refused an HTML message (%s); sending plain text", exc.message)
                try:
                    return await message.reply_text(plain[: render.TELEGRAM_LIMIT], reply_markup=markup,
                                                    link_preview_options=preview)
                except TelegramError as again:
                    log.error("plain-text resend failed too: %s", again)
                    return None
            except TimedOut:
                log.warning("Telegram did not confirm a sent message in time; not resending")
                return None
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
            except NetworkError as exc:
                if attempt:
                    log.error("sending failed twice: %s", exc)
                    return None
                await asyncio.sleep(0.5)
        return None

    async def _typing(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        except TelegramError as exc:
            log.info("typing indicator failed: %s", exc)

    # -- commands ----------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.allowed(update):
            return await self.refuse(update)
        stats = await asyncio.to_thread(self.app.stats)
        span = f", from {stats.oldest} to {stats.newest}" if stats.oldest else ""
        text = (f"Hello! I answer questions about {stats.articles} news articles{span}, "
                "citing my sources like [1].\n\n" + self.help_text())
        await self._send(update.effective_message, escape(text), text)

    def help_text(self) -> str:
        name = f"@{self.username}" if self.username else "me"
        return ("Ask in plain words, e.g. “What did North Korea test in January 2022?”. "
                "Follow-up questions (“and the warhead?”) use our conversation; /new forgets it. "
                "Times like “last week” or “in 2021” narrow the search to those dates. "
                "Under each answer, tap a source to read the passage, or 👍/👎 to tell me how I did.\n"
                f"In groups, mention {name}, reply to me, or use /ask followed by the question.")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.allowed(update):
            return await self.refuse(update)
        text = self.help_text()
        await self._send(update.effective_message, escape(text), text)

    async def new(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.chat_data["history"] = []
        await self._send(update.effective_message, "Starting a new conversation.", "Starting a new conversation.")

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.is_admin(update):
            return await self._send(update.effective_message, "Only admins can see /stats.", "Only admins can see /stats.")
        stats = await asyncio.to_thread(self.app.stats)
        asked, mean = await asyncio.to_thread(self.log.totals)
        lines = [f"articles: {stats.articles}", f"passages: {stats.passages}",
                 f"index size: {stats.size_bytes / 1e6:.1f} MB", f"questions answered: {asked}",
                 f"mean latency: {mean:.0f} ms" if mean is not None else "mean latency: -"]
        text = "\n".join(lines)
        await self._send(update.effective_message, escape(text), text)

    async def refuse(self, update: Update) -> None:
        if update.effective_message:
            await self._send(update.effective_message, "Sorry, this bot is private.", "Sorry, this bot is private.")

    # -- questions ---------------------------------------------------------------------------

    def question_in(self, message: Message) -> str | None:
        """The question a message asks of the bot, or None when it is chatter not meant for it."""
        text = message.text or ""
        if message.chat.type == ChatType.PRIVATE:
            return text
        mention = f"@{self.username}".lower()
        if self.username and mention in text.lower():
            return re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE).strip()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.username == self.username:
            return text
        return None

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        question = self.question_in(message)
        if question is None:
            return
        await self.ask(update, context, question)

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = " ".join(context.args or [])
        if not question.strip():
            text = "Put the question after the command, e.g. /ask who won the final?"
            return await self._send(update.effective_message, escape(text), text)
        await self.ask(update, context, question)

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
        message = update.effective_message
        if not self.allowed(update):
            return await self.refuse(update)
        verdict = self.limiter.check(update.effective_user.id) if update.effective_user else Verdict.ANSWER
        if verdict is Verdict.WARN:
            return await self._send(message, RATE_LIMIT_REPLY, RATE_LIMIT_REPLY)
        if verdict is Verdict.IGNORE:
            return None
        await self._typing(update, context)
        history = context.chat_data.setdefault("history", [])
        started = time.perf_counter()
        try:
            answer, pages, plain = await self._answer(question, tuple(history))
        except QuestionError as exc:
            return await self._send(message, escape(str(exc)), str(exc))
        latency = (time.perf_counter() - started) * 1000
        history.append(Turn(answer.query, answer.text))
        del history[:-self.settings.history_turns]
        await asyncio.to_thread(self.log.asked, "telegram", answer.question, answer.abstained, latency)
        key = self.remember(answer)
        for number, page in enumerate(pages, start=1):
            markup = self.keyboard(key, answer) if number == len(pages) else None
            await self._send(message, page, plain if len(pages) == 1 else render.to_plain(page), markup)

    async def _answer(self, question: str, history: tuple[Turn, ...]) -> tuple[Answer, list[str], str]:
        """The answer with its Telegram pages and plain text, worked out in an answering thread
        (at most `answer_threads` at once), so the event loop is left only sending and receiving."""
        def work() -> tuple[Answer, list[str], str]:
            answer = self.app.ask(question, history)
            pages = render.telegram_html(answer)
            return answer, pages, render.to_plain(pages[0])
        return await asyncio.get_running_loop().run_in_executor(self._workers, work)

    def keyboard(self, key: str, answer: Answer) -> InlineKeyboardMarkup:
        sources = [InlineKeyboardButton(f"[{c.n}]", callback_data=f"s:{key}:{c.n}") for c in answer.citations]
        votes = [InlineKeyboardButton("👍", callback_data=f"v:{key}:1"),
                 InlineKeyboardButton("👎", callback_data=f"v:{key}:-1")]
        rows = [sources[i: i + 6] for i in range(0, len(sources), 6)]
        return InlineKeyboardMarkup([*rows, votes] if not answer.abstained else [votes])

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        kind, key, value = (query.data or "").split(":") if (query.data or "").count(":") == 2 else ("", "", "")
        answer = self.answers.get(key)
        if answer is None:
            return await self._answer_query(query, "That answer is too old; please ask again.")
        if kind == "v":
            vote = 1 if value == "1" else -1
            await asyncio.to_thread(self.log.voted, query.from_user.id if query.from_user else None, vote, answer)
            return await self._answer_query(query, "Thanks for the feedback!")
        if kind == "s" and value.isdigit() and 1 <= int(value) <= len(answer.citations):
            await self._answer_query(query, None)
            citation = answer.citations[int(value) - 1]
            if query.message:
                for page in render.telegram_passage(citation):
                    await self._send(query.message, page, render.to_plain(page))
            return None
        await self._answer_query(query, "Unknown button.")

    async def _answer_query(self, query, text: str | None) -> None:
        try:
            await query.answer(text)
        except TelegramError as exc:
            log.info("answering a button press failed: %s", exc)

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if not query.query.strip() or not self.allowed(update):
            return
        if not self.limiter.allow(query.from_user.id):
            return
        try:
            answer, html_pages, plain = await self._answer(query.query, ())
        except QuestionError:
            return
        title = "Not in the articles" if answer.abstained else (answer.parts[0].text[:60] + "…")
        results = [InlineQueryResultArticle(
            id=uuid.uuid4().hex, title=title, description=plain[:200],
            input_message_content=InputTextMessageContent(html_pages[0], parse_mode=ParseMode.HTML,
                                                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
        )]
        try:
            await query.answer(results, cache_time=60)
        except TelegramError as exc:
            log.warning("inline answer failed: %s", exc)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message and message.chat.type == ChatType.PRIVATE:
            await self._send(message, NON_TEXT_REPLY, NON_TEXT_REPLY)

    # -- admin uploads -----------------------------------------------------------------------

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message.chat.type != ChatType.PRIVATE:
            return
        if not self.is_admin(update):
            text = "Only admins can add articles. Ask me a question in words instead."
            return await self._send(message, text, text)
        document = message.document
        label = upload_label(document.file_name)
        try:
            check_declared(label, document.file_size, self.settings.upload_max_bytes)
        except UploadRefused as exc:
            return await self._send(message, escape(str(exc)), str(exc))
        if self._ingest_lock.locked():
            text = "Another upload is being indexed; send this one again in a moment."
            return await self._send(message, text, text)
        async with self._ingest_lock:
            try:
                data = bytes(await (await document.get_file()).download_as_bytearray())
            except TelegramError as exc:
                log.warning("downloading an upload failed: %s", exc)
                return await self._send(message, DOWNLOAD_FAILED_REPLY, DOWNLOAD_FAILED_REPLY)
            try:
                check_content(data, self.settings.upload_max_bytes)
            except UploadRefused as exc:
                return await self._send(message, escape(str(exc)), str(exc))
            summary = await asyncio.to_thread(self._index_upload, label, data)
        await self._send(message, escape(summary), summary)

    def _index_upload(self, label: str, data: bytes) -> str:
        """Parse (off the event loop: a large file takes a while) and index one uploaded file."""
        return self._index(list(load_bytes(data, label)))

    def _index(self, items: list) -> str:
        """Index articles with a writer of our own (one ingest at a time); the serving store then
        refreshes. A failure leaves the index as it was."""
        try:
            report = self.app.add(items)
        except StoreError as exc:
            return f"Nothing was added: {exc}"
        lines = [f"Added {report.added} article(s), updated {report.updated}, "
                 f"skipped {report.duplicates} duplicate(s), {len(report.problems)} error(s)."]
        lines += [f"- {p.message}" + (f" (line {p.line})" if p.line else "") for p in report.problems[:10]]
        return "\n".join(lines)

    async def add_url(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if not self.is_admin(update):
            return await self._send(message, "Only admins can add articles.", "Only admins can add articles.")
        if len(context.args or []) != 1:
            text = "Send /add followed by one link, e.g. /add https://example.com/news/story"
            return await self._send(message, escape(text), text)
        if self._ingest_lock.locked():
            text = "Another article is being indexed; try again in a moment."
            return await self._send(message, text, text)
        async with self._ingest_lock:
            try:
                article = await asyncio.to_thread(fetch_article, context.args[0], self.fetch_policy)
            except (FetchError, ArticleError) as exc:
                text = f"Nothing was added: {exc}"
                return await self._send(message, escape(text), text)
            summary = await asyncio.to_thread(self._index, [article])
        text = f"{article.title}\n{summary}"
        await self._send(message, escape(text), text)

    # -- errors --------------------------------------------------------------------------------

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.error("handling an update failed: %s: %s", type(error).__name__, error)
        if isinstance(update, Update) and update.effective_message and not isinstance(error, (Forbidden,)):
            try:
                await update.effective_message.reply_text("Sorry, something went wrong. Please try again.")
            except TelegramError:
                pass


async def setup(application: Application) -> None:
    """Learn the bot's username and register the command menu (failures are logged, not fatal), and
    move the startup heap (model, libraries) out of the cyclic garbage collector's way: a full
    collection over it holds every thread, the event loop too, for a quarter of a second."""
    gc.collect()
    gc.freeze()
    newsbot: NewsBot = application.bot_data["newsbot"]
    try:
        me = await application.bot.get_me()
        newsbot.username = me.username or ""
    except TelegramError as exc:
        log.warning("getMe failed: %s", exc)
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:
        log.warning("registering the command menu failed: %s", exc)


def build_application(settings: Settings, newsbot: NewsBot) -> Application:
    """A PTB Application with every handler, the flood limiter and a bounded number of updates
    handled at once (a burst of updates then never floods the event loop with work)."""
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(settings.concurrent_updates)
        .post_init(setup)
        .build()
    )
    application.bot_data["newsbot"] = newsbot
    application.add_handler(CommandHandler("start", newsbot.start))
    application.add_handler(CommandHandler("help", newsbot.help))
    application.add_handler(CommandHandler("new", newsbot.new))
    application.add_handler(CommandHandler("stats", newsbot.stats))
    application.add_handler(CommandHandler("ask", newsbot.ask_command))
    application.add_handler(CommandHandler("add", newsbot.add_url))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, newsbot.on_text))
    application.add_handler(MessageHandler(filters.Document.ALL, newsbot.on_document))
    application.add_handler(MessageHandler(~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, newsbot.on_other))
    application.add_handler(CallbackQueryHandler(newsbot.on_button))
    application.add_handler(InlineQueryHandler(newsbot.on_inline))
    application.add_error_handler(newsbot.on_error)
    return application


def serve(settings: Settings, app: Newsbot, webhook_url: str | None = None, listen: str = "127.0.0.1:8443") -> None:
    """Run the bot until interrupted: long polling, or a webhook when `webhook_url` is given. The
    caller opened `app` and closes it."""
    protect_logs(settings.telegram_bot_token or "")
    app.embedder.encode(["warm up"])
    app.embedder.encode_query("warm up")
    newsbot = NewsBot(settings, app)
    application = build_application(settings, newsbot)
    try:
        if webhook_url:
            host, _, port = listen.rpartition(":")
            application.run_webhook(
                listen=host or "127.0.0.1", port=int(port), url_path=urlparse(webhook_url).path.lstrip("/"),
                webhook_url=webhook_url, allowed_updates=Update.ALL_TYPES, secret_token=uuid.uuid4().hex)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        newsbot.close()
