"""Following topics in Telegram: /follow WORDS, /following, /unfollow N|WORDS|all, and the alerts
(title, date, the lead, the link, an "Ask about it" button) sent when new articles match. A chat
that blocked the bot loses its follows."""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from newsbot.answer.types import date_label
from newsbot.feeds.book import utc_now
from newsbot.follow.alerts import Alert, lead
from newsbot.follow.book import FollowError
from newsbot.index.articles import Article
from newsbot.telegram.conversation import Conversation
from newsbot.telegram.send import NO_PREVIEW, answer_query, reply
from newsbot.telegram.state import BotState

log = logging.getLogger(__name__)
FOLLOW_USAGE = "Say what to follow, e.g. /follow North Korea missile tests"
DIGEST_SHOWN = 10


@dataclass(frozen=True)
class AskButton:
    """Asks the bot about the article an alert announced."""

    title: str


def _line(article: Article) -> str:
    title = html.escape(article.title, quote=False)
    linked = f'<a href="{html.escape(article.url)}">{title}</a>' if article.url else title
    return f"{linked} ({date_label(article.date)})"


def alert_html(alert: Alert) -> str:
    """The message for one alert: the article with its lead, or a digest listing several."""
    topic = html.escape(alert.follow.topic, quote=False)
    if not alert.digest:
        [article] = alert.articles
        return (f"🔔 New on “{topic}”:\n<b>{_line(article)}</b>\n{html.escape(lead(article), quote=False)}")
    shown = "\n".join(f"• {_line(a)}" for a in alert.articles[:DIGEST_SHOWN])
    more = len(alert.articles) - DIGEST_SHOWN
    return (f"🔔 {len(alert.articles)} new articles on “{topic}”:\n{shown}" + (f"\n…and {more} more" if more > 0 else ""))


class Following:
    """The follow commands, the ask button and the sending of alerts, over the shared `BotState`."""

    def __init__(self, newsbot: BotState, talk: Conversation) -> None:
        self.newsbot = newsbot
        self.talk = talk

    async def follow(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        topic = " ".join(context.args or [])
        if not topic.strip():
            return await reply(update.effective_message, FOLLOW_USAGE)
        try:
            await asyncio.to_thread(self.newsbot.follows.follow, update.effective_chat.id, topic, utc_now())
        except FollowError as exc:
            return await reply(update.effective_message, str(exc))
        await reply(update.effective_message, f"Following “{' '.join(topic.split())}”. I'll tell you when new "
                                              "articles about it arrive. /following lists your topics.")

    async def list(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        follows = await asyncio.to_thread(self.newsbot.follows.following, update.effective_chat.id)
        if not follows:
            return await reply(update.effective_message, f"You follow nothing yet. {FOLLOW_USAGE}")
        lines = [f"{n}. {f.topic}" for n, f in enumerate(follows, start=1)]
        await reply(update.effective_message, "You follow:\n" + "\n".join(lines) + "\n/unfollow N stops one.")

    async def unfollow(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        which = " ".join(context.args or [])
        if not which.strip():
            return await reply(update.effective_message, "Say which: /unfollow 1, /unfollow North Korea, or /unfollow all")
        try:
            gone = await asyncio.to_thread(self.newsbot.follows.unfollow, update.effective_chat.id, which)
        except FollowError as exc:
            return await reply(update.effective_message, str(exc))
        await reply(update.effective_message, "No longer following " + ", ".join(f"“{f.topic}”" for f in gone) + ".")

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        button: AskButton = update.callback_query.data
        await answer_query(update.callback_query)
        if update.effective_message:
            await self.talk.ask(update, context, button.title)

    async def deliver(self, bot: Bot, articles: list[Article]) -> int:
        """Match `articles` to the follows and send the alerts now due; how many were sent."""
        now = utc_now()
        alerter = self.newsbot.alerter
        await asyncio.to_thread(alerter.match, articles, now)
        sent = 0
        for alert in await asyncio.to_thread(alerter.due, now):
            markup = None if alert.digest else InlineKeyboardMarkup(
                [[InlineKeyboardButton("Ask about it", callback_data=AskButton(alert.articles[0].title))]])
            try:
                await bot.send_message(alert.follow.chat_id, alert_html(alert), parse_mode="HTML",
                                       link_preview_options=NO_PREVIEW, reply_markup=markup)
            except Forbidden:
                ended = await asyncio.to_thread(self.newsbot.follows.end_chat, alert.follow.chat_id)
                log.info("chat %s blocked the bot; its %d follow(s) ended", alert.follow.chat_id, ended)
                continue
            except TelegramError as exc:
                log.warning("sending an alert failed (%s); it stays pending", exc)
                continue
            await asyncio.to_thread(self.newsbot.follows.sent, alert.follow.id, [a.id for a in alert.articles], now)
            sent += 1
        return sent
