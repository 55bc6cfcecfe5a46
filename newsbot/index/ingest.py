"""Add articles to an index: skip what is already there, chunk, embed passages and their sentences
in batches, commit in steps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from queue import Empty, Queue

import numpy as np
from tqdm import tqdm

from newsbot.index.articles import Article, LoadProblem
from newsbot.index.chunking import ChunkingConfig, Passage, chunk_article
from newsbot.index.embedding import Embedder
from newsbot.index.sentences import Sentence, split_sentences
from newsbot.index.store import PassageStore, SentenceVector

COMMIT_PASSAGES = 512


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    updated: int = 0
    duplicates: int = 0
    passages: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    seconds: float = 0.0


def plan(store: PassageStore, items: Iterable[Article | LoadProblem], report: IngestReport) -> list[tuple[Article, list[str]]]:
    """The articles to index, each with the ids of the articles it replaces (same id, or the same
    one-article file with other content), dropping exact duplicates of indexed or earlier articles."""
    articles: list[Article] = []
    for item in items:
        if isinstance(item, LoadProblem):
            report.problems.append(item)
        else:
            articles.append(item)
    known = store.known_hashes(a.content_hash for a in articles)
    existing = store.existing_ids(a.id for a in articles)
    by_path = store.ids_by_path(_paths_with_one_article(articles))
    todo: list[tuple[Article, list[str]]] = []
    seen_hashes: set[str] = set()
    seen_ids: set[str] = set()
    for article in articles:
        if article.content_hash in known or article.content_hash in seen_hashes:
            report.duplicates += 1
            continue
        if article.id in seen_ids:
            report.problems.append(LoadProblem(article.path, f"article id {article.id!r} given twice; kept the first"))
            continue
        seen_hashes.add(article.content_hash)
        seen_ids.add(article.id)
        replaced = {article.id} & existing | set(by_path.get(article.path, ()))
        todo.append((article, sorted(replaced)))
    return todo


def _paths_with_one_article(articles: list[Article]) -> list[str]:
    counts: dict[str, int] = {}
    for article in articles:
        counts[article.path] = counts.get(article.path, 0) + 1
    return [path for path, count in counts.items() if count == 1]


def ingest(
    store: PassageStore,
    embedder: Embedder,
    items: Iterable[Article | LoadProblem],
    chunking: ChunkingConfig = ChunkingConfig(),
    progress: bool = False,
    commit_every: int = COMMIT_PASSAGES,
) -> IngestReport:
    """Index new and changed articles. Each step of about `commit_every` passages is one
    transaction, so a failure or kill loses at most the step under way, never indexed data.
    Chunking and sentence splitting run in a thread ahead of the encoder, so the model never waits
    for them. Sentence vectors are stored so that answering only has to encode the question."""
    started = time.perf_counter()
    report = IngestReport()
    todo = plan(store, items, report)
    with tqdm(total=len(todo), unit="article", desc="indexing", disable=not progress, leave=False) as bar:
        for step in _prefetched(_steps(todo, chunking, commit_every)):
            _commit(store, embedder, step, report)
            bar.update(len(step))
    store.flush()
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Chunked:
    article: Article
    replaced: list[str]
    passages: list[Passage]
    sentences: list[list[Sentence]]


Step = list[_Chunked]


def _steps(todo: list[tuple[Article, list[str]]], chunking: ChunkingConfig, commit_every: int) -> Iterator[Step]:
    """Chunked articles in groups of at least `commit_every` passages (the last may be smaller)."""
    step: Step = []
    waiting = 0
    for article, replaced in todo:
        passages = chunk_article(article, chunking)
        sentences = [split_sentences(p.text, offset=p.start) for p in passages]
        step.append(_Chunked(article, replaced, passages, sentences))
        waiting += len(passages)
        if waiting >= commit_every:
            yield step
            step, waiting = [], 0
    if step:
        yield step


def _prefetched(steps: Iterator[Step], depth: int = 2) -> Iterator[Step]:
    """`steps`, produced by a worker thread up to `depth` ahead; its errors are raised here."""
    queue: Queue = Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for step in steps:
                if stop.is_set():
                    return
                queue.put(step)
            queue.put(done)
        except BaseException as exc:
            queue.put(exc)

    worker = threading.Thread(target=produce, name="newsbot-chunking", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                queue.get(timeout=0.1)
            except Empty:
                pass


def _commit(store: PassageStore, embedder: Embedder, step: Step, report: IngestReport) -> None:
    """Encode a step's passages and sentences in one call (each distinct text once) and write it."""
    passages = [p for item in step for p in item.passages]
    split = [ss for item in step for ss in item.sentences]
    texts = list(dict.fromkeys([p.text for p in passages] + [s.text for ss in split for s in ss]))
    encoded = dict(zip(texts, embedder.encode(texts)))
    store.write(
        [item.article for item in step],
        passages,
        np.vstack([encoded[p.text] for p in passages]) if passages else np.zeros((0, store.dimension), np.float32),
        replace=[old for item in step for old in item.replaced],
        sentences=[[SentenceVector(s.start, s.end, encoded[s.text]) for s in ss] for ss in split],
    )
    for item in step:
        if item.replaced:
            report.updated += 1
        else:
            report.added += 1
    report.passages += len(passages)
