"""A text's content words and their stems: what evidence and follow-up detection compare."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from newsbot.index.search import STOP_WORDS

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")  # PyStemmer's C build (a dependency) when installed


def content_terms(text: str) -> list[str]:
    """The text's words, lower case, without stop words and one-letter words."""
    return [w for w in map(str.lower, _WORD.findall(text)) if w not in STOP_WORDS and len(w) > 1]


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


@lru_cache(maxsize=50_000)
def stems(text: str) -> frozenset[str]:
    """The distinct stems of the text's content words (remembered: pooled sentences recur)."""
    return frozenset(map(_stem, content_terms(text)))
