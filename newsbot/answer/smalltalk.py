"""Greetings, thanks and goodbyes: messages that are not questions but deserve a reply in kind
rather than "I couldn't find that in the articles"."""

from __future__ import annotations

import re

_FILLER = r"(?:\s+(?:there|bot|newsbot|again|so\s+much|a\s+lot|very\s+much|all|everyone|mate|friend))*"
_KINDS = (
    (re.compile(rf"^(?:hi|hello|hey|hiya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|day)){_FILLER}$"),
     "Hello! Ask me anything about the news in my articles, e.g. “What's the latest news?”"),
    (re.compile(rf"^(?:thanks|thank\s+you|thx|ty|cheers|ta|great|cool|nice|ok|okay|got\s+it|perfect){_FILLER}$"),
     "Glad to help. Ask me anything else about the news."),
    (re.compile(rf"^(?:bye|goodbye|good\s+night|see\s+you(?:\s+later)?|later){_FILLER}$"),
     "Goodbye! Ask again any time."),
)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def small_talk_reply(message: str) -> str | None:
    """The reply to a message that is only a greeting, thanks or goodbye, else None."""
    text = " ".join(_EDGES.sub("", message.lower()).split())
    return next((reply for pattern, reply in _KINDS if pattern.match(text)), None)
