"""Over a real index: a candidate that other articles name too (news repeats its answers) leads a
sentence's candidates, and the scorer's support feature counts those articles."""

from __future__ import annotations

import datetime as dt

import pytest

from newsbot.answer.answer_type import expected_type
from newsbot.answer.select import FEATURES, SUPPORT, sentence_features
from newsbot.app import Newsbot
from newsbot.settings import Settings

from shared import dated_index

ARTICLES = [
    ("2025-03-03", "Orvane harbour authority gets a new chief",
     "The Orvane harbour authority named Lena Okafor as its new chief on Monday, replacing Tomas Wirth."),
    ("2025-03-04", "A port engineer for Orvane",
     "Lena Okafor, a former port engineer, will lead the Orvane harbour authority from April."),
    ("2025-03-04", "Orvane harbour plan draws critics",
     "Critics of the Orvane harbour expansion said Lena Okafor faces a difficult first year at the authority."),
]
QUESTION = "Who will lead the Orvane harbour authority?"


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedder) -> Settings:
    return dated_index(tmp_path_factory.mktemp("support") / "index", ARTICLES)


def test_the_name_other_articles_repeat_leads_and_counts_as_support(settings) -> None:
    with Newsbot.open(settings) as app:
        engine = app.engine
        query = engine.query(QUESTION, dt.date(2025, 3, 6))
        passages = engine.rerank.run(query, engine.retrieve.run(query))
        scored = engine.select.scored(query, passages)
        features = {s.text: f for s, f in sentence_features(query, passages, expected_type(QUESTION))}
    named = next(s for s in scored if "replacing Tomas Wirth" in s.evidence.text)
    assert named.candidates == ("Lena Okafor", "Tomas Wirth") and named.lead
    support = FEATURES.index("support")
    assert features[named.evidence.text].values[support] == pytest.approx(2 / SUPPORT)
    critics = next(s for s in scored if "Critics" in s.evidence.text)
    assert critics.candidates[0] == "Lena Okafor"


def test_support_counts_the_articles_of_every_ranked_passage_not_only_those_read(settings) -> None:
    """The scorer was fitted with support counted over all re-ranked passages; reading fewer must
    not make a repeated name look unsupported."""
    with Newsbot.open(settings) as app:
        engine = app.engine
        query = engine.query(QUESTION, dt.date(2025, 3, 6))
        passages = engine.rerank.run(query, engine.retrieve.run(query))
        rows = list(sentence_features(query, passages, expected_type(QUESTION), read=1))
    assert len(passages) == 3 and rows and all(s.hit.rank == 1 for s, _ in rows)
    support = FEATURES.index("support")
    named = [f for s, f in rows if "Lena Okafor" in s.text]
    assert named and all(f.values[support] == pytest.approx(2 / SUPPORT) for f in named)
    assert all(f.candidates[0] == "Lena Okafor" for f in named)
