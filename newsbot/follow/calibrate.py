"""Fits the follow matcher (its signals' weights and threshold in calibration.json) on topics judged by
hand over one index's articles, and measures its precision and recall on other topics and articles.

A labels file holds one topic a line: `{"topic", "judged": [article ids], "about": [the judged ids
that are about the topic]}`. Articles not judged count as not about it, so the judged pool must hold
every article the matcher could score near a threshold: `pool` writes it (the best-scored articles
by meaning, by the shipped matcher and by words, and a random sample of the rest) for a person to
judge; after a new fit, `pool --skip` lists what the new matcher ranks high that nobody judged yet.

    python -m newsbot.follow.calibrate pool TOPICS.txt --index DIR --out POOL.jsonl [--skip LABELS.jsonl]
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
from newsbot.follow.match import FEATURES, MatchConfig, lead_text, title_vectors, topic_scores
from newsbot.settings import Settings

POOL_DEPTH = 40
POOL_RANDOM = 10


@dataclass(frozen=True)
class Topic:
    """One judged topic: the articles looked at, and those about it."""

    topic: str
    judged: frozenset[str]
    about: frozenset[str]


def read_labels(path: Path) -> list[Topic]:
    """The judged topics of a labels file, lines of one topic (rounds of judging) merged, in order."""
    merged: dict[str, tuple[set[str], set[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            judged, about = merged.setdefault(row["topic"], (set(), set()))
            judged.update(row["judged"])
            about.update(row["about"])
    return [Topic(topic, frozenset(judged), frozenset(about)) for topic, (judged, about) in merged.items()]


class Scores:
    """Every article's signals against each topic, as `Alerter.match` computes them: `values[t, a]`
    holds the `FEATURES` of topic t and article a."""

    def __init__(self, app: Newsbot, topics: list[str]) -> None:
        articles = app.store.articles()
        self.ids = [a.id for a in articles]
        self.articles = {a.id: a for a in articles}
        vectors = app.embedder.encode_queries(topics)
        titles = title_vectors(app.embedder, articles)
        self.values = np.zeros((len(topics), len(articles), len(FEATURES)), dtype=np.float32)
        for column, article in enumerate(articles):
            passages = [v for _, v in app.store.article_passages(article.id)]
            for row, (topic, vector) in enumerate(zip(topics, vectors)):
                self.values[row, column] = topic_scores(vector, topic, article, passages, titles[article.id]).values()

    def scored(self, weights: tuple[float, ...]) -> np.ndarray:
        """Each pair's score under `weights`: one row a topic, one column an article."""
        return self.values @ np.asarray(weights, dtype=np.float32)

    def signal(self, name: str) -> np.ndarray:
        return self.values[..., FEATURES.index(name)]


def pool(app: Newsbot, topics: list[str], judged: dict[str, frozenset[str]] | None = None, seed: int = 0) -> list[dict]:
    """For each topic, the articles to judge: the best-scored by meaning, by the shipped matcher
    (as deep as it matches, and `POOL_DEPTH` further) and by words with meaning, and a random
    sample of the rest, each with its title and lead; those in `judged` (topic → ids) left out."""
    scores = Scores(app, topics)
    config = MatchConfig.load()
    shipped = scores.scored(config.weights)
    words = scores.signal("passage") + scores.signal("title_words") + scores.signal("lead_words")
    rng = random.Random(seed)
    rows = []
    for row, topic in enumerate(topics):
        done = (judged or {}).get(topic, frozenset())
        chosen: dict[int, None] = {}
        depths = (POOL_DEPTH, POOL_DEPTH + int((shipped[row] >= config.threshold).sum()), POOL_DEPTH)
        for ranking, depth in zip((scores.signal("passage")[row], shipped[row], words[row]), depths):
            chosen.update(dict.fromkeys(np.argsort(-ranking)[:depth].tolist()))
        rest = [c for c in range(len(scores.ids)) if c not in chosen and scores.ids[c] not in done]
        chosen.update(dict.fromkeys(rng.sample(rest, min(POOL_RANDOM, len(rest)))))
        fresh = [c for c in chosen if scores.ids[c] not in done]
        candidates = []
        for column in rng.sample(fresh, len(fresh)):
            article = scores.articles[scores.ids[column]]
            candidates.append({"id": article.id, "title": article.title, "date": article.date.isoformat() if article.date else None,
                               "lead": lead_text(article)})
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
    unjudged: int

    def line(self) -> str:
        return (f"precision {self.precision:.3f}, recall {self.recall:.3f}, F1 {self.f1:.3f} over {self.about} "
                f"(topic, article) pairs judged about the topic and {self.matches} matches ({self.unjudged} of them "
                f"never judged, counted as wrong); topic means: precision {self.topic_precision:.3f}, "
                f"recall {self.topic_recall:.3f}")


