"""One index directory: `meta.json`, a FAISS index of passage vectors, and a SQLite database.

SQLite is the source of truth: it holds articles, passages (with their vectors), the vectors of
their sentences (for the answer engine) and the FTS5 table, and every change is one transaction. `vectors.faiss` is a fast copy of the vectors, saved by
write-then-rename; at open its ids are compared with SQLite's and any difference (a process killed
between the two writes) is mended from the stored vectors, so a reader never sees a half state.
An HNSW copy cannot remove vectors: the ids it holds that SQLite lacks are its tombstones, found
again at every open, left out of every search, and dropped when the copy is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from newsbot.index import vectors
from newsbot.index.articles import Article
from newsbot.index.backends import FAMILY, PRECISION, TORCH
from newsbot.index.chunking import Passage

FORMAT_VERSION = 1
META_FILE = "meta.json"
DB_FILE = "newsbot.db"
VECTORS_FILE = "vectors.faiss"
LOCK_FILE = ".lock"
# Sentence vectors are only compared with a question (cosine), where float16 changes nothing that
# matters (relative error ~5e-4) and halves what the most numerous rows cost on disk.
SENTENCE_DTYPE = np.float16

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT,
    source TEXT NOT NULL,
    url TEXT,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
CREATE TABLE IF NOT EXISTS sentences (
    passage INTEGER NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (passage, start_char)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, content='passages', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"""

@dataclass(frozen=True)
class SentenceVector:
    """A sentence of a passage by its offsets in the article text, with its vector."""

    start: int
    end: int
    vector: np.ndarray


class StoreError(RuntimeError):
    """Base of the errors an index directory raises; the message is meant for the user."""


class IndexNotFound(StoreError):
    """There is no index at the given directory."""


class CorruptIndex(StoreError):
    """A file of the index cannot be read."""


class ModelMismatch(StoreError):
    """The index was built with another embedding model."""


class IndexLocked(StoreError):
    """Another process is writing to the index."""


@dataclass(frozen=True)
class Filters:
    """Restrict a search to a date range (inclusive) and/or sources."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def sql(self) -> tuple[str, list[object]]:
        """A WHERE fragment over table alias `a` (articles) and its parameters."""
        clauses: list[str] = []
        params: list[object] = []
        if self.since:
            clauses.append("a.date >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("a.date <= ?")
            params.append(self.until.isoformat())
        if self.sources:
            marks = ",".join("?" * len(self.sources))
            clauses.append(f"(a.source IN ({marks}) OR a.path IN ({marks}))")
            params.extend(self.sources)
            params.extend(self.sources)
        return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True)
class StoredPassage:
    """A passage as stored, with the article it belongs to."""

    key: int
    passage: Passage
    article: Article


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int
    model: str
    dimension: int
    backend: str
    faiss_index: str
    size_bytes: int
    oldest: str | None
    newest: str | None
    directory: str


def index_exists(directory: Path) -> bool:
    """Whether `directory` holds an index (its `meta.json`)."""
    return (Path(directory).expanduser() / META_FILE).exists()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file, flush it to disk, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _insert_sentences(cur: sqlite3.Cursor, groups: Iterable[tuple[int, Sequence[SentenceVector]]]) -> None:
    """Insert each passage key's sentence vectors (float16)."""
    cur.executemany(
        "INSERT INTO sentences (passage, start_char, end_char, vector) VALUES (?, ?, ?, ?)",
        [(key, s.start, s.end, np.asarray(s.vector, dtype=SENTENCE_DTYPE).tobytes()) for key, group in groups for s in group],
    )


def _article_from_row(row: sqlite3.Row) -> Article:
    return Article(
        id=row["article_id"],
        title=row["title"],
        date=dt.date.fromisoformat(row["date"]) if row["date"] else None,
        source=row["source"],
        url=row["url"],
        text=row["article_text"],
        content_hash=row["content_hash"],
        path=row["path"],
    )


