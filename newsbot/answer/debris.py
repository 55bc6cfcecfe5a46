"""Sentences never quoted as an answer: questions (quiz and FAQ pages), page furniture
(`newsbot.index.furniture`: timestamps, share/follow/subscribe lines, bylines, photo credits and
captions) and stray fragments."""

from __future__ import annotations

import re

from newsbot.index.furniture import furniture_kind

_QUESTION = re.compile(r"\?[\"'”’)\]]*\s*$")
_REPORTED_QUESTION = re.compile(r"\w[,:]\s*[\"“‘'][^\"“”‘’]*\?[\"'”’]\s*$")
_HEADING = re.compile(r"^[^a-z]*[A-Z][^a-z]*:?\s*$")


def debris_kind(sentence: str) -> str | None:
    """Why `sentence` is never quoted ("question", "timestamp", "call to action", "byline",
    "credit", "fragment"), or None for a sentence that may answer."""
    text = " ".join(sentence.split())
    words = text.split()
    if _QUESTION.search(text) and not _REPORTED_QUESTION.search(text):
        return "question"
    furniture = furniture_kind(text)
    if furniture:
        return furniture
    if len(words) < 3 or (len(words) <= 8 and _HEADING.match(text)):
        return "fragment"
    return None


def is_debris(sentence: str) -> bool:
    """True for a sentence that is a question or page furniture, never an answer."""
    return debris_kind(sentence) is not None
