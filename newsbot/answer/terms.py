"""A text's content words and their stems: what evidence and follow-up detection compare."""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

from newsbot.index.stopwords import terms

_STEMMER = snowballstemmer.stemmer("english")  # PyStemmer's C build (a dependency) when installed


def content_terms(text: str) -> list[str]:
    """The text's terms (`stopwords.terms`) of more than one letter."""
    return [w for w in terms(text) if len(w) > 1]


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


@lru_cache(maxsize=50_000)
def stems(text: str) -> frozenset[str]:
    """The distinct stems of the text's content words (remembered: pooled sentences recur)."""
    return frozenset(map(_stem, content_terms(text)))
