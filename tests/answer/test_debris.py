"""Questions and page furniture are never quoted; ordinary news sentences are."""

from __future__ import annotations

import pytest

from newsbot.answer.debris import debris_kind, is_debris

DEBRIS = [
    ("Which river does the new Marlow bridge cross?", "question"),
    ("“Could the vote have gone the other way?”", "question"),
    ("(Is the bakery open on Sundays?)", "question"),
    ("9:14 am ET March 3, 2024 Share this update with your friends", "call to action"),
    ("Updated 4:05 PM GMT, Tue March 5, 2024", "timestamp"),
    ("6:40 p.m.", "timestamp"),
    ("Follow her on social media @marlowreporter.", "call to action"),
    ("Sign up here for our weekly bridges newsletter.", "call to action"),
    ("Subscribe to the Marlow Gazette today.", "call to action"),
    ("You can subscribe to Bridge Talk wherever you get your podcasts:", "call to action"),
    ("Stay in the conversation on bridges: Sign up for the Marlow Morning newsletter", "call to action"),
    ("Tilby Times staff contributed to this report.", "call to action"),
    ("By Oona Pellow and Rafe Tindall", "byline"),
    ("By Oona Pellow, eighth grade, Tilby Academy", "byline"),
    ("Rafe Tindall/AFP/Getty Images", "credit"),
    ("Hide Caption 3 of 12 Photos: The bridge site under water on Wednesday.", "credit"),
    ("Read more", "call to action"),
    ("ET", "timestamp"),
    ("LOCAL WEATHER:", "fragment"),
    ("has unveiled a plan to spend 12 million pounds on the bridge.", "fragment"),
    ("and two new footbridges over the canal.", "fragment"),
    ("Marlow's best bakery for 2025 named", "headline"),
    ("More:Tilby council approves the river bridge after a long debate", "call to action"),
    ("Opinion:Tilby must keep its ferry running all winter.", "call to action"),
    ("Analysis:Why the Marlow bridge vote went the way it did", "call to action"),
    ("Bridge vote:Tilby council approves the river bridge after a long debate", "headline"),
    ("Bridge vote:Marlow councillors back the plan by nine to four after a long and heated debate on Tuesday",
     "headline"),
    ("'A long wait:'Tilby ferry returns after two years", "headline"),
]

KEPT = [
    "The bridge will cost 12 million pounds.",
    '"Why build it now?" the mayor asked the council.',
    'One councillor said: "Who will pay for the upkeep?"',
    "Following the vote, work is due to start in May.",
    "By Friday evening, the river had fallen by half a metre.",
    "iPhone sales in Tilby rose by a tenth after the bridge opened.",
    "de Vries, the engineer, said the bridge would open in May.",
    "Tilby:Two more wells near the harbour show raised levels of salt, officials said.",
    "Owners can sign up for the recall and a free return kit at the maker's website.",
    "Opinion: the council was right to wait, the mayor wrote in a letter to the Gazette.",
    "By 2031 the comet will pass closest to the Sun.",
    "Shares of Crumb & Co rose 4% on Monday.",
    "Sharing the cost, the county will pay a third.",
    "At 4:30 the council voted nine to four for the bridge.",
    "Supporters outnumbered opponents 3:1 at the meeting.",
    'The mayor said: "We will build it."',
    "He set out the council's plan for the bridge in its spring report:",
    "Crumb & Co (renamed in 2019 from Crumb:Tilby) opened a second shop on Friday.",
    # a long sentence whose full stop the page lost is still a sentence
    "The new ferry is paid for with four million pounds of county money, the transport committee said on Monday",
]


@pytest.mark.parametrize(("sentence", "kind"), DEBRIS)
def test_debris_is_recognised_with_its_kind(sentence: str, kind: str) -> None:
    assert debris_kind(sentence) == kind


@pytest.mark.parametrize("sentence", KEPT)
def test_news_sentences_are_kept(sentence: str) -> None:
    assert not is_debris(sentence), debris_kind(sentence)
