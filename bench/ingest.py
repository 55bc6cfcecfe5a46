"""Measure ingest throughput, index size, memory and search latency on a real corpus, in one run.

What it measures, over the passages of the loaded articles (default chunking):

* the reference: a raw encode of the passages alone with sentence-transformers itself, torch fp32
  at batch 16 (what the peers we compare with run), after a warm-up;
* end-to-end ingest with sentence vectors, `newsbot.index.ingest.ingest` into a fresh index
  directory, timed from `Store.open` to `Store.close` (reading, chunking, the model, SQLite +
  FTS5, the FAISS flush), once with sentence vectors pooled from the passage's own forward pass
  (the default) and once with each sentence encoded on its own, and the ratio of each to the
  reference (target >= 2.5 for the default);
* index size on disk per passage, and the process's RSS during the default ingest, sampled every
  half second: at the first and last quarter of the run and at its peak (flat means no growth
  with the number of articles);
* search latency (p50/p95) for hybrid, dense and keyword search with k=10, on questions made from
  sampled passages (each passage's first sentence, cut to 12 words), and the fraction of questions
  whose source passage is in the top 10 (a sanity recall, not a quality measure).

Articles are deduplicated the way ingest does (first article per content hash and per id), so
every throughput is over exactly the same passages.

Run by hand (never in CI), from the project root:

    HF_HUB_OFFLINE=1 .venv/bin/python bench/ingest.py /work/shared/data/news/bbc.jsonl --limit 500

Options: `--limit N` keeps the first N loaded articles, `--questions Q` (default 200) and
`--seed S` choose the search questions, `--batch-size B` sets newsbot's encode batch size
(default: the Embedder's), `--backend NAME` its embedding backend (default auto), `--workdir DIR`
keeps the indexes in new folders under DIR instead of a deleted temp dir, `--json` prints one JSON
object.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import machine_facts, positive_int, report, rss_bytes, run_in_workdir, say

from newsbot.index.articles import Article, LoadProblem, load_paths
from newsbot.index.chunking import ChunkingConfig, Passage, chunk_article
from newsbot.index.embedding import Embedder
from newsbot.settings import Settings
from newsbot.index.backends import TORCH
from newsbot.index.ingest import POOLED, SEPARATE, ingest
from newsbot.index.report import IngestReport
from newsbot.answer.config import load_config
from newsbot.index.search import Mode, QueryError, Searcher
from newsbot.index.sentences import split_sentences
from newsbot.index.store import Store

CACHE_DIR = Settings.from_env().cache_dir
FUSION = load_config().retrieval.fusion

TARGET_RATIO = 2.5
REFERENCE_BATCH = 16
TOP_K = 10
QUESTION_WORDS = 12
MODES = (Mode.HYBRID, Mode.DENSE, Mode.KEYWORD)

Row = tuple[str, str, str]


@dataclass
class Corpus:
    """The articles to index (deduplicated) and their passages."""

    articles: list[Article]
    passages: list[Passage]
    loaded: int
    duplicates: int
    problems: int


@dataclass
class ModeResult:
    """Latencies of the questions that could be searched, and how many found their passage."""

    mode: Mode
    latencies_ms: list[float]
    found: int
    failed: int
    questions: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("corpus", type=Path, help="an article file or folder that load_paths reads")
    parser.add_argument("--limit", type=positive_int, default=None, help="keep the first N loaded articles")
    parser.add_argument("--questions", type=positive_int, default=200, help="search questions (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed for sampling the questions (default 0)")
    parser.add_argument("--batch-size", type=positive_int, default=None, help="encode batch size")
    parser.add_argument("--backend", default="auto", help="embedding backend (default auto)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the index under this folder")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    return parser.parse_args(argv)


def load_corpus(path: Path, limit: int | None) -> Corpus:
    """The first `limit` loaded articles, deduplicated as ingest would, and their passages."""
    loaded: list[Article] = []
    problems = 0
    for item in load_paths([path]):
        if isinstance(item, LoadProblem):
            problems += 1
            continue
        loaded.append(item)
        if limit is not None and len(loaded) >= limit:
            break
    articles = unique_articles(loaded)
    config = ChunkingConfig()
    passages = [p for article in articles for p in chunk_article(article, config)]
    return Corpus(articles, passages, len(loaded), len(loaded) - len(articles), problems)


def unique_articles(articles: list[Article]) -> list[Article]:
    """The first article per content hash and per id (what `newsbot.index.ingest.plan` keeps)."""
    hashes: set[str] = set()
    ids: set[str] = set()
    kept: list[Article] = []
    for article in articles:
        if article.content_hash in hashes or article.id in ids:
            continue
        hashes.add(article.content_hash)
        ids.add(article.id)
        kept.append(article)
    return kept


def time_raw_encode(embedder: Embedder, texts: list[str]) -> float:
    """Seconds for the backend to encode `texts`, after a small warm-up encode."""
    embedder.encode(texts[: min(len(texts), embedder.batch_size)])
    started = time.perf_counter()
    embedder.encode(texts)
    return time.perf_counter() - started


class RssSampler:
    """This process's RSS every `interval` seconds while running (a thread)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(rss_bytes())


