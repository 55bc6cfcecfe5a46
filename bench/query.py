"""Answer latency by retrieval mode at growing index sizes, start-up time, and FAISS recall@10 of
each index type against exact search, in one run.

Run by hand from the project root (never in CI), on an index built by `newsbot index add`:

    .venv/bin/newsbot index add ../shared/data/news/reuters21578.jsonl --index /tmp/reuters
    .venv/bin/python bench/query.py /tmp/reuters --sizes 10000,100000,1000000

The source index must be of this newsbot's format (every passage holds its sentence vectors).

Each size is a new index of that many passages: the source index's passages repeated, every copy
with a fresh vector (the original plus Gaussian noise, renormalised; cosine ~0.95 with it) so
copies are distinct points. Questions are the first sentence (12 words) of sampled source passages.
Latency is `AnswerEngine.answer` wall time, process warm, no question asked twice. Start-up is the
wall time of `newsbot ask` in a new process. Recall@10 compares the FAISS copy the store built for
the size (read back from its `vectors.faiss`) with exact search on the same vectors, for the
benchmark's question vectors, one query at a time on one thread; an HNSW graph is searched at half,
once and twice newsbot's efSearch, and its row notes the build time and file size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import faiss
import numpy as np
from common import machine_facts, positive_int, report, run_in_workdir, say

from newsbot.answer.engine import AnswerEngine
from newsbot.answer.query import QuestionError, validate_question
from newsbot.index.articles import make_article
from newsbot.index.chunking import Passage
from newsbot.index.embedding import Embedder
from newsbot.settings import Settings
from newsbot.answer.config import load_config
from newsbot.index.search import Mode, Searcher
from newsbot.index.sentences import split_sentences
from newsbot.index.store import VECTORS_FILE, Headline, IndexMeta, SentenceVector, Store, vectors

CACHE_DIR = Settings.from_env().cache_dir
FUSION = load_config().retrieval.fusion

NOISE = 0.33
MODES = (Mode.HYBRID, Mode.DENSE, Mode.KEYWORD)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("source", type=Path, help="an index built by `newsbot index add`")
    parser.add_argument("--sizes", default="10000,100000", help="passage counts (default 10000,100000)")
    parser.add_argument("--questions", type=positive_int, default=200)
    parser.add_argument("--workdir", type=Path, help="build the indexes here (default: a temp dir, deleted)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class SourcePassage:
    title: str
    date: dt.date | None
    text: str
    vector: np.ndarray
    sentences: list[SentenceVector]  # offsets within `text`
    headline: Headline | None  # its article's


def source_passages(directory: Path) -> tuple[IndexMeta, list[SourcePassage]]:
    """The source index's meta and its passages with their vectors and sentence vectors."""
    with Store.open(directory) as store:
        keys = store.passage_keys().tolist()
        stored, vectors_of = store.passages(keys), store.passage_vectors(keys)
        sentences = store.sentence_vectors(keys)
        headlines = store.headlines(list({stored[key].article.id for key in keys}))
        meta = store.meta
    rows = [stored[key] for key in keys]
    return meta, [SourcePassage(r.article.title, r.article.date, r.passage.text, vectors_of[r.key],
                                [SentenceVector(s.start - r.passage.start, s.end - r.passage.start, s.vector)
                                 for s in sentences.get(r.key, ())], headlines.get(r.article.id))
                  for r in rows]


