"""Over a real index: a quiz page's question and a live blog's furniture are never the answer, the
answer-type feature prefers the sentence that holds what is asked, and gives a short answer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from newsbot.answer.config import load_config
from newsbot.answer.engine import AnswerEngine
from newsbot.answer.debris import is_debris
from newsbot.answer.query import Query
from newsbot.answer.timeframe import time_frame
from newsbot.answer.types import answer_record
from newsbot.app import Newsbot
from newsbot.cli.render import plain
from newsbot.index.search import Mode
from newsbot.index.store import Filters
from newsbot.settings import Settings

from shared import dated_index

ARTICLES = [
    ("2024-05-03", "Weekly news quiz: rivers, bridges and comets",
     "Test yourself on this week's news. Which river does the new Marlow cycling bridge cross? "
     "Who is the new Marlow cycling bridge named after? How much will the new Marlow bridge cost?\n\n"
     "Answers appear at the bottom of the page. Share this quiz with your friends."),
    ("2024-05-02", "Live: Marlow bridge opening day",
     "10:42 am BST May 2, 2024 Share this update The Marlow cycling bridge opened to riders this morning.\n\n"
     "Follow our reporter on social media for updates. By Oona Pellow and Rafe Tindall\n\n"
     "The Marlow cycling bridge crosses the river Thames beside the old lock. It cost 12 million pounds."),
    ("2024-05-01", "Marlow cycling bridge named",
     "The cycling bridge in Marlow was named after Ada Thorne, an engineer who built footbridges in the county. "
     "The naming ceremony for the bridge in Marlow was attended by the council and local cyclists."),
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedder) -> Settings:
    return dated_index(tmp_path_factory.mktemp("quiz") / "index", ARTICLES)


@pytest.mark.parametrize(("question", "answer"), [
    ("Which river does the new Marlow cycling bridge cross?", "Thames"),
    ("How much will the new Marlow bridge cost?", "12 million pounds"),
])
def test_the_quiz_question_itself_is_never_the_answer(settings, question: str, answer: str) -> None:
    with Newsbot.open(settings) as app:
        result = app.engine.answer(question, today=dt.date(2024, 5, 4))
    assert not result.abstained
    assert all(not is_debris(p.text) and not p.text.endswith("?") for p in result.parts)
    assert answer in result.parts[0].text


def test_live_blog_furniture_is_never_quoted(settings) -> None:
    with Newsbot.open(settings) as app:
        result = app.engine.answer("When did the Marlow cycling bridge open?", today=dt.date(2024, 5, 4))
    assert not any("Share this" in p.text or p.text.startswith(("Follow", "By ")) for p in result.parts)


def test_the_answer_type_weight_moves_the_sentence_that_names_who(settings) -> None:
    question = "Who is the cycling bridge in Marlow named after?"
    base = load_config()
    logits = {}
    with Newsbot.open(settings) as app:
        for weight in (0.0, 2.0):
            weights = {**base.sentences.weights, "typed": weight}
            # the linear scorer alone: the reader's stage would rescale its logits
            config = dataclasses.replace(base, reader=None,
                                         sentences=dataclasses.replace(base.sentences, weights=weights))
            engine = AnswerEngine(app.searcher, config)
            query = Query(question, question, time_frame(question, dt.date(2024, 5, 4)), Filters(), Mode.HYBRID,
                          dt.date(2024, 5, 4))
            ranked = engine.select.scored(query, engine.rerank.run(query, engine.retrieve.run(query)))
            logits[weight] = {s.evidence.text: math.log(s.score / (1 - s.score)) for s in ranked}
    named = next(t for t in logits[0.0] if "Ada Thorne" in t)
    ceremony = next(t for t in logits[0.0] if "ceremony" in t)
    assert logits[2.0][named] - logits[0.0][named] == pytest.approx(2.0)
    assert logits[2.0][ceremony] == pytest.approx(logits[0.0][ceremony])


def test_a_who_question_gets_the_name_as_a_short_answer_shown_first(settings) -> None:
    """The reader points at the name, sure enough to show it at half confidence (the shipped
    threshold is fitted in tuned.json); a vague question's words are nowhere near that sure."""
    base = load_config()
    config = dataclasses.replace(base, composition=dataclasses.replace(base.composition, short_answer_above=0.5))
    with Newsbot.open(settings) as app:
        engine = AnswerEngine(app.searcher, config)
        answer = engine.answer("Who is the cycling bridge in Marlow named after?", today=dt.date(2024, 5, 4))
        vague = engine.answer("What happened at the naming ceremony in Marlow?", today=dt.date(2024, 5, 4))
    assert answer.short == "Ada Thorne"
    assert plain(answer).startswith("Ada Thorne — The cycling bridge in Marlow was named after Ada Thorne")
    assert answer_record(answer)["short"] == "Ada Thorne"
    assert vague.short is None and not plain(vague).startswith(" —")


HEADLINED = [
    ("2025-03-07", "County food awards",
     "Tilby's best bakery for 2025 named\n\n"
     "The Crumb & Co bakery on Mill Lane won the county's bakery of the year prize on Friday. "
     "Judges praised its rye loaf and its early opening hours.\n\n"
     "Bridge vote:Marlow councillors back the new footbridge"),
]


def test_a_headline_line_is_never_quoted_and_the_sentence_after_it_answers(tmp_path, embedder) -> None:
    settings = dated_index(tmp_path / "index", HEADLINED)
    with Newsbot.open(settings) as app:
        result = app.engine.answer("Which bakery was named Tilby's best for 2025?", today=dt.date(2025, 3, 8))
    assert not result.abstained
    assert all(not p.text.startswith(("Tilby's best bakery", "Bridge vote")) for p in result.parts)
    assert "Crumb & Co" in result.parts[0].text
