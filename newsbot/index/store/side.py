"""Tables kept beside the index in its database (feeds, follows) on a connection of their own, so
their small writes never wait for an ingest's transaction, and the serving store stays read-only."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from newsbot.index.store.database import DB_FILE


class SideTables:
    """A thread-safe connection to the index database at `index_dir` that made sure `schema` exists."""

    def __init__(self, index_dir: Path, schema: str) -> None:
        self._db = sqlite3.connect(Path(index_dir) / DB_FILE, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(schema)

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