def fresh(vector: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = vector + rng.normal(scale=NOISE / np.sqrt(vector.size), size=vector.size).astype(np.float32)
    return noisy / np.linalg.norm(noisy)


def build(directory: Path, meta: IndexMeta, rows, size: int, rng: np.random.Generator) -> np.ndarray:
    """An index of `size` passages from `rows`, an article each (copies after the first get fresh
    vectors; sentence vectors, dates and headlines are copied as they are); returns the passage vectors in insertion order (passage key
    n + 1 is row n) and the seconds the FAISS copy took to build and save."""
    all_vectors = np.zeros((size, meta.dimension), dtype=np.float32)
    with Store.open(directory, model=meta.model, dimension=meta.dimension, backend=meta.backend,
                    writable=True) as store:
        for first in range(0, size, 10_000):
            articles, passages, sentences, headlines = [], [], [], []
            for n in range(first, min(size, first + 10_000)):
                row = rows[n % len(rows)]
                article = replace(make_article(row.text, path=f"/bench/{n}.txt", title=row.title, date=row.date,
                                               article_id=f"copy-{n}"), content_hash=f"copy-{n}")
                articles.append(article)
                passages.append(Passage(f"copy-{n}:0", article.id, 0, 0, len(article.text), article.text))
                sentences.append(row.sentences)
                if row.headline:
                    headlines.append(replace(row.headline, article_id=article.id))
                all_vectors[n] = row.vector if n < len(rows) else fresh(row.vector, rng)
            store.write(articles, passages, all_vectors[first : first + len(articles)], sentences=sentences,
                        headlines=headlines)
            say(f"  {first + len(articles):,}/{size:,} passages written")
        started = time.perf_counter()
        store.flush()
        built_s = time.perf_counter() - started
        say(f"  FAISS {store.stats().faiss_index} saved in {built_s:.1f} s")
    return all_vectors, built_s


def question_of(text: str) -> str:
    sentences = split_sentences(text)
    return " ".join((sentences[0].text if sentences else text).split()[:12])


def refusal(question: str) -> str | None:
    """Why the engine refuses `question` (a passage opening with a dash line has no words), or None."""
    try:
        validate_question(question)
    except QuestionError as exc:
        return str(exc)
    return None


def latencies(directory: Path, meta: IndexMeta, questions: list[str]) -> dict[str, np.ndarray]:
    out = {}
    with Store.open(directory) as store:
        for mode in MODES:
            embedder = Embedder(meta.model, family=store.meta.vectors, cache_dir=CACHE_DIR)
            with Searcher(store, embedder, FUSION) as searcher:
                engine = AnswerEngine(searcher)
                engine.answer("warm up the engine", mode=mode)
                times = []
                for question in questions:
                    started = time.perf_counter()
                    engine.answer(question, mode=mode)
                    times.append((time.perf_counter() - started) * 1000)
            out[mode.value] = np.array(times)
            say(f"  {mode.value}: p50 {np.median(times):.1f} ms")
    return out


def startup_seconds(directory: Path, question: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsbot.cli.main", "ask", question, "--index", str(directory)],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def recall_rows(size: int, directory: Path, built_s: float, data: np.ndarray,
                queries: np.ndarray) -> list[tuple[str, ...]]:
    """Recall@10 and per-query time, against exact search, of the FAISS copy the store built for
    `size` passages (an HNSW graph at half, once and twice newsbot's efSearch)."""
    exact = faiss.IndexFlatIP(data.shape[1])
    exact.add(data)
    truth = exact.search(queries, 10)[1]
    path = directory / VECTORS_FILE
    copy = vectors.VectorIndex.read(path, data.shape[1])
    index, kind = copy.faiss, copy.kind
    note = f"built and saved in {built_s:.0f} s, {path.stat().st_size / 2**30:.2f} GiB file"
    kinds = {"exact (flat)": (exact, None, 0, "")}
    if kind == vectors.FLAT:
        kinds[f"{kind} (newsbot)"] = (index, None, 1, note)
    else:
        chosen = vectors.ef_search(index.ntotal)
        for ef in (chosen // 2, chosen, chosen * 2):
            kinds[f"{kind} efSearch {ef}"] = (index, faiss.SearchParametersHNSW(efSearch=ef), 1, note)
    rows = []
    for name, (searched, params, first_key, row_note) in kinds.items():
        started = time.perf_counter()
        found = np.vstack([searched.search(q.reshape(1, -1), 10, params=params)[1] for q in queries]) - first_key
        per_query = (time.perf_counter() - started) * 1000 / len(queries)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)])
        rows.append((f"{size:,}", f"faiss {name}", f"recall@10 {recall:.3f}", f"{per_query:.2f} ms/query", "",
                     row_note))
    return rows


def benchmark(args: argparse.Namespace, workdir: Path) -> None:
    meta, rows = source_passages(args.source)
    say(f"{len(rows):,} source passages from {args.source}")
    rng = np.random.default_rng(0)
    picked = random.Random(0).sample(range(len(rows)), min(args.questions, len(rows)))
    sampled = list(dict.fromkeys(question_of(rows[i].text) for i in picked))
    questions = [q for q in sampled if refusal(q) is None]
    if not questions:
        raise SystemExit("every sampled question is one the engine refuses; choose another --source")
    query_vectors = Embedder(meta.model, cache_dir=CACHE_DIR).encode_queries(questions)
    table = []
    for size in [int(s) for s in args.sizes.split(",")]:
        say(f"size {size:,}: building")
        directory = workdir / f"index-{size}"
        data, built_s = build(directory, meta, rows, size, rng)
        startup = startup_seconds(directory, questions[0])
        for mode, times in latencies(directory, meta, questions).items():
            p50, p95, p99 = np.percentile(times, [50, 95, 99])
            table.append((f"{size:,}", f"answer, {mode}", f"p50 {p50:.1f} ms", f"p95 {p95:.1f} ms",
                          f"p99 {p99:.1f} ms", f"{len(times)} questions"))
        table.append((f"{size:,}", "start-up", f"{startup:.2f} s", "", "", "`newsbot ask` in a new process"))
        table += recall_rows(size, directory, built_s, data, query_vectors)
        shutil.rmtree(directory, ignore_errors=True)
    facts = machine_facts() + [("source", f"{args.source}: {len(rows):,} passages, model {meta.model}, "
                                          f"backend {meta.backend}"),
                               ("questions", f"{len(questions)} sampled ({len(sampled) - len(questions)} skipped: "
                                             "the engine refuses them)")]
    report(facts, ("passages", "measure", "a", "b", "c", "note"), table, args.json)


def main(argv: list[str] | None = None) -> None:
    run_in_workdir(benchmark, parse_args(argv))


if __name__ == "__main__":
    main()
