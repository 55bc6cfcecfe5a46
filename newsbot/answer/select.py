"""Sentence selection: the sentences of the best re-ranked passages, scored, and grouped into at
most a few answer sentences (near-identical sentences from several articles form one group)."""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.answer.config import CompositionConfig, SentenceConfig
from newsbot.answer.evidence import RankedPassage, SentenceEvidence
from newsbot.answer.timeframe import TimeFrame


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence's evidence and its score as a candidate for the answer."""

    evidence: SentenceEvidence
    score: float


Group = list[ScoredSentence]


class SentenceSelector:
    """Ranked passages → groups of sentences, best first; the first of each group is written, the
    others only add their citations."""

    def __init__(self, sentences: SentenceConfig, composition: CompositionConfig) -> None:
        self.config = sentences
        self.limits = composition

    def run(self, passages: list[RankedPassage], frame: TimeFrame) -> list[Group]:
        return self._group(self._scored(passages, frame))

    def _scored(self, passages: list[RankedPassage], frame: TimeFrame) -> list[ScoredSentence]:
        """The distinct sentences of the best `passages_read` passages, scored, best first."""
        cfg = self.config
        seen: set[tuple[str, int]] = set()
        sentences: list[SentenceEvidence] = []
        for passage in passages[: cfg.passages_read]:
            for sentence in passage.sentences:
                if (sentence.hit.article.id, sentence.start) not in seen:
                    seen.add((sentence.hit.article.id, sentence.start))
                    sentences.append(sentence)
        dates = [s.hit.article.date.toordinal() for s in sentences if s.hit.article.date]
        oldest, newest = (min(dates), max(dates)) if dates else (0, 0)
        scored = []
        for sentence in sentences:
            hit = sentence.hit
            score = (cfg.similarity * sentence.similarity + cfg.keywords * sentence.terms
                     + cfg.rank * 2 / (hit.rank + 1))
            if frame.recent and hit.article.date and newest > oldest:
                score += cfg.recency * (hit.article.date.toordinal() - oldest) / (newest - oldest)
            scored.append(ScoredSentence(sentence, score))
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
