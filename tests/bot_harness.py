"""The bot under test: fixtures for the Bot API stand-in and a NewsBot over the fixture index, and
helpers to run the real PTB Application against the stand-in (registered in conftest.py)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram_stub import BotApiStub, parse_telegram_html

from bot.answer import AnswerEngine
from bot.settings import Settings
from bot.telegram import NewsBot, build_application, setup
from index.search import Searcher
from index.store import Store

TOKEN = "987654:SECRET-token-never-logged"
ADMIN = 4242
USER = 1001


@pytest.fixture
def stub():
    with BotApiStub(token=TOKEN) as running:
        yield running


@pytest.fixture
def newsbot(built_index: Path, embedder, stub: BotApiStub):
    settings = Settings(index_dir=built_index, telegram_bot_token=TOKEN, telegram_api_url=stub.base_url,
                        telegram_file_url=stub.file_url, admin_ids=(ADMIN,), questions_per_minute=5,
                        upload_max_bytes=20_000)
    store = Store.open(built_index)
    yield NewsBot(settings, store, AnswerEngine(Searcher(store, embedder)))
    store.close()


@asynccontextmanager
async def running(newsbot: NewsBot):
    application = build_application(newsbot.settings, newsbot)
    async with application:
        await setup(application)
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


def replies(stub: BotApiStub, chat_id: int | None = None) -> list[dict]:
    return stub.sent("sendMessage", chat_id=chat_id)


def assert_valid_html(params: dict) -> None:
    assert params.get("parse_mode") == "HTML"
    plain, _ = parse_telegram_html(params["text"])
    assert 0 < len(plain) <= 4096


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))
