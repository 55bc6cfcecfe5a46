"""The bot's own records in the index database: which questions it answered (for /stats, never who
asked) and the 👍/👎 votes on its answers. A connection of its own, so the serving index stays
read-only and these rows never wait for an ingest's transaction."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from newsbot.answer.types import Answer, cited_where
from newsbot.index.store import DB_FILE

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    latency_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    given_at TEXT NOT NULL,
    user_id INTEGER,
    vote INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Vote:
    """One stored vote: +1 or -1 on an answer, with the sources it cited."""

    user_id: int | None
    vote: int
    question: str
    answer: str
    sources: list[dict]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class QuestionLog:
    """Questions answered and votes given, in the tables `questions` and `feedback`."""

    def __init__(self, index_dir: Path) -> None:
        self._db = sqlite3.connect(Path(index_dir) / DB_FILE, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._lock = threading.Lock()
        self._ready = False

    def _execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            if not self._ready:
                self._db.executescript(_SCHEMA)
                self._ready = True
            return self._db.execute(sql, params).fetchall()

    def asked(self, channel: str, question: str, abstained: bool, latency_ms: float) -> None:
        self._execute("INSERT INTO questions (asked_at, channel, question, abstained, latency_ms)"
                      " VALUES (?, ?, ?, ?, ?)", (_now(), channel, question, int(abstained), latency_ms))

    def voted(self, user_id: int | None, vote: int, answer: Answer) -> None:
        sources = [{"n": c.n, "article_id": c.article_id, "title": c.title,
                    "date": c.date.isoformat() if c.date else None, "url": cited_where(c),
                    "sentence": c.sentence} for c in answer.citations]
        self._execute("INSERT INTO feedback (given_at, user_id, vote, question, answer, sources)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      (_now(), user_id, vote, answer.question, answer.text, json.dumps(sources)))

    def totals(self) -> tuple[int, float | None]:
        """Questions answered so far and their mean latency in milliseconds."""
        [(count, mean)] = self._execute("SELECT count(*), avg(latency_ms) FROM questions")
        return count, mean

    def latencies(self) -> list[float]:
        """Each logged question's answering time in milliseconds, oldest first."""
        return [row[0] for row in self._execute("SELECT latency_ms FROM questions ORDER BY id")]

    def votes(self) -> list[Vote]:
        rows = self._execute("SELECT user_id, vote, question, answer, sources FROM feedback ORDER BY id")
        return [Vote(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
