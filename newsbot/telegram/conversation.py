"""The conversation: /start, /help, /new, questions (private text, group mentions and replies, /ask),
inline queries and the source and vote buttons under each answer. Buttons carry Python objects,
which PTB keeps in its bounded callback-data cache; a button it has forgotten is "too old"."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from newsbot.answer.digest import latest_question
from newsbot.answer.engine import QuestionError
from newsbot.answer.types import Answer, Turn
from newsbot.telegram import render
from newsbot.telegram.state import BotState
from newsbot.telegram.ratelimit import Verdict
from newsbot.telegram.send import NO_PREVIEW, answer_query, reply, typing

NON_TEXT_REPLY = "I can only read text. Send me a question about the news in words."
RATE_LIMIT_REPLY = "You're asking faster than I can read. Please wait a minute and try again."
EXPIRED_REPLY = "That answer is too old; please ask again."
ASK_USAGE = "Put the question after the command, e.g. /ask who won the final?"
SOURCES_PER_ROW = 6
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceButton:
    """Shows the passage behind citation `n` of `answer`."""

    answer: Answer
    n: int


@dataclass(frozen=True)
class VoteButton:
    """Records a 👍 (+1) or 👎 (-1) on `answer`."""

    answer: Answer
    vote: int


def keyboard(answer: Answer) -> InlineKeyboardMarkup:
    """A row of source buttons per six citations (none for an abstention), then the two votes."""
    sources = [InlineKeyboardButton(f"[{c.n}]", callback_data=SourceButton(answer, c.n)) for c in answer.citations]
    votes = [InlineKeyboardButton("👍", callback_data=VoteButton(answer, 1)),
             InlineKeyboardButton("👎", callback_data=VoteButton(answer, -1))]
    rows = [sources[i: i + SOURCES_PER_ROW] for i in range(0, len(sources), SOURCES_PER_ROW)]
    return InlineKeyboardMarkup([votes] if answer.abstained else [*rows, votes])


class Conversation:
    """The handlers of the conversation, over the shared `BotState`."""

    def __init__(self, newsbot: BotState) -> None:
        self.newsbot = newsbot

    # -- commands ----------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        stats = await asyncio.to_thread(self.newsbot.app.stats)
        span = f", from {stats.oldest} to {stats.newest}" if stats.oldest else ""
        await reply(update.effective_message, f"Hello! I answer questions about {stats.articles} news articles"
                                              f"{span}, citing my sources like [1].\n\n" + self.help_text())

    def help_text(self) -> str:
        name = f"@{self.newsbot.username}" if self.newsbot.username else "me"
        return ("Ask in plain words, e.g. “What did North Korea test in January 2022?”. "
                "Follow-up questions (“and the warhead?”, “tell me more”) use our conversation; /new forgets it. "
                "Times like “last week” or “in 2021” narrow the search to those dates; "
                "“What's the latest news?” (or /latest) or “What happened this week?” lists the newest stories. "
                "Under each answer, tap a source to read the passage, or 👍/👎 to tell me how I did.\n"
                f"In groups, mention {name}, reply to me, or use /ask followed by the question.")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await reply(update.effective_message, self.help_text())

    async def latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/latest asks for the newest stories; words after it narrow them ("/latest this week")."""
        await self.ask(update, context, latest_question(" ".join(context.args or [])))

    async def new(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.chat_data["history"] = []
        await reply(update.effective_message, "Starting a new conversation.")

    # -- questions ---------------------------------------------------------------------------

    def question_in(self, message: Message) -> str | None:
        """The question a message asks of the bot, or None when it is chatter not meant for it."""
        text, username = message.text or "", self.newsbot.username
        if message.chat.type == ChatType.PRIVATE:
            return text
        mention = f"@{username}".lower()
        if username and mention in text.lower():
            return re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE).strip()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.username == username:
            return text
        return None

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = self.question_in(update.effective_message)
        if question is not None:
            await self.ask(update, context, question)

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = " ".join(context.args or [])
        if not question.strip():
            return await reply(update.effective_message, ASK_USAGE)
        await self.ask(update, context, question)

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
        """Answer within the user's limit, in the chat's conversation, with buttons under the last page."""
        message = update.effective_message
        verdict = self.newsbot.limiter.check(update.effective_user.id) if update.effective_user else Verdict.ANSWER
        if verdict is Verdict.WARN:
            await reply(message, RATE_LIMIT_REPLY)
        if verdict is not Verdict.ANSWER:
            return
        await typing(message)
        history = context.chat_data.setdefault("history", [])
        # "this week" counts from the day the message was sent (Telegram dates it in UTC), which for
        # a message that waited while the bot was down is not the day it is answered.
        asked_on = message.date.date() if message.date else None
        started = time.perf_counter()
        try:
            answer, pages = await self.newsbot.answer(question, tuple(history), asked_on)
        except QuestionError as exc:
            return await reply(message, str(exc))
        latency = (time.perf_counter() - started) * 1000
        history.append(Turn(answer.query, answer.text))
        del history[:-self.newsbot.settings.history_turns]
        await asyncio.to_thread(self.newsbot.log.asked, "telegram", answer.question, answer.abstained, latency)
        for number, page in enumerate(pages, start=1):
            await reply(message, html=page, markup=keyboard(answer) if number == len(pages) else None)

    # -- buttons -----------------------------------------------------------------------------

    async def on_source(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        button: SourceButton = query.data
        await answer_query(query)
        if isinstance(query.message, Message):
            for page in render.telegram_passage(button.answer.citations[button.n - 1]):
                await reply(query.message, html=page)

    async def on_vote(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        button: VoteButton = query.data
        await asyncio.to_thread(self.newsbot.log.voted, query.from_user.id, button.vote, button.answer)
        await answer_query(query, "Thanks for the feedback!")

    async def on_expired(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button whose answer PTB's cache no longer holds (evicted, or from before a restart)."""
        await answer_query(update.callback_query, EXPIRED_REPLY)

    # -- inline mode and other messages ------------------------------------------------------

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if not query.query.strip() or not self.newsbot.limiter.allow(query.from_user.id):
            return
        try:
            answer, pages = await self.newsbot.answer(query.query, ())
        except QuestionError:
            return
        title = "Not in the articles" if answer.abstained else (answer.parts[0].text[:60] + "…")
        content = InputTextMessageContent(pages[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
        result = InlineQueryResultArticle(id=uuid.uuid4().hex, title=title,
                                          description=render.to_plain(pages[0])[:200], input_message_content=content)
        try:
            await query.answer([result], cache_time=60)
        except TelegramError as exc:
            log.warning("inline answer failed: %s", exc)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message and message.chat.type == ChatType.PRIVATE:
            await reply(message, NON_TEXT_REPLY)
