"""Embedding backends side by side, in one run: passages/s per batch size, one-question latency,
cosine agreement with torch fp32, and SQuAD recall@5 when a SQuAD file is given.

Run by hand from the project root (never in CI):

    .venv/bin/python bench/encode.py ../shared/data/news/reuters21578.jsonl --squad ../shared/data/squad/dev-v1.1.json

Passages are the corpus's first `--passages` passages with the default chunking. Throughput is
over all of them at each batch size; question latency is the median of `--questions` single
encodes. Recall@5 encodes every SQuAD paragraph and question with the backend and counts the
questions whose own paragraph is among the five nearest (exact search).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from common import machine_facts, positive_int, report, say

from newsbot.index import backends
from newsbot.index.articles import LoadProblem, load_paths
from newsbot.index.chunking import ChunkingConfig, chunk_article
from newsbot.index.embedding import Embedder
from newsbot.settings import Settings

CACHE_DIR = Settings.from_env().cache_dir

QUESTIONS = (
    "What did the central bank decide about interest rates?",
    "Who bought the oil company?",
    "How much did exports fall in March?",
    "Which countries signed the trade agreement?",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("corpus", type=Path, help="articles (any format `newsbot index add` reads)")
    parser.add_argument("--passages", type=positive_int, default=512)
    parser.add_argument("--batch-sizes", default="8,16,32,64,128")
    parser.add_argument("--backends", default=",".join(backends.BACKENDS), help="those installed are run")
    parser.add_argument("--questions", type=positive_int, default=50, help="single encodes timed per backend")
    parser.add_argument("--squad", type=Path, help="SQuAD-format JSON for recall@5")
    parser.add_argument("--squad-questions", type=positive_int, default=2000)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    return parser.parse_args(argv)


def corpus_passages(path: Path, count: int) -> list[str]:
    texts: list[str] = []
    for item in load_paths([path]):
        if not isinstance(item, LoadProblem):
            texts += [p.text for p in chunk_article(item, ChunkingConfig())]
        if len(texts) >= count:
            break
    return texts[:count]


def squad_pairs(path: Path, limit: int) -> tuple[list[str], list[tuple[str, int]]]:
    """Every paragraph, and up to `limit` sampled (question, paragraph number) pairs."""
    paragraphs: list[str] = []
    questions: list[tuple[str, int]] = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            questions += [(qa["question"], len(paragraphs)) for qa in paragraph["qas"]]
            paragraphs.append(paragraph["context"])
    return paragraphs, random.Random(0).sample(questions, min(limit, len(questions)))


def recall_at_5(embedder: Embedder, squad: tuple[list[str], list[tuple[str, int]]]) -> float:
    paragraphs, questions = squad
    passages = embedder.encode(paragraphs)
    asked = embedder.encode([q for q, _ in questions])
    top = np.argsort(-(asked @ passages.T), axis=1)[:, :5]
    return float(np.mean([gold in row for (_, gold), row in zip(questions, top)]))


def measure(backend: str, texts: list[str], sizes: list[int], questions: int, reference: np.ndarray | None,
            squad) -> dict:
    say(f"{backend}: loading")
    started = time.perf_counter()
    embedder = Embedder(cache_dir=CACHE_DIR, backend=backend)
    embedder.encode(texts[:8])
    result: dict = {"backend": backend, "load_s": time.perf_counter() - started, "rates": {}}
    for size in sizes:
        embedder.batch_size = size
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        result["rates"][size] = len(texts) / (time.perf_counter() - started)
        say(f"{backend}: batch {size}: {result['rates'][size]:.1f} passages/s")
    latencies = []
    for n in range(questions):
        started = time.perf_counter()
        embedder.encode([f"{QUESTIONS[n % len(QUESTIONS)]} ({n})"])
        latencies.append((time.perf_counter() - started) * 1000)
    result["question_ms"] = float(np.median(latencies))
    result["vectors"] = vectors
    if reference is not None:
        cosines = (vectors * reference).sum(axis=1)
        result["cosine_min"], result["cosine_mean"] = float(cosines.min()), float(cosines.mean())
    if squad:
        embedder.batch_size = 32
        result["recall5"] = recall_at_5(embedder, squad)
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    chosen = [b for b in args.backends.split(",") if not backends.missing_packages(b)]
    chosen = [backends.TORCH] + [b for b in chosen if b != backends.TORCH]
    texts = corpus_passages(args.corpus, args.passages)
    squad = squad_pairs(args.squad, args.squad_questions) if args.squad else None
    results: list[dict] = []
    for backend in chosen:
        reference = results[0]["vectors"] if results else None
        results.append(measure(backend, texts, sizes, args.questions, reference, squad))
    baseline = results[0]["rates"].get(16) or results[0]["rates"][sizes[0]]
    auto = Embedder(cache_dir=CACHE_DIR).backend
    header = ("backend", *[f"batch {s} p/s" for s in sizes], "best vs fp32 b16", "question ms",
              "cosine min/mean", "recall@5", "load s")
    rows = []
    for r in results:
        best = max(r["rates"].values())
        rows.append((
            r["backend"] + (" (auto)" if r["backend"] == auto else ""),
            *[f"{r['rates'][s]:.1f}" for s in sizes],
            f"{best / baseline:.2f}x",
            f"{r['question_ms']:.2f}",
            f"{r['cosine_min']:.4f}/{r['cosine_mean']:.4f}" if "cosine_min" in r else "reference",
            f"{r['recall5']:.3f}" if "recall5" in r else "-",
            f"{r['load_s']:.1f}",
        ))
    facts = machine_facts() + [("passages", f"{len(texts)} from {args.corpus}, avg "
                                             f"{np.mean([len(t.split()) for t in texts]):.0f} words")]
    if squad:
        facts.append(("recall@5", f"{len(squad[1])} questions over {len(squad[0])} paragraphs of {args.squad}"))
    report(facts, header, rows, args.json)


if __name__ == "__main__":
    main()
