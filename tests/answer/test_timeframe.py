"""Time words in questions become date ranges or a recency wish, counted from a reference day."""

from __future__ import annotations

import datetime as dt

import pytest

from newsbot.answer.timeframe import time_frame

TODAY = dt.date(2022, 2, 3)  # a Thursday
D = dt.date


@pytest.mark.parametrize("question,since,until", [
    ("What did North Korea test in January 2022?", D(2022, 1, 1), D(2022, 1, 31)),
    ("what happened last week?", D(2022, 1, 24), D(2022, 1, 30)),
    ("anything yesterday?", D(2022, 2, 2), D(2022, 2, 2)),
    ("What happened in 2021?", D(2021, 1, 1), D(2021, 12, 31)),
    ("since March 2021, what changed?", D(2021, 3, 1), TODAY),
    ("what happened 3 days ago", D(2022, 1, 31), D(2022, 1, 31)),
    ("news from the past week", D(2022, 1, 27), TODAY),
    ("who resigned this week?", D(2022, 1, 28), TODAY),
    ("who spoke on Jan. 28, 2022?", D(2022, 1, 28), D(2022, 1, 28)),
    ("tests on 2022-01-25", D(2022, 1, 25), D(2022, 1, 25)),
    ("what happened in May?", D(2021, 5, 1), D(2021, 5, 31)),
])
def test_time_words_become_a_date_range(question: str, since: dt.date, until: dt.date) -> None:
    frame = time_frame(question, TODAY)
    assert (frame.since, frame.until) == (since, until)
    assert not frame.recent


@pytest.mark.parametrize("question", ["what happened after the 2019 summit?", "May I ask about rates?",
                                      "Who won the final?", "what is new with the 2022 World Cup"])
def test_no_time_words_no_filter(question: str) -> None:
    frame = time_frame(question, TODAY)
    assert (frame.since, frame.until, frame.recent) == (None, None, False)


def test_latest_is_a_recency_wish() -> None:
    frame = time_frame("latest on the missile tests", TODAY)
    assert frame.recent and frame.since is None and frame.describe() == "most recent first after the best match"


@pytest.mark.parametrize("question", ["What happened to the Tilby ferry?", "What's happening with the dock strike?",
                                      "what is happening to the harbour wall"])
def test_what_happened_to_something_asks_for_its_latest_story(question: str) -> None:
    assert time_frame(question, TODAY).recent


def test_what_has_happened_asks_for_the_story_so_far() -> None:
    assert not time_frame("What has happened with the Tilby ferry?", TODAY).recent


def test_what_happened_on_named_dates_keeps_those_dates() -> None:
    frame = time_frame("What happened to the ferry in January 2022?", TODAY)
    assert (frame.since, frame.until) == (dt.date(2022, 1, 1), dt.date(2022, 1, 31)) and not frame.recent
