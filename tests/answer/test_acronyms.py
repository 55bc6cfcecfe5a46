"""A question's acronym counts as found in a sentence that spells the name out: news stories name an
institution in full where a quiz question uses its initials."""

from __future__ import annotations

import datetime as dt

import pytest

from newsbot.answer.evidence import spelled_out
from newsbot.settings import Settings

from shared import dated_index, reranked

ARTICLES = [
    ("2025-05-12", "Quay shut after storm",
     "The Orvane Port Authority shut the north quay on Monday after a storm damaged its cranes."),
    ("2025-05-13", "Dockers wait for news",
     "Dockers gathered at the harbour gates on Tuesday, waiting to hear when work would resume."),
]


def test_spellings_are_found_by_their_initials_with_small_joining_words() -> None:
    texts = ["The Federal Bureau of Investigation and the North Atlantic Treaty Organization met.",
             "The European Central Bank raised rates. An ECB official spoke."]
    found = spelled_out("Did the FBI, NATO or the ECB say anything? And the IMF?", texts)
    assert found == {"fbi": frozenset({"Federal Bureau of Investigation"}),
                     "nato": frozenset({"North Atlantic Treaty Organization"}),
                     "ecb": frozenset({"European Central Bank"})}
    assert spelled_out("WHAT DID THE ECB DO?", texts) == {}  # a shouted question has no acronyms to tell
    assert spelled_out("What did the MP say?", ["Maria Perez said no."]) == {}  # two letters fit any name


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedder) -> Settings:
    return dated_index(tmp_path_factory.mktemp("acronyms") / "index", ARTICLES)


def test_the_spelled_out_name_counts_as_the_question_word(settings) -> None:
    passages = reranked(settings, "What did the OPA close?", dt.date(2025, 5, 14))
    shut = next(s for p in passages for s in p.sentences if "north quay" in s.text)
    waiting = next(s for p in passages for s in p.sentences if "Dockers" in s.text)
    assert shut.terms > 0 and waiting.terms == 0
    assert passages[0].hit.article.title == "Quay shut after storm"
