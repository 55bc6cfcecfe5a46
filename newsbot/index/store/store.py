"""One index directory: `meta.json`, a FAISS index of passage vectors, and a SQLite database.

SQLite is the source of truth: it holds articles, passages (their offsets in the article and their
vectors; a passage's text is its article's span), the vectors of their sentences (for the answer
engine) and the FTS5 table, and every change is one transaction. Vectors are kept as int8 with a
scale (see `codec.encode_vectors`); the FAISS copy holds them as decoded, in float16.
`vectors.faiss` is a fast copy of the vectors, saved by write-then-rename; at open its ids are
compared with SQLite's and any difference (a process killed between the two writes) is mended from
the stored vectors, so a reader never sees a half state. One process writes at a time (a lock
file); a store opened without `writable` writes nothing, not even a mended copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from newsbot.index.articles import Article
from newsbot.index.chunking import Passage
from newsbot.index.store.codec import quantized
from newsbot.index.store.database import DB_FILE, Database
from newsbot.index.store.errors import IndexNotFound, ModelMismatch, StoreError
from newsbot.index.store.files import LOCK_FILE, lock_for_writing
from newsbot.index.store.meta import META_FILE, IndexMeta
from newsbot.index.store.types import ArticleRef, Filters, Headline, SentenceVector, Stats, StoredPassage
from newsbot.index.store.vectors import FLAT, VectorIndex, kind_for

VECTORS_FILE = "vectors.faiss"


def index_exists(directory: Path) -> bool:
    """Whether `directory` holds an index (its `meta.json`)."""
    return (Path(directory).expanduser() / META_FILE).exists()


class Store:
    """An open index directory. Use `Store.open`; a writer holds an exclusive lock until `close`."""

    def __init__(self, directory: Path, meta: IndexMeta, db: Database, lock: IO[str] | None) -> None:
        self.directory = directory
        self.meta = meta
        self.writable = lock is not None
        self._db = db
        self._lock = lock
        self._vectors = VectorIndex.new(meta.dimension)
        self._dirty = False

    # -- opening and closing -----------------------------------------------------------------

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

        Raises `IndexNotFound`, `FormatMismatch`, `CorruptIndex`, `ModelMismatch` or `IndexLocked`
        with a message that names the file at fault and what to do. With `repair`, a damaged
        `vectors.faiss` is ignored (`repair()` rebuilds it from the database).
        """
        directory = Path(directory).expanduser()
        lock = None
        try:
            if index_exists(directory):
                lock = lock_for_writing(directory) if writable else None
                meta = IndexMeta.read(directory)
            else:
                meta = _new_meta(directory, model, dimension, backend, writable)
                lock = lock_for_writing(directory)
                meta.write(directory)
            _check_model(directory, meta, model)
            store = cls(directory, meta, Database.open(directory / DB_FILE, writable), lock)
        except BaseException:
            if lock:
                lock.close()
            raise
        try:
            store._vectors, store._dirty = store._load(store._db, use_file=not repair)
            store.flush()
        except BaseException:
            store._release()
            raise
        return store

    def _load(self, db: Database, use_file: bool = True) -> tuple[VectorIndex, bool]:
        """A FAISS copy read from `vectors.faiss` (or made anew), mended against `db`, and whether
        mending changed it. The file is read before SQLite, so what it lacks is added, never dropped."""
        path = self.directory / VECTORS_FILE
        existing = VectorIndex.read(path, self.dimension) if use_file and path.exists() else None
        with db.snapshot():
            stored = db.passage_keys()
            vectors = existing or VectorIndex.new(self.dimension, kind_for(stored.size))
            changed = vectors.reconcile(stored, db.stored_vectors)
        return vectors, changed or existing is None

    def refresh(self) -> None:
        """Pick up what another process (an ingest) committed since this store was opened. The new
        FAISS copy is read and mended on a connection of its own, then swapped in with one
        assignment: queries meanwhile keep answering from the old copy and never wait for it. A
        writer's copy is always current, so for a writer this does nothing."""
        if self.writable:
            return
        meta = IndexMeta.read(self.directory)
        with Database.open(self.directory / DB_FILE, writable=False) as reader:
            vectors, _ = self._load(reader)
        self._vectors, self.meta = vectors, meta

    def flush(self) -> None:
        """Save the FAISS copy if it changed (write, fsync, rename), first moving it to the index
        kind that suits its size, or rebuilding a graph with too many tombstones. A read-only store
        never saves."""
        if not (self._dirty and self.writable):
            return
        if self._vectors.needs_rebuild():
            self._vectors = self._vectors.rebuilt(self._db.stored_vectors)
        if self.meta.faiss_index != self._vectors.kind:
            self.meta = self.meta.with_faiss_index(self._vectors.kind)
            self.meta.write(self.directory)
        self._vectors.save(self.directory / VECTORS_FILE)
        self._dirty = False

    def repair(self) -> int:
        """Rebuild `vectors.faiss` from the vectors in SQLite; returns the number of vectors."""
        self._require_writable()
        self._vectors, _ = self._load(self._db, use_file=False)
        self._dirty = True
        self.flush()
        return self.vector_count()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._release()

    def _release(self) -> None:
        self._db.close()
        if self._lock:
            self._lock.close()
            self._lock = None

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
        headlines: Sequence[Headline] = (),
    ) -> list[int]:
        """Add articles with their passages and vectors (row i of `vectors` is `passages[i]`), the
        sentence vectors of each passage when given, and `headlines` of these articles or of
        articles already indexed, first removing the articles with ids in `replace`; all or nothing
        (`RejectedWrite` for an article id or content already indexed).
        Each passage belongs to one of `articles` and its text is the article's span (the database
        keeps the offsets, not the text). Returns the keys of the new passages, in order."""
        self._require_writable()
        if len(passages) != len(vectors) or (sentences is not None and len(sentences) != len(passages)):
            raise ValueError("one vector and one list of sentences per passage")
        _check_spans(articles, passages)
        vectors = np.asarray(vectors, dtype=np.float32)
        if (not np.isfinite(vectors).all() or not all(np.isfinite(s.vector).all() for ss in sentences or () for s in ss)
                or not all(h.vector is None or np.isfinite(h.vector).all() for h in headlines)):
            raise ValueError("a vector holds NaN or infinity")
        added_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._db.transaction() as tx:
            removed = tx.delete_articles(list(replace))
            tx.add_articles(articles, added_at)
            keys = tx.add_passages(passages, vectors)
            if sentences is not None:
                tx.add_sentences(zip(keys, sentences))
            tx.add_headlines(headlines)
        self._vectors.drop(removed)
        if keys:
            # the vectors as SQLite gives them back, so the copy is the same whether made here or
            # rebuilt from the database
            self._vectors.add(quantized(vectors), np.array(keys, dtype=np.int64))
        self._dirty = self._dirty or bool(removed.size or keys)
        return keys

    def remove(self, article_ids: Sequence[str] = (), sources: Sequence[str] = ()) -> list[str]:
        """Remove articles by id, and every article whose source or file path is in `sources`;
        returns the ids removed. Saved at once."""
        self._require_writable()
        wanted = [*article_ids, *(self._db.ids_from_sources(sources) if sources else ())]
        found = self._db.existing_ids(wanted)
        ids = [i for i in dict.fromkeys(wanted) if i in found]
        if not ids:
            return []
        with self._db.transaction() as tx:
            removed = tx.delete_articles(ids)
        self._vectors.drop(removed)
        self._dirty = True
        self.flush()
        return ids

    # -- reading -----------------------------------------------------------------------------

    @property
    def dimension(self) -> int:
        return self.meta.dimension

    @property
    def vectors(self) -> VectorIndex:
        """The FAISS copy as it is now (a refresh replaces it with another)."""
        return self._vectors

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The content hashes among `hashes` that are already indexed."""
        return self._db.known_hashes(hashes)

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among `ids` that name indexed articles."""
        return self._db.existing_ids(ids)

    def ids_by_path(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """Indexed article ids for each of the given file paths."""
        return self._db.ids_by_path(paths)

    def any_article(self, filters: Filters) -> bool:
        """Whether any article passes `filters` (an indexed lookup: a search that can find nothing
        is not run)."""
        return self._db.any_article(filters)

    def dense_search(self, vector: np.ndarray, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Passage keys and inner-product scores of the `k` nearest vectors, best first."""
        vectors = self._vectors
        if len(vectors) <= 0 or k <= 0:
            return []
        allowed = None
        if filters:
            allowed = self._db.allowed_keys(filters)
            if allowed.size == 0:
                return []
        return vectors.search(vector, k, allowed)

    def keyword_search(self, match: str, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Passage keys and BM25 scores (higher is better) for an FTS5 MATCH expression."""
        return self._db.keyword_search(match, k, filters) if match and k > 0 else []

    def latest_passages(self, k: int, filters: Filters = Filters()) -> list[int]:
        """The first passage's key of each of the `k` newest dated articles that pass `filters`, newest first."""
        return self._db.latest_passages(k, filters) if k > 0 else []

    def term_postings(self, stems: Sequence[str]) -> dict[str, int]:
        """How many passages hold each term, as FTS5 indexed it (lower case, Porter stem)."""
        return self._db.term_postings(stems) if stems else {}

    def passages(self, keys: Sequence[int]) -> dict[int, StoredPassage]:
        """The stored passages, each with a reference to its article, for the given keys."""
        return self._db.passages(keys) if keys else {}

    def sentence_vectors(self, keys: Sequence[int]) -> dict[int, list[SentenceVector]]:
        """The stored sentences of the given passages, in order."""
        return self._db.sentence_vectors(keys) if keys else {}

    def headlines(self, article_ids: Sequence[str]) -> dict[str, Headline]:
        """The stored headlines of the articles of `article_ids` that have one."""
        return self._db.headlines(article_ids) if article_ids else {}

    def without_headline(self, opening: int) -> list[tuple[ArticleRef, str]]:
        """The articles indexed before headlines were stored, each with the first `opening`
        characters of its text."""
        return self._db.without_headline(opening)

    def passage_vectors(self, keys: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored vectors of the given passages."""
        return self._db.passage_vectors(keys) if keys else {}

    def passage_keys(self) -> np.ndarray:
        """Every passage key the database holds, ascending."""
        return self._db.passage_keys()

    def article(self, article_id: str) -> Article | None:
        """The whole article (with its text), or None."""
        return self._db.article(article_id)

    def articles(self) -> list[Article]:
        """Every indexed article, whole, by id."""
        return self._db.articles()

    def article_passages(self, article_id: str) -> list[tuple[Passage, np.ndarray]]:
        """An article's passages in order, each with its stored vector."""
        return self._db.article_passages(article_id)

    def vector_count(self) -> int:
        """Live vectors in the FAISS copy (tombstones left out)."""
        return len(self._vectors)

    def faiss_keys(self) -> np.ndarray:
        """The live passage keys in the FAISS copy, ascending (for consistency checks)."""
        return np.sort(self._vectors.live_ids())

    def check(self) -> list[str]:
        """What in the index does not agree (the database with itself, FAISS with the database);
        empty when all is well."""
        problems = self._db.problems()
        stored, copied = self.passage_keys(), self.faiss_keys()
        if not np.array_equal(stored, copied):
            problems.append(f"{np.setdiff1d(stored, copied).size} passages missing from the FAISS copy and "
                            f"{np.setdiff1d(copied, stored).size} it holds that the database lacks")
        return problems

    def stats(self) -> Stats:
        articles, passages, oldest, newest = self._db.counts()
        size = sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())
        return Stats(
            articles=articles, passages=passages, model=self.meta.model, dimension=self.dimension,
            backend=f"{self.meta.backend} ({self.meta.precision})", faiss_index=self._vectors.kind,
            size_bytes=size, oldest=oldest, newest=newest, directory=str(self.directory),
        )


def _check_spans(articles: Sequence[Article], passages: Sequence[Passage]) -> None:
    """Refuse passages the database could not give back as they are: of an article not in this
    write, or whose text is not the article's span (Python str offsets, which count code points as
    SQLite's substr() does; a NUL character would stop substr(), and articles never hold one)."""
    texts = {article.id: article.text for article in articles}
    if any("\x00" in text for text in texts.values()):
        raise ValueError("an article text holds a NUL character")
    for passage in passages:
        text = texts.get(passage.article_id)
        if text is None:
            raise ValueError(f"passage {passage.id} is of article {passage.article_id!r}, which is not in this write")
        if not 0 <= passage.start <= passage.end <= len(text) or text[passage.start : passage.end] != passage.text:
            raise ValueError(f"passage {passage.id} is not its article's text from {passage.start} to {passage.end}")


def _new_meta(directory: Path, model: str | None, dimension: int | None, backend: str | None,
              writable: bool) -> IndexMeta:
    """The metadata of a new index at `directory`, after checking that one may be made there."""
    if not writable:
        raise IndexNotFound(f"no index at {directory}: build one with `newsbot index add PATH --index {directory}`")
    if directory.exists() and any(p.name != LOCK_FILE for p in directory.iterdir()):
        raise IndexNotFound(f"{directory} is not empty and holds no {META_FILE}: it is not a newsbot index; "
                            "choose another --index directory")
    if model is None or dimension is None:
        raise IndexNotFound(f"no index at {directory}")
    directory.mkdir(parents=True, exist_ok=True)
    return IndexMeta.new(model, dimension, backend, FLAT)


def _check_model(directory: Path, meta: IndexMeta, model: str | None) -> None:
    if model is not None and meta.model != model:
        raise ModelMismatch(
            f"the index at {directory} was built with the model {meta.model!r}, not {model!r}: vectors "
            f"of two models cannot be mixed. Use --model {meta.model} (or NEWSBOT_MODEL) with this index, "
            "or a new --index directory for the other model."
        )
