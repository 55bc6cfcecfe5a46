"""Greetings, thanks and goodbyes: messages that are not questions but deserve a reply in kind
rather than "I couldn't find that in the articles"."""

from __future__ import annotations

import re

_FILLER = r"(?:there|bot|newsbot|again|so\s+much|a\s+lot|very\s+much|all|everyone|mate|friend)"
_HELLO = r"(?:hi|hello|hey|hiya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|day))"
_THANKS = r"(?:thanks|thank\s+you|thx|ty|cheers|ta|great|cool|nice|ok|okay|got\s+it|perfect|awesome)"
_BYE = r"(?:bye|goodbye|good\s+night|see\s+you(?:\s+later)?|later)"
_ONLY = re.compile(rf"^(?:{_HELLO}|{_THANKS}|{_BYE})(?:[\s,.!]+(?:{_HELLO}|{_THANKS}|{_BYE}|{_FILLER}))*$")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
# The first of these kinds that a message holds decides the reply: "ok thanks, bye" is a goodbye.
_REPLIES = (
    (re.compile(rf"\b{_BYE}\b"), "Goodbye! Ask again any time."),
    (re.compile(rf"\b{_THANKS}\b"), "Glad to help. Ask me anything else about the news."),
    (re.compile(rf"\b{_HELLO}\b"), "Hello! Ask me anything about the news in my articles, e.g. “What's the latest news?”"),
)


def small_talk_reply(message: str) -> str | None:
    """The reply to a message made only of greetings, thanks or goodbyes, else None."""
    text = " ".join(_EDGES.sub("", message.lower()).split())
    if not _ONLY.match(text):
        return None
    return next(reply for kind, reply in _REPLIES if kind.search(text))
