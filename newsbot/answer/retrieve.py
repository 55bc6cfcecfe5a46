"""Retrieval, the pipeline's first stage: a `Query` → a `Pool` of passages with their stored
sentence vectors (those of the question's dates first, then the best of any date), their articles'
headlines and the vector of the text searched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np

from newsbot.answer.config import RetrievalConfig
from newsbot.answer.query import Query
from newsbot.answer.terms import stems
from newsbot.index.search import Hit, QueryError, Searcher
from newsbot.index.store import Filters, Headline, SentenceVector


@dataclass(frozen=True)
class Pool:
    """The passages to re-rank, each with its sentences, the headlines of their articles (by
    article id) and the searched text's `vector`; when passages of the question's dates were found
    (they come first), `ignore` holds the stems of its time words (no evidence of their own)."""

    hits: tuple[Hit, ...]
    sentences: tuple[tuple[SentenceVector, ...], ...]
    vector: np.ndarray = field(repr=False)
    ignore: frozenset[str] = frozenset()
    headlines: dict[str, Headline] = field(default_factory=dict, repr=False)


class Retriever:
    """Query → Pool, through the searcher only."""

    def __init__(self, searcher: Searcher, config: RetrievalConfig) -> None:
        self.searcher = searcher
        self.config = config

    def run(self, query: Query) -> Pool:
        filters = query.filters
        if query.frame.recent and not (filters.since or filters.until) and self.config.recent_days:
            # "Who leads the polls now?" asks about the days before the question.
            filters = replace(filters, since=query.today - dt.timedelta(days=self.config.recent_days), until=query.today)
        hits = self._search(query, filters, self.config.pool)
        ignore = stems(query.frame.phrase) if query.frame.phrase else frozenset()
        if (filters.since or filters.until) and (not hits or self.config.beyond_dates):
            # A date may say when something happened rather than when it was reported, and a quiz's
            # "this week" may be answered by last week's article: the best passages of any date join
            # those of the question's dates; with none of those dates, the words that named them
            # count as evidence like any other ("now" and "latest" never do).
            anywhere = self._search(query, Filters(sources=filters.sources),
                                    self.config.beyond_dates or self.config.pool)
            if not hits and not query.frame.recent:
                ignore = frozenset()
            known = {hit.key for hit in hits}
            hits += [hit for hit in anywhere if hit.key not in known]
        sentences = self.searcher.sentences(hits)
        # The search encoded the text while its keyword part ran; the encoder remembers it.
        vector = self.searcher.embedder.encode_query(query.text)
        return Pool(tuple(hits), tuple(tuple(s) for s in sentences), vector, ignore, self.searcher.headlines(hits))

    def _search(self, query: Query, filters: Filters, k: int) -> list[Hit]:
        try:
            return self.searcher.search(query.text, k=k, mode=query.mode, filters=filters, with_vector=True)
        except QueryError:
            return []
