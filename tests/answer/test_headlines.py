"""An article's headline is a statement of its own: the answer quotes it when it holds what the
question asks and the article's sentences do not, cited to its article without offsets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsbot.app import Newsbot
from newsbot.cli.main import main
from newsbot.index.articles import make_article
from newsbot.settings import Settings

TODAY = dt.date(2025, 5, 14)
ARTICLES = [
    ("2025-05-12", "Tilby council picks Rosa Venn as its new harbour master",
     "The town council of Tilby made its choice on Monday after a search of three months. The new harbour "
     "master starts in June and will run the ferry terminal.\n\nSeven people applied for the post."),
    ("2025-05-09", "Ferry terminal in Tilby to get a new roof",
     "Work on the roof of the Tilby ferry terminal begins next week. The repairs will cost 300,000 pounds, "
     "the council said."),
    ("2025-05-02", "Dunmere library reopens after repairs",
     "The Dunmere library reopened on Friday after a year of repairs. It now opens on Sundays too."),
]
QUESTION = "Who is Tilby's new harbour master?"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("headlines") / "index"
    articles = [make_article(text, path=f"fixture/{n}.txt", title=title, date=dt.date.fromisoformat(day))
                for n, (day, title, text) in enumerate(ARTICLES)]
    with Newsbot.open(Settings(index_dir=directory), create=True) as app:
        app.add(articles)
    return directory


def test_the_headline_that_names_the_answer_is_quoted_and_cited_without_offsets(index: Path) -> None:
    with Newsbot.open(Settings(index_dir=index)) as app:
        answer = app.engine.answer(QUESTION, today=TODAY)
    assert not answer.abstained and answer.parts[0].text == "Tilby council picks Rosa Venn as its new harbour master."
    cited = answer.citations[answer.parts[0].citations[0] - 1]
    assert cited.headline and (cited.start, cited.end) == (None, None)
    assert cited.sentence == cited.title == ARTICLES[0][1] and cited.date == dt.date(2025, 5, 12)


def test_ask_json_marks_a_headline(capsys, index: Path) -> None:
    assert main(["ask", QUESTION, "--index", str(index), "--json", "--ref-date", TODAY.isoformat()]) == 0
    citations = json.loads(capsys.readouterr().out)["citations"]
    headline = next(c for c in citations if c["headline"])
    assert (headline["sentence"], headline["start"], headline["end"]) == (ARTICLES[0][1], None, None)
    assert all(c["end"] - c["start"] == len(c["sentence"]) for c in citations if not c["headline"])
