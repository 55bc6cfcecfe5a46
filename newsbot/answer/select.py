"""Sentence selection: the sentences of the best re-ranked passages that may be quoted (no questions,
no page furniture) and their articles' headlines, scored, and grouped into at most a few answer
sentences (near-identical sentences from several articles form one group)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from newsbot.answer.answer_type import Expected, candidate_key, expected_type, new_candidates
from newsbot.answer.config import CompositionConfig, ReaderConfig, SentenceConfig
from newsbot.answer.debris import is_debris
from newsbot.answer.evidence import RankedPassage, SentenceEvidence, nearness
from newsbot.answer.query import Query
from newsbot.answer.reader import Reader
from newsbot.answer.story import asks_for_story, lead_of
from newsbot.answer.terms import restates


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence's evidence, its score as a candidate for the answer (the learned chance that it
    holds it), and the parts of it of the type the question asks for that the question does not
    already name, those that more other articles name first; `lead` when the first is named by more
    articles than the next (or stands alone). `short` is the words of it that answer, if any, and
    `short_chance` the chance that they do: the reader's span (the sentence's chance × the span's),
    else the rule candidate (`candidate_short`, at the sentence's chance)."""

    evidence: SentenceEvidence
    score: float
    candidates: tuple[str, ...] = ()
    expected: Expected = Expected(None)
    lead: bool = False
    short: str | None = None
    short_chance: float = 0.0


def candidate_short(candidates: tuple[str, ...], expected: Expected, lead: bool) -> str | None:
    """The rule short answer: the first candidate of the asked type, when a question word fixes the
    type and the sentence holds one such candidate that the question does not name, or one that
    more other articles name than the rest."""
    return candidates[0] if expected.confident and lead else None


Group = list[ScoredSentence]


class SentenceSelector:
    """Ranked passages → groups of sentences, best first; the first of each group is written, the
    others only add their citations. With a reader, its stage (`ReaderConfig`) rescores the best."""

    def __init__(self, sentences: SentenceConfig, composition: CompositionConfig,
                 reading: ReaderConfig | None = None, reader: Reader | None = None) -> None:
        self.config = sentences
        self.limits = composition
        self.reading = reading if reader is not None else None
        self.reader = reader
        if set(sentences.weights) != set(FEATURES):
            raise ValueError(f"the sentence scorer needs a weight for each of {FEATURES}, "
                             f"got {sorted(sentences.weights)}")
        self._weights = np.array([sentences.weights[name] for name in FEATURES])

    def run(self, query: Query, passages: list[RankedPassage]) -> list[Group]:
        scored = self.scored(query, passages)
        if asks_for_story(query.question):
            scored = _lead_first(query, scored, passages)
        return self._group(scored)

    def scored(self, query: Query, passages: list[RankedPassage]) -> list[ScoredSentence]:
        """The distinct quotable sentences of the best `passages_read` passages, each scored with the
        learned chance that it holds the answer, best first (with a reader: the `top` of them)."""
        expected = expected_type(query.question)
        rows = list(sentence_features(query, passages, expected, self.config.passages_read))
        if not rows:
            return []
        logits = np.array([features.values for _, features in rows]) @ self._weights + self.config.bias
        if self.reading:
            top = np.argsort(-logits, kind="stable")[: self.reading.top]
            reading = self.reader.run(query.question, [rows[i][0].text for i in top])
            rows = [rows[i] for i in top]
            chances = 1 / (1 + np.exp(-(self.reading.linear * logits[top] + self.reading.reader * reading.scores
                                        + self.reading.bias)))
            shorts = [(span.text, chance * span.chance) if span else (None, 0.0)
                      for chance, span in zip(chances, reading.spans)]
        else:
            chances = 1 / (1 + np.exp(-logits))
            shorts = [(candidate_short(features.candidates, expected, features.lead), chance)
                      for (_, features), chance in zip(rows, chances)]
        scored = [ScoredSentence(sentence, float(chance), features.candidates, expected, features.lead,
                                 short, float(short_chance))
                  for (sentence, features), chance, (short, short_chance) in zip(rows, chances, shorts)]
        return sorted(scored, key=lambda c: -c.score)

    def _group(self, candidates: list[ScoredSentence]) -> list[Group]:
        """Up to `max_sentences` groups; a sentence far below the best starts no group of its own."""
        limits = self.limits
        groups: list[Group] = []
        for candidate in candidates:
            for group in groups:
                if self._same(group[0].evidence, candidate.evidence):
                    group.append(candidate)
                    break
            else:
                floor = max(limits.sentence_floor, groups[0][0].score * limits.keep_within) if groups else 0
                if len(groups) < limits.max_sentences and candidate.score >= floor:
                    groups.append([candidate])
        return groups

    def _same(self, first: SentenceEvidence, other: SentenceEvidence) -> bool:
        """Whether `other` says what `first` says: their vectors alike, or, from another article, nearly
        the same words (`terms.restates`; two sentences of one article that share most words
        usually differ in what they add)."""
        if float(first.vector @ other.vector) >= self.limits.duplicate_above:
            return True
        return (first.hit.article.id != other.hit.article.id
                and restates(first.text, other.text, self.limits.restated_above))


