"""Sentence selection: the sentences of the best re-ranked passages that may be quoted (no questions,
no page furniture), scored, and grouped into at most a few answer sentences (near-identical
sentences from several articles form one group)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from newsbot.answer.answer_type import Expected, expected_type, new_candidates
from newsbot.answer.config import CompositionConfig, SentenceConfig
from newsbot.answer.debris import is_debris
from newsbot.answer.evidence import RankedPassage, SentenceEvidence
from newsbot.answer.query import Query


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence's evidence, its score as a candidate for the answer, and the parts of it of the
    type the question asks for that the question does not already name."""

    evidence: SentenceEvidence
    score: float
    candidates: tuple[str, ...] = ()
    expected: Expected = Expected(None)


Group = list[ScoredSentence]


class SentenceSelector:
    """Ranked passages → groups of sentences, best first; the first of each group is written, the
    others only add their citations."""

    def __init__(self, sentences: SentenceConfig, composition: CompositionConfig) -> None:
        self.config = sentences
        self.limits = composition

    def run(self, query: Query, passages: list[RankedPassage]) -> list[Group]:
        return self._group(self.scored(query, passages))

    def scored(self, query: Query, passages: list[RankedPassage]) -> list[ScoredSentence]:
        """The distinct quotable sentences of the best `passages_read` passages, scored, best first."""
        cfg = self.config
        expected = expected_type(query.question)
        scored = []
        for sentence, features in sentence_features(query, passages[: cfg.passages_read], expected):
            score = (cfg.similarity * sentence.similarity + cfg.keywords * sentence.terms + cfg.rank * features.rank
                     + cfg.recency * features.recency + cfg.answer_type * bool(features.candidates))
            scored.append(ScoredSentence(sentence, score, features.candidates, expected))
        return sorted(scored, key=lambda c: -c.score)

    def _group(self, candidates: list[ScoredSentence]) -> list[Group]:
        """Up to `max_sentences` groups; a sentence far below the best starts no group of its own."""
        limits = self.limits
        groups: list[Group] = []
        for candidate in candidates:
            for group in groups:
                if float(group[0].evidence.vector @ candidate.evidence.vector) >= limits.duplicate_above:
                    group.append(candidate)
                    break
            else:
                floor = max(limits.sentence_floor, groups[0][0].score * limits.keep_within) if groups else 0
                if len(groups) < limits.max_sentences and candidate.score >= floor:
                    groups.append([candidate])
        return groups


@dataclass(frozen=True)
class Features:
    """A sentence's features beside its evidence: passage rank, recency, answer candidates."""

    rank: float
    recency: float
    candidates: tuple[str, ...]


def sentence_features(query: Query, passages: list[RankedPassage],
                      expected: Expected) -> Iterator[tuple[SentenceEvidence, Features]]:
    """(sentence, features) for the distinct sentences of `passages` that are not debris."""
    seen: set[tuple[str, int]] = set()
    sentences: list[SentenceEvidence] = []
    for passage in passages:
        for sentence in passage.sentences:
            if (sentence.hit.article.id, sentence.start) not in seen and not is_debris(sentence.text):
                seen.add((sentence.hit.article.id, sentence.start))
                sentences.append(sentence)
    dates = [s.hit.article.date.toordinal() for s in sentences if s.hit.article.date]
    oldest, newest = (min(dates), max(dates)) if dates else (0, 0)
    for sentence in sentences:
        date = sentence.hit.article.date
        recent = query.frame.recent and date and newest > oldest
        recency = (date.toordinal() - oldest) / (newest - oldest) if recent else 0.0
        found = tuple(new_candidates(sentence.text, expected, query.text)) if expected.kind else ()
        yield sentence, Features(2 / (sentence.hit.rank + 1), recency, found)
