"""A text's content words and their stems: what evidence, follow-up detection and the merging of
restated sentences compare."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from newsbot.index.stopwords import terms

_WORD = re.compile(r"\d+|[^\W\d_]+")
_STEMMER = snowballstemmer.stemmer("english")  # PyStemmer's C build (a dependency) when installed


def content_terms(text: str) -> list[str]:
    """The text's terms (`stopwords.terms`) of more than one letter."""
    return [w for w in terms(text) if len(w) > 1]


def unaccented(text: str) -> str:
    """The text without its accents: "Mbappe" typed on an English keyboard is "Mbappé"."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """The word's stem, its accents dropped (`unaccented`)."""
    return _STEMMER.stemWord(unaccented(word))


@lru_cache(maxsize=50_000)
def stems(text: str) -> frozenset[str]:
    """The distinct stems of the text's content words (remembered: pooled sentences recur)."""
    return frozenset(map(_stem, content_terms(text)))


def _marks(text: str) -> set[str]:
    """The numbers and capitalised words (names, days, months) of a sentence after its first word."""
    return {w.lower() for w in _WORD.findall(text)[1:] if w[0].isdigit() or w[0].isupper()}


def restates(a: str, b: str, share: float) -> bool:
    """Whether two sentences say the same in nearly the same words, as one wire story does in two
    outlets (one with a dateline or a word more): at least `share` of their content stems in common
    (of those in either), and no number or name in each that the other lacks ("45 days" and "52
    days", "on Monday" and "on Tuesday" are different news)."""
    first, second = stems(a), stems(b)
    if not first or not second or len(first & second) < share * len(first | second):
        return False
    marks, others = _marks(a), _marks(b)
    return marks <= others or others <= marks
