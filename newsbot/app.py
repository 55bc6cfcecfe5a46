"""The one composition point: `Newsbot.open(settings)` builds the store, the embedder and the answer
engine once; the CLI, the Telegram bot, `newsbot eval` and the tests all go through it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence

from newsbot.answer.config import load_config
from newsbot.answer.engine import AnswerEngine
from newsbot.answer.types import Answer, Turn
from newsbot.index.articles import Article, LoadProblem
from newsbot.index.embedding import DEFAULT_MODEL, Embedder, canonical_model_name
from newsbot.index.ingest import ingest
from newsbot.index.progress import Progress
from newsbot.index.report import IngestReport
from newsbot.index.search import Hit, Mode, Searcher
from newsbot.index.store import Filters, Stats, Store, index_exists
from newsbot.settings import Settings


class Newsbot:
    """An open index with its embedder, searcher and engine. Use `Newsbot.open`; `close` (or the
    `with` block) closes what `open` opened, once."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.config = load_config()
        self.searcher = Searcher(store, embedder, self.config.retrieval.fusion)
        self._engine: AnswerEngine | None = None
        self._engine_lock = threading.Lock()

    @property
    def engine(self) -> AnswerEngine:
        """The answer engine, built at the first question (once, whichever thread asks first):
        ingest never loads the reader."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = AnswerEngine(self.searcher, self.config)
            return self._engine

    @classmethod
    def open(cls, settings: Settings, *, writable: bool = False, create: bool = False) -> Newsbot:
        """Open the index at `settings.index_dir`; `create` makes a new one (a writer) when none is
        there yet, with `settings.model` or the default model."""
        if create and not index_exists(settings.index_dir):
            embedder = _embedder(settings, settings.model or DEFAULT_MODEL)
            store = Store.open(settings.index_dir, model=embedder.name, dimension=embedder.dimension,
                               backend=embedder.backend, writable=True)
        else:
            model = canonical_model_name(settings.model) if settings.model else None
            store = Store.open(settings.index_dir, model=model, writable=writable or create)
            embedder = None
        try:
            return cls(settings, store, embedder or _embedder(settings, store.meta.model, store.meta.vectors))
        except BaseException:
            store.close()
            raise

    def ask(self, question: str, history: Sequence[Turn] = (), today: dt.date | None = None,
            mode: Mode = Mode.HYBRID, filters: Filters = Filters()) -> Answer:
        """A cited answer (or an abstention) to `question`, in the conversation `history`."""
        return self.engine.answer(question, history, today=today, mode=mode, filters=filters)

    def search(self, query: str, k: int = 10, mode: Mode = Mode.HYBRID, filters: Filters = Filters()) -> list[Hit]:
        """The `k` best passages for `query`."""
        return self.searcher.search(query, k=k, mode=mode, filters=filters)

    def add(self, items: Iterable[Article | LoadProblem], progress: bool | Progress = False) -> IngestReport:
        """Index articles (a stream of any length), a transaction per step of `commit_passages` (a
        failure keeps the steps already committed); `progress` as for `ingest`. A read-only Newsbot (the bot serving questions) opens a writer of its own
        for the run, then picks up what it committed, failed or not."""
        if self.store.writable:
            return ingest(self.store, self.embedder, items, self.settings.chunking(), progress=progress,
                          commit_every=self.settings.commit_passages, sentence_vectors=self.settings.sentence_vectors)
        try:
            with Store.open(self.settings.index_dir, writable=True) as writer:
                return ingest(writer, self.embedder, items, self.settings.chunking(), progress=progress,
                              commit_every=self.settings.commit_passages,
                              sentence_vectors=self.settings.sentence_vectors)
        finally:
            self.store.refresh()

    def remove(self, article_ids: Sequence[str] = (), sources: Sequence[str] = ()) -> list[str]:
        """Remove articles by id and by source or file path; returns the ids removed."""
        return self.store.remove(article_ids, sources)

    def stats(self) -> Stats:
        return self.store.stats()

    def refresh(self) -> None:
        """Pick up what another process committed to the index since it was opened."""
        self.store.refresh()

    def close(self) -> None:
        try:
            self.searcher.close()
        finally:
            self.store.close()

    def __enter__(self) -> Newsbot:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _embedder(settings: Settings, model: str, family: str | None = None) -> Embedder:
    return Embedder(model, settings.batch_size, settings.backend, family=family, cache_dir=settings.cache_dir)
