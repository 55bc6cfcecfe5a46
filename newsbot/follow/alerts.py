"""From new articles to the alerts owed: each article is matched against every followed topic once;
matches wait as pending until the topic has room (at most `PER_HOUR` messages an hour). When more
are pending than there is room for, they go out together as one digest, so nothing is dropped and
nobody is flooded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsbot.app import Newsbot
from newsbot.follow.book import Follow, FollowBook
from newsbot.follow.match import MatchConfig, title_vectors, topic_scores
from newsbot.index.articles import Article
from newsbot.index.sentences import split_sentences

PER_HOUR = 3
LEAD_SENTENCES = 2


@dataclass(frozen=True)
class Alert:
    """One message owed to `follow.chat_id`: one article, or a digest of several."""

    follow: Follow
    articles: tuple[Article, ...]

    @property
    def digest(self) -> bool:
        return len(self.articles) > 1


def lead(article: Article, sentences: int = LEAD_SENTENCES) -> str:
    """The article's first sentences, what a news reader sees under a headline."""
    first = article.text.split("\n\n", 1)[0]
    return " ".join(s.text.strip() for s in split_sentences(first)[:sentences])


class Alerter:
    """Matches new articles to the follows in `book` and says which alerts are due."""

    def __init__(self, app: Newsbot, book: FollowBook, config: MatchConfig | None = None) -> None:
        self.app = app
        self.book = book
        self.config = config or MatchConfig.load()

    def match(self, articles: list[Article], now: dt.datetime) -> int:
        """Mark, for each follow, which of `articles` are about its topic; how many matches."""
        follows = self.book.following()
        if not follows or not articles:
            return 0
        topics = sorted({f.topic for f in follows})
        vectors = dict(zip(topics, self.app.embedder.encode_queries(topics)))
        passages = {a.id: [v for _, v in self.app.store.article_passages(a.id)] for a in articles}
        titles = title_vectors(self.app.embedder, articles)
        found = 0
        for follow in follows:
            hits = [a.id for a in articles
                    if self.config.matches(topic_scores(vectors[follow.topic], follow.topic, a, passages[a.id], titles[a.id]))]
            self.book.pend(follow.id, hits, now)
            found += len(hits)
        return found

    def due(self, now: dt.datetime) -> list[Alert]:
        """The messages to send now: pending matches of topics that have room this hour."""
        alerts = []
        for follow in self.book.following():
            pending = self.book.pending(follow.id)
            room = PER_HOUR - self.book.sent_since(follow.id, now - dt.timedelta(hours=1))
            if not pending or room <= 0:
                continue
            articles = [a for a in (self.app.store.article(article_id) for article_id in pending) if a is not None]
            if len(articles) <= room:
                alerts += [Alert(follow, (article,)) for article in articles]
            else:
                alerts.append(Alert(follow, tuple(articles)))
            missing = set(pending) - {a.id for a in articles}
            if missing:
                self.book.sent(follow.id, sorted(missing), now)
        return alerts
