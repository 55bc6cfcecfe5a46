"""Retrieval, the pipeline's first stage: a `Query` → a `Pool` of passages with their stored
sentence vectors, searched within the question's dates, or across all dates when none match."""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.answer.config import RetrievalConfig
from newsbot.answer.query import Query
from newsbot.answer.terms import stems
from newsbot.index.search import Hit, QueryError, Searcher
from newsbot.index.store import Filters, SentenceVector


@dataclass(frozen=True)
class Pool:
    """The passages to re-rank, each with its sentences; `dated` when the question's dates filtered
    the search, and `ignore` then holds the stems of its time words (no evidence of their own)."""

    hits: tuple[Hit, ...]
    sentences: tuple[tuple[SentenceVector, ...], ...]
    ignore: frozenset[str] = frozenset()
    dated: bool = False


class Retriever:
    """Query → Pool, through the searcher only."""

    def __init__(self, searcher: Searcher, config: RetrievalConfig) -> None:
        self.searcher = searcher
        self.config = config

    def run(self, query: Query) -> Pool:
        hits = self._search(query, query.filters)
        ignore = stems(query.frame.phrase) if query.frame.phrase else frozenset()
        dated = bool(query.filters.since or query.filters.until)
        if not hits and dated:
            # A date may say when something happened rather than when it was reported: with no
            # article of that time, search them all and let the date's words count as evidence.
            hits = self._search(query, Filters(sources=query.filters.sources))
            ignore, dated = frozenset(), False
        sentences = self.searcher.sentences(hits)
        return Pool(tuple(hits), tuple(tuple(s) for s in sentences), ignore, dated)

    def _search(self, query: Query, filters: Filters) -> list[Hit]:
        try:
            return self.searcher.search(query.text, k=self.config.pool, mode=query.mode, filters=filters,
                                        query_vector=query.vector)
        except QueryError:
            return []
