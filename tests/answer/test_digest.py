"""A question that asks only what is new gets the lead of each of the newest articles of its dates,
newest first and cited; a question about a subject never does."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from newsbot.answer.config import load_config
from newsbot.answer.digest import asks_for_news, latest_question
from newsbot.answer.engine import AnswerEngine
from newsbot.answer.types import Turn
from newsbot.app import Newsbot
from newsbot.cli.render import plain
from newsbot.settings import Settings

from shared import dated_index

LEADS = {
    "2025-06-02": "The Tilby ferry resumed sailings on Monday after a two-week strike by its crews ended.",
    "2025-06-04": "Heavy rain flooded the lower town of Tilby on Wednesday, closing the market square.",
    "2025-06-09": "Tilby's mayor opened a new public library in the old corn exchange on Monday.",
    "2025-05-20": "A rare orchid was found growing on the cliffs north of Tilby by a retired teacher.",
}
ARTICLES = [(day, f"Tilby news of {day}", f"{lead} More details followed later in the day.\n\nA second paragraph of "
             "the report adds background that no digest should quote.") for day, lead in LEADS.items()]
TODAY = dt.date(2025, 6, 10)


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    settings: Settings = dated_index(tmp_path_factory.mktemp("digest") / "index", ARTICLES)
    with Newsbot.open(settings) as opened:
        yield opened


def test_the_latest_news_is_the_newest_articles_leads_newest_first(app) -> None:
    answer = app.engine.answer("What's the latest news?", today=TODAY)
    assert not answer.abstained
    days = sorted(LEADS, reverse=True)
    assert [c.date.isoformat() for c in answer.citations] == days
    assert [p.text for p in answer.parts] == [LEADS[day] for day in days]
    assert all(p.citations == (c.n,) for p, c in zip(answer.parts, answer.citations))
    assert all(c.sentence == c.passage[c.start : c.end] for c in answer.citations)  # offsets of a one-passage article
    assert answer.listed and answer.text.splitlines()[0] == f"• {LEADS['2025-06-09']} [1]"


def test_nothing_newer_than_the_day_asked(app) -> None:
    answer = app.engine.answer("What's the latest news?", today=dt.date(2025, 6, 5))
    assert [c.date.isoformat() for c in answer.citations] == ["2025-06-04", "2025-06-02", "2025-05-20"]


def test_a_time_in_the_question_chooses_the_articles(app) -> None:
    answer = app.engine.answer("What happened this week?", today=TODAY)
    assert [c.date.isoformat() for c in answer.citations] == ["2025-06-09", "2025-06-04"]
    assert answer.time_frame.since == dt.date(2025, 6, 4)
    assert app.engine.answer("What happened in May 2025?", today=TODAY).parts[0].text == LEADS["2025-05-20"]


def test_no_articles_of_those_dates_says_so_and_shows_the_newest(app) -> None:
    answer = app.engine.answer("Any news today?", today=dt.date(2025, 6, 20))
    assert answer.abstained and answer.parts == ()
    assert [h.article.date.isoformat() for h in answer.closest_articles()] == ["2025-06-09", "2025-06-04", "2025-06-02"]
    shown = plain(answer)
    assert shown.startswith("There are no articles from 2025-06-20.\n\nThe newest articles:\n- ")
    week = plain(app.engine.answer("What happened this week?", today=dt.date(2025, 7, 1)))
    assert week.startswith("There are no articles from 2025-06-25 to 2025-07-01.")
    assert plain(app.engine.answer("Who won the cheese-rolling race?", today=dt.date(2025, 6, 20))).startswith(
        "I couldn't find that in the articles.")


@pytest.mark.parametrize("question, general", [
    ("What is the latest news?", True),
    ("Headlines please", True),
    ("what's new today", True),
    ("What happened in Tilby this week?", False),
    ("What is the latest on the ferry strike?", False),
    ("What happened to the orchid?", False),
    ("latest", False),
])
def test_only_questions_without_a_subject_ask_for_news(app, question: str, general: bool) -> None:
    assert asks_for_news(app.engine.query(question, TODAY)) is general


def test_one_story_told_by_two_outlets_is_one_line_citing_both(tmp_path, embedder) -> None:
    story = "The Tilby ferry resumed sailings on Monday after a two-week strike by its crews ended."
    settings = dated_index(tmp_path / "index", [
        ("2025-06-02", "Ferry back", f"{story} Passengers queued from dawn."),
        ("2025-06-02", "Ferries sail again", f"{story.replace('Monday', 'Monday morning')} Crews won a pay rise."),
        ("2025-06-01", "Library opens", "Tilby's mayor opened a new public library in the old corn exchange on Sunday."),
    ])
    with Newsbot.open(settings) as opened:
        answer = opened.engine.answer("Any news this week?", today=dt.date(2025, 6, 3))
    assert len(answer.parts) == 2 and answer.parts[0].citations == (1, 2) and answer.parts[1].citations == (3,)
    assert {c.title for c in answer.citations[:2]} == {"Ferry back", "Ferries sail again"}


def test_a_lead_is_the_opening_sentence_that_tells_the_headline_story(tmp_path, embedder) -> None:
    bridge = "Tilby council approved the new harbour bridge on Tuesday after ten years of debate."
    settings = dated_index(tmp_path / "index", [
        ("2025-06-03", "Council approves Tilby harbour bridge",
         f"Good morning, readers of the Tilby letter. {bridge} Work starts in the spring."),
        ("2025-06-02", "Ferry strike ends", "The Tilby ferry resumed sailings on Monday after a strike ended. "
         "Its crews won a pay rise."),
    ])
    with Newsbot.open(settings) as opened:
        answer = opened.engine.answer("What's the latest news?", today=dt.date(2025, 6, 4))
    assert [p.text for p in answer.parts] == [bridge, "The Tilby ferry resumed sailings on Monday after a strike ended."]
    assert answer.citations[0].sentence == bridge


def test_more_after_a_digest_is_the_next_stories(app) -> None:
    config = load_config()
    engine = AnswerEngine(app.engine.retrieve.searcher, replace(config, composition=replace(config.composition, digest_stories=2)))
    first = engine.answer("Headlines", today=TODAY)
    more = engine.answer("Tell me more", [Turn(first.query, first.text)], today=TODAY)
    days = sorted(LEADS, reverse=True)
    assert [c.date.isoformat() for c in first.citations] == days[:2]
    assert more.listed and [c.date.isoformat() for c in more.citations] == days[2:]
    history = [Turn(first.query, first.text), Turn(more.query, more.text)]
    assert engine.answer("What else?", history, today=TODAY).abstained  # every story told


@pytest.mark.parametrize("words, question", [
    ("", "What's the latest news?"),
    (" this week ", "What's the latest news this week?"),
    ("in May 2025", "What's the latest news in May 2025?"),
    ("the ferry", "What's the latest news on the ferry?"),
])
def test_the_latest_command_asks_in_words(words: str, question: str) -> None:
    assert latest_question(words) == question


def test_the_chat_latest_command_lists_the_newest_stories(app) -> None:
    from io import StringIO

    from newsbot.cli.chat import chat

    out = StringIO()
    assert chat(app, StringIO("/latest this week\n/quit\n"), out, today=TODAY, turns=3) == 0
    lines = [line for line in out.getvalue().splitlines() if line.startswith("• ")]
    assert [line[2:].split(" [")[0] for line in lines] == [LEADS["2025-06-09"], LEADS["2025-06-04"]]
