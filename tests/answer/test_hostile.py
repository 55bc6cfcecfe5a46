"""Property-based checks: arbitrary Unicode through question validation, loaders and the engine."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import ARTICLES

from newsbot.answer.query import QuestionError, validate_question
from newsbot.app import Newsbot
from newsbot.cli.render import plain
from newsbot.index.articles import Article, LoadProblem, load_paths
from newsbot.settings import Settings

NASTY = st.sampled_from(["<b>", "</i>", "&amp;", "&", "<a href='x'>", "\u202e", "\u0301", "🚢", "\x00",
                         "\x1b", "\ufeff", "\n\n", "<", ">", '"', "&#0;", "&lt;"])
TEXT = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=40).map("".join)
LONG = st.one_of(TEXT, st.builds(lambda t, n: (t or "x") * n, TEXT, st.integers(1, 400)))


@settings(max_examples=300, deadline=None)
@given(question=LONG)
def test_questions_are_accepted_or_refused_with_a_message(reliability, question):
    reliability.count("Hostile inputs", input="Hypothesis: questions of arbitrary Unicode, validated",
                      outcome="cleaned or refused with a message")
    try:
        cleaned = validate_question(question)
    except QuestionError as exc:
        assert str(exc)
    else:
        assert cleaned and len(cleaned) <= 500 and "\x00" not in cleaned


@settings(max_examples=100, deadline=None)
@given(contents=st.lists(st.binary(max_size=300), min_size=1, max_size=5),
       suffixes=st.lists(st.sampled_from([".txt", ".md", ".jsonl"]), min_size=5, max_size=5))
def test_loaders_load_or_report_every_file(reliability, contents, suffixes):
    reliability.count("Hostile inputs", input="Hypothesis: article files of arbitrary bytes, loaded",
                      outcome="loaded or reported, file by file")
    with tempfile.TemporaryDirectory() as folder:
        for i, data in enumerate(contents):
            Path(folder, f"f{i}{suffixes[i]}").write_bytes(data)
        items = list(load_paths([Path(folder)]))
    assert all(isinstance(item, (Article, LoadProblem)) for item in items)
    reported = {Path(i.path).name for i in items}
    assert reported == {f"f{i}{suffixes[i]}" for i in range(len(contents))}


@pytest.fixture(scope="module")
def engine(tmp_path_factory, embedder):
    settings = Settings(index_dir=tmp_path_factory.mktemp("hostile") / "index")
    with Newsbot.open(settings, create=True) as app:
        app.add(load_paths([ARTICLES]))
    with Newsbot.open(settings) as app:
        yield app.engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=LONG)
def test_the_engine_answers_or_refuses_any_question(engine, reliability, question):
    reliability.count("Hostile inputs", input="Hypothesis: questions of arbitrary Unicode, answered by the engine",
                      outcome="answered with valid citations or refused")
    try:
        answer = engine.answer(question, today=dt.date(2024, 1, 1))
    except QuestionError:
        return
    assert plain(answer)
    for part in answer.parts:
        assert part.citations and all(1 <= n <= len(answer.citations) for n in part.citations)
    for citation in answer.citations:
        assert citation.sentence in citation.passage
