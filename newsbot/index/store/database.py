"""The SQLite database of an index, the source of truth: its connection (read-write for the one
writer, read-only for everyone else) and every statement the store runs, with the rows they read
turned into the store's types here and nowhere else (its schema is in `schema.py`, how a vector is
stored in `codec.py`).

A read-only connection opens the file with `mode=ro` and never writes to it; it reads a WAL
database another process is writing. On storage it cannot write to at all (a read-only directory,
where SQLite could not even make its -shm file), it opens the database as immutable.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from newsbot.index.articles import Article
from newsbot.index.chunking import Passage
from newsbot.index.store.codec import decode_vectors, encode_vectors
from newsbot.index.store.errors import CorruptIndex, RejectedWrite
from newsbot.index.store.schema import SCHEMA, VOCAB, text_of
from newsbot.index.store.types import ArticleRef, Filters, Headline, SentenceVector, StoredPassage

DB_FILE = "newsbot.db"
# Values bound to one `IN (...)` list; SQLite allows 32,766 variables a statement.
IN_CHUNK = 500
# Vectors read at once to add to FAISS: bulk adds spread over all cores.
VECTOR_CHUNK = 10_000


_PASSAGE = f"p.rowid AS key, p.id, p.article_id, p.ordinal, p.start_char, p.end_char, {text_of('p')} AS text"
_REF = "a.title, a.date, a.source, a.url, a.path"
_ARTICLE = "a.id, a.title, a.date, a.source, a.url, a.text, a.content_hash, a.path"


# -- rows to types -------------------------------------------------------------------------------

def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(row["id"], row["article_id"], row["ordinal"], row["start_char"], row["end_char"], row["text"])


def _ref(row: sqlite3.Row) -> ArticleRef:
    return ArticleRef(row["article_id"], row["title"], _date(row["date"]), row["source"], row["url"], row["path"])


def _article(row: sqlite3.Row) -> Article:
    return Article(id=row["id"], title=row["title"], date=_date(row["date"]), source=row["source"],
                   url=row["url"], text=row["text"], content_hash=row["content_hash"], path=row["path"])


def _keys(rows: Iterable[sqlite3.Row]) -> np.ndarray:
    return np.fromiter((row[0] for row in rows), dtype=np.int64)


def _where(filters: Filters) -> tuple[str, list[object]]:
    """A WHERE fragment over table alias `a` (articles) and its parameters."""
    clauses: list[str] = []
    params: list[object] = []
    if filters.since:
        clauses.append("a.date >= ?")
        params.append(filters.since.isoformat())
    if filters.until:
        clauses.append("a.date <= ?")
        params.append(filters.until.isoformat())
    if filters.sources:
        marks = ",".join("?" * len(filters.sources))
        clauses.append(f"(a.source IN ({marks}) OR a.path IN ({marks}))")
        params.extend(filters.sources)
        params.extend(filters.sources)
    return (" AND ".join(clauses) or "1"), params


# -- connecting ----------------------------------------------------------------------------------

def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(target, uri=uri, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def _probe(db: sqlite3.Connection) -> None:
    db.execute("SELECT 1 FROM articles LIMIT 1").fetchone()
    db.execute("SELECT 1 FROM passages_fts LIMIT 1").fetchone()
    db.execute(VOCAB)


def _writer(path: Path) -> sqlite3.Connection:
    db = _connect(str(path))
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    _probe(db)
    return db


def _reader(path: Path) -> sqlite3.Connection:
    uri = path.absolute().as_uri()
    db = _connect(f"{uri}?mode=ro", uri=True)
    try:
        _probe(db)
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_READONLY or os.access(path.parent, os.W_OK):
            raise
    db = _connect(f"{uri}?mode=ro&immutable=1", uri=True)
    _probe(db)
    return db


class Database:
    """One connection to an index's SQLite file, shared by the threads of a process (each statement
    runs under a lock). Use `Database.open`."""

    def __init__(self, connection: sqlite3.Connection, path: Path, writable: bool) -> None:
        self.path = path
        self.writable = writable
        self._db = connection
        self._lock = threading.RLock()
        self._has_headlines = False

    @classmethod
    def open(cls, path: Path, writable: bool) -> Database:
        """Connect (a writer makes the schema); `CorruptIndex` names a file that is missing or not
        a newsbot database."""
        if not writable and not path.exists():
            raise CorruptIndex(f"{path} is missing: rebuild the index with `newsbot index add`")
        try:
            return cls(_writer(path) if writable else _reader(path), path, writable)
        except sqlite3.DatabaseError as exc:
            raise CorruptIndex(
                f"{path} is not a readable SQLite database ({exc}). Rebuild the index: move the "
                "directory away and run `newsbot index add` on your articles."
            ) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _rows_in(self, sql: str, values: Iterable[object], before: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Rows of `sql`, whose `{}` is an IN list, for `values` in chunks."""
        values = list(values)
        rows: list[sqlite3.Row] = []
        for first in range(0, len(values), IN_CHUNK):
            part = values[first : first + IN_CHUNK]
            rows += self._rows(sql.format(",".join("?" * len(part))), [*before, *part])
        return rows

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """Reads in one read transaction, so they all see the same commit."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self
            finally:
                self._db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction: committed when the block ends, rolled back if it raises; a broken
        constraint (an article id or content already indexed) raises `RejectedWrite`."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(cur)
                cur.execute("COMMIT")
            except BaseException as exc:
                cur.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise RejectedWrite(f"the index refused the write, and stored nothing of it: {exc}") from exc
                raise

    # -- what is indexed ---------------------------------------------------------------------

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        return {row[0] for row in self._rows_in("SELECT content_hash FROM articles WHERE content_hash IN ({})", hashes)}

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        return {row[0] for row in self._rows_in("SELECT id FROM articles WHERE id IN ({})", ids)}

    def ids_by_path(self, paths: Iterable[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for row in self._rows_in("SELECT path, id FROM articles WHERE path IN ({}) ORDER BY id", paths):
            found.setdefault(row[0], []).append(row[1])
        return found

    def ids_from_sources(self, sources: Sequence[str]) -> list[str]:
        """Ids of the articles whose source or file path is one of `sources`."""
        where, params = _where(Filters(sources=tuple(sources)))
        return [row[0] for row in self._rows(f"SELECT a.id FROM articles a WHERE {where} ORDER BY a.id", params)]

    def any_article(self, filters: Filters) -> bool:
        where, params = _where(filters)
        return bool(self._rows(f"SELECT 1 FROM articles a WHERE {where} LIMIT 1", params))

    def counts(self) -> tuple[int, int, str | None, str | None]:
        """Articles, passages, and the oldest and newest article dates."""
        with self.snapshot():
            articles, oldest, newest = self._rows("SELECT count(*), min(date), max(date) FROM articles")[0]
            passages = self._rows("SELECT count(*) FROM passages")[0][0]
        return articles, passages, oldest, newest

    def problems(self) -> list[str]:
        """What in the database does not agree with itself (nothing, unless it was edited by hand)."""
        checks = {
            "passages of no article": "SELECT count(*) FROM passages p LEFT JOIN articles a ON a.id = p.article_id"
                                      " WHERE a.id IS NULL",
            "sentences of no passage": "SELECT count(*) FROM sentences WHERE passage NOT IN (SELECT rowid FROM passages)",
            "passages whose offsets lie outside their article's text": "SELECT count(*) FROM passages p JOIN"
                " articles a ON a.id = p.article_id WHERE p.start_char < 0 OR p.end_char < p.start_char"
                " OR p.end_char > length(a.text)",
            "passages the keyword index misses or keeps after removal":
                "SELECT abs((SELECT count(*) FROM passages_fts_docsize) - (SELECT count(*) FROM passages))",
        }
        with self.snapshot():
            found = {name: self._rows(sql)[0][0] for name, sql in checks.items()}
        return [f"{count} {name}" for name, count in found.items() if count]

    # -- passages and their vectors ----------------------------------------------------------

    def passage_keys(self) -> np.ndarray:
        """Every passage key, ascending."""
        return _keys(self._rows("SELECT rowid FROM passages ORDER BY rowid"))

    def stored_vectors(self, keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The stored vectors of `keys` (those that exist), in chunks of (keys, rows)."""
        for first in range(0, keys.size, VECTOR_CHUNK):
            part = keys[first : first + VECTOR_CHUNK].tolist()
            rows = self._rows(f"SELECT rowid, vector FROM passages WHERE rowid IN ({','.join('?' * len(part))})", part)
            if rows:
                yield _keys(rows), decode_vectors([row[1] for row in rows])

    def allowed_keys(self, filters: Filters) -> np.ndarray:
        where, params = _where(filters)
        return _keys(self._rows(
            f"SELECT p.rowid FROM passages p JOIN articles a ON a.id = p.article_id WHERE {where}", params))

    def keyword_search(self, match: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        where, params = _where(filters)
        join = f"JOIN passages p ON p.rowid = f.rowid JOIN articles a ON a.id = p.article_id AND {where}" if filters else ""
        rows = self._rows(f"SELECT f.rowid, bm25(passages_fts) AS rank FROM passages_fts f {join}"
                          " WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?",
                          [*params, match, k] if filters else [match, k])
        return [(int(row[0]), -float(row[1])) for row in rows]

    def latest_passages(self, k: int, filters: Filters) -> list[int]:
        where, params = _where(filters)
        # Newest first by the date index (ties in the order added: rowid), so only the k rows kept are sorted.
        rows = self._rows("SELECT p.rowid FROM (SELECT a.id, a.date, a.rowid AS added FROM articles a"
                          f" WHERE a.date IS NOT NULL AND {where} ORDER BY a.date DESC, a.rowid DESC LIMIT ?) n"
                          " JOIN passages p ON p.article_id = n.id AND p.ordinal = 0 ORDER BY n.date DESC, n.added DESC",
                          [*params, k])
        return [int(row[0]) for row in rows]

    def term_postings(self, stems: Sequence[str]) -> dict[str, int]:
        rows = self._rows_in("SELECT term, doc FROM temp.passages_vocab WHERE term IN ({})", stems)
        return {row[0]: int(row[1]) for row in rows}

    def passages(self, keys: Sequence[int]) -> dict[int, StoredPassage]:
        rows = self._rows_in(f"SELECT {_PASSAGE}, {_REF} FROM passages p JOIN articles a ON a.id = p.article_id"
                             " WHERE p.rowid IN ({})", keys)
        return {row["key"]: StoredPassage(row["key"], _passage(row), _ref(row)) for row in rows}

    def passage_vectors(self, keys: Sequence[int]) -> dict[int, np.ndarray]:
        chunks = self.stored_vectors(np.asarray(keys, dtype=np.int64))
        return {int(key): row for found, rows in chunks for key, row in zip(found, rows)}

    def sentence_vectors(self, keys: Sequence[int]) -> dict[int, list[SentenceVector]]:
        rows = self._rows_in("SELECT passage, start_char, end_char, vector FROM sentences"
                             " WHERE passage IN ({}) ORDER BY passage, start_char", keys)
        found: dict[int, list[SentenceVector]] = {}
        for row, vector in zip(rows, decode_vectors([row[3] for row in rows])):
            found.setdefault(row[0], []).append(SentenceVector(row[1], row[2], vector))
        return found

    def headlines(self, article_ids: Sequence[str]) -> dict[str, Headline]:
        if not self._has_headlines:
            # An index made before headlines were stored has no table of them until a writer opens it.
            self._has_headlines = bool(self._rows("SELECT 1 FROM sqlite_master WHERE name = 'headlines'"))
            if not self._has_headlines:
                return {}
        rows = self._rows_in("SELECT article_id, text, vector FROM headlines"
                             " WHERE text IS NOT NULL AND article_id IN ({})", article_ids)
        return {row[0]: Headline(row[0], row[1], vector)
                for row, vector in zip(rows, decode_vectors([row[2] for row in rows]))}

    def without_headline(self, opening: int) -> list[tuple[ArticleRef, str]]:
        """The articles indexed before headlines were stored, each with the first `opening`
        characters of its text."""
        rows = self._rows("SELECT a.id AS article_id, a.title, a.date, a.source, a.url, a.path, substr(a.text, 1, ?)"
                          " FROM articles a WHERE NOT EXISTS (SELECT 1 FROM headlines h WHERE h.article_id = a.id)",
                          (opening,))
        return [(_ref(row), row[6]) for row in rows]

    # -- whole articles ----------------------------------------------------------------------

    def article(self, article_id: str) -> Article | None:
        rows = self._rows(f"SELECT {_ARTICLE} FROM articles a WHERE a.id = ?", (article_id,))
        return _article(rows[0]) if rows else None

    def articles(self) -> list[Article]:
        return [_article(row) for row in self._rows(f"SELECT {_ARTICLE} FROM articles a ORDER BY a.id")]

    def article_passages(self, article_id: str) -> list[tuple[Passage, np.ndarray]]:
        rows = self._rows(f"SELECT {_PASSAGE}, p.vector FROM passages p JOIN articles a ON a.id = p.article_id"
                          " WHERE p.article_id = ? ORDER BY p.ordinal", (article_id,))
        return list(zip(map(_passage, rows), decode_vectors([row["vector"] for row in rows])))


class Transaction:
    """The statements of one write transaction (see `Database.transaction`)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cur = cursor

    def delete_articles(self, ids: Sequence[str]) -> np.ndarray:
        """Delete articles with their passages, sentences and headlines; returns the removed passage
        keys. The passages go first, while their articles still hold the text the FTS5 delete needs
        (their sentences go with them, and headlines with their articles: ON DELETE CASCADE)."""
        keys: list[int] = []
        for first in range(0, len(ids), IN_CHUNK):
            part = list(ids[first : first + IN_CHUNK])
            marks = ",".join("?" * len(part))
            keys += [row[0] for row in self._cur.execute(f"SELECT rowid FROM passages WHERE article_id IN ({marks})", part)]
            self._cur.execute(f"DELETE FROM passages WHERE article_id IN ({marks})", part)
            self._cur.execute(f"DELETE FROM articles WHERE id IN ({marks})", part)
        return np.array(keys, dtype=np.int64)

    def add_articles(self, articles: Sequence[Article], added_at: str) -> None:
        self._cur.executemany(
            "INSERT INTO articles (id, title, date, source, url, path, content_hash, text, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(a.id, a.title, a.date.isoformat() if a.date else None, a.source, a.url, a.path, a.content_hash,
              a.text, added_at) for a in articles],
        )

    def add_passages(self, passages: Sequence[Passage], vectors: np.ndarray) -> list[int]:
        """Insert passages (row i of `vectors` is `passages[i]`), after their articles: a passage's
        text is its article's span, which the insert trigger gives FTS5. Returns their keys in order."""
        keys = []
        for passage, blob in zip(passages, encode_vectors(vectors) if len(passages) else []):
            self._cur.execute(
                "INSERT INTO passages (id, article_id, ordinal, start_char, end_char, vector) VALUES (?, ?, ?, ?, ?, ?)",
                (passage.id, passage.article_id, passage.ordinal, passage.start, passage.end, blob),
            )
            keys.append(self._cur.lastrowid)
        return keys

    def add_headlines(self, headlines: Sequence[Headline]) -> None:
        """Insert (or replace) articles' headlines, after their articles."""
        quoted = [h for h in headlines if h.text is not None]
        blobs = dict(zip((h.article_id for h in quoted), encode_vectors(np.vstack([h.vector for h in quoted]))
                         if quoted else []))
        self._cur.executemany("INSERT OR REPLACE INTO headlines (article_id, text, vector) VALUES (?, ?, ?)",
                              [(h.article_id, h.text, blobs.get(h.article_id)) for h in headlines])

    def add_sentences(self, groups: Iterable[tuple[int, Sequence[SentenceVector]]]) -> None:
        """Insert each passage key's sentence vectors (int8 with a scale)."""
        rows = [(key, s) for key, group in groups for s in group]
        blobs = encode_vectors(np.vstack([s.vector for _, s in rows])) if rows else []
        self._cur.executemany(
            "INSERT INTO sentences (passage, start_char, end_char, vector) VALUES (?, ?, ?, ?)",
            [(key, s.start, s.end, blob) for (key, s), blob in zip(rows, blobs)],
        )
