"""What only admins may do: add articles by uploading files or with `/add URL`, and see `/stats`.
One ingest runs at a time; parsing, fetching and indexing run in threads off the event loop."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from newsbot.index.articles import ArticleError, load_bytes
from newsbot.index.store import StoreError
from newsbot.telegram.state import BotState
from newsbot.telegram.send import reply
from newsbot.telegram.uploads import UploadRefused, check_content, check_declared, upload_label
from newsbot.web.fetch import FetchError, fetch_article

log = logging.getLogger(__name__)

UPLOADS_ARE_FOR_ADMINS = "Only admins can add articles. Ask me a question in words instead."
DOWNLOAD_FAILED_REPLY = "I could not download that file from Telegram; nothing was added. Please send it again."
ADD_USAGE = "Send /add followed by one link, e.g. /add https://example.com/news/story"


class Admin:
    """The admin handlers, over the shared `BotState`."""

    def __init__(self, newsbot: BotState) -> None:
        self.newsbot = newsbot

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self.newsbot.is_admin(update):
            return await reply(update.effective_message, "Only admins can see /stats.")
        stats = await asyncio.to_thread(self.newsbot.app.stats)
        asked, mean = await asyncio.to_thread(self.newsbot.log.totals)
        await reply(update.effective_message, "\n".join([
            f"articles: {stats.articles}", f"passages: {stats.passages}",
            f"index size: {stats.size_bytes / 1e6:.1f} MB", f"questions answered: {asked}",
            f"mean latency: {mean:.0f} ms" if mean is not None else "mean latency: -"]))

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Index an uploaded .txt, .md or .jsonl file, after vetting its name, size and bytes."""
        message = update.effective_message
        if message.chat.type != ChatType.PRIVATE:
            return
        if not self.newsbot.is_admin(update):
            return await reply(message, UPLOADS_ARE_FOR_ADMINS)
        document = message.document
        label = upload_label(document.file_name)
        try:
            check_declared(label, document.file_size, self.newsbot.settings.upload_max_bytes)
        except UploadRefused as exc:
            return await reply(message, str(exc))
        if self.newsbot.ingest_lock.locked():
            return await reply(message, "Another upload is being indexed; send this one again in a moment.")
        async with self.newsbot.ingest_lock:
            summary = await self._receive(document, label)
        await reply(message, summary)  # after the lock: a file sent again on this reply is taken

    async def _receive(self, document, label: str) -> str:
        """Download, check and index an upload; what to tell the admin."""
        try:
            data = bytes(await (await document.get_file()).download_as_bytearray())
        except TelegramError as exc:
            log.warning("downloading an upload failed: %s", exc)
            return DOWNLOAD_FAILED_REPLY
        try:
            check_content(data, self.newsbot.settings.upload_max_bytes)
        except UploadRefused as exc:
            return str(exc)
        return await asyncio.to_thread(self._index_upload, label, data)

    async def add_url(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Fetch the article at a public http(s) link and index it."""
        message = update.effective_message
        if not self.newsbot.is_admin(update):
            return await reply(message, "Only admins can add articles.")
        if len(context.args or []) != 1:
            return await reply(message, ADD_USAGE)
        if self.newsbot.ingest_lock.locked():
            return await reply(message, "Another article is being indexed; try again in a moment.")
        async with self.newsbot.ingest_lock:
            try:
                article = await asyncio.to_thread(fetch_article, context.args[0], self.newsbot.fetch_policy)
            except (FetchError, ArticleError) as exc:
                summary = f"Nothing was added: {exc}"
            else:
                summary = f"{article.title}\n{await asyncio.to_thread(self._index, [article])}"
        await reply(message, summary)

    def _index_upload(self, label: str, data: bytes) -> str:
        """Parse (a large file takes a while) and index one uploaded file."""
        return self._index(list(load_bytes(data, label)))

    def _index(self, items: list) -> str:
        """Index through the façade (a writer of its own, then the serving store refreshes); a store
        error such as another writer's lock comes before any write. Returns the summary for the admin."""
        try:
            report = self.newsbot.app.add(items)
        except StoreError as exc:
            return f"Nothing was added: {exc}"
        lines = [f"Added {report.added} article(s), updated {report.updated}, "
                 f"skipped {report.duplicates} duplicate(s), {report.problem_count} error(s)."]
        lines += [f"- {p.message}" + (f" (line {p.line})" if p.line else "") for p in report.problems[:10]]
        return "\n".join(lines)