def _lead_first(query: Query, scored: list[ScoredSentence], passages: list[RankedPassage]) -> list[ScoredSentence]:
    """`scored` with the lead (`story.lead_of`) of the best passage's article first, scored as the
    best: what an open question about a story asks. Only for news (a dated article) whose opening
    passage is among `passages`, and not when the conversation has said it."""
    if not scored or not passages or passages[0].hit.article.date is None:
        return scored
    article = passages[0].hit.article
    opening = next((p for p in passages if p.hit.article.id == article.id and p.hit.passage.ordinal == 0), None)
    found = lead_of(article.title, (s.text for s in opening.sentences)) if opening else None
    if found is None or (query.said and opening.sentences[found].text in query.said):
        return scored
    lead = opening.sentences[found]
    place = (article.id, lead.start)
    own = next((s for s in scored if (s.evidence.hit.article.id, s.evidence.start) == place), None)
    first = (replace(own, score=max(own.score, scored[0].score)) if own
             else ScoredSentence(lead, scored[0].score, expected=scored[0].expected))
    return [first] + [s for s in scored if s is not own]


# What the scorer knows of a sentence, in the order of its weights: its cosine to the question and
# share of the question's rare stems; its passage's evidence score, re-ranked rank and title match;
# whether it holds a new candidate of the asked type (or lacks one when a type is asked), and how
# many other articles of the passages read name that candidate too (news repeats its answers); its
# article's date against the day of the question (how near, whether later, whether within the dates
# the question names) and against the pool's (recency, when the question asks for the latest); how
# far into its article it is, its length, and whether it is the article's headline.
FEATURES = ("similarity", "terms", "passage", "rank", "title", "typed", "untyped", "support", "recency", "dated",
            "near", "later", "in_frame", "position", "length", "headline")
SUPPORT = 3  # other articles naming a candidate at which its support feature saturates


@dataclass(frozen=True)
class Features:
    """A sentence's feature values (in `FEATURES` order), its answer candidates, best supported
    first, and whether the first leads (see `ScoredSentence`)."""

    values: tuple[float, ...]
    candidates: tuple[str, ...]
    lead: bool = False


def sentence_features(query: Query, passages: list[RankedPassage], expected: Expected,
                      read: int | None = None) -> Iterator[tuple[SentenceEvidence, Features]]:
    """(sentence, features) for the distinct sentences of the first `read` of `passages` (all by
    default) that are not debris, with the headline of each of their articles (before its
    article's first passage), none said already in the conversation; support and recency are
    counted over all of `passages`, as the scorer was fitted."""
    seen: set[tuple[str, int | None]] = set()
    sentences: list[tuple[SentenceEvidence, RankedPassage]] = []
    for passage in passages:
        for sentence in ((passage.headline,) if passage.headline else ()) + passage.sentences:
            if ((sentence.hit.article.id, sentence.start) not in seen
                    and (sentence.headline or not is_debris(sentence.text))
                    and not (query.said and sentence.text in query.said)):
                seen.add((sentence.hit.article.id, sentence.start))
                sentences.append((sentence, passage))
    found_in = [tuple(new_candidates(s.text, expected, query.text)) if expected.kind else () for s, _ in sentences]
    naming: dict[str, set[str]] = {}
    for (sentence, _), found in zip(sentences, found_in):
        for candidate in found:
            naming.setdefault(candidate_key(candidate), set()).add(sentence.hit.article.id)
    dates = [s.hit.article.date.toordinal() for s, _ in sentences if s.hit.article.date]
    oldest, newest = (min(dates), max(dates)) if dates else (0, 0)
    frame = query.frame
    for (sentence, passage), found in zip(sentences, found_in):
        if read is not None and sentence.hit.rank > read:
            continue
        support = sorted(((len(naming[candidate_key(c)] - {sentence.hit.article.id}), c) for c in found),
                         key=lambda pair: -pair[0])
        date = sentence.hit.article.date
        recent = frame.recent and date and newest > oldest
        days = (query.today - date).days if date else 0
        in_frame = bool(date and (frame.since or frame.until)
                        and (frame.since or dt.date.min) <= date <= (frame.until or dt.date.max))
        yield sentence, Features((
            sentence.similarity,
            sentence.terms,
            passage.score,
            2 / (sentence.hit.rank + 1),
            passage.title_terms,
            float(bool(found)),
            float(bool(expected.kind) and not found),
            min(1.0, support[0][0] / SUPPORT) if support else 0.0,
            (date.toordinal() - oldest) / (newest - oldest) if recent else 0.0,
            float(date is not None),
            nearness(sentence.hit, query),
            float(days < 0),
            float(in_frame),
            min(1.0, (sentence.start or 0) / 5000),
            min(1.0, len(sentence.text.split()) / 50),
            float(sentence.headline),
        ), tuple(c for _, c in support), len(support) == 1 or (len(support) > 1 and support[0][0] > support[1][0]))
