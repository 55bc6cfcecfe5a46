"""Fixtures of the Telegram tests: the Bot API stand-in on 127.0.0.1 and NewsBots over the fixture
index that talk to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from botapi_stub import BotApiStub
from harness import ADMIN, TOKEN

from newsbot.app import Newsbot
from newsbot.settings import Settings
from newsbot.telegram.state import BotState
from newsbot.web.fetch import FetchPolicy


@pytest.fixture
def stub():
    with BotApiStub(token=TOKEN) as running:
        yield running


@pytest.fixture
def make_newsbot(built_index: Path, embedder, stub: BotApiStub):
    """`make_newsbot(fetch_policy=..., **settings_changes)`: a BotState over the one open index,
    closed after the test."""
    settings = Settings(index_dir=built_index, telegram_bot_token=TOKEN, telegram_api_url=stub.base_url,
                        telegram_file_url=stub.file_url, admin_ids=(ADMIN,), questions_per_minute=5,
                        upload_max_bytes=20_000)
    made: list[BotState] = []
    with Newsbot.open(settings) as app:
        def make(fetch_policy: FetchPolicy | None = None, **changes) -> BotState:
            made.append(BotState(settings.with_(**changes), app, fetch_policy))
            return made[-1]
        yield make
        for bot in made:
            bot.close()


@pytest.fixture
def newsbot(make_newsbot) -> BotState:
    return make_newsbot()
