"""Composition, the last stage: chosen sentence groups → an `Answer` with numbered citations, the
best sentence first and the others in date order (newest first when the question asks for the
latest), and a short answer when the words of the best
sentence that answer are sure enough (`ScoredSentence.short_chance`); or an abstention when evidence
is weak."""

from __future__ import annotations

import datetime as dt

from newsbot.answer.config import CompositionConfig
from newsbot.answer.debris import ends_sentence
from newsbot.answer.evidence import RankedPassage, SentenceEvidence
from newsbot.answer.query import Query
from newsbot.answer.select import Group
from newsbot.answer.types import Answer, AnswerPart, Citation
from newsbot.index.search import Hit


def citation(n: int, hit: Hit, sentence: str, start: int | None, end: int | None) -> Citation:
    """Citation number `n` of one sentence of `hit`'s passage (`start`/`end` index the article
    text), or of its article's headline (no offsets)."""
    article = hit.article
    return Citation(n=n, article_id=article.id, title=article.title, date=article.date, source=article.source,
                    url=article.url, sentence=sentence, start=start, end=end, passage=hit.passage.text)


def _written(sentence: SentenceEvidence) -> str:
    """The words an answer writes for `sentence`: a headline, which has no full stop, gets one."""
    return sentence.text + "." if sentence.headline and not ends_sentence(sentence.text) else sentence.text


class Composer:
    """(query, ranked passages, groups) → Answer."""

    def __init__(self, config: CompositionConfig) -> None:
        self.config = config

    def run(self, query: Query, passages: list[RankedPassage], groups: list[Group]) -> Answer:
        hits = tuple(p.hit for p in passages)
        confidence = max(0.0, min(1.0, passages[0].score)) if passages and groups else 0.0
        if not groups or confidence < self.config.abstain_below:
            return Answer(query.question, query.text, (), (), confidence, True, query.frame, hits)
        parts, citations = self._cite(groups, newest_first=query.frame.recent)
        best = groups[0][0]
        short = best.short if best.short and best.short_chance >= self.config.short_answer_above else None
        return Answer(query.question, query.text, parts, citations, confidence, False, query.frame, hits, short)

    @staticmethod
    def _cite(groups: list[Group], newest_first: bool = False) -> tuple[tuple[AnswerPart, ...], tuple[Citation, ...]]:
        """The best group first (the sentence likeliest to answer), the others in date order."""
        undated = dt.date.min if newest_first else dt.date.max  # last either way
        groups = groups[:1] + sorted(groups[1:], key=lambda g: g[0].evidence.hit.article.date or undated,
                                     reverse=newest_first)
        citations: list[Citation] = []
        parts: list[AnswerPart] = []
        for group in groups:
            numbers = []
            cited_articles: set[str] = set()
            for candidate in group:
                sentence = candidate.evidence
                article = sentence.hit.article
                if article.id in cited_articles:
                    continue
                cited_articles.add(article.id)
                citations.append(citation(len(citations) + 1, sentence.hit, sentence.text, sentence.start, sentence.end))
                numbers.append(len(citations))
            parts.append(AnswerPart(_written(group[0].evidence), tuple(numbers)))
        return tuple(parts), tuple(citations)

