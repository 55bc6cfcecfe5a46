"""The feeds an index follows and the entries already taken from each, in the index database
(tables `feeds` and `feed_entries`), on a connection of their own so a poll's bookkeeping never
waits for an ingest's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsbot.index.store.side import SideTables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    every_seconds INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    etag TEXT,
    modified TEXT,
    ttl_seconds INTEGER,
    last_poll TEXT,
    last_result TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll TEXT NOT NULL,
    new_articles INTEGER NOT NULL DEFAULT 0,
    skip_hours TEXT NOT NULL DEFAULT '',
    skip_days TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS feed_entries (
    feed TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT,
    seen_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (feed, key)
);
CREATE INDEX IF NOT EXISTS feed_entries_url ON feed_entries (url);
"""
_COLUMNS = ("name", "url", "every_seconds", "added_at", "title", "etag", "modified", "ttl_seconds", "last_poll",
            "last_result", "last_error", "failures", "next_poll", "new_articles", "skip_hours", "skip_days")
_ADDED_COLUMNS = ("skip_hours", "skip_days")


class FeedBookError(ValueError):
    """A feed cannot be added or found; the message says why."""


@dataclass(frozen=True)
class Feed:
    """One followed feed and what its polls have done so far (times in UTC)."""

    name: str
    url: str
    every_seconds: int
    added_at: dt.datetime
    title: str = ""
    etag: str | None = None
    modified: str | None = None
    ttl_seconds: int | None = None
    last_poll: dt.datetime | None = None
    last_result: str = ""
    last_error: str | None = None
    failures: int = 0
    next_poll: dt.datetime | None = None
    new_articles: int = 0
    skip_hours: tuple[int, ...] = ()
    skip_days: tuple[int, ...] = ()


