"""What the store takes and gives back: search filters, passages with a reference to their article,
sentence and headline vectors and figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from newsbot.index.articles import Article
from newsbot.index.chunking import Passage


@dataclass(frozen=True)
class Filters:
    """Restrict a search to a date range (inclusive) and/or sources (a source name or a file path)."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)


@dataclass(frozen=True)
class ArticleRef:
    """What a search hit needs of its article: who, when and where, not its text."""

    id: str
    title: str
    date: dt.date | None
    source: str
    url: str | None
    path: str

    @classmethod
    def of(cls, article: Article) -> ArticleRef:
        return cls(article.id, article.title, article.date, article.source, article.url, article.path)


@dataclass(frozen=True)
class StoredPassage:
    """A passage as stored, with its store key and a reference to its article."""

    key: int
    passage: Passage
    article: ArticleRef


@dataclass(frozen=True)
class SentenceVector:
    """A sentence of a passage by its offsets in the article text, with its vector."""

    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class Headline:
    """An article's headline as an answer may quote it (`newsbot.index.headline`), with its vector;
    both None for an article that has none (stored too, so that it is not looked for again)."""

    article_id: str
    text: str | None
    vector: np.ndarray | None


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int
    model: str
    dimension: int
    backend: str
    faiss_index: str
    size_bytes: int
    oldest: str | None
    newest: str | None
    directory: str
