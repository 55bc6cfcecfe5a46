"""Passage retrieval: dense (FAISS), keyword (FTS5 BM25) and their reciprocal rank fusion."""

from __future__ import annotations

import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

import numpy as np
import snowballstemmer

from index.articles import Article
from index.chunking import Passage
from index.embedding import Embedder
from index.stopwords import ENGLISH_STOP_WORDS
from index.store import Filters, Store

RRF_K = 60
# The fusion supplies the answer engine's pool, which the engine re-ranks (bot/evidence.py), so it is
# tuned for recall of a 20-passage pool: on SQuAD train (3,807 questions, 200-word passages) equal
# weights reach 0.970 (dense weight 0.3: 0.966); k = 10 instead of 60 changed it by under 0.005.
DENSE_WEIGHT = 1.0
# A term in more than this share of the passages adds little to BM25 but makes FTS5 score every
# passage that holds it: leaving such terms out took keyword search at 17k Reuters passages from
# p50 27 ms to 5 ms (questions made as in bench/query.py, machine under load).
COMMON_TERM_SHARE = 0.1
PRUNE_FROM = 10_000  # passages; below this FTS5 is fast anyway, and in a tiny index most terms are "common"
_PORTER = snowballstemmer.stemmer("porter")
_TERM = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = ENGLISH_STOP_WORDS | {"did", "does", "doing", "s", "t"}


# Keyword search (SQLite) runs here while the calling thread encodes the question and searches FAISS;
# both release the GIL.
_KEYWORD_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsbot-keyword")


class Mode(str, Enum):
    HYBRID = "hybrid"
    DENSE = "dense"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its article and store key; `score` is the mode's own (RRF for
    hybrid); `similarity` is the passage's cosine to the query when dense search returned it."""

    passage: Passage
    article: Article
    score: float
    rank: int
    key: int
    dense_rank: int | None = None
    keyword_rank: int | None = None
    similarity: float | None = None


class QueryError(ValueError):
    """The query cannot be searched (empty, or nothing searchable in it)."""


def query_terms(text: str) -> list[str]:
    """The text's distinct non-stopword terms, lower case, in order."""
    return list(dict.fromkeys(
        t for t in (m.group().lower() for m in _TERM.finditer(text))
        if t not in STOP_WORDS and (len(t) > 1 or t.isdigit())
    ))


def keyword_query(text: str, shares: Mapping[str, float] | None = None) -> str:
    """An FTS5 expression: the OR of the text's distinct non-stopword terms, each quoted.

    OR rather than FTS5's default AND: a question rarely shares all its words with the answer,
    and BM25 already ranks passages with more (and rarer) shared terms first. Given `shares` (of
    passages holding each Porter stem), terms held by more than COMMON_TERM_SHARE of the passages
    are left out while a rarer one remains.
    """
    terms = query_terms(text)
    if shares:
        stems = _PORTER.stemWords(terms)
        rare = [t for t, stem in zip(terms, stems) if shares.get(stem, 0.0) <= COMMON_TERM_SHARE]
        terms = rare or terms
    return " OR ".join(f'"{term}"' for term in terms)


def reciprocal_rank_fusion(
    rankings: list[list[int]], k: int = RRF_K, weights: list[float] | None = None
) -> list[tuple[int, float]]:
    """Keys ordered by the (weighted) sum of 1 / (k + rank) over the rankings they appear in."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class Searcher:
    """Searches one open store with one embedder (the model the index was built with)."""

    def __init__(
        self, store: Store, embedder: Embedder, candidates: int = 50,
        dense_weight: float = DENSE_WEIGHT, keyword_weight: float = 1.0, rrf_k: int = RRF_K,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.weights = [dense_weight, keyword_weight]
        self.rrf_k = rrf_k

    def search(
        self,
        query: str,
        k: int = 10,
        mode: Mode = Mode.HYBRID,
        filters: Filters = Filters(),
        query_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """The `k` best passages for `query`, best first; pass `query_vector` if it is encoded already."""
        if not query or not query.strip():
            raise QueryError("the query is empty")
        mode = Mode(mode)
        if filters and not self.store.any_article(filters):
            return []
        pool = max(k, self.candidates)
        dense: list[tuple[int, float]] = []
        keyword: list[tuple[int, float]] = []
        pending = None
        if mode in (Mode.KEYWORD, Mode.HYBRID):
            shares = (self.store.term_shares(_PORTER.stemWords(query_terms(query)))
                      if self.store.vector_count() >= PRUNE_FROM else None)
            match = keyword_query(query, shares)
            if not match and mode is Mode.KEYWORD:
                raise QueryError("the query has no searchable words (only stop words or punctuation)")
            pending = _KEYWORD_THREADS.submit(self.store.keyword_search, match, pool if mode is Mode.HYBRID else k,
                                              filters)
        if mode in (Mode.DENSE, Mode.HYBRID):
            vector = self.embedder.encode_query(query) if query_vector is None else query_vector
            dense = self.store.dense_search(vector, pool if mode is Mode.HYBRID else k, filters)
        if pending is not None:
            keyword = pending.result()
        if mode is Mode.HYBRID:
            ranked = reciprocal_rank_fusion(
                [[key for key, _ in dense], [key for key, _ in keyword]], self.rrf_k, self.weights)[:k]
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
