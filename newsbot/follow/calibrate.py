"""Fits the follow matcher (`words_weight` and `threshold` in calibration.json) on topics judged by
hand over one index's articles, and measures its precision and recall on other topics and articles.

A labels file holds one topic a line: `{"topic", "judged": [article ids], "about": [the judged ids
that are about the topic]}`. Articles not judged count as not about it, so the judged pool must hold
every article the matcher could score near a threshold: `pool` writes it (the best-scored articles
by meaning, by words and by both, and a random sample of the rest) for a person to judge.

    python -m newsbot.follow.calibrate pool TOPICS.txt --index DIR --out POOL.jsonl
    python -m newsbot.follow.calibrate fit LABELS.jsonl --index DIR [--write]
    python -m newsbot.follow.calibrate measure LABELS.jsonl --index DIR
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from newsbot.app import Newsbot
from newsbot.follow.match import MatchConfig, topic_scores
from newsbot.settings import Settings

POOL_DEPTH = 40
POOL_RANDOM = 10
LEAD_WORDS = 90
WEIGHTS = np.round(np.arange(0.0, 1.01, 0.05), 2)


@dataclass(frozen=True)
class Topic:
    """One judged topic: the articles looked at, and those about it."""

    topic: str
    judged: frozenset[str]
    about: frozenset[str]


def read_labels(path: Path) -> list[Topic]:
    topics = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            topics.append(Topic(row["topic"], frozenset(row["judged"]), frozenset(row["about"])))
    return topics


class Scores:
    """Every article's similarity and word share against each topic, as `Alerter.match` computes them
    (`follow.match.topic_scores`), held as arrays: one row a topic, one column an article."""

    def __init__(self, app: Newsbot, topics: list[str]) -> None:
        articles = app.store.articles()
        self.ids = [a.id for a in articles]
        self.articles = {a.id: a for a in articles}
        vectors = app.embedder.encode_queries(topics)
        self.similarity = np.zeros((len(topics), len(articles)), dtype=np.float32)
        self.word_share = np.zeros_like(self.similarity)
        for column, article in enumerate(articles):
            passages = [v for _, v in app.store.article_passages(article.id)]
            for row, (topic, vector) in enumerate(zip(topics, vectors)):
                scored = topic_scores(vector, topic, article, passages)
                self.similarity[row, column], self.word_share[row, column] = scored.similarity, scored.word_share

    def combined(self, words_weight: float) -> np.ndarray:
        return self.similarity + words_weight * self.word_share


def pool(app: Newsbot, topics: list[str], seed: int = 0) -> list[dict]:
    """For each topic, the articles to judge, best-scored first, with each one's title and lead."""
    scores = Scores(app, topics)
    rng = random.Random(seed)
    rows = []
    for row, topic in enumerate(topics):
        chosen: dict[int, None] = {}
        for ranking in (scores.similarity[row], scores.combined(0.3)[row], scores.combined(1.0)[row]):
            chosen.update(dict.fromkeys(np.argsort(-ranking)[:POOL_DEPTH].tolist()))
        rest = [c for c in range(len(scores.ids)) if c not in chosen]
        chosen.update(dict.fromkeys(rng.sample(rest, min(POOL_RANDOM, len(rest)))))
        candidates = []
        for column in rng.sample(list(chosen), len(chosen)):
            article = scores.articles[scores.ids[column]]
            candidates.append({"id": article.id, "title": article.title, "date": article.date.isoformat() if article.date else None,
                               "lead": " ".join(article.text.split()[:LEAD_WORDS])})
        rows.append({"topic": topic, "candidates": candidates})
    return rows


@dataclass(frozen=True)
class Figures:
    """Precision and recall over every (topic, article) pair, and the topics' mean of each."""

    precision: float
    recall: float
    f1: float
    topic_precision: float
    topic_recall: float
    matches: int
    about: int

    def line(self) -> str:
        return (f"precision {self.precision:.3f}, recall {self.recall:.3f}, F1 {self.f1:.3f} over {self.about} "
                f"(topic, article) pairs judged about the topic and {self.matches} matches; topic means: "
                f"precision {self.topic_precision:.3f}, recall {self.topic_recall:.3f}")


def figures(scores: Scores, topics: list[Topic], config: MatchConfig) -> Figures:
    matched = scores.combined(config.words_weight) >= config.threshold
    truth = np.array([[i in t.about for i in scores.ids] for t in topics])
    hits, found, wanted = (matched & truth).sum(axis=1), matched.sum(axis=1), truth.sum(axis=1)
    precision = hits.sum() / max(found.sum(), 1)
    recall = hits.sum() / max(wanted.sum(), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Figures(float(precision), float(recall), float(f1),
                   float(np.mean(np.where(found > 0, hits / np.maximum(found, 1), 1.0))),
                   float(np.mean(hits / np.maximum(wanted, 1))), int(found.sum()), int(wanted.sum()))


def fit(scores: Scores, topics: list[Topic]) -> tuple[MatchConfig, Figures]:
    """The weight and threshold with the best F1 over the judged pairs."""
    best: tuple[float, MatchConfig, Figures] | None = None
    for weight in WEIGHTS:
        combined = scores.combined(float(weight))
        for threshold in np.unique(np.round(combined[combined > 0.2], 3)):
            config = MatchConfig(float(weight), float(threshold))
            result = figures(scores, topics, config)
            if best is None or result.f1 > best[0]:
                best = (result.f1, config, result)
    assert best is not None, "no topic has a scored article"
    return best[1], best[2]


def _open(index: Path) -> Newsbot:
    return Newsbot.open(Settings.from_env(index_dir=index))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("pool", "fit", "measure"))
    parser.add_argument("data", type=Path, help="topics, one a line (pool), or a labels file (fit, measure)")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="where pool writes the candidates to judge")
    parser.add_argument("--write", action="store_true", help="write the fitted weight and threshold")
    args = parser.parse_args(argv)
    with _open(args.index) as app:
        if args.step == "pool":
            if args.out is None:
                parser.error("pool needs --out")
            topics = [t.strip() for t in args.data.read_text(encoding="utf-8").splitlines() if t.strip()]
            args.out.write_text("".join(json.dumps(r) + "\n" for r in pool(app, topics)), encoding="utf-8")
            return 0
        topics = read_labels(args.data)
        scores = Scores(app, [t.topic for t in topics])
        if args.step == "measure":
            config = MatchConfig.load()
            print(f"{args.data.name}, {len(topics)} topics, {len(scores.ids)} articles, {config}: "
                  f"{figures(scores, topics, config).line()}")
            return 0
        config, result = fit(scores, topics)
        report = (f"newsbot.follow.calibrate fit on {args.data.name} ({len(topics)} topics, "
                  f"{len(scores.ids)} articles): {result.line()}")
        print(config, report, sep="\n")
        if args.write:
            target = resources.files("newsbot.follow").joinpath("calibration.json")
            Path(str(target)).write_text(json.dumps({"words_weight": config.words_weight, "threshold": config.threshold,
                                                     "fitted": report}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
