"""What the answer engine gives its front ends: an `Answer` of cited parts, plain frozen data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from newsbot.answer.timeframe import TimeFrame
from newsbot.index.store.types import ArticleRef
from newsbot.index.search import Hit

NOT_FOUND = "I couldn't find that in the articles."


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Citation:
    """The source of one answer sentence: the article, the passage, the sentence and its offsets
    (`start`/`end` index the article text; None for the article's headline, which is not in it)."""

    n: int
    article_id: str
    title: str
    date: dt.date | None
    source: str
    url: str | None
    sentence: str
    start: int | None
    end: int | None
    passage: str

    @property
    def headline(self) -> bool:
        return self.start is None


@dataclass(frozen=True)
class AnswerPart:
    """A sentence of the answer and the citation numbers that back it."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Answer:
    """The reply to one question: cited parts, or an abstention with the hits it looked at; `listed`
    for a digest of the newest stories (its parts shown one per line; abstaining, its hits are the
    newest articles of any date)."""

    question: str
    query: str
    parts: tuple[AnswerPart, ...]
    citations: tuple[Citation, ...]
    confidence: float
    abstained: bool
    time_frame: TimeFrame = TimeFrame()
    hits: tuple[Hit, ...] = field(default=(), repr=False)
    short: str | None = None
    listed: bool = False

    @property
    def text(self) -> str:
        """The answer as one string with inline `[n]` markers (a listed answer: a line per part)."""
        parts = [f"{p.text} {''.join(f'[{n}]' for n in p.citations)}" for p in self.parts]
        return "\n".join(f"• {part}" for part in parts) if self.listed else " ".join(parts)

    def closest_articles(self, limit: int = 3) -> list[Hit]:
        """The best hit of each of the first few distinct articles (shown when abstaining)."""
        seen: dict[str, Hit] = {}
        for hit in self.hits:
            seen.setdefault(hit.article.id, hit)
        return list(seen.values())[:limit]


def answer_record(answer: Answer) -> dict:
    """The answer as JSON-ready data (`ask --json`, `newsbot eval --details`)."""
    return {
        "answer": answer.text,
        "short": answer.short,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4),
        "citations": [
            {
                "n": c.n, "article_id": c.article_id, "title": c.title,
                "date": c.date.isoformat() if c.date else None, "source": c.source, "url": c.url,
                "sentence": c.sentence, "headline": c.headline, "start": c.start, "end": c.end,
                "passage": c.passage,
            }
            for c in answer.citations
        ],
    }


def not_found(answer: Answer) -> tuple[str, str]:
    """What an abstention says, and the heading of the articles listed under it: a digest with no
    article of its dates lists the newest articles there are, any other abstention the closest."""
    since, until = answer.time_frame.since, answer.time_frame.until
    if not (answer.listed and (since or until)):
        return NOT_FOUND, "The closest articles:"
    if since and until:
        span = f"from {since.isoformat()}" + ("" if since == until else f" to {until.isoformat()}")
    else:
        span = f"since {since.isoformat()}" if since else f"up to {until.isoformat()}"
    return f"There are no articles {span}.", "The newest articles:"


def cited_where(source: Citation | ArticleRef) -> str:
    """Where a cited article can be found: its link, else its source or file."""
    return source.url or source.source


def grouped_sources(answer: Answer) -> list[tuple[list[int], Citation]]:
    """Citations grouped by article, so an article cited twice is listed once."""
    grouped: dict[str, tuple[list[int], Citation]] = {}
    for citation in answer.citations:
        grouped.setdefault(citation.article_id, ([], citation))[0].append(citation.n)
    return list(grouped.values())


def date_label(value: dt.date | None) -> str:
    return value.isoformat() if value else "undated"
