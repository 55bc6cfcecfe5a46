"""Passage retrieval: dense (FAISS), keyword (FTS5 BM25) and their reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

import snowballstemmer

from newsbot.index.chunking import Passage
from newsbot.index.embedding import Embedder
from newsbot.index.stopwords import terms
from newsbot.index.store import ArticleRef, Filters, Headline, PassageStore, SentenceVector

# FTS5 scores every passage that holds any term of the OR query, so its cost follows the terms'
# posting counts. A term in more than COMMON_TERM_SHARE of the passages adds little to BM25: leaving
# such terms out took keyword search at 17k Reuters passages from p50 27 ms to 5 ms. Terms are then
# taken rarest first while their postings add up to KEYWORD_POSTINGS (the rarest always), which bounds
# the cost as the index grows: at 1M passages the share rule alone left hybrid answers at p50 138 ms.
# At 100k, a budget of 20k postings kept 0.945 of the share rule's keyword top 10 at the same p50
# (questions made as in bench/query.py).
COMMON_TERM_SHARE = 0.1
KEYWORD_POSTINGS = 20_000
PRUNE_FROM = 10_000  # passages; below this FTS5 is fast anyway, and in a tiny index most terms are "common"
_PORTER = snowballstemmer.stemmer("porter")
# Keyword searches (SQLite) at once, each beside the thread that encodes its question and searches
# FAISS (both release the GIL).
KEYWORD_THREADS = 2


class Mode(str, Enum):
    HYBRID = "hybrid"
    DENSE = "dense"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its article and store key; `score` is the mode's own (RRF for
    hybrid); `similarity` is the passage's cosine to the query when dense search returned it."""

    passage: Passage
    article: ArticleRef
    score: float
    rank: int
    key: int
    dense_rank: int | None = None
    keyword_rank: int | None = None
    similarity: float | None = None


class QueryError(ValueError):
    """The query cannot be searched (empty, or nothing searchable in it)."""


def query_terms(text: str) -> list[str]:
    """The text's distinct terms (`stopwords.terms`), in order."""
    return list(dict.fromkeys(t for t in terms(text) if len(t) > 1 or t.isdigit()))


def keyword_query(text: str, postings: Mapping[str, int] | None = None, passages: int = 0) -> str:
    """An FTS5 expression: the OR of the text's distinct non-stopword terms, each quoted.

    OR rather than FTS5's default AND: a question rarely shares all its words with the answer,
    and BM25 already ranks passages with more (and rarer) shared terms first. Given `postings` (the
    passages holding each Porter stem, of `passages`), terms are kept rarest first, while they are
    held by at most COMMON_TERM_SHARE of the passages and their postings add up to at most
    KEYWORD_POSTINGS; the rarest term is always kept.
    """
    terms = query_terms(text)
    if postings:
        counts = dict(zip(terms, (postings.get(stem, 0) for stem in _PORTER.stemWords(terms))))
        kept: set[str] = set()
        total = 0
        for term in sorted(terms, key=counts.__getitem__):
            if kept and (counts[term] > COMMON_TERM_SHARE * passages or total + counts[term] > KEYWORD_POSTINGS):
                break
            kept.add(term)
            total += counts[term]
        terms = [t for t in terms if t in kept]
    return " OR ".join(f'"{term}"' for term in terms)


