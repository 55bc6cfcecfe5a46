"""The storage interface: what search, ingest and the answer engine need of an index, and all they
may use. `Store` (SQLite + FAISS, one machine) implements it; tests/index/test_store_contract.py is
the contract any other implementation must pass (docs/scale-out.md maps it onto OpenSearch).

Passages are named by integer keys the store assigns at `write`; a key is never reused for
another passage while the index lives. Scores are higher-is-better within one search.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from newsbot.index.articles import Article
from newsbot.index.chunking import Passage
from newsbot.index.store.types import ArticleRef, Filters, Headline, SentenceVector, Stats, StoredPassage


@runtime_checkable
class PassageStore(Protocol):
    """An index of articles, their passages, passage vectors, sentence vectors and headlines."""

    @property
    def dimension(self) -> int:
        """The length of every vector the store holds."""

    # -- ingest ------------------------------------------------------------------------------

    def write(self, articles: Sequence[Article], passages: Sequence[Passage], vectors: np.ndarray,
              replace: Iterable[str] = (), sentences: Sequence[Sequence[SentenceVector]] | None = None,
              headlines: Sequence[Headline] = ()) -> list[int]:
        """Store articles, their passages (row i of `vectors` is passage i), each passage's
        sentence vectors and the `headlines` of these articles or of ones already indexed (a
        headline with no text says the article has none; a new headline of an article replaces
        its old one), after removing the articles whose ids are in
        `replace` (with their headlines); all or nothing: an
        article id or content hash already indexed (and not replaced) raises `RejectedWrite` and
        leaves the store as it was. Returns the new passages' keys, in order."""

    def remove(self, article_ids: Sequence[str] = (), sources: Sequence[str] = ()) -> list[str]:
        """Remove articles by id and every article whose source or file path is in `sources`;
        returns the ids removed (none: an empty list)."""

    def flush(self) -> None:
        """Make what was written durable and visible to other readers."""

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The content hashes among `hashes` that are indexed."""

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """The article ids among `ids` that are indexed."""

    def ids_by_path(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """The ids of the articles indexed from each of `paths` (paths with none are left out)."""

    def without_headline(self, opening: int) -> list[tuple[ArticleRef, str]]:
        """Every article written without a headline (one with no text included), with the first
        `opening` characters of its text."""

    # -- search ------------------------------------------------------------------------------

    def any_article(self, filters: Filters) -> bool:
        """Whether any indexed article passes `filters`."""

    def dense_search(self, vector: np.ndarray, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Up to `k` (key, inner product) of the passages nearest `vector` that pass `filters`, best first."""

    def keyword_search(self, match: str, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Up to `k` (key, BM25 score) for `match`, an OR of double-quoted terms (as
        `newsbot.index.search.keyword_query` makes), English stemming, best first."""

    def latest_passages(self, k: int, filters: Filters = Filters()) -> list[int]:
        """The first passage's key of each of the `k` newest dated articles that pass `filters`, newest first."""

    def term_postings(self, stems: Sequence[str]) -> dict[str, int]:
        """How many passages hold each Porter stem (stems no passage holds are left out)."""

    def passages(self, keys: Sequence[int]) -> dict[int, StoredPassage]:
        """The passages of `keys` that exist, each with a reference to its article."""

    def sentence_vectors(self, keys: Sequence[int]) -> dict[int, list[SentenceVector]]:
        """The sentences of the passages of `keys`, by offset, with their vectors."""

    def headlines(self, article_ids: Sequence[str]) -> dict[str, Headline]:
        """The headlines of the articles of `article_ids` that have one stored, by article id."""

    def vector_count(self) -> int:
        """How many passages dense search can return now."""

    # -- the whole index ---------------------------------------------------------------------

    def stats(self) -> Stats:
        """Counts and what made the index."""

    def refresh(self) -> None:
        """See what other writers made durable since this store was opened."""

    def close(self) -> None:
        """Flush a writer and let go of what the store holds."""
