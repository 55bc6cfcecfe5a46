"""News digests: a question that asks only what is new ("What's the latest news?", "What happened
this week?") is answered with the lead sentence of each of the newest articles of its dates, newest
first, instead of with sentences that resemble the words "latest news"."""

from __future__ import annotations

import re
from dataclasses import replace

from newsbot.answer.compose import citation
from newsbot.answer.debris import is_debris
from newsbot.answer.query import Query
from newsbot.answer.terms import content_terms
from newsbot.answer.types import Answer, AnswerPart
from newsbot.index.search import Hit, Searcher

# Words of a question that asks for news in general; any other word names a subject to answer about.
_GENERAL = frozenset("""
    news new newest latest recent recently lately happened happen happening happens going headlines headline
    stories story top updates update events today tonight yesterday week weekend month year day days
    tell give whats anything world right now please
""".split())
_ASKS_FOR_NEWS = frozenset("news new newest latest happened happen happening happens going headlines headline "
                           "stories story updates update events".split())
_SPACE = re.compile(r"\s+")


def asks_for_news(query: Query) -> bool:
    """Whether the question asks what is new, in general, rather than about a subject (a follow-up
    resolved against the question before it is about that question's subject)."""
    question = query.question
    if query.text != question:
        return False
    if query.frame.phrase:
        question = question.replace(query.frame.phrase, " ")
    words = set(content_terms(_SPACE.sub(" ", question)))
    return bool(words) and words <= _GENERAL and bool(words & _ASKS_FOR_NEWS or query.frame.since or query.frame.until)


class Digest:
    """Query → the leads of the newest `articles` articles within its dates and not after the day it
    is asked, or None when none are indexed."""

    def __init__(self, searcher: Searcher, articles: int) -> None:
        self.searcher = searcher
        self.articles = articles

    def run(self, query: Query) -> Answer | None:
        filters = query.filters
        until = min(filters.until or query.today, query.today)  # nothing newer than the day asked
        hits = self.searcher.latest(self.articles, replace(filters, until=until))
        leads = [(hit, lead) for hit, sentences in zip(hits, self.searcher.sentences(hits))
                 for lead in [_lead(hit, sentences)] if lead]
        if not leads:
            return None
        citations = tuple(citation(n, hit, *lead) for n, (hit, lead) in enumerate(leads, start=1))
        parts = tuple(AnswerPart(c.sentence, (c.n,)) for c in citations)
        return Answer(query.question, query.text, parts, citations, 1.0, False, query.frame, tuple(hits), listed=True)


def _lead(hit: Hit, sentences) -> tuple[str, int, int] | None:
    """The first quotable sentence of a passage (text, start, end), if any."""
    first = hit.passage.start
    for sentence in sentences:
        text = hit.passage.text[sentence.start - first : sentence.end - first]
        if not is_debris(text):
            return text, sentence.start, sentence.end
    return None