class Store:
    """An open index directory. Use `Store.open`; writers hold an exclusive lock until `close`."""

    def __init__(self, directory: Path, meta: dict, db: sqlite3.Connection, writable: bool) -> None:
        self.directory = directory
        self.meta = meta
        self.db = db
        self.writable = writable
        self._lock_handle = None
        self._vectors: faiss.Index | None = None
        self._tombstones = vectors.NO_TOMBSTONES
        self._dirty = False
        self._db_lock = threading.RLock()
        self._sentences_table: bool | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: str | Path,
        *,
        model: str | None = None,
        dimension: int | None = None,
        backend: str | None = None,
        writable: bool = False,
        repair: bool = False,
    ) -> Store:
        """Open an index; a writer creates it when the directory is new (needs model and dimension;
        `backend` records which embedding backend and precision made its vectors).

        Raises `IndexNotFound`, `CorruptIndex`, `ModelMismatch` or `IndexLocked` with a message
        that names the file at fault and what to do. With `repair`, a damaged `vectors.faiss` is
        ignored and rebuilt from the database.
        """
        directory = Path(directory).expanduser()
        meta_path = directory / META_FILE
        if not meta_path.exists():
            if not writable:
                raise IndexNotFound(
                    f"no index at {directory}: build one with `newsbot index add PATH --index {directory}`"
                )
            if directory.exists() and any(p.name != LOCK_FILE for p in directory.iterdir()):
                raise IndexNotFound(
                    f"{directory} is not empty and holds no {META_FILE}: it is not a newsbot index; "
                    "choose another --index directory"
                )
            if model is None or dimension is None:
                raise IndexNotFound(f"no index at {directory}")
            directory.mkdir(parents=True, exist_ok=True)
            lock = cls._acquire_lock(directory)
            meta = {
                "format": FORMAT_VERSION,
                "model": model,
                "dimension": dimension,
                "backend": backend or TORCH,
                "precision": PRECISION[backend or TORCH],
                "vectors": FAMILY[backend or TORCH],
                "faiss_index": "IDMap2,Flat",
                "metric": "inner_product",
                "created": _now(),
            }
            _write_atomically(meta_path, json.dumps(meta, indent=2).encode())
        else:
            lock = cls._acquire_lock(directory) if writable else None
            meta = cls._read_meta(meta_path)
        if model is not None and meta["model"] != model:
            if lock:
                lock.close()
            raise ModelMismatch(
                f"the index at {directory} was built with the model {meta['model']!r}, "
                f"not {model!r}: vectors of two models cannot be mixed. Use --model {meta['model']} "
                "(or NEWSBOT_MODEL) with this index, or a new --index directory for the other model."
            )
        db = cls._connect(directory / DB_FILE, writable)
        store = cls(directory, meta, db, writable)
        store._lock_handle = lock
        store._load_vectors(use_file=not repair)
        return store

    @staticmethod
    def _acquire_lock(directory: Path):
        handle = open(directory / LOCK_FILE, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise IndexLocked(
                f"the index at {directory} is being written by {holder}; "
                "wait for it to finish (two writers are never interleaved)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        return handle

    @staticmethod
    def _read_meta(path: Path) -> dict:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            meta["model"], int(meta["dimension"]), int(meta["format"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptIndex(
                f"{path} is unreadable ({exc.__class__.__name__}); the index cannot be trusted. "
                "Rebuild it: move the directory away and run `newsbot index add` on your articles."
            ) from None
        if meta["format"] > FORMAT_VERSION:
            raise CorruptIndex(f"{path} has format {meta['format']}; this newsbot reads up to {FORMAT_VERSION}")
        return meta

    @staticmethod
    def _connect(path: Path, writable: bool) -> sqlite3.Connection:
        if not writable and not path.exists():
            raise CorruptIndex(f"{path} is missing: rebuild the index with `newsbot index add`")
        try:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA busy_timeout = 10000")
            if writable:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.executescript(_SCHEMA)
            db.execute("SELECT 1 FROM articles LIMIT 1").fetchone()
            db.execute("SELECT 1 FROM passages_fts LIMIT 1").fetchone()
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.passages_vocab USING fts5vocab(main, passages_fts, row)")
        except sqlite3.DatabaseError as exc:
            raise CorruptIndex(
                f"{path} is not a readable SQLite database ({exc}). Rebuild the index: move the "
                "directory away and run `newsbot index add` on your articles."
            ) from None
        return db

    # -- the FAISS copy ----------------------------------------------------------------------

    @property
    def dimension(self) -> int:
        return int(self.meta["dimension"])

    @property
    def vector_family(self) -> str:
        """"float" or "int8": only backends of this family may add vectors (indexes made before
        backends were recorded hold torch fp32 vectors)."""
        return self.meta.get("vectors", "float")

    def _load_vectors(self, use_file: bool = True) -> None:
        """Read `vectors.faiss`, mend it against SQLite, then swap it in whole (searches running
        in other threads keep the old copy until then)."""
        path = self.directory / VECTORS_FILE
        if use_file and path.exists():
            try:
                index = faiss.read_index(str(path))
                vectors.tune(index)
            except RuntimeError as exc:
                raise CorruptIndex(
                    f"{path} is damaged ({str(exc).splitlines()[0][:120]}). It is a copy of the vectors "
                    f"in {DB_FILE}: rebuild it with `newsbot index repair --index {self.directory}`."
                ) from None
            if index.d != self.dimension:
                raise CorruptIndex(f"{path} has dimension {index.d}, {META_FILE} says {self.dimension}")
        else:
            index = vectors.empty(self.dimension)
        changed, tombstones = self._reconcile(index)
        self._vectors, self._tombstones = index, tombstones
        if changed:
            self._dirty = True
            if self.writable:
                self.flush()

    def _faiss_ids(self) -> np.ndarray:
        """The live ids of the FAISS copy (tombstones left out)."""
        return self._tombstones.exclude(vectors.ids(self._vectors))

    def _reconcile(self, index: faiss.Index) -> tuple[bool, vectors.Tombstones]:
        """Make the live ids of `index` equal SQLite's: add vectors it lacks, and drop the ids
        SQLite lacks (an HNSW graph keeps them as tombstones). Returns whether `index` changed
        and its tombstones."""
        stored = np.fromiter(
            (row[0] for row in self.db.execute("SELECT rowid FROM passages")), dtype=np.int64
        )
        present = vectors.ids(index)
        extra = np.setdiff1d(present, stored, assume_unique=True)
        missing = np.setdiff1d(stored, present, assume_unique=True)
        removes = vectors.removes(index)
        if extra.size and removes:
            index.remove_ids(extra)
        if missing.size:
            self._add_stored_vectors(index, missing)
        if (extra.size and removes) or missing.size:
            log.info("mended vectors.faiss: %d stale, %d missing vectors", extra.size, missing.size)
        return bool((extra.size and removes) or missing.size), vectors.Tombstones(None if removes else extra)

    def _drop_vectors(self, keys: np.ndarray) -> None:
        """Take removed passages out of the FAISS copy, or make them tombstones of a graph."""
        if not keys.size:
            return
        if vectors.removes(self._vectors):
            self._vectors.remove_ids(keys)
        else:
            self._tombstones = self._tombstones.plus(keys)

    def _add_stored_vectors(self, index: faiss.Index, keys: np.ndarray) -> None:
        for first in range(0, keys.size, 10_000):
            chunk = keys[first : first + 10_000].tolist()
            rows = self.db.execute(
                f"SELECT rowid, vector FROM passages WHERE rowid IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            if not rows:
                continue
            ids = np.array([row[0] for row in rows], dtype=np.int64)
            with vectors.threads():
                index.add_with_ids(np.vstack([np.frombuffer(row[1], dtype=np.float32) for row in rows]), ids)

    def repair(self) -> int:
        """Rebuild `vectors.faiss` from the vectors in SQLite; returns the number of vectors."""
        self._require_writable()
        self._load_vectors(use_file=False)
        self._dirty = True
        self.flush()
        return self.vector_count()

    def flush(self) -> None:
        """Save the FAISS copy if it changed (write, fsync, rename), first moving it to the index
        type that suits its size, or rebuilding a graph with too many tombstones."""
        if self._dirty and self.writable:
            if vectors.needs_rebuild(self._vectors, self.vector_count(), len(self._tombstones)):
                self._rebuild(vectors.kind_for(self.vector_count()))
            data = faiss.serialize_index(self._vectors)
            _write_atomically(self.directory / VECTORS_FILE, data.tobytes())
            self._dirty = False

    def _rebuild(self, kind: str) -> None:
        """Replace the FAISS copy by a new index of `kind` built from the vectors in SQLite."""
        keys = self._faiss_ids()
        if kind == vectors.describe(self._vectors):
            log.warning("rebuilding the FAISS %s index of %d vectors without its %d tombstones",
                        kind, keys.size, len(self._tombstones))
        else:
            log.warning("moving %d vectors to a FAISS %s index (once per size step)", keys.size, kind)
        index = vectors.empty(self.dimension, kind)
        self._add_stored_vectors(index, keys)
        self._vectors, self._tombstones = index, vectors.NO_TOMBSTONES
        self.meta["faiss_index"] = kind
        _write_atomically(self.directory / META_FILE, json.dumps(self.meta, indent=2).encode())

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()
            if self._lock_handle:
                self._lock_handle.close()
                self._lock_handle = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def _require_writable(self) -> None:
        if not self.writable:
            raise StoreError("the index was opened read-only")

    def write(
        self,
        articles: Sequence[Article],
        passages: Sequence[Passage],
        vectors: np.ndarray,
        replace: Iterable[str] = (),
        sentences: Sequence[Sequence[SentenceVector]] | None = None,
    ) -> None:
        """Add articles with their passages and vectors (row i of `vectors` is `passages[i]`), and
        the sentence vectors of each passage when given, first removing the articles with ids in
        `replace`; all or nothing."""
        self._require_writable()
        if len(passages) != len(vectors) or (sentences is not None and len(sentences) != len(passages)):
            raise ValueError("one vector and one list of sentences per passage")
        added_at = _now()
        with self._transaction() as cur:
            removed = self._delete_articles(cur, list(replace))
            cur.executemany(
                "INSERT INTO articles (id, title, date, source, url, path, content_hash, text, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, a.title, a.date.isoformat() if a.date else None, a.source, a.url, a.path,
                     a.content_hash, a.text, added_at)
                    for a in articles
                ],
            )
            keys = []
            for passage, vector in zip(passages, vectors):
                cur.execute(
                    "INSERT INTO passages (id, article_id, ordinal, start_char, end_char, text, vector)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (passage.id, passage.article_id, passage.ordinal, passage.start, passage.end,
                     passage.text, np.asarray(vector, dtype=np.float32).tobytes()),
                )
                keys.append(cur.lastrowid)
            if sentences is not None:
                _insert_sentences(cur, zip(keys, sentences))
        self._drop_vectors(removed)
        if keys:
            self._add_vectors(np.ascontiguousarray(vectors, dtype=np.float32), np.array(keys, dtype=np.int64))
        self._dirty = self._dirty or bool(removed.size or keys)

    def write_sentences(self, sentences: dict[int, Sequence[SentenceVector]]) -> None:
        """Store the sentence vectors of passages that lack them (an index made before they were
        kept); one transaction."""
        self._require_writable()
        with self._transaction() as cur:
            _insert_sentences(cur, sentences.items())

    def passages_without_sentences(self, limit: int) -> list[tuple[int, Passage]]:
        """Up to `limit` stored passages that have no sentence vectors yet, with their keys."""
        with self._db_lock:
            rows = self.db.execute(
                "SELECT rowid, id, article_id, ordinal, start_char, end_char, text FROM passages p"
                " WHERE NOT EXISTS (SELECT 1 FROM sentences s WHERE s.passage = p.rowid) LIMIT ?", (limit,),
            ).fetchall()
        return [(r[0], Passage(r[1], r[2], r[3], r[4], r[5], r[6])) for r in rows]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def _add_vectors(self, rows: np.ndarray, keys: np.ndarray) -> None:
        with vectors.threads():
            self._vectors.add_with_ids(rows, keys)

    def _delete_articles(self, cur: sqlite3.Cursor, ids: list[str]) -> np.ndarray:
        if not ids:
            return np.zeros(0, dtype=np.int64)
        marks = ",".join("?" * len(ids))
        keys = [row[0] for row in cur.execute(f"SELECT rowid FROM passages WHERE article_id IN ({marks})", ids)]
        cur.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
        return np.array(keys, dtype=np.int64)

    def remove(self, article_ids: Sequence[str] = (), sources: Sequence[str] = ()) -> list[str]:
        """Remove articles by id, and every article whose source or file path is in `sources`."""
        self._require_writable()
        ids = list(article_ids)
        for source in sources:
            ids += [
                row[0]
                for row in self.db.execute(
                    "SELECT id FROM articles WHERE source = ? OR path = ?", (source, source)
                )
            ]
        ids = [i for i in dict.fromkeys(ids) if self.db.execute(
            "SELECT 1 FROM articles WHERE id = ?", (i,)).fetchone()]
        if not ids:
            return []
        with self._transaction() as cur:
            removed = self._delete_articles(cur, ids)
        self._drop_vectors(removed)
        self._dirty = True
        self.flush()
        return ids

    # -- reading -----------------------------------------------------------------------------

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The content hashes among `hashes` that are already indexed."""
        return {row[0] for row in self._select_in(
            "SELECT content_hash FROM articles WHERE content_hash IN ({})", list(hashes))}

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among `ids` that name indexed articles."""
        return {row[0] for row in self._select_in("SELECT id FROM articles WHERE id IN ({})", list(ids))}

    def ids_by_path(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """Indexed article ids for each of the given file paths."""
        found: dict[str, list[str]] = {}
        for row in self._select_in("SELECT path, id FROM articles WHERE path IN ({})", list(paths)):
            found.setdefault(row[0], []).append(row[1])
        return found

    def _select_in(self, sql: str, values: list, chunk: int = 500) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = []
        for first in range(0, len(values), chunk):
            part = values[first : first + chunk]
            rows.extend(self.db.execute(sql.format(",".join("?" * len(part))), part).fetchall())
        return rows

    def dense_search(self, vector: np.ndarray, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Passage keys and inner-product scores of the `k` nearest vectors."""
        index, tombstones = self._vectors, self._tombstones
        live = index.ntotal - len(tombstones)
        if live <= 0 or k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        allowed = None
        if filters:
            where, args = filters.sql()
            with self._db_lock:
                allowed = self._allowed_keys(where, args)
            if allowed.size == 0:
                return []
        scores, keys = vectors.search(index, query, min(k, live), allowed, tombstones)
        return [(int(key), float(score)) for key, score in zip(keys[0], scores[0]) if key >= 0]

    def any_article(self, filters: Filters) -> bool:
        """Whether any article passes `filters` (an indexed lookup: a search that can find nothing
        is not run)."""
        where, args = filters.sql()
        with self._db_lock:
            return self.db.execute(f"SELECT 1 FROM articles a WHERE {where} LIMIT 1", args).fetchone() is not None

    def _allowed_keys(self, where: str, args: list[object]) -> np.ndarray:
        return np.fromiter(
                (row[0] for row in self.db.execute(
                    f"SELECT p.rowid FROM passages p JOIN articles a ON a.id = p.article_id WHERE {where}",
                    args,
                )),
                dtype=np.int64,
            )

    def keyword_search(self, match: str, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Passage keys and BM25 scores (higher is better) for an FTS5 MATCH expression."""
        if not match or k <= 0:
            return []
        where, args = filters.sql()
        join = f"JOIN passages p ON p.rowid = f.rowid JOIN articles a ON a.id = p.article_id AND {where}" if filters else ""
        with self._db_lock:
            rows = self.db.execute(
                f"SELECT f.rowid, bm25(passages_fts) AS rank FROM passages_fts f {join}"
                " WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?",
                [*args, match, k] if filters else [match, k],
            ).fetchall()
        return [(int(row[0]), -float(row[1])) for row in rows]

    def term_postings(self, stems: Sequence[str]) -> dict[str, int]:
        """How many passages hold each term, as FTS5 indexed it (lower case, Porter stem)."""
        if not stems:
            return {}
        with self._db_lock:
            rows = self._select_in("SELECT term, doc FROM temp.passages_vocab WHERE term IN ({})", list(stems))
        return {row[0]: int(row[1]) for row in rows}

    def passages(self, keys: Sequence[int]) -> dict[int, StoredPassage]:
        """The stored passages (with their articles) for the given keys."""
        if not keys:
            return {}
        with self._db_lock:
            rows = self.db.execute(
                "SELECT p.rowid AS key, p.id, p.article_id, p.ordinal, p.start_char, p.end_char, p.text,"
                " a.title, a.date, a.source, a.url, a.path, a.content_hash, a.text AS article_text"
                f" FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.rowid IN ({','.join('?' * len(keys))})",
                list(keys),
            ).fetchall()
        return {
            row["key"]: StoredPassage(
                key=row["key"],
                passage=Passage(row["id"], row["article_id"], row["ordinal"], row["start_char"],
                                row["end_char"], row["text"]),
                article=_article_from_row(row),
            )
            for row in rows
        }

    def sentence_vectors(self, keys: Sequence[int]) -> dict[int, list[SentenceVector]]:
        """The stored sentences of the given passages, in order; passages indexed before sentence
        vectors were stored (or by an older newsbot) are missing from the result."""
        if not keys or not self._has_sentences():
            return {}
        with self._db_lock:
            rows = self._select_in("SELECT passage, start_char, end_char, vector FROM sentences"
                                   " WHERE passage IN ({}) ORDER BY passage, start_char", list(keys))
        found: dict[int, list[SentenceVector]] = {}
        for row in rows:
            vector = np.frombuffer(row[3], dtype=SENTENCE_DTYPE).astype(np.float32)
            found.setdefault(row[0], []).append(SentenceVector(row[1], row[2], vector))
        return found

    def _has_sentences(self) -> bool:
        if self._sentences_table is None:
            with self._db_lock:
                self._sentences_table = self.db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sentences'").fetchone() is not None
        return self._sentences_table

    def article_passages(self, article_id: str) -> list[tuple[Passage, np.ndarray]]:
        """An article's passages in order, each with its stored vector."""
        with self._db_lock:
            rows = self.db.execute(
                "SELECT id, article_id, ordinal, start_char, end_char, text, vector FROM passages"
                " WHERE article_id = ? ORDER BY ordinal",
                (article_id,),
            ).fetchall()
        return [
            (Passage(r["id"], r["article_id"], r["ordinal"], r["start_char"], r["end_char"], r["text"]),
             np.frombuffer(r["vector"], dtype=np.float32))
            for r in rows
        ]

    def vector_count(self) -> int:
        """Live vectors in the FAISS copy (tombstones left out)."""
        return int(self._vectors.ntotal) - len(self._tombstones)

    def faiss_keys(self) -> np.ndarray:
        """The live passage keys in the FAISS copy (for consistency checks)."""
        return np.sort(self._faiss_ids())

    def refresh(self) -> None:
        """Pick up what another process (an ingest) committed since this store was opened."""
        with self._db_lock:
            self._load_vectors()

    def stats(self) -> Stats:
        with self._db_lock:
            articles, oldest, newest = self.db.execute(
                "SELECT count(*), min(date), max(date) FROM articles"
            ).fetchone()
            passages = self.db.execute("SELECT count(*) FROM passages").fetchone()[0]
        size = sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())
        return Stats(
            articles=articles,
            passages=passages,
            model=self.meta["model"],
            dimension=self.dimension,
            backend=f"{self.meta.get('backend', TORCH)} ({self.meta.get('precision', 'fp32')})",
            faiss_index=vectors.describe(self._vectors),
            size_bytes=size,
            oldest=oldest,
            newest=newest,
            directory=str(self.directory),
        )
