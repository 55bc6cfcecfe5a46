"""`BotState`: what the Telegram handlers share — the opened index, the settings, the question log,
the feeds and follows, the per-user limits and the threads that work out answers off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from telegram import Update

from newsbot.answer.types import Answer, Turn
from newsbot.app import Newsbot
from newsbot.feeds.book import FeedBook
from newsbot.feeds.poll import Poller, PollReport
from newsbot.follow.alerts import Alerter
from newsbot.follow.book import FollowBook
from newsbot.settings import Settings
from newsbot.telegram import render
from newsbot.telegram.questions import QuestionLog
from newsbot.telegram.ratelimit import RateLimiter
from newsbot.web.fetch import FetchPolicy

ANSWER_NICENESS = 10


def yield_cpu_to_event_loop() -> None:
    """Lower the calling thread's CPU priority (Linux sets it per thread), so that when the cores
    are busy the event loop's thread runs first and sending and receiving never wait behind answers."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ANSWER_NICENESS)
    except (AttributeError, OSError):
        pass


class BotState:
    """The bot's state over an open `Newsbot`; `close` stops its threads and its log, not the index."""

    def __init__(self, settings: Settings, app: Newsbot, fetch_policy: FetchPolicy | None = None) -> None:
        self.settings = settings
        self.app = app
        self.log = QuestionLog(settings.index_dir)
        self.limiter = RateLimiter(settings.questions_per_minute)
        self.username = ""
        self.fetch_policy = fetch_policy or FetchPolicy.from_settings(settings)
        self.ingest_lock = asyncio.Lock()
        self.feeds = FeedBook(settings.index_dir)
        self.poller = Poller(app, self.feeds, self.fetch_policy, settings.fetch_pace_ms / 1000)
        self.follows = FollowBook(settings.index_dir)
        self.alerter = Alerter(app, self.follows)
        self._workers = ThreadPoolExecutor(settings.answer_threads, thread_name_prefix="newsbot-answer",
                                           initializer=yield_cpu_to_event_loop)
        self._polling = ThreadPoolExecutor(1, thread_name_prefix="newsbot-feeds", initializer=yield_cpu_to_event_loop)

    def is_admin(self, update: Update) -> bool:
        return bool(update.effective_user and update.effective_user.id in self.settings.admin_ids)

    async def answer(self, question: str, history: tuple[Turn, ...],
                     asked_on: dt.date | None = None) -> tuple[Answer, list[str]]:
        """The answer and its Telegram HTML pages (time words counted from `asked_on`, else today),
        worked out in an answering thread (at most `answer_threads` at once), so the event loop is
        left only sending and receiving."""
        def work() -> tuple[Answer, list[str]]:
            answer = self.app.ask(question, history, today=asked_on)
            return answer, render.telegram_html(answer)
        return await asyncio.get_running_loop().run_in_executor(self._workers, work)

    async def poll_feeds(self) -> list[PollReport]:
        """Poll the due feeds in the feeds thread (fetching, parsing and indexing stay off the loop)."""
        return await asyncio.get_running_loop().run_in_executor(self._polling, self.poller.poll_due)

    async def warm_up(self) -> None:
        """Answer a question in each answering thread before the first user's: the first answer
        sets up what later ones reuse (a thread's database connection, the date parser, the
        model's first shapes), and a burst of questions at start-up then finds it done."""
        question = "What happened this week?"
        await asyncio.gather(*(self.answer(question, ()) for _ in range(self.settings.answer_threads)))

    def close(self) -> None:
        self.poller.stopping.set()
        self._workers.shutdown(wait=True)
        self._polling.shutdown(wait=True)
        self.log.close()
        self.feeds.close()
        self.follows.close()
