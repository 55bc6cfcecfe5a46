"""Add articles to an index: read them as a stream, skip what is already there, chunk, embed
passages, their sentences and the articles' headlines in batches, commit in steps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from queue import Empty, Queue

import numpy as np

from newsbot.index.articles import Article, LoadProblem
from newsbot.index.chunking import ChunkingConfig, Passage, chunk_article
from newsbot.index.embedding import Embedder
from newsbot.index.headline import OPENING, headline
from newsbot.index.progress import Progress, as_progress
from newsbot.index.report import IngestReport
from newsbot.index.sentences import Sentence, split_sentences
from newsbot.index.store import Headline, PassageStore, SentenceVector

COMMIT_PASSAGES = 512
# How sentence vectors are made: pooled from the passage's own forward pass (one pass for both), or
# each sentence encoded on its own (twice the model work).
POOLED, SEPARATE = "pooled", "separate"
SENTENCE_VECTORS = (POOLED, SEPARATE)
GROUP_ARTICLES = 1000
GROUP_CHARS = 16_000_000


def plan(store: PassageStore, items: Iterable[Article | LoadProblem], report: IngestReport,
         group: int = GROUP_ARTICLES, on_group: Callable[[], None] | None = None,
         on_skip: Callable[[Article], None] | None = None) -> Iterator[tuple[Article, list[str]]]:
    """The articles to index, each with the ids of the articles it replaces (same id, or the same
    one-article file with other content), dropping exact duplicates of indexed or earlier articles.
    Streams: the index is asked about `group` articles at a time and only the hashes and ids seen
    stay in memory, so an already-indexed article is skipped before it is chunked or encoded.
    A file's items must come together (as `load_paths` yields them). `on_group` runs after each
    group, `on_skip` for each article left out."""
    seen_hashes: set[str] = set()
    seen_ids: set[str] = set()
    for batch in _groups(_one_article_files(items, report), group):
        known = store.known_hashes({a.content_hash for a, _ in batch})
        existing = store.existing_ids({a.id for a, _ in batch})
        by_path = store.ids_by_path({a.path for a, alone in batch if alone})
        for article, _ in batch:
            if article.content_hash in known or article.content_hash in seen_hashes:
                report.duplicates += 1
            elif article.id in seen_ids:
                report.problem(LoadProblem(article.path, f"article id {article.id!r} given twice; kept the first"))
            else:
                seen_hashes.add(article.content_hash)
                seen_ids.add(article.id)
                replaced = {article.id} & existing | set(by_path.get(article.path, ()))
                yield article, sorted(replaced)
                continue
            if on_skip:
                on_skip(article)
        if on_group:
            on_group()


def _one_article_files(items: Iterable[Article | LoadProblem], report: IngestReport) -> Iterator[tuple[Article, bool]]:
    """Each article, with whether it is the only one its file gave; problems go to `report`. A file's
    items come together, so only a file's first article waits, until its second or the next file's."""
    first: Article | None = None
    path: str | None = None
    for item in items:
        if isinstance(item, LoadProblem):
            report.problem(item)
        elif item.path != path:
            if first is not None:
                yield first, True
            first, path = item, item.path
        else:
            if first is not None:
                yield first, False
                first = None
            yield item, False
    if first is not None:
        yield first, True


def _groups(pairs: Iterator[tuple[Article, bool]], size: int) -> Iterator[list[tuple[Article, bool]]]:
    """`pairs` in lists of `size` articles, or fewer holding `GROUP_CHARS` of text."""
    batch: list[tuple[Article, bool]] = []
    chars = 0
    for pair in pairs:
        batch.append(pair)
        chars += len(pair[0].text)
        if len(batch) >= size or chars >= GROUP_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def ingest(
    store: PassageStore,
    embedder: Embedder,
    items: Iterable[Article | LoadProblem],
    chunking: ChunkingConfig = ChunkingConfig(),
    progress: bool | Progress | None = False,
    commit_every: int = COMMIT_PASSAGES,
    *,
    group: int = GROUP_ARTICLES,
    sentence_vectors: str = POOLED,
) -> IngestReport:
    """Index new and changed articles. `items` is read as a stream, `group` articles at a time, so
    an input of any size takes bounded memory, and a rerun after a failure or kill skips what was
    indexed by content hash and goes on from there. Each step of about `commit_every` passages is
    one transaction, so a failure or kill loses at most the steps under way, never indexed data.
    Reading, planning (the store's lookups included), chunking and sentence splitting run in a
    thread ahead of the encoder, so the model never waits for them. Sentence and headline vectors
    are stored so that answering only has to encode the question; `sentence_vectors` says how
    sentence vectors are made (`POOLED` or `SEPARATE`). Articles indexed before headlines were
    stored get theirs first. `progress`: a `Progress` (see `newsbot.index.progress`), True for a
    default one, or False; it is finished here."""
    started = time.perf_counter()
    report = IngestReport()
    shown = as_progress(progress)
    update = (lambda: shown.update(report)) if shown else None
    try:
        report.headlines = add_missing_headlines(store, embedder)
        skipped = (lambda article: shown.finished(len(article.text))) if shown else None
        todo = plan(store, _told(items, shown) if shown else items, report, group, on_group=update, on_skip=skipped)
        for step in _prefetched(_steps(todo, chunking, commit_every)):
            _commit(store, embedder, step, report, sentence_vectors)
            if shown:
                shown.finished(sum(len(item.article.text) for item in step))
                update()
        store.flush()
    except BaseException:
        report.seconds = time.perf_counter() - started
        if shown:
            shown.finish(report, stopped=True)
        raise
    report.seconds = time.perf_counter() - started
    if shown:
        shown.finish(report)
    return report


def _told(items: Iterable[Article | LoadProblem], shown: Progress) -> Iterator[Article | LoadProblem]:
    """`items`, telling `shown` the size of each article as it is read."""
    for item in items:
        if isinstance(item, Article):
            shown.arrived(len(item.text))
        yield item


@dataclass(frozen=True)
class _Chunked:
    article: Article
    replaced: list[str]
    passages: list[Passage]
    sentences: list[list[Sentence]]


Step = list[_Chunked]


def _steps(todo: Iterable[tuple[Article, list[str]]], chunking: ChunkingConfig, commit_every: int) -> Iterator[Step]:
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


def _commit(store: PassageStore, embedder: Embedder, step: Step, report: IngestReport, sentence_vectors: str) -> None:
    """Encode a step's passages and their sentences and write it as one transaction."""
    passages = [p for item in step for p in item.passages]
    split = [ss for item in step for ss in item.sentences]
    encode = _pooled if sentence_vectors == POOLED else _separate
    vectors, sentences = encode(embedder, passages, split)
    articles = [item.article for item in step]
    store.write(
        articles,
        passages,
        vectors if passages else np.zeros((0, store.dimension), np.float32),
        replace=[old for item in step for old in item.replaced],
        sentences=[[SentenceVector(s.start, s.end, v) for s, v in zip(ss, vs)] for ss, vs in zip(split, sentences)],
        headlines=_headlines(embedder, [(a.id, headline(a.title, a.date, a.text)) for a in articles]),
    )
    for item in step:
        if item.replaced:
            report.updated += 1
        else:
            report.added += 1
    report.passages += len(passages)


def _headlines(embedder: Embedder, found: list[tuple[str, str | None]]) -> list[Headline]:
    """Each (article id, headline or None) as a `Headline`, those with text encoded (each on its own)."""
    texts = [text for _, text in found if text]
    vectors = iter(embedder.encode(texts) if texts else [])
    return [Headline(article_id, text, next(vectors) if text else None) for article_id, text in found]


def add_missing_headlines(store: PassageStore, embedder: Embedder, step: int = COMMIT_PASSAGES) -> int:
    """Store the headlines (or that there is none) of the articles indexed before headlines were,
    `step` articles to a transaction; returns how many have one."""
    found = [(ref.id, headline(ref.title, ref.date, opening)) for ref, opening in store.without_headline(OPENING)]
    for first in range(0, len(found), step):
        store.write([], [], np.zeros((0, store.dimension), np.float32),
                    headlines=_headlines(embedder, found[first : first + step]))
    return sum(1 for _, text in found if text)


def _pooled(embedder: Embedder, passages: list[Passage], split: list[list[Sentence]]) -> tuple[np.ndarray, list]:
    """Passage and sentence vectors from one forward pass over each distinct passage text."""
    first: dict[str, int] = {}
    for i, passage in enumerate(passages):
        first.setdefault(passage.text, i)
    unique = list(first.values())
    spans = [[(s.start - passages[i].start, s.end - passages[i].start) for s in split[i]] for i in unique]
    vectors, pooled = embedder.encode_with_spans([passages[i].text for i in unique], spans)
    row = {text: n for n, text in enumerate(first)}
    chosen = [row[p.text] for p in passages]
    return vectors[chosen] if passages else vectors, [pooled[n] for n in chosen]


def _separate(embedder: Embedder, passages: list[Passage], split: list[list[Sentence]]) -> tuple[np.ndarray, list]:
    """Passages and sentences each encoded on their own, in one call (each distinct text once)."""
    texts = list(dict.fromkeys([p.text for p in passages] + [s.text for ss in split for s in ss]))
    encoded = dict(zip(texts, embedder.encode(texts)))
    vectors = np.vstack([encoded[p.text] for p in passages]) if passages else None
    return vectors, [[encoded[s.text] for s in ss] for ss in split]
