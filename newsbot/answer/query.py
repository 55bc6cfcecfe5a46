"""The question as the pipeline carries it: validated, resolved against the conversation, encoded
once, with its time frame and filters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from newsbot.answer.smalltalk import small_talk_reply
from newsbot.answer.terms import content_terms, stems
from newsbot.answer.timeframe import TimeFrame
from newsbot.answer.types import Answer, Turn
from newsbot.index.search import Mode
from newsbot.index.store import Filters

MAX_QUESTION_CHARS = 500
MAX_QUERY_CHARS = 400
_WORD = re.compile(r"\w+", re.UNICODE)
_CONNECTIVE = re.compile(r"^\s*(?:and|but|so|also|then|what about|how about|what of|and what)\b", re.IGNORECASE)
_MORE = re.compile(r"\b(?:more|else|further|details?|elaborate|continue|go\s+on|expand)\b", re.IGNORECASE)
_MORE_WORDS = frozenset("tell details detail elaborate continue expand please info information".split())
_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her|this|these|those)\b", re.IGNORECASE)
# "this week", "these days": the time of the question, not a word that points back at the one before.
_TIME_OF_ASKING = re.compile(
    r"\b(?:this|these)\s+(?:past\s+)?(?:week|weekend|month|year|morning|afternoon|evening|season|days|spring|summer"
    r"|autumn|fall|winter|monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b", re.IGNORECASE)


class QuestionError(ValueError):
    """The question cannot be answered as written; the message says what to change."""


class SmallTalk(QuestionError):
    """Not a question but a greeting, thanks or goodbye; the message is the reply in kind."""


@dataclass(frozen=True)
class Query:
    """What every stage reads: the question as asked, the text searched for (the question, or the
    question with the one before it), and when and where to look; `today` is the day it is asked,
    which its time words count from; `said` is what the conversation has answered already, whose
    sentences are not quoted again ("tell me more")."""

    question: str
    text: str
    frame: TimeFrame
    filters: Filters
    mode: Mode
    today: dt.date
    said: str = ""


def validate_question(question: str) -> str:
    """The question with white space folded; `QuestionError` when there is nothing to answer (its
    message is the reply, also to a greeting or thanks)."""
    text = " ".join("".join(c for c in question if c.isprintable() or c.isspace()).split())
    if not text:
        raise QuestionError("Please type a question, e.g. “What did North Korea test in January 2022?”")
    if not _WORD.search(text):
        raise QuestionError("That has no words in it: please ask a question in words.")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"That question is too long ({len(text)} characters; at most {MAX_QUESTION_CHARS}).")
    reply = small_talk_reply(text)
    if reply:
        raise SmallTalk(reply)
    return text


def follow_up_kind(question: str) -> str:
    """"more" when it asks for more of the previous answer ("tell me more", "what else?"), "needs"
    when it cannot stand alone (a leading "and"/"what about", a pronoun, no content words), "maybe"
    when it is short, "alone" otherwise."""
    terms = content_terms(question)
    if _MORE.search(question) and set(terms) <= _MORE_WORDS:
        return "more"
    if not terms or _CONNECTIVE.search(question) or _PRONOUN.search(_TIME_OF_ASKING.sub(" ", question)):
        return "needs"
    return "maybe" if len(terms) < 3 else "alone"


def with_context(question: str, history: Sequence[Turn]) -> str:
    """The question followed by the previous (resolved) question, for retrieval."""
    return f"{question} ({history[-1].question})"[:MAX_QUERY_CHARS]


def speaks_to(question: str, answer: Answer) -> bool:
    """Whether a short question's answer, found with the previous question's help, says something of
    its own words: otherwise it answers the previous question ("Who is Apple's CEO?" after one
    about the World Cup), and not being found is the honest reply."""
    return not answer.abstained and bool(stems(question) & stems(" ".join(p.text for p in answer.parts)))
