"""Re-ranking by sentence evidence: each pooled sentence's (and headline's) cosine to the question
and its share of the question's rare word stems, and a passage score built from them that orders
the pool."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from newsbot.answer.config import RerankConfig
from newsbot.answer.query import Query
from newsbot.answer.retrieve import Pool
from newsbot.answer.terms import stems
from newsbot.index.search import Hit
from newsbot.index.store import Headline


@dataclass(frozen=True)
class SentenceEvidence:
    """One sentence of a pooled passage (offsets index the article text), or its article's headline
    (no offsets: it is not in the text), with its evidence."""

    hit: Hit
    text: str
    start: int | None
    end: int | None
    similarity: float
    terms: float
    vector: np.ndarray = field(repr=False)

    @property
    def headline(self) -> bool:
        return self.start is None


@dataclass(frozen=True)
class RankedPassage:
    """A pooled passage, its sentences and its evidence score; `hit.rank` is its re-ranked rank;
    `title_terms` is the weighted share of the question's stems in its article's title, and
    `headline` the article's headline when it has one to quote."""

    hit: Hit
    sentences: tuple[SentenceEvidence, ...]
    score: float
    title_terms: float = 0.0
    headline: SentenceEvidence | None = None


class _TermWeights:
    """A stem weighs log(1 + n / (1 + df)) over the n distinct pooled sentences, so words that the
    whole pool shares count little; `share` is the weighted part of the question's stems found."""

    def __init__(self, question: frozenset[str], sentence_stems: list[frozenset[str]]) -> None:
        n = len(sentence_stems)
        df = {t: sum(t in found for found in sentence_stems) for t in question}
        self.weight = {t: math.log(1 + n / (1 + df[t])) for t in question}
        self.total = sum(self.weight.values())

    def share(self, found: frozenset[str] | set[str]) -> float:
        return sum(self.weight[t] for t in self.weight.keys() & found) / self.total if self.total else 0.0


_ACRONYM = re.compile(r"\b[A-Z]{3,6}\b")  # two letters (MP, PM) match too many names
_JOIN = r"(?:\s+(?:of|and|for|the|on|&))?\s+"


def spelled_out(question: str, texts: list[str]) -> dict[str, frozenset[str]]:
    """The question's acronyms (ECB, NATO, FBI) that the texts spell out ("European Central Bank",
    "Federal Bureau of Investigation"), by stem, with the spellings found: a news story names the
    institution in full where a question uses its initials."""
    if question.isupper():
        return {}
    found: dict[str, frozenset[str]] = {}
    for acronym in dict.fromkeys(_ACRONYM.findall(question)):
        pattern = re.compile(r"\b" + _JOIN.join(f"{letter}[a-z]+" for letter in acronym) + r"\b")
        names = frozenset(m.group() for text in texts for m in pattern.finditer(text))
        if names:
            found[acronym.lower()] = names
    return found


_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def of_the_year(question: str) -> Callable[[Hit], bool]:
    """Whether a passage can speak of the years the question names ("the 2018 World Cup", "in 2030"):
    it names one, or its article's title does, or its article is dated in one. A question with no
    year takes every passage."""
    years = set(_YEAR.findall(question))
    if not years:
        return lambda hit: True
    return lambda hit: (bool(years & set(_YEAR.findall(hit.passage.text)))
                        or bool(years & set(_YEAR.findall(hit.article.title)))
                        or (hit.article.date is not None and str(hit.article.date.year) in years))


class Reranker:
    """Pool → passages ordered by evidence, the best `keep` of them."""

    def __init__(self, config: RerankConfig) -> None:
        self.config = config
        self._total = sum((config.passage_similarity, config.sentence_similarity, config.sentence_terms,
                           config.passage_terms, config.title_terms)) or 1.0

    def run(self, query: Query, pool: Pool) -> list[RankedPassage]:
        texts = {(hit.article.id, s.start): sentence_text(hit, s.start, s.end)
                 for hit, sentences in zip(pool.hits, pool.sentences) for s in sentences}
        if not texts:
            return [RankedPassage(hit, (), 0.0) for hit in pool.hits][: self.config.keep]
        acronyms = spelled_out(query.text, list(texts.values()))

        def found(text: str) -> frozenset[str]:
            own = stems(text)
            return own | {a for a, names in acronyms.items() if any(n in text for n in names)} if acronyms else own

        terms = _TermWeights(stems(query.text) - pool.ignore, [found(t) for t in texts.values()])
        floor = min((h.similarity for h in pool.hits if h.similarity is not None), default=0.0)
        passages = [self._passage(query, pool.vector, hit, sentences, terms, floor, found,
                                  pool.headlines.get(hit.article.id))
                    for hit, sentences in zip(pool.hits, pool.sentences)]
        ranked = sorted(passages, key=lambda p: -p.score)[: self.config.keep]
        speaks_of = of_the_year(query.question)
        if not any(speaks_of(p.hit) for p in passages):
            # Nothing found speaks of the year asked about ("the 2018 World Cup" over 2022's news):
            # what was found is about another year, so no passage is evidence of an answer.
            ranked = [replace(p, score=0.0) for p in ranked]
        return [_reranked(p, rank) for rank, p in enumerate(ranked, start=1)]

    def _passage(self, query: Query, vector: np.ndarray, hit: Hit, sentences, terms: _TermWeights, floor: float,
                 found: Callable[[str], frozenset[str]], headline: Headline | None) -> RankedPassage:
        evidence = tuple(
            SentenceEvidence(hit, text, s.start, s.end, float(s.vector @ vector), terms.share(found(text)), s.vector)
            for s in sentences for text in (sentence_text(hit, s.start, s.end),)
        )
        if not evidence:
            return RankedPassage(hit, (), 0.0)
        cfg = self.config
        own = set().union(*(found(s.text) for s in evidence))
        similarity = floor if hit.similarity is None else hit.similarity
        title = terms.share(found(hit.article.title))
        score = (cfg.passage_similarity * similarity
                 + cfg.sentence_similarity * max(s.similarity for s in evidence)
                 + cfg.sentence_terms * max(s.terms for s in evidence)
                 + cfg.passage_terms * terms.share(own)
                 + cfg.title_terms * title)
        quoted = headline and SentenceEvidence(hit, headline.text, None, None, float(headline.vector @ vector),
                                               terms.share(found(headline.text)), headline.vector)
        return RankedPassage(hit, evidence, score / self._total + cfg.date_near * nearness(hit, query), title, quoted)


def nearness(hit: Hit, query: Query) -> float:
    """1 for an article of the day the question is asked, 1/2 a week away, 0 undated."""
    date = hit.article.date
    return 1 / (1 + abs((query.today - date).days) / 7) if date else 0.0


def sentence_text(hit: Hit, start: int, end: int) -> str:
    """The text of a sentence of `hit`'s passage, by its offsets in the article."""
    first = hit.passage.start
    return hit.passage.text[start - first : end - first]


def _reranked(passage: RankedPassage, rank: int) -> RankedPassage:
    hit = replace(passage.hit, rank=rank)
    return replace(passage, hit=hit, sentences=tuple(replace(s, hit=hit) for s in passage.sentences),
                   headline=passage.headline and replace(passage.headline, hit=hit))
