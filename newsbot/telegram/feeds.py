"""Feeds in the bot: admins manage them (/feeds, /feed_add URL [INTERVAL], /feed_remove NAME), and a
job polls the due ones in a thread of its own, then sends the alerts due: those its new articles
brought and those a `newsbot watch` process queued. The job runs again when the next feed is due (at
most a minute later, to see feeds and alerts added meanwhile)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes, JobQueue

from newsbot.feeds.book import FeedBookError
from newsbot.feeds.schedule import format_interval, parse_interval
from newsbot.telegram.follow import Following
from newsbot.telegram.send import reply
from newsbot.telegram.state import BotState
from newsbot.web.fetch import FetchError, check_url

log = logging.getLogger(__name__)

JOB_NAME = "newsbot-feeds"
MAX_WAIT_SECONDS = 60.0
BUSY_RETRY_SECONDS = 5.0
FEED_ADD_USAGE = "Send /feed_add followed by the feed's link and, if you like, how often to poll it, e.g. /feed_add https://example.com/rss 30m"


class FeedDesk:
    """The feed commands and the polling job, over the shared `BotState`."""

    def __init__(self, newsbot: BotState, following: Following) -> None:
        self.newsbot = newsbot
        self.following = following

    def schedule(self, job_queue: JobQueue, seconds: float = 0.0) -> None:
        """Run the polling job in `seconds` (replacing the one planned)."""
        for job in job_queue.get_jobs_by_name(JOB_NAME):
            job.schedule_removal()
        job_queue.run_once(self._tick, when=max(seconds, 0.0), name=JOB_NAME)

    async def _tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self.newsbot.ingest_lock.locked():
            return self.schedule(context.job_queue, BUSY_RETRY_SECONDS)
        try:
            async with self.newsbot.ingest_lock:
                reports = await self.newsbot.poll_feeds()
            await self.following.deliver(context.bot, [a for r in reports for a in r.articles])
        except Exception:
            log.exception("polling the feeds failed; trying again later")
        self.schedule(context.job_queue, await asyncio.to_thread(self.newsbot.feeds.seconds_to_next, MAX_WAIT_SECONDS))

    async def list(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.newsbot.is_admin(update):
            return await reply(update.effective_message, "Only admins can manage feeds.")
        feeds = await asyncio.to_thread(self.newsbot.feeds.feeds)
        if not feeds:
            return await reply(update.effective_message, "No feeds yet. Add one with /feed_add URL")
        lines = []
        for f in feeds:
            last = f"{f.last_poll:%Y-%m-%d %H:%M} UTC: {f.last_result}" if f.last_poll else "never polled"
            lines.append(f"{f.name} (every {format_interval(f.every_seconds)}), {f.new_articles} articles\n"
                         f"{f.url}\nlast poll {last}")
        await reply(update.effective_message, "\n\n".join(lines))

    async def add(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.newsbot.is_admin(update):
            return await reply(update.effective_message, "Only admins can manage feeds.")
        args = context.args or []
        if not 1 <= len(args) <= 2:
            return await reply(update.effective_message, FEED_ADD_USAGE)
        try:
            check_url(args[0])
            every = parse_interval(args[1] if len(args) == 2 else self.newsbot.settings.feed_interval)
            feed = await asyncio.to_thread(self.newsbot.feeds.add, args[0], every)
        except (FetchError, ValueError) as exc:
            return await reply(update.effective_message, f"Not added: {exc}")
        await reply(update.effective_message, f"Following {feed.name}, every {format_interval(every)}. "
                                              "New articles will be indexed as they appear.")
        self.schedule(context.job_queue)

    async def remove(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.newsbot.is_admin(update):
            return await reply(update.effective_message, "Only admins can manage feeds.")
        if len(context.args or []) != 1:
            return await reply(update.effective_message, "Send /feed_remove NAME (/feeds lists the names).")
        try:
            feed = await asyncio.to_thread(self.newsbot.feeds.remove, context.args[0])
        except FeedBookError as exc:
            return await reply(update.effective_message, str(exc))
        await reply(update.effective_message, f"Stopped following {feed.name}; its articles stay.")

