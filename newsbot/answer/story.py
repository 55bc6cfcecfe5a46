"""A story's lead: the sentence a news article opens its story with, which a digest lists and an
open question about a story ("What happened to the Ever Given?", "What did the ECB do?") is
answered with first, as news writing puts what happened first."""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsbot.answer.debris import is_debris
from newsbot.answer.terms import stems

LEAD_SENTENCES = 3  # an article's lead is one of its first quotable sentences

_OPEN = re.compile(
    r"^(?:so,?\s+|and\s+)?(?:"
    r"what\s+(?:has\s+|had\s+)?happened\s+(?:to|with|at)\b"
    r"|what(?:'s|’s|\s+is|\s+was)\s+(?:happening|going\s+on)\s+(?:to|with|at)\b"
    r"|what\s+(?:did|has|have)\s+\S.*\s+(?:do|done)\s*[?.!]*$"
    r"|tell\s+me\s+about\b)",
    re.IGNORECASE,
)


def asks_for_story(question: str) -> bool:
    """Whether the question asks what happened to someone or something, not for one fact of it."""
    return bool(_OPEN.search(question.strip()))


def lead_of(title: str, opening: Iterable[str]) -> int | None:
    """The index in `opening` (an article's sentences, in order, read only as far as needed) of its
    lead: of its first `LEAD_SENTENCES` quotable sentences, the one that shares most words with the
    title (the first of equals), since web news may open with a scene ("She couldn't sleep."), a
    greeting or an editor's note that is not the story its headline tells."""
    quotable: list[tuple[int, str]] = []
    for i, text in enumerate(opening):
        if not is_debris(text):
            quotable.append((i, text))
            if len(quotable) == LEAD_SENTENCES:
                break
    words = stems(title)
    return max(quotable, key=lambda q: len(stems(q[1]) & words), default=(None, ""))[0]