def time_ingest(embedder: Embedder, articles: list[Article], index_dir: Path,
                sentence_vectors: str) -> tuple[float, IngestReport]:
    """Seconds to open a new index, ingest `articles` into it and close it."""
    dimension = embedder.dimension
    started = time.perf_counter()
    store = Store.open(index_dir, model=embedder.name, dimension=dimension, backend=embedder.backend, writable=True)
    try:
        report = ingest(store, embedder, articles, sentence_vectors=sentence_vectors)
    finally:
        store.close()
    return time.perf_counter() - started, report


def directory_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def make_question(text: str) -> str:
    """The passage's first sentence, cut to its first `QUESTION_WORDS` words."""
    sentences = split_sentences(text)
    first = sentences[0].text if sentences else text
    return " ".join(first.split()[:QUESTION_WORDS])


def sample_questions(passages: list[Passage], count: int, seed: int) -> list[tuple[str, str]]:
    """(question, source passage id) for `count` passages drawn without replacement."""
    chosen = random.Random(seed).sample(passages, min(count, len(passages)))
    return [(make_question(p.text), p.id) for p in chosen]


def time_searches(searcher: Searcher, mode: Mode, questions: list[tuple[str, str]]) -> ModeResult:
    """Time each question in one mode (after one untimed warm-up search)."""
    result = ModeResult(mode, [], 0, 0, len(questions))
    try:
        searcher.search(questions[0][0], k=TOP_K, mode=mode)
    except QueryError:
        pass
    for question, passage_id in questions:
        started = time.perf_counter()
        try:
            hits = searcher.search(question, k=TOP_K, mode=mode)
        except QueryError:
            result.failed += 1
            continue
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.found += any(hit.passage.id == passage_id for hit in hits)
    return result


def run_searches(index_dir: Path, embedder: Embedder, questions: list[tuple[str, str]]) -> list[ModeResult]:
    """Each mode gets a fresh embedder, so no question vector comes from an earlier mode's cache."""
    results = []
    with Store.open(index_dir, model=embedder.name) as store:
        for mode in MODES:
            fresh = Embedder(embedder.name, backend=embedder.backend, cache_dir=CACHE_DIR)
            with Searcher(store, fresh, FUSION) as searcher:
                results.append(time_searches(searcher, mode, questions))
    return results


def corpus_facts(embedder: Embedder, corpus: Corpus, path: Path, index_dir: Path) -> list[tuple[str, str]]:
    return [
        ("model", f"{embedder.name} (dimension {embedder.dimension})"),
        ("backend", f"{embedder.backend}, batch size {embedder.batch_size}"),
        ("corpus", str(path)),
        ("articles", f"{len(corpus.articles):,} indexed ({corpus.loaded:,} loaded, "
                     f"{corpus.duplicates:,} duplicates dropped, {corpus.problems:,} load problems)"),
        ("passages", f"{len(corpus.passages):,} (default chunking)"),
        ("index dir", str(index_dir)),
    ]


