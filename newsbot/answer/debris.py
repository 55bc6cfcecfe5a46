"""Sentences never quoted as an answer: questions (quiz and FAQ pages), page furniture
(`newsbot.index.furniture`: timestamps, share/follow/subscribe lines, bylines, photo credits and
captions), headlines (a short line without a full stop, a related-story link) and stray fragments."""

from __future__ import annotations

import re

from newsbot.index.furniture import furniture_kind

_QUESTION = re.compile(r"\?[\"'”’)\]]*\s*$")
_REPORTED_QUESTION = re.compile(r"\w[,:]\s*[\"“‘'][^\"“”‘’]*\?[\"'”’]\s*$")
_HEADING = re.compile(r"^[^a-z]*[A-Z][^a-z]*:?\s*$")
# A sentence ends with a stop, or with a colon before what it introduces ("He stated:").
_ENDS_SENTENCE = re.compile(r"[.!?…:][\"'”’)\]]*\s*$")
# A related-story link as news sites print it inline: a label of a few words glued to a headline
# ("More:Mexico elects …", "DeSantis announces:Florida Gov. …"); a clock time or a ratio has digits
# either side of its colon.
_LINKED_HEADLINE = re.compile(r"^\W*(?:[^\s:()]+\s+){0,7}[^\s:()]*[^\s\d:()]:['‘’]?[A-Z]")
HEADLINE_WORDS = 15  # a line this short without a full stop is a headline, a heading or a list item
# A sentence that opens with two lower-case words lost its start: its subject was a link the page
# dropped ("has unveiled a proposal to …"), or it is the tail of a list ("and two daughters.").
_HEADLESS = re.compile(r"^[a-z]+\s+[a-z]")


def debris_kind(sentence: str) -> str | None:
    """Why `sentence` is never quoted ("question", "timestamp", "call to action", "byline",
    "credit", "fragment", "headline"), or None for a sentence that may answer."""
    text = " ".join(sentence.split())
    words = text.split()
    if _QUESTION.search(text) and not _REPORTED_QUESTION.search(text):
        return "question"
    furniture = furniture_kind(text)
    if furniture:
        return furniture
    if len(words) < 3 or (len(words) <= 8 and _HEADING.match(text)) or _HEADLESS.match(text):
        return "fragment"
    if not ends_sentence(text) and (len(words) <= HEADLINE_WORDS or _LINKED_HEADLINE.match(text)):
        return "headline"
    return None


def ends_sentence(text: str) -> bool:
    """Whether `text` ends as a sentence does: with a stop (or a colon), maybe inside quotes or brackets."""
    return bool(_ENDS_SENTENCE.search(text))


def is_debris(sentence: str) -> bool:
    """True for a sentence that is a question or page furniture, never an answer."""
    return debris_kind(sentence) is not None
