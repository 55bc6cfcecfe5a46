"""Whether a new article is about a followed topic: by meaning (the topic's vector against the
article's stored passage vectors, the best passage counting) and by words (the share of the
topic's content words the article's title and text hold). The weights and threshold are fitted
by `python -m newsbot.follow.calibrate` and kept in `calibration.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from newsbot.answer.terms import stems
from newsbot.index.articles import Article


@dataclass(frozen=True)
class MatchConfig:
    """score = similarity + words_weight × word share; a match when score ≥ threshold."""

    words_weight: float = 0.3
    threshold: float = 0.55

    @classmethod
    def load(cls) -> MatchConfig:
        data = json.loads(resources.files("newsbot.follow").joinpath("calibration.json").read_text(encoding="utf-8"))
        return cls(data["words_weight"], data["threshold"])


@dataclass(frozen=True)
class TopicScore:
    similarity: float
    word_share: float

    def score(self, config: MatchConfig) -> float:
        return self.similarity + config.words_weight * self.word_share


def word_share(topic: str, article: Article) -> float:
    """The share of the topic's content stems found in the article's title and text."""
    wanted = stems(topic)
    if not wanted:
        return 0.0
    return len(wanted & stems(f"{article.title}\n{article.text}")) / len(wanted)


def topic_scores(topic_vector: np.ndarray, topic: str, article: Article, passage_vectors: list[np.ndarray]) -> TopicScore:
    """How close `article` (its passages' vectors) comes to `topic`."""
    similarity = max((float(np.dot(topic_vector, v)) for v in passage_vectors), default=0.0)
    return TopicScore(similarity, word_share(topic, article))
