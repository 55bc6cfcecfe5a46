"""A year the question names must be one that something found speaks of (named in a passage or
its title, or the year its article is dated); otherwise "Who won the 2018 final?" would be answered
with another year's final."""

from __future__ import annotations

import datetime as dt

import pytest

from newsbot.app import Newsbot
from newsbot.settings import Settings

from shared import dated_index

ARTICLES = [
    ("2022-06-12", "Harbour Cup final",
     "The Marlow Rovers won the Harbour Cup final on Sunday, beating Tilby Town 2-1 after extra time."),
    ("2022-06-13", "Cup history",
     "The Harbour Cup is played every summer. Tilby Town won the 2019 final on penalties against Orvane."),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    settings: Settings = dated_index(tmp_path_factory.mktemp("years") / "index", ARTICLES)
    with Newsbot.open(settings) as opened:
        yield opened


@pytest.mark.parametrize("question, holds", [
    ("Who won the Harbour Cup final?", "Marlow Rovers"),
    ("Who won the 2022 Harbour Cup final?", "Marlow Rovers"),  # the article is dated 2022
    ("Who won the Harbour Cup final in 2019?", "Tilby Town"),  # named in the text
])
def test_a_year_the_articles_speak_of_is_answered(app, question: str, holds: str) -> None:
    answer = app.engine.answer(question, today=dt.date(2022, 7, 1))
    assert not answer.abstained and holds in answer.text


def test_a_year_nothing_found_speaks_of_is_not_answered_with_another_years(app) -> None:
    answer = app.engine.answer("Who won the 2018 Harbour Cup final?", today=dt.date(2022, 7, 1))
    assert answer.abstained and answer.parts == ()
    assert answer.closest_articles()[0].article.title == "Harbour Cup final"
