"""Who follows what, and which alerts went out, in the index database (tables `follows` and
`alerts`), on a connection of their own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from newsbot.index.store.side import SideTables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    since TEXT NOT NULL,
    UNIQUE (chat_id, topic)
);
CREATE TABLE IF NOT EXISTS alerts (
    follow_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (follow_id, article_id)
);
"""
MAX_TOPIC_CHARS = 200
MAX_FOLLOWS_PER_CHAT = 20


class FollowError(ValueError):
    """A topic cannot be followed or unfollowed; the message says why, for the user."""


@dataclass(frozen=True)
class Follow:
    id: int
    chat_id: int
    topic: str
    since: dt.datetime


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


class FollowBook(SideTables):
    """The `follows` and `alerts` tables of the index at `index_dir`; thread-safe."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(index_dir, _SCHEMA)

    def follow(self, chat_id: int, topic: str, now: dt.datetime) -> Follow:
        topic = " ".join(topic.split())
        if not topic:
            raise FollowError("Say what to follow, e.g. /follow North Korea missile tests")
        if len(topic) > MAX_TOPIC_CHARS:
            raise FollowError(f"Keep a topic under {MAX_TOPIC_CHARS} characters.")
        existing = self.following(chat_id)
        if any(f.topic.lower() == topic.lower() for f in existing):
            raise FollowError(f"You already follow “{topic}”.")
        if len(existing) >= MAX_FOLLOWS_PER_CHAT:
            raise FollowError(f"You follow {MAX_FOLLOWS_PER_CHAT} topics already; /unfollow one first.")
        self._rows("INSERT INTO follows (chat_id, topic, since) VALUES (?, ?, ?)", (chat_id, topic, _stamp(now)))
        return next(f for f in self.following(chat_id) if f.topic == topic)

    def following(self, chat_id: int | None = None) -> list[Follow]:
        """One chat's topics (or everyone's), oldest first."""
        where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
        return [Follow(r[0], r[1], r[2], dt.datetime.fromisoformat(r[3]))
                for r in self._rows(f"SELECT id, chat_id, topic, since FROM follows {where} ORDER BY id", params)]

    def unfollow(self, chat_id: int, which: str) -> list[Follow]:
        """Stop following a topic, by its number in /following or its words; "all" ends every one."""
        mine = self.following(chat_id)
        which = " ".join(which.split())
        if which.lower() == "all":
            gone = mine
        elif which.isdigit() and 1 <= int(which) <= len(mine):
            gone = [mine[int(which) - 1]]
        else:
            gone = [f for f in mine if f.topic.lower() == which.lower()]
        if not gone:
            raise FollowError("You don't follow that; /following lists your topics by number.")
        for follow in gone:
            self._forget(follow.id)
        return gone

    def end_chat(self, chat_id: int) -> int:
        """Forget every topic of a chat that can no longer be written to (the bot was blocked)."""
        gone = self.following(chat_id)
        for follow in gone:
            self._forget(follow.id)
        return len(gone)

    def _forget(self, follow_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
            self._db.execute("DELETE FROM alerts WHERE follow_id = ?", (follow_id,))

    def pend(self, follow_id: int, article_ids: list[str], now: dt.datetime) -> None:
        """Articles that matched this follow, to be sent (an article is matched once per follow)."""
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO alerts (follow_id, article_id, matched_at) VALUES (?, ?, ?)",
                                 [(follow_id, article_id, _stamp(now)) for article_id in article_ids])

    def pending(self, follow_id: int) -> list[str]:
        """Matched articles not sent yet, in the order they matched."""
        return [r[0] for r in self._rows("SELECT article_id FROM alerts WHERE follow_id = ? AND sent_at IS NULL"
                                         " ORDER BY matched_at, rowid", (follow_id,))]

    def sent_since(self, follow_id: int, since: dt.datetime) -> int:
        """Messages sent for this follow since `since` (a digest of several articles counts once)."""
        [(count,)] = self._rows("SELECT count(DISTINCT sent_at) FROM alerts WHERE follow_id = ? AND sent_at >= ?",
                                (follow_id, _stamp(since)))
        return count

    def sent(self, follow_id: int, article_ids: list[str], now: dt.datetime) -> None:
        """One message went out for this follow, about `article_ids` (an alert, or a digest)."""
        with self._lock:
            self._db.executemany("UPDATE alerts SET sent_at = ? WHERE follow_id = ? AND article_id = ?",
                                 [(_stamp(now), follow_id, article_id) for article_id in article_ids])