def throughput_rows(passages: int, reference_s: float, timed: dict[str, float]) -> list[Row]:
    reference = passages / reference_s
    rows = [(f"raw encode, torch fp32 batch {REFERENCE_BATCH}", f"{reference:,.1f} passages/s",
             f"{reference_s:.2f} s, passages alone, sentence-transformers")]
    for how, seconds in timed.items():
        rate = passages / seconds
        ratio = rate / reference
        rows.append((f"ingest, {how} sentence vectors", f"{rate:,.1f} passages/s", f"{seconds:.2f} s, open to close"))
        target = f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'} (target >= {TARGET_RATIO})" if how == POOLED else ""
        rows.append((f"  / raw torch fp32", f"{ratio:.2f}x", target))
    return rows


def size_rows(size: int, rss: list[int], passages: int) -> list[Row]:
    quarter = max(1, len(rss) // 4)
    first, last = max(rss[:quarter]), max(rss[-quarter:])
    return [
        ("index size", f"{size:,} bytes", f"{size / 2**20:.2f} MiB, all files in the index dir"),
        ("bytes per passage", f"{size / passages:,.0f}", "on disk (target <= 6,144)"),
        ("RSS, first quarter of ingest", f"{first / 2**20:,.0f} MiB", f"{len(rss)} samples"),
        ("RSS, last quarter of ingest", f"{last / 2**20:,.0f} MiB", f"{(last - first) / 2**20:+,.0f} MiB"),
        ("RSS peak in ingest", f"{max(rss) / 2**20:,.0f} MiB", ""),
    ]


def search_rows(result: ModeResult) -> list[Row]:
    name = result.mode.value
    failed = f", {result.failed} not searchable" if result.failed else ""
    timed = f"{len(result.latencies_ms)} queries, k={TOP_K}{failed}"
    p50, p95 = np.percentile(result.latencies_ms, [50, 95]) if result.latencies_ms else (np.nan, np.nan)
    recall = result.found / result.questions
    return [
        (f"{name} search p50", f"{p50:.2f} ms", timed),
        (f"{name} search p95", f"{p95:.2f} ms", ""),
        (f"{name} source in top {TOP_K}", f"{recall:.3f}", f"{result.found}/{result.questions} queries"),
    ]


def benchmark(args: argparse.Namespace, workdir: Path) -> None:
    say(f"loading {args.corpus} ...")
    corpus = load_corpus(args.corpus, args.limit)
    if not corpus.passages:
        raise SystemExit(f"no articles could be loaded from {args.corpus}")
    embedder = Embedder(cache_dir=CACHE_DIR, backend=args.backend, **({"batch_size": args.batch_size} if args.batch_size else {}))
    passage_texts = [p.text for p in corpus.passages]

    say(f"raw encode of {len(passage_texts):,} passages with torch fp32 at batch {REFERENCE_BATCH} ...")
    reference_s = time_raw_encode(Embedder(cache_dir=CACHE_DIR, backend=TORCH, batch_size=REFERENCE_BATCH),
                                  passage_texts)
    embedder.encode(passage_texts[: embedder.batch_size])
    timed: dict[str, float] = {}
    for how in (POOLED, SEPARATE):
        say(f"end-to-end ingest, {how} sentence vectors ...")
        index_dir = Path(tempfile.mkdtemp(prefix=f"index-{how}-", dir=workdir))
        with RssSampler() as sampler:
            timed[how], done = time_ingest(embedder, corpus.articles, index_dir, how)
        if done.passages != len(passage_texts):
            raise SystemExit(f"ingest wrote {done.passages} passages, expected {len(passage_texts)}")
        if how == POOLED:
            rss, size, kept = sampler.samples, directory_bytes(index_dir), index_dir

    questions = sample_questions(corpus.passages, args.questions, args.seed)
    say(f"searching {len(questions)} questions x {len(MODES)} modes ...")
    results = run_searches(kept, embedder, questions)

    passages = len(passage_texts)
    rows = throughput_rows(passages, reference_s, timed) + size_rows(size, rss, passages)
    rows += [row for result in results for row in search_rows(result)]
    facts = machine_facts() + corpus_facts(embedder, corpus, args.corpus, kept)
    report(facts, ("metric", "value", "note"), rows, args.json)


def main(argv: list[str] | None = None) -> None:
    run_in_workdir(benchmark, parse_args(argv))


if __name__ == "__main__":
    main()
