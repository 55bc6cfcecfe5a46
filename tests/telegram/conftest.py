"""Fixtures of the Telegram tests: the Bot API stand-in on 127.0.0.1 and a NewsBot over the fixture
index that talks to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from botapi_stub import BotApiStub
from harness import ADMIN, TOKEN

from newsbot.app import Newsbot
from newsbot.settings import Settings
from newsbot.telegram.bot import NewsBot


@pytest.fixture
def stub():
    with BotApiStub(token=TOKEN) as running:
        yield running


@pytest.fixture
def newsbot(built_index: Path, embedder, stub: BotApiStub):
    settings = Settings(index_dir=built_index, telegram_bot_token=TOKEN, telegram_api_url=stub.base_url,
                        telegram_file_url=stub.file_url, admin_ids=(ADMIN,), questions_per_minute=5,
                        upload_max_bytes=20_000)
    with Newsbot.open(settings) as app:
        bot = NewsBot(settings, app)
        yield bot
        bot.close()