def _truth(scores: Scores, topics: list[Topic]) -> np.ndarray:
    return np.array([[i in t.about for i in scores.ids] for t in topics])


def _judged(scores: Scores, topics: list[Topic]) -> np.ndarray:
    return np.array([[i in t.judged for i in scores.ids] for t in topics])


def figures(scores: Scores, topics: list[Topic], config: MatchConfig) -> Figures:
    matched = scores.scored(config.weights) >= config.threshold
    truth = _truth(scores, topics)
    hits, found, wanted = (matched & truth).sum(axis=1), matched.sum(axis=1), truth.sum(axis=1)
    precision = hits.sum() / max(found.sum(), 1)
    recall = hits.sum() / max(wanted.sum(), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Figures(float(precision), float(recall), float(f1),
                   float(np.mean(np.where(found > 0, hits / np.maximum(found, 1), 1.0))),
                   float(np.mean(hits / np.maximum(wanted, 1))), int(found.sum()), int(wanted.sum()),
                   int((matched & ~_judged(scores, topics)).sum()))


def fit(scores: Scores, topics: list[Topic]) -> tuple[MatchConfig, Figures]:
    """Weights by logistic regression of "about" on the signals of the judged pairs (where the
    hard cases are; the intercept goes into the threshold), then the threshold with the best F1
    over every pair, judged or not."""
    from sklearn.linear_model import LogisticRegression

    truth = _truth(scores, topics)
    judged = _judged(scores, topics)
    if not truth.any() or truth[judged].all():
        raise ValueError("the labels need articles judged about a topic and articles judged not about it")
    model = LogisticRegression(max_iter=5000).fit(scores.values[judged], truth[judged])
    weights = tuple(round(float(w), 4) for w in model.coef_[0])
    scored = scores.scored(weights).ravel()
    order = np.argsort(-scored, kind="stable")
    hits = np.cumsum(truth.ravel()[order])
    last_of_tie = np.r_[scored[order][1:] != scored[order][:-1], True]
    f1 = np.where(last_of_tie, 2 * hits / (np.arange(1, len(order) + 1) + truth.sum()), -1.0)
    config = MatchConfig(weights, float(scored[order][int(np.argmax(f1))]))
    return config, figures(scores, topics, config)


def _open(index: Path) -> Newsbot:
    return Newsbot.open(Settings.from_env(index_dir=index))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("pool", "fit", "measure"))
    parser.add_argument("data", type=Path, help="topics, one a line (pool), or a labels file (fit, measure)")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="where pool writes the candidates to judge")
    parser.add_argument("--skip", type=Path, help="a labels file whose judged articles pool leaves out")
    parser.add_argument("--write", action="store_true", help="write the fitted weights and threshold")
    args = parser.parse_args(argv)
    with _open(args.index) as app:
        if args.step == "pool":
            if args.out is None:
                parser.error("pool needs --out")
            topics = [t.strip() for t in args.data.read_text(encoding="utf-8").splitlines() if t.strip()]
            judged = {t.topic: t.judged for t in read_labels(args.skip)} if args.skip else None
            args.out.write_text("".join(json.dumps(r) + "\n" for r in pool(app, topics, judged)), encoding="utf-8")
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
            Path(str(target)).write_text(json.dumps({"features": list(FEATURES), "weights": list(config.weights),
                                                     "threshold": config.threshold, "fitted": report}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
