"""Whether a new article is about a followed topic. Five signals, each from 0 to 1 or near it: the
topic's vector against the article's best passage, against its lead (first passages) and against
its title, and the share of the topic's content words in the title and in the lead. An article
that only mentions a topic further down scores on the first signal alone, which is why the others
are there. Their weights and the threshold are fitted by logistic regression on judged topics
(`python -m newsbot.follow.calibrate`) and kept in `calibration.json`."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, fields
from importlib import resources

import numpy as np

from newsbot.answer.terms import stems
from newsbot.index.articles import Article
from newsbot.index.embedding import Embedder

LEAD_PASSAGES = 2
LEAD_WORDS = 90


@dataclass(frozen=True)
class TopicScore:
    """The signals of one (topic, article) pair."""

    passage: float
    lead: float
    title: float
    title_words: float
    lead_words: float

    def values(self) -> tuple[float, ...]:
        return astuple(self)


FEATURES = tuple(f.name for f in fields(TopicScore))


@dataclass(frozen=True)
class MatchConfig:
    """score = Σ weight × signal (in `FEATURES` order); a match when score ≥ threshold."""

    weights: tuple[float, ...]
    threshold: float

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a match config needs {len(FEATURES)} weights ({', '.join(FEATURES)}), not {len(self.weights)}")

    @classmethod
    def load(cls) -> MatchConfig:
        data = json.loads(resources.files("newsbot.follow").joinpath("calibration.json").read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"calibration.json was fitted on {data['features']}, the matcher uses {list(FEATURES)}")
        return cls(tuple(data["weights"]), data["threshold"])

    def score(self, scored: TopicScore) -> float:
        return float(np.dot(self.weights, scored.values()))

    def matches(self, scored: TopicScore) -> bool:
        return self.score(scored) >= self.threshold


def _word_share(wanted: set[str], text: str) -> float:
    return len(wanted & stems(text)) / len(wanted) if wanted else 0.0


def lead_text(article: Article) -> str:
    """The article's first words, what a reader sees under the headline."""
    return " ".join(article.text.split()[:LEAD_WORDS])


def topic_scores(topic_vector: np.ndarray, topic: str, article: Article, passage_vectors: list[np.ndarray],
                 title_vector: np.ndarray) -> TopicScore:
    """How close `article` (its passages' vectors in order, its title's vector) comes to `topic`."""
    similarities = [float(np.dot(topic_vector, v)) for v in passage_vectors]
    wanted = stems(topic)
    return TopicScore(
        passage=max(similarities, default=0.0),
        lead=max(similarities[:LEAD_PASSAGES], default=0.0),
        title=float(np.dot(topic_vector, title_vector)),
        title_words=_word_share(wanted, article.title),
        lead_words=_word_share(wanted, lead_text(article)),
    )


def title_vectors(embedder: Embedder, articles: list[Article]) -> dict[str, np.ndarray]:
    """The vectors of the articles' titles, in one batch."""
    return dict(zip((a.id for a in articles), embedder.encode([a.title for a in articles]))) if articles else {}
