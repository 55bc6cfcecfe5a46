"""Tiny indexes of random unit vectors, for tests of the store where the model isn't needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from newsbot.index.articles import Article, make_article
from newsbot.index.chunking import Passage
from newsbot.index.store import PassageStore, SentenceVector

DIMENSION = 8


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def report(n: int, text: str | None = None, source: str | None = None) -> Article:
    """Article `n`: one sentence, from file /news/n.txt, dated 1–28 January 2024 by number."""
    return make_article(text or f"Report {n} on the harbour.", path=f"/news/{n}.txt", source=source,
                        date=dt.date(2024, 1, 1 + n % 28))


def whole(article: Article) -> Passage:
    """The article as one passage."""
    return Passage(f"{article.id}:0", article.id, 0, 0, len(article.text), article.text)


def write(store: PassageStore, articles: Sequence[Article], rng: np.random.Generator,
          replace: Sequence[str] = ()) -> dict[int, np.ndarray]:
    """Write each article as one passage with a random vector and one sentence vector (the same);
    returns the new keys with their vectors."""
    passages = [whole(a) for a in articles]
    rows = unit(rng.normal(size=(len(articles), store.dimension)))
    sentences = [[SentenceVector(p.start, p.end, row)] for p, row in zip(passages, rows)]
    keys = store.write(articles, passages, rows, replace=replace, sentences=sentences)
    return dict(zip(keys, rows))


def write_reports(store: PassageStore, first: int, count: int, rng: np.random.Generator,
                  replace: Sequence[str] = ()) -> dict[int, np.ndarray]:
    """Reports `first`… (see `report`), one passage each; their keys and vectors."""
    return write(store, [report(n) for n in range(first, first + count)], rng, replace)
