"""News digests: a question that asks only what is new ("What's the latest news?", "What happened
this week?") is answered with the lead of each of the newest articles of its dates, newest first,
instead of with sentences that resemble the words "latest news"."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from newsbot.answer.compose import citation
from newsbot.answer.evidence import sentence_text
from newsbot.answer.query import Query
from newsbot.answer.story import lead_of
from newsbot.answer.terms import content_terms, restates
from newsbot.answer.types import Answer, AnswerPart, Citation
from newsbot.index.search import Hit, Searcher
from newsbot.index.store import SentenceVector

# A question asks for news in general when every content word is one of these: words that ask for
# news by name, words that may ask what happened (or, in a conversation, what happened to the
# subject of the question before), time words, and small words of such requests.
_EXPLICIT = frozenset("news newest latest headlines headline stories story updates update".split())
_ASKS_FOR_NEWS = _EXPLICIT | frozenset("new happened happen happening happens going events".split())
_TIME_WORDS = frozenset("today tonight yesterday week weekend month year day days now recent recently lately".split())
_GENERAL = _ASKS_FOR_NEWS | _TIME_WORDS | frozenset("top tell give whats anything world right please".split())
_SPACE = re.compile(r"\s+")
_TIME_PREPOSITIONS = frozenset("in on from since during this last past".split())


def latest_question(words: str = "") -> str:
    """The question a /latest command asks: the newest stories, narrowed by the words after it
    ("this week", "Tonga")."""
    words = words.strip()
    if not words:
        return "What's the latest news?"
    joined = "" if words.split()[0].lower() in _TIME_PREPOSITIONS else "on "
    return f"What's the latest news {joined}{words}?"


def refers_back(question: str) -> bool:
    """Whether a question that could ask for news in general ("What happened?", "What's going on?")
    names neither news nor a time: in a conversation it asks about the subject of the one before."""
    words = set(content_terms(question))
    return bool(words) and words <= _GENERAL - _EXPLICIT - _TIME_WORDS


def asks_for_news(query: Query) -> bool:
    """Whether the question asks what is new, in general, rather than about a subject. A follow-up
    resolved against the question before it is about that question's subject; more of an answer
    (`query.said`: "tell me more") asks what the question before it asked, so after a digest it
    asks for the next stories."""
    question = query.text if query.said else query.question
    if query.text != question:
        return False
    if query.frame.phrase:
        question = question.replace(query.frame.phrase, " ")
    words = set(content_terms(_SPACE.sub(" ", question)))
    return bool(words) and words <= _GENERAL and bool(words & _ASKS_FOR_NEWS or query.frame.since or query.frame.until)


CANDIDATES = 3  # newest articles read per story shown, so stories told twice still fill the digest


class Digest:
    """Query → the leads of the newest `stories` articles within its dates and not after the day it
    is asked, one part per story (leads whose vectors are at least `duplicate_above` alike, or that
    restate each other's words (`terms.restates`): the same wire story in several outlets, one part
    citing each). With no article of its dates, an abstention whose closest articles are the newest
    of any date (what the archive does hold); None when no dated article is indexed at all."""

    def __init__(self, searcher: Searcher, stories: int, duplicate_above: float, restated_above: float) -> None:
        self.searcher = searcher
        self.stories = stories
        self.duplicate_above = duplicate_above
        self.restated_above = restated_above

    def run(self, query: Query) -> Answer | None:
        filters = query.filters
        until = min(filters.until or query.today, query.today)  # nothing newer than the day asked
        listed = query.said.count("• ")  # the stories of digests already given in the conversation
        hits = self.searcher.latest(CANDIDATES * (self.stories + listed), replace(filters, until=until))
        stories: list[list[tuple[Hit, Lead]]] = []
        for hit, sentences in zip(hits, self.searcher.sentences(hits)):
            lead = _lead(hit, sentences)
            if lead is None or lead.text in query.said:
                continue
            same = next((s for s in stories if self._same(s[0][1], lead)), None)
            if same is not None:
                same.append((hit, lead))
            elif len(stories) < self.stories:
                stories.append([(hit, lead)])
        if not stories:
            newest = self.searcher.latest(self.stories, replace(filters, since=None, until=query.today))
            return Answer(query.question, query.text, (), (), 0.0, True, query.frame, tuple(newest),
                          listed=True) if newest else None
        citations: list[Citation] = []
        parts: list[AnswerPart] = []
        for story in stories:
            first = len(citations) + 1
            citations += [citation(len(citations) + 1, hit, lead.text, lead.start, lead.end) for hit, lead in story]
            parts.append(AnswerPart(story[0][1].text, tuple(range(first, len(citations) + 1))))
        return Answer(query.question, query.text, tuple(parts), tuple(citations), 1.0, False, query.frame,
                      tuple(hits), listed=True)

    def _same(self, first: Lead, other: Lead) -> bool:
        """Whether two leads tell one story (see the class)."""
        return (float(first.vector @ other.vector) >= self.duplicate_above
                or restates(first.text, other.text, self.restated_above))


@dataclass(frozen=True)
class Lead:
    """The sentence of an article that tells its story (offsets index the article text) and its vector."""

    text: str
    start: int
    end: int
    vector: np.ndarray


def _lead(hit: Hit, sentences: list[SentenceVector]) -> Lead | None:
    """The article's lead (`story.lead_of`)."""
    found = lead_of(hit.article.title, (sentence_text(hit, s.start, s.end) for s in sentences))
    if found is None:
        return None
    lead = sentences[found]
    return Lead(sentence_text(hit, lead.start, lead.end), lead.start, lead.end, lead.vector)
