"""The answer engine over a small dated index: cited sentences, offsets, time, follow-ups, abstention."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.answer.config import load_config
from newsbot.answer.engine import AnswerEngine, QuestionError
from newsbot.answer.types import Turn
from newsbot.app import Newsbot
from newsbot.cli.main import main
from newsbot.cli.render import plain
from newsbot.index.articles import make_article
from newsbot.index.embedding import Embedder
from newsbot.index.search import Mode, Searcher
from newsbot.index.store import Store
from newsbot.settings import Settings

from shared import CACHE_DIR

ARTICLES = [
    ("2024-03-04", "Marlow council approves cycling bridge",
     "The town council of Marlow approved a new cycling bridge over the river Thames on Monday. "
     "The bridge will cost 12 million pounds. Construction is due to start in May.\n\n"
     "Councillors voted nine to two in favour after a long debate about traffic."),
    ("2024-03-13", "Floods delay Marlow bridge work",
     "Preparatory work on the Marlow cycling bridge was halted on Wednesday after floods covered the "
     "riverbank, the council said. Engineers expect a delay of two weeks.\n\n"
     "The river rose by more than a metre after three days of heavy rain."),
    ("2024-02-10", "Kelvor observatory finds comet",
     "Astronomers at the Kelvor observatory discovered a faint comet beyond the orbit of Jupiter. "
     "The comet was named Kelvor-7 and will pass closest to the Sun in 2031.\n\n"
     "The discovery was made with a new wide-field camera installed last autumn."),
    ("2024-03-05", "Marlow bridge to honour engineer",
     "The new Marlow cycling bridge will be named after the engineer Ada Thorne, the council announced. "
     "Thorne designed several footbridges in the county during the 1960s."),
    ("2024-03-06", "Engineer's name for new crossing",
     "The new cycling bridge in Marlow will be named after the engineer Ada Thorne, council officials said. "
     "Her family attended the announcement at the town hall."),
    ("2024-01-22", "Bakery chain expands",
     "The Crumb & Co bakery chain opened its fortieth shop on Monday, in the market square of Tilby. "
     "The company employs 600 people and plans ten more shops this year."),
]


def build(directory: Path) -> Settings:
    """An index of ARTICLES at `directory`, and the settings that open it."""
    settings = Settings(index_dir=directory)
    articles = [make_article(text, path=f"fixture/{i}.txt", title=title, date=dt.date.fromisoformat(day))
                for i, (day, title, text) in enumerate(ARTICLES)]
    with Newsbot.open(settings, create=True) as app:
        app.add(articles)
    return settings


@pytest.fixture(scope="module")
def engine(tmp_path_factory, embedder):
    with Newsbot.open(build(tmp_path_factory.mktemp("answers") / "index")) as app:
        yield app.engine


def check_citations(answer) -> None:
    """Every citation's offsets point at its sentence inside a retrieved passage of its article; a
    headline's citation has no offsets and quotes its article's title."""
    for citation in answer.citations:
        if citation.headline:
            assert citation.start is None is citation.end and citation.sentence in citation.title
            continue
        passage = next(h.passage for h in answer.hits if h.article.id == citation.article_id
                       and h.passage.start <= citation.start and citation.end <= h.passage.end)
        assert passage.text[citation.start - passage.start : citation.end - passage.start] == citation.sentence
        assert citation.sentence in citation.passage


def test_a_one_sentence_answer_is_cited_with_its_offsets(engine) -> None:
    answer = engine.answer("How much will the Marlow bridge cost?", today=dt.date(2024, 3, 20))
    assert not answer.abstained and answer.confidence > 0.5
    assert answer.parts[0].text == "The bridge will cost 12 million pounds."
    first = answer.citations[answer.parts[0].citations[0] - 1]
    assert first.title == "Marlow council approves cycling bridge" and first.date == dt.date(2024, 3, 4)
    assert answer.text.startswith("The bridge will cost 12 million pounds. [1]")
    check_citations(answer)


def test_a_paraphrased_question(engine) -> None:
    answer = engine.answer("What is the price of the new river crossing for bikes?")
    assert "The bridge will cost 12 million pounds." in [part.text for part in answer.parts]


def best_first(engine, question: str, today: dt.date | None = None):
    """The answer to `question`, and the sentence the engine scores likeliest to answer it."""
    answer = engine.answer(question, today=today)
    query = engine.query(question, today)
    best = engine.select.run(query, engine.rerank.run(query, engine.retrieve.run(query)))[0][0].evidence.text
    return answer, best


def test_the_best_sentence_comes_first_then_the_others_in_date_order(engine) -> None:
    answer, best = best_first(engine, "What has happened with the Marlow cycling bridge?")
    dates = [answer.citations[p.citations[0] - 1].date for p in answer.parts]
    assert len(set(dates)) >= 2 and dates[1:] == sorted(dates[1:])
    assert answer.citations[answer.parts[0].citations[0] - 1].sentence == best
    check_citations(answer)


def test_for_the_latest_the_others_follow_newest_first_as_the_note_says(engine) -> None:
    answer, best = best_first(engine, "What is the latest on the Marlow cycling bridge?", dt.date(2024, 3, 20))
    dates = [answer.citations[p.citations[0] - 1].date for p in answer.parts]
    assert len(set(dates[1:])) >= 2 and dates[1:] == sorted(dates[1:], reverse=True)
    assert answer.citations[answer.parts[0].citations[0] - 1].sentence == best
    assert answer.time_frame.describe() == "most recent first after the best match"
    check_citations(answer)


def test_no_order_note_when_the_answer_cites_one_day(engine) -> None:
    answer = engine.answer("What is the latest on the Kelvor comet?", today=dt.date(2024, 3, 20))
    assert not answer.abstained and {c.date for c in answer.citations} == {dt.date(2024, 2, 10)}
    assert answer.time_frame.describe() is None


def test_the_same_fact_from_two_articles_is_written_once_and_cited_twice(engine) -> None:
    answer = engine.answer("Who will the Marlow bridge be named after?")
    naming = [p for p in answer.parts if "Ada Thorne" in p.text]
    assert len(naming) == 1 and len(naming[0].citations) == 2
    cited = {answer.citations[n - 1].title for n in naming[0].citations}
    assert cited == {"Marlow bridge to honour engineer", "Engineer's name for new crossing"}
    check_citations(answer)


def test_last_week_filters_by_the_reference_date(engine) -> None:
    answer = engine.answer("What happened to the bridge last week?", today=dt.date(2024, 3, 20))
    assert (answer.time_frame.since, answer.time_frame.until) == (dt.date(2024, 3, 11), dt.date(2024, 3, 17))
    assert not answer.abstained
    assert answer.citations[0].date == dt.date(2024, 3, 13)
    assert answer.hits[0].article.date == dt.date(2024, 3, 13)
    assert len({h.article.date for h in answer.hits}) > 1, "passages of other dates are kept, behind"


def test_a_year_with_no_articles_of_its_own_is_searched_as_words(engine) -> None:
    """"In 2031" says when the comet passes, not when articles were written: no article is of that
    year, so all are searched, and the answer carries no note of a date range it did not use."""
    answer = engine.answer("Which comet will pass closest to the Sun in 2031?", today=dt.date(2024, 3, 20))
    assert answer.time_frame.describe() is None and "(articles" not in plain(answer)
    assert not answer.abstained and "Kelvor-7" in answer.parts[0].text
    check_citations(answer)


def test_keyword_mode_abstains_on_a_question_of_stop_words(engine) -> None:
    answer = engine.answer("What is it?", mode=Mode.KEYWORD)
    assert answer.abstained and answer.hits == ()


def test_an_off_topic_question_abstains(engine) -> None:
    answer = engine.answer("What is the best recipe for lasagne?")
    assert answer.abstained and answer.parts == () and answer.citations == ()
    assert answer.closest_articles()


def test_a_follow_up_resolves_against_history(engine) -> None:
    history = [Turn("Which comet did astronomers at the Kelvor observatory discover?", "Kelvor-7 [1]")]
    answer = engine.answer("when will it be closest to the Sun?", history)
    assert "Kelvor" in answer.query and not answer.abstained
    assert "2031" in answer.text
    standalone = engine.answer("How many people does Crumb & Co employ?", history)
    assert standalone.query == "How many people does Crumb & Co employ?"
    assert "600 people" in standalone.text


def test_a_follow_up_keeps_the_time_of_the_question_it_follows(engine) -> None:
    history = [Turn("What did the Marlow council approve in March 2024?", "a cycling bridge [1]")]
    answer = engine.answer("How much will it cost?", history, today=dt.date(2024, 6, 1))
    assert answer.time_frame.since == dt.date(2024, 3, 1) and answer.time_frame.until == dt.date(2024, 3, 31)
    assert "12 million" in answer.text


def test_tell_me_more_quotes_what_was_not_said_about_the_same_subject(engine) -> None:
    first = engine.answer("How much will the Marlow cycling bridge cost?", today=dt.date(2024, 3, 20))
    history = [Turn(first.query, first.text)]
    more = engine.answer("Tell me more", history, today=dt.date(2024, 3, 20))
    assert not more.abstained and more.query == first.query
    assert all(part.text not in first.text for part in more.parts)
    assert all("Marlow" in c.title or "bridge" in c.passage for c in more.citations)
    also = engine.answer("What else?", [*history, Turn(more.query, more.text)], today=dt.date(2024, 3, 20))
    assert all(part.text not in first.text + more.text for part in also.parts)


@pytest.mark.parametrize("question", ["What happened to it?", "What happened?", "what's going on?"])
def test_a_follow_up_about_what_happened_is_not_a_news_digest(engine, question: str) -> None:
    history = [Turn("Which comet did astronomers at the Kelvor observatory discover?", "Kelvor-7 [1]")]
    answer = engine.answer(question, history, today=dt.date(2024, 3, 20))
    assert not answer.listed and "Kelvor" in answer.query
    assert engine.answer("What's the latest news?", history, today=dt.date(2024, 3, 20)).listed


def test_this_week_in_a_new_question_does_not_point_back_at_the_one_before(engine) -> None:
    history = [Turn("Which comet did astronomers at the Kelvor observatory discover?", "Kelvor-7 [1]")]
    today = dt.date(2024, 3, 18)  # the week since 2024-03-12 holds the floods report
    digest = engine.answer("What happened this week?", history, today=today)
    assert digest.listed and "Kelvor" not in digest.query
    assert "floods" in digest.text
    question = "Why was work on the bridge halted this week?"
    answer = engine.answer(question, history, today=today)
    assert answer.query == question and "floods" in answer.text
    assert "Kelvor" in engine.answer("What happened to it this week?", history, today=today).query


def test_a_short_new_question_is_not_answered_with_the_previous_ones_article(engine) -> None:
    history = [Turn("Which comet did astronomers at the Kelvor observatory discover?", "Kelvor-7 [1]")]
    assert engine.answer("Who leads Apple?").abstained
    answer = engine.answer("Who leads Apple?", history)
    assert answer.abstained and "Kelvor" not in answer.text


@pytest.mark.parametrize("question", ["", "   \n\t", "?!? ...", "x" * 501])
def test_unanswerable_input_gets_a_clear_message(engine, question: str) -> None:
    with pytest.raises(QuestionError):
        engine.answer(question)


def test_ask_json(capsys, built_index: Path) -> None:
    code = main(["ask", "What did the botanists find beside the lake?", "--index", str(built_index), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and set(payload) == {"answer", "short", "abstained", "confidence", "citations"}
    assert payload["abstained"] is False and 0 < payload["confidence"] <= 1
    citation = payload["citations"][0]
    assert set(citation) == {"n", "article_id", "title", "date", "source", "url", "sentence", "headline", "start",
                             "end", "passage"}
    assert "quillwort" in payload["answer"] and f"[{citation['n']}]" in payload["answer"]
    assert citation["end"] - citation["start"] == len(citation["sentence"])


def test_chat_through_a_pipe(built_index: Path) -> None:
    questions = "/help\nWhat did the botanists find?\nwhere?\n/sources\n\n!!!\n/quit\nnot reached\n"
    result = subprocess.run([sys.executable, "-m", "newsbot.cli.main", "chat", "--index", str(built_index)],
                            input=questions, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "/sources" in out and "> What did the botanists find?" in out
    assert "quillwort" in out.split("> where?")[0]
    assert "#1 " in out and "no words" in out and "not reached" not in out


def test_each_question_is_encoded_once_and_nothing_else(tmp_path, monkeypatch):
    """Sentence vectors come from the index; the model encodes each question once (while its
    keyword search runs), and every later use of its vector is remembered."""
    settings = build(tmp_path / "index")
    questions = ["Who will the Marlow bridge be named after?", "What did the Kelvor astronomers find?",
                 "How many shops does the bakery chain have?"]
    model = Embedder(cache_dir=CACHE_DIR)  # its own cache of question vectors, empty
    encoded: list[str] = []
    for method in ("encode", "encode_queries"):
        def counted(texts, run=getattr(model, method)):
            encoded.extend(texts)
            return run(texts)
        monkeypatch.setattr(model, method, counted)
    with Store.open(settings.index_dir) as store:
        with Searcher(store, model, load_config().retrieval.fusion) as searcher:
            answers = [AnswerEngine(searcher).answer(q, today=dt.date(2024, 4, 1)) for q in questions]
    assert encoded == questions
    assert not any(answer.abstained for answer in answers)


def test_eval_answers_each_question_on_its_own_reference_date(tmp_path) -> None:
    from newsbot.evaluate import Question, run_question

    with Newsbot.open(build(tmp_path / "index")) as app:
        dates = {}
        for ref in (dt.date(2024, 3, 20), dt.date(2024, 3, 11)):
            question = Question("q", "What happened to the Marlow cycling bridge last week?", ("floods",), ref_date=ref)
            _, record = run_question(app, question, Mode.HYBRID, answerable=True)
            dates[ref] = [c["date"] for c in record["citations"]]
    assert "2024-03-13" in dates[dt.date(2024, 3, 20)]
    assert any("2024-03-04" <= day <= "2024-03-10" for day in dates[dt.date(2024, 3, 11)])
