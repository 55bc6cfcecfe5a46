"""The answer engine: a question (and the conversation before it) through the pipeline
retrieve → re-rank → select sentences → compose, to a short cited `Answer` or an honest abstention."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace

from newsbot.answer.compose import Composer
from newsbot.answer.config import AnswerConfig, load_config
from newsbot.answer.digest import Digest, asks_for_news, refers_back
from newsbot.answer.evidence import Reranker
from newsbot.answer.query import Query, QuestionError, follow_up_kind, speaks_to, validate_question, with_context
from newsbot.answer.reader import Reader, shipped_reader
from newsbot.answer.retrieve import Retriever
from newsbot.answer.select import SentenceSelector
from newsbot.answer.timeframe import TimeFrame, time_frame
from newsbot.answer.types import Answer, Turn
from newsbot.index.search import Mode, Searcher
from newsbot.index.store import Filters

__all__ = ["AnswerEngine", "QuestionError", "validate_question"]

log = logging.getLogger(__name__)


class AnswerEngine:
    """Answers questions from one searcher; each stage sees only what the one before it produced."""

    def __init__(self, searcher: Searcher, config: AnswerConfig | None = None, reader: Reader | None = None) -> None:
        """`reader` defaults to the shipped one when the config has a reader stage."""
        self.config = config or load_config()
        self.embedder = searcher.embedder
        if reader is None and self.config.reader:
            reader = shipped_reader(self.embedder.cache_dir)
        self.retrieve = Retriever(searcher, self.config.retrieval)
        self.rerank = Reranker(self.config.rerank)
        self.select = SentenceSelector(self.config.sentences, self.config.composition, self.config.reader, reader)
        self.compose = Composer(self.config.composition)
        composition = self.config.composition
        self.digest = Digest(searcher, composition.digest_stories, composition.duplicate_above,
                             composition.restated_above)

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        today: dt.date | None = None,
        mode: Mode = Mode.HYBRID,
        filters: Filters = Filters(),
    ) -> Answer:
        question = validate_question(question)
        kind = follow_up_kind(question) if history else "alone"
        if kind == "maybe" and refers_back(question):
            kind = "needs"
        if kind == "more":
            said = " ".join(turn.answer for turn in history)
            return self.run(self.query(question, today, mode, filters, history[-1].question, said))
        text = with_context(question, history) if kind == "needs" else question
        answer = self.run(self.query(question, today, mode, filters, text))
        if kind == "maybe" and answer.abstained:
            resolved = self.run(self.query(question, today, mode, filters, with_context(question, history)))
            if speaks_to(question, resolved):
                answer = resolved
        return answer

    def query(self, question: str, today: dt.date | None = None, mode: Mode = Mode.HYBRID,
              filters: Filters = Filters(), text: str | None = None, said: str = "") -> Query:
        """The `Query` for a validated question, searching `text` (default: the question)
        within the dates its time words name, counted from `today`; a follow-up that names no time
        keeps the time of the question it follows ("by how much?" after one about July 2022); the
        sentences of `said` are not quoted again."""
        today = today or dt.date.today()
        frame = time_frame(question, today)
        if text and text != question and frame == TimeFrame():
            frame = time_frame(text, today)
        if frame.since or frame.until:
            filters = Filters(since=frame.since, until=frame.until, sources=filters.sources)
        text = text or question
        return Query(question, text, frame, filters, Mode(mode), today, said)

    def run(self, query: Query) -> Answer:
        """The pipeline over one query (`--log-level DEBUG` shows each stage's output); a
        question that asks only what is new gets the newest articles' leads."""
        if asks_for_news(query):
            digest = self.digest.run(query)
            log.debug("digest: %s", "none of these dates" if digest is None else f"{len(digest.parts)} leads")
            if digest is not None:
                return digest
        pool = self.retrieve.run(query)
        log.debug("retrieve %r (%s, %s): %d passages", query.text, query.mode.value, query.filters, len(pool.hits))
        passages = self.rerank.run(query, pool)
        log.debug("rerank: best %s", [(p.hit.article.title[:40], round(p.score, 3)) for p in passages[:3]])
        groups = self.select.run(query, passages)
        log.debug("select: %d sentence groups, best score %s", len(groups),
                  round(groups[0][0].score, 3) if groups else None)
        answer = self.compose.run(query, passages, groups)
        answer = replace(answer, time_frame=_borne_out(answer, query.frame))
        log.debug("compose: %s, %d citations, confidence %.3f",
                  "abstained" if answer.abstained else "answered", len(answer.citations), answer.confidence)
        return answer


def _borne_out(answer: Answer, frame: TimeFrame) -> TimeFrame:
    """What the answer's note may say of the question's time: its dates only when an article of
    them is cited, "most recent first" only when cited articles of two dates or more were ordered."""
    since, until = frame.since or dt.date.min, frame.until or dt.date.max
    if (frame.since or frame.until) and not any(c.date and since <= c.date <= until for c in answer.citations):
        frame = TimeFrame(recent=frame.recent)
    return replace(frame, recent=frame.recent and len({c.date for c in answer.citations if c.date}) > 1)
