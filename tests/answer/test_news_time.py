"""Over a real index: of two passages that match a question alike, the one dated nearer the day it
is asked ranks first, and a question's dates no longer throw away the passages of other days."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from newsbot.answer.config import load_config
from newsbot.answer.engine import AnswerEngine
from newsbot.answer.evidence import nearness
from newsbot.app import Newsbot
from newsbot.settings import Settings

from shared import dated_index

ARTICLES = [
    ("2026-01-05", "Corvath ferry back after repairs",
     "The Corvath island ferry service resumed on Tuesday after three weeks of hull repairs."),
    ("2026-03-03", "Corvath ferry back after strike",
     "The Corvath island ferry service resumed on Tuesday after a two-week strike by its crews."),
    ("2026-02-11", "Corvath harbour dredging",
     "Dredging of the Corvath harbour channel began so that larger ferries can dock at the island."),
]
ASKED = dt.date(2026, 3, 6)


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedder) -> Settings:
    return dated_index(tmp_path_factory.mktemp("news-time") / "index", ARTICLES)


def test_the_passage_dated_nearer_the_question_ranks_first_by_its_nearness(settings) -> None:
    base = load_config()
    assert base.rerank.date_near > 0
    undated = dataclasses.replace(base, rerank=dataclasses.replace(base.rerank, date_near=0.0))
    with Newsbot.open(settings) as app:
        scores = {}
        for name, config in (("shipped", base), ("without", undated)):
            engine = AnswerEngine(app.searcher, config)
            query = engine.query("Why was the Corvath ferry service stopped?", ASKED)
            ranked = engine.rerank.run(query, engine.retrieve.run(query))
            scores[name] = {p.hit.article.title: p.score for p in ranked}
            if name == "shipped":
                first = ranked[0].hit
                near = {p.hit.article.title: nearness(p.hit, query) for p in ranked}
    assert first.article.title == "Corvath ferry back after strike"
    for title, score in scores["shipped"].items():
        assert score - scores["without"][title] == pytest.approx(base.rerank.date_near * near[title])


def test_a_week_named_in_the_question_puts_its_passages_first_and_keeps_the_rest(settings) -> None:
    with Newsbot.open(settings) as app:
        answer = app.engine.answer("What happened to the Corvath ferry this week?", today=ASKED)
    assert (answer.time_frame.since, answer.time_frame.until) == (dt.date(2026, 2, 28), ASKED)
    assert answer.hits[0].article.date == dt.date(2026, 3, 3)
    assert {h.article.date for h in answer.hits} > {dt.date(2026, 3, 3)}
    assert answer.citations[0].date == dt.date(2026, 3, 3)


def test_the_dates_are_noted_only_when_the_answer_cites_an_article_of_them(settings) -> None:
    with Newsbot.open(settings) as app:
        kept = app.engine.answer("What happened to the Corvath ferry this week?", today=ASKED)
        unused = app.engine.answer("Why is the Corvath harbour channel being dredged this week?", today=ASKED)
    assert kept.time_frame.describe() == "2026-02-28 to 2026-03-06"
    assert not unused.abstained and "larger ferries can dock" in unused.parts[0].text
    assert all(c.date == dt.date(2026, 2, 11) for c in unused.citations)
    assert unused.time_frame.describe() is None, "no note of dates no cited article is of"


def test_a_question_for_the_latest_searches_the_days_before_it_first(tmp_path, embedder) -> None:
    """Forty older reports fill the pool for "now"; the recent one joins it only through the window."""
    old = [(f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-15", f"Tilby mayor report {n}",
            f"Who is the mayor of Tilby now matters, says the mayor of Tilby in report {n}.") for n in range(40)]
    recent = ("2026-03-02", "Tilby swears in Ben Hale", "Ben Hale was sworn in as Tilby's mayor on Monday.")
    settings = dated_index(tmp_path / "index", [*old, recent])
    base = load_config()
    assert base.retrieval.recent_days > 0
    without = dataclasses.replace(base, retrieval=dataclasses.replace(base.retrieval, recent_days=0))
    question = "Who is the mayor of Tilby now?"
    with Newsbot.open(settings) as app:
        pools = {}
        for name, config in (("window", base), ("none", without)):
            engine = AnswerEngine(app.searcher, config)
            pools[name] = [h.article.title for h in engine.retrieve.run(engine.query(question, ASKED)).hits]
        answer = app.engine.answer(question, today=ASKED)
    assert pools["window"][0] == recent[1] and len(pools["window"]) >= 20  # first, and the rest kept
    assert recent[1] not in pools["none"]
    assert recent[1] in {c.title for c in answer.citations}


def test_what_happened_to_something_answers_with_its_latest_story(tmp_path, embedder) -> None:
    """Years of reports on a ferry fill the pool; what happened to it is this week's story."""
    old = [(f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-15", f"Tilby ferry report {n}",
            f"What happened to the Tilby ferry service was discussed by the Tilby ferry board in report {n}.")
           for n in range(40)]
    recent = ("2026-03-04", "Tilby ferry runs aground", "The Tilby ferry ran aground on a sandbank on Wednesday.")
    with Newsbot.open(dated_index(tmp_path / "index", [*old, recent])) as app:
        answer = app.engine.answer("What happened to the Tilby ferry?", today=ASKED)
        story = app.engine.answer("What has happened with the Tilby ferry?", today=ASKED)
    assert answer.citations[0].title == recent[1]
    assert answer.time_frame.describe() == "most recent first after the best match"
    assert story.time_frame.describe() is None


def test_articles_without_dates_get_no_note_of_recency(tmp_path, embedder) -> None:
    """"Most recent first" says how dated articles were ordered; undated ones (an encyclopaedia)
    were not, so the answer says nothing of it."""
    from newsbot.index.articles import make_article

    settings = Settings(index_dir=tmp_path / "index")
    with Newsbot.open(settings, create=True) as app:
        app.add([make_article("The Tilby ferry ran aground on a sandbank and was towed off by two tugs.",
                              path="undated/ferry.txt", title="Tilby ferry"),
                 make_article("The Tilby lighthouse was rebuilt in stone after a storm.",
                              path="undated/lighthouse.txt", title="Tilby lighthouse")])
        answer = app.engine.answer("What happened to the Tilby ferry?", today=ASKED)
    assert answer.citations and not any(c.date for c in answer.citations)
    assert answer.time_frame.describe() is None
