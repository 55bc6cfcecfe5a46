"""Feed fixtures: a web server on 127.0.0.1 and a poller over a real index that may reach it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from feedserver import FeedServer

from newsbot.app import Newsbot
from newsbot.feeds.book import FeedBook
from newsbot.feeds.poll import Poller
from newsbot.settings import Settings
from newsbot.web.fetch import FetchPolicy


@pytest.fixture
def server():
    web = FeedServer()
    yield web
    web.close()


@pytest.fixture
def feed_settings(built_index: Path) -> Settings:
    """The fixture index, with 127.0.0.1 allowed (as an operator lists an intranet feed server)."""
    return Settings(index_dir=built_index, fetch_allow_networks=("127.0.0.1/32",), fetch_pace_ms=0)


@pytest.fixture
def polling(feed_settings: Settings):
    """`(app, book, poller)` over the fixture index; a short fetch timeout for the slow servers."""
    with Newsbot.open(feed_settings) as app, FeedBook(feed_settings.index_dir) as book:
        policy = dataclasses.replace(FetchPolicy.from_settings(feed_settings), timeout=2)
        yield app, book, Poller(app, book, policy, pace_seconds=0)