@dataclass(frozen=True)
class Seen:
    """An entry dealt with for good: indexed (`outcome` "added" or "duplicate") or skipped, and why."""

    key: str
    url: str | None
    outcome: str


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _stamp(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if value else None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class FeedBook(SideTables):
    """The `feeds` and `feed_entries` tables of the index at `index_dir`; thread-safe."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(index_dir, _SCHEMA)
        have = {row[1] for row in self._rows("PRAGMA table_info(feeds)")}
        for column in _ADDED_COLUMNS:
            if column not in have:
                self._rows(f"ALTER TABLE feeds ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    def add(self, url: str, every_seconds: int, name: str | None = None, now: dt.datetime | None = None) -> Feed:
        """Follow the feed at `url`, named `name` or after its host; due at once."""
        url = url.strip()
        if self._rows("SELECT 1 FROM feeds WHERE url = ?", (url,)):
            raise FeedBookError(f"that feed is already followed: {url}")
        name = (name or "").strip() or self._free_name(urlsplit(url).hostname or "feed")
        if any(c.isspace() for c in name):
            raise FeedBookError(f"a feed's name is one word, not {name!r}")
        if self.get(name):
            raise FeedBookError(f"there is already a feed named {name!r}")
        now = now or utc_now()
        self._rows("INSERT INTO feeds (name, url, every_seconds, added_at, next_poll) VALUES (?, ?, ?, ?, ?)",
                   (name, url, every_seconds, _stamp(now), _stamp(now)))
        return self.get(name)

    def _free_name(self, base: str) -> str:
        name, n = base, 1
        while self.get(name):
            n += 1
            name = f"{base}-{n}"
        return name

    def remove(self, name: str) -> Feed:
        """Stop following `name` (its articles stay in the index)."""
        feed = self.find(name)
        self._rows("DELETE FROM feeds WHERE name = ?", (feed.name,))
        self._rows("DELETE FROM feed_entries WHERE feed = ?", (feed.name,))
        return feed

    def get(self, name: str) -> Feed | None:
        rows = self._rows(f"SELECT {', '.join(_COLUMNS)} FROM feeds WHERE name = ?", (name,))
        return _feed(rows[0]) if rows else None

    def find(self, name_or_url: str) -> Feed:
        """The feed called `name_or_url`, or at that URL; `FeedBookError` when there is none."""
        feed = self.get(name_or_url) or next((f for f in self.feeds() if f.url == name_or_url.strip()), None)
        if feed is None:
            raise FeedBookError(f"no feed named {name_or_url!r}; `newsbot feeds list` shows them")
        return feed

    def feeds(self) -> list[Feed]:
        return [_feed(row) for row in self._rows(f"SELECT {', '.join(_COLUMNS)} FROM feeds ORDER BY name")]

    def due(self, now: dt.datetime | None = None) -> list[Feed]:
        """The feeds whose next poll is now or past, the longest overdue first."""
        now = now or utc_now()
        return sorted((f for f in self.feeds() if f.next_poll is None or f.next_poll <= now),
                      key=lambda f: f.next_poll or now)

    def claim(self, feed: Feed, until: dt.datetime) -> bool:
        """Take a due feed for one poll: its next poll moves to `until` unless another process (a
        `newsbot watch` beside the bot) took it first. A poller that dies mid-poll leaves the feed
        due again at `until`."""
        with self._lock:
            cursor = self._db.execute("UPDATE feeds SET next_poll = ? WHERE name = ? AND next_poll IS ?",
                                      (_stamp(until), feed.name, _stamp(feed.next_poll)))
            return cursor.rowcount == 1

    def seconds_to_next(self, longest: float, now: dt.datetime | None = None) -> float:
        """Seconds until the next feed is due: at least half a second, at most `longest` (so a
        feed added meanwhile by another process is seen soon)."""
        now = now or utc_now()
        upcoming = [(f.next_poll - now).total_seconds() for f in self.feeds() if f.next_poll]
        return min(max(min(upcoming, default=longest), 0.5), longest)

    def seen_keys(self, feed: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            found |= {row[0] for row in self._rows(
                f"SELECT key FROM feed_entries WHERE feed = ? AND key IN ({', '.join('?' * len(part))})", (feed, *part))}
        return found

    def seen_urls(self, urls: list[str]) -> set[str]:
        """Those of `urls` that an entry of any feed already led to."""
        found: set[str] = set()
        for start in range(0, len(urls), 500):
            part = urls[start:start + 500]
            found |= {row[0] for row in self._rows(
                f"SELECT url FROM feed_entries WHERE url IN ({', '.join('?' * len(part))})", tuple(part))}
        return found

    def record(self, feed: Feed, seen: list[Seen], now: dt.datetime | None = None) -> None:
        """Remember entries dealt with for good, so later polls skip them."""
        stamp = _stamp(now or utc_now())
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO feed_entries (feed, key, url, seen_at, outcome) VALUES (?, ?, ?, ?, ?)",
                                 [(feed.name, s.key, s.url, stamp, s.outcome) for s in seen])

    def polled(self, feed: Feed) -> None:
        """Store a feed's state after a poll (`feed` as the poll left it)."""
        self._rows("UPDATE feeds SET title = ?, etag = ?, modified = ?, ttl_seconds = ?, last_poll = ?, last_result = ?,"
                   " last_error = ?, failures = ?, next_poll = ?, new_articles = ?, skip_hours = ?, skip_days = ? WHERE name = ?",
                   (feed.title, feed.etag, feed.modified, feed.ttl_seconds, _stamp(feed.last_poll), feed.last_result,
                    feed.last_error, feed.failures, _stamp(feed.next_poll), feed.new_articles,
                    _numbers(feed.skip_hours), _numbers(feed.skip_days), feed.name))



def _feed(row: tuple) -> Feed:
    values = dict(zip(_COLUMNS, row))
    for name in ("added_at", "last_poll", "next_poll"):
        values[name] = _time(values[name])
    for name in _ADDED_COLUMNS:
        values[name] = tuple(int(n) for n in values[name].split(",") if n)
    return Feed(**values)


def _numbers(values: tuple[int, ...]) -> str:
    return ",".join(map(str, values))
