"""The feeds table: a database written before skip hints were kept gains them on opening, and a due
feed is claimed by one poller only (the bot and a `newsbot watch` beside it never poll it twice)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

from newsbot.feeds.book import FeedBook
from newsbot.index.store.database import DB_FILE

EARLIER_FEEDS_TABLE = """
CREATE TABLE feeds (name TEXT PRIMARY KEY, url TEXT NOT NULL UNIQUE, every_seconds INTEGER NOT NULL,
    added_at TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', etag TEXT, modified TEXT, ttl_seconds INTEGER,
    last_poll TEXT, last_result TEXT NOT NULL DEFAULT '', last_error TEXT, failures INTEGER NOT NULL DEFAULT 0,
    next_poll TEXT NOT NULL, new_articles INTEGER NOT NULL DEFAULT 0);
INSERT INTO feeds (name, url, every_seconds, added_at, next_poll)
    VALUES ('harbour', 'https://harbour.example/feed.xml', 1800, '2026-11-30T08:00:00+00:00', '2026-11-30T08:30:00+00:00');
"""


def test_a_feeds_table_from_before_skip_hints_is_extended_and_keeps_its_feeds(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        db.executescript(EARLIER_FEEDS_TABLE)
    with FeedBook(tmp_path) as book:
        feed = book.find("harbour")
        assert feed.every_seconds == 1800 and feed.skip_hours == () and feed.skip_days == ()
        book.polled(dataclasses.replace(feed, skip_hours=(1, 2), skip_days=(6,)))
    with FeedBook(tmp_path) as book:
        assert book.find("harbour").skip_hours == (1, 2) and book.find("harbour").skip_days == (6,)


def test_a_due_feed_is_claimed_by_one_poller_and_due_again_when_its_lease_ends(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    lease = now + dt.timedelta(minutes=15)
    with FeedBook(tmp_path) as bot, FeedBook(tmp_path) as watcher:
        bot.add("https://harbour.example/feed.xml", 1800, now=now)
        [seen_by_bot], [seen_by_watcher] = bot.due(now), watcher.due(now)
        assert watcher.claim(seen_by_watcher, lease)
        assert not bot.claim(seen_by_bot, lease), "the bot's view of the feed is stale: the watcher has it"
        assert bot.due(now) == [] and bot.due(lease) != []
        [again] = bot.due(lease)
        assert bot.claim(again, lease + dt.timedelta(minutes=15))
