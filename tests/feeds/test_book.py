"""The feeds table: a database written before skip hints were kept gains them on opening."""

from __future__ import annotations

import dataclasses
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
