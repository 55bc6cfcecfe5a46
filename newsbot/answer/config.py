"""The one configuration of the answer pipeline (retrieval and fusion, re-ranking, sentence scoring,
composition), read from `tuned.json`, which keeps beside each section the figures that tuned it."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from newsbot.index.search import Fusion

TUNED = Path(__file__).with_name("tuned.json")


@dataclass(frozen=True)
class RetrievalConfig:
    """How many passages search hands the re-ranker, how many of any date join those of the dates a
    question names, the days a question that asks for the latest ("now", "currently") names, and
    how search fuses its two rankings."""

    pool: int
    beyond_dates: int
    recent_days: int
    fusion: Fusion


@dataclass(frozen=True)
class RerankConfig:
    """Weights of a passage's evidence score, and how many re-ranked passages are kept; `date_near`
    is added on top for an article dated near the day of the question (news is read as it comes)."""

    passage_similarity: float
    sentence_similarity: float
    sentence_terms: float
    passage_terms: float
    title_terms: float
    date_near: float
    keep: int


@dataclass(frozen=True)
class SentenceConfig:
    """Which passages' sentences compete for the answer, and the logistic scorer that gives each the
    chance that it holds the answer: a weight per feature (`select.FEATURES`) and a bias."""

    passages_read: int
    bias: float
    weights: dict[str, float]


@dataclass(frozen=True)
class ReaderConfig:
    """The reader's stage (`reader.Reader`): the `top` sentences by the linear scorer are read with
    the question, and each one's chance becomes sigmoid(linear * its linear logit + reader * its
    reader score + bias); the others drop out of the answer."""

    top: int
    linear: float
    reader: float
    bias: float


@dataclass(frozen=True)
class CompositionConfig:
    """How many sentences an answer holds, which ones make it, and when to abstain instead."""

    max_sentences: int
    abstain_below: float
    sentence_floor: float
    keep_within: float
    duplicate_above: float
    restated_above: float
    short_answer_above: float
    digest_stories: int


@dataclass(frozen=True)
class AnswerConfig:
    retrieval: RetrievalConfig
    rerank: RerankConfig
    sentences: SentenceConfig
    composition: CompositionConfig
    tuned_on: dict[str, str]
    reader: ReaderConfig | None = None

    @classmethod
    def from_dict(cls, data: dict) -> AnswerConfig:
        retrieval = dict(data["retrieval"])
        pool, beyond, recent = retrieval.pop("pool"), retrieval.pop("beyond_dates"), retrieval.pop("recent_days")
        return cls(
            retrieval=RetrievalConfig(pool, beyond, recent, _build(Fusion, retrieval)),
            rerank=_build(RerankConfig, data["rerank"]),
            sentences=_build(SentenceConfig, data["sentences"]),
            composition=_build(CompositionConfig, data["composition"]),
            tuned_on=dict(data.get("tuned_on", {})),
            reader=_build(ReaderConfig, data["reader"]) if data.get("reader") else None,
        )


def _build(kind: type, values: dict):
    names = {f.name for f in fields(kind)}
    if set(values) != names:
        raise ValueError(f"{kind.__name__} needs exactly {sorted(names)}, got {sorted(values)}")
    return kind(**values)


@lru_cache(maxsize=4)
def load_config(path: Path = TUNED) -> AnswerConfig:
    """The pipeline's configuration from `path` (default: the tuned values shipped with newsbot)."""
    return AnswerConfig.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