def reciprocal_rank_fusion(
    rankings: list[list[int]], k: int, weights: list[float] | None = None
) -> list[tuple[int, float]]:
    """Keys ordered by the (weighted) sum of 1 / (k + rank) over the rankings they appear in."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class Fusion:
    """Reciprocal rank fusion of the dense and keyword rankings: each takes `candidates` passages,
    and a passage scores the weighted sum of 1 / (rrf_k + rank). Tuned values: newsbot/answer/tuned.json."""

    candidates: int
    dense_weight: float
    keyword_weight: float
    rrf_k: int


class Searcher:
    """Searches one open store with one embedder (the model the index was built with)."""

    def __init__(self, store: PassageStore, embedder: Embedder, fusion: Fusion) -> None:
        self.store = store
        self.embedder = embedder
        self.fusion = fusion
        self._keyword_threads = ThreadPoolExecutor(KEYWORD_THREADS, thread_name_prefix="newsbot-keyword")

    def close(self) -> None:
        self._keyword_threads.shutdown(wait=True)

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _keyword(self, query: str, k: int, filters: Filters, mode: Mode) -> list[tuple[int, float]]:
        """The keyword ranking, term counts read and all, in the keyword thread: beside the question's
        encoding, which takes as long."""
        passages = self.store.vector_count()
        postings = self.store.term_postings(_PORTER.stemWords(query_terms(query))) if passages >= PRUNE_FROM else None
        match = keyword_query(query, postings, passages)
        if not match and mode is Mode.KEYWORD:
            raise QueryError("the query has no searchable words (only stop words or punctuation)")
        return self.store.keyword_search(match, k, filters)

    def sentences(self, hits: Sequence[Hit]) -> list[list[SentenceVector]]:
        """The stored sentences of each hit's passage, in order, with their vectors."""
        stored = self.store.sentence_vectors([hit.key for hit in hits])
        return [stored.get(hit.key, []) for hit in hits]

    def headlines(self, hits: Sequence[Hit]) -> dict[str, Headline]:
        """The stored headlines of the hits' articles, by article id (those with none left out)."""
        return self.store.headlines(list(dict.fromkeys(hit.article.id for hit in hits)))

    def latest(self, k: int, filters: Filters = Filters()) -> list[Hit]:
        """The first passage of each of the `k` newest dated articles that pass `filters`, newest first."""
        keys = self.store.latest_passages(k, filters)
        stored = self.store.passages(keys)
        return [Hit(passage=stored[key].passage, article=stored[key].article, score=0.0, rank=rank, key=key)
                for rank, key in enumerate((key for key in keys if key in stored), start=1)]

    def search(
        self,
        query: str,
        k: int = 10,
        mode: Mode = Mode.HYBRID,
        filters: Filters = Filters(),
        with_vector: bool = False,
    ) -> list[Hit]:
        """The `k` best passages for `query`, best first. The query is encoded while the keyword search
        runs (the embedder remembers recent questions' vectors); in keyword mode only `with_vector`,
        for a caller that needs the vector next."""
        if not query or not query.strip():
            raise QueryError("the query is empty")
        mode = Mode(mode)
        if filters and not self.store.any_article(filters):
            return []
        pool = max(k, self.fusion.candidates)
        dense: list[tuple[int, float]] = []
        keyword: list[tuple[int, float]] = []
        pending = None
        if mode in (Mode.KEYWORD, Mode.HYBRID):
            pending = self._keyword_threads.submit(self._keyword, query, pool if mode is Mode.HYBRID else k, filters, mode)
        if mode in (Mode.DENSE, Mode.HYBRID):
            dense = self.store.dense_search(self.embedder.encode_query(query), pool if mode is Mode.HYBRID else k, filters)
        elif with_vector:
            self.embedder.encode_query(query)
        if pending is not None:
            keyword = pending.result()
        if mode is Mode.HYBRID:
            ranked = reciprocal_rank_fusion(
                [[key for key, _ in dense], [key for key, _ in keyword]], self.fusion.rrf_k,
                [self.fusion.dense_weight, self.fusion.keyword_weight])[:k]
        else:
            ranked = dense or keyword
        dense_ranks = {key: rank for rank, (key, _) in enumerate(dense, start=1)}
        keyword_ranks = {key: rank for rank, (key, _) in enumerate(keyword, start=1)}
        similarities = dict(dense)
        stored = self.store.passages([key for key, _ in ranked])
        return [
            Hit(
                passage=stored[key].passage,
                article=stored[key].article,
                score=score,
                rank=rank,
                key=key,
                dense_rank=dense_ranks.get(key),
                keyword_rank=keyword_ranks.get(key),
                similarity=similarities.get(key),
            )
            for rank, (key, score) in enumerate(ranked, start=1)
            if key in stored
        ]
