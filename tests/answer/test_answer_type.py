"""The answer type a question asks for, and the candidates of that type in a sentence."""

from __future__ import annotations

import pytest

from newsbot.answer.answer_type import (
    AMOUNT, DATE, NAME, NUMBER, PERSON, PLACE, Expected, candidates, expected_type, new_candidates)

QUESTIONS = [
    ("Who designed the footbridges in the county?", PERSON, True),
    ("The council met on Monday. In what year will the comet pass the Sun?", DATE, True),
    ("When did the floods halt the work?", DATE, True),
    ("How many people does the bakery employ?", NUMBER, True),
    ("What percentage of voters backed the bridge?", NUMBER, True),
    ("What is the price of the new river crossing?", AMOUNT, True),
    ("Where did the bakery open its fortieth shop?", PLACE, True),
    ("Which country will host the next summit?", PLACE, True),
    ("Which company opened a shop in Tilby?", NAME, True),
    ("Which prize did the observatory win?", NAME, False),
    ("Which senator, who chairs the committee, voted no?", PERSON, True),
    ("What did the council approve?", None, False),
]


@pytest.mark.parametrize(("question", "kind", "confident"), QUESTIONS)
def test_expected_type(question: str, kind: str | None, confident: bool) -> None:
    assert expected_type(question) == Expected(kind, confident)


SENTENCE = ("Ada Thorne, the engineer, told the Marlow Gazette on Tuesday, March 5, 2024 that the bridge "
            "in Marlow would cost £12 million, 8% more than planned in 2023, and employ forty people.")


def test_candidates_of_each_type() -> None:
    assert candidates(SENTENCE, PERSON) == ["Ada Thorne", "Marlow Gazette", "Marlow"]
    assert candidates(SENTENCE, DATE) == ["Tuesday", "March 5, 2024", "2023"]
    assert candidates(SENTENCE, NUMBER) == ["£12 million", "8%", "forty"]
    assert candidates(SENTENCE, PLACE) == ["Marlow"]
    assert candidates(SENTENCE, None) == []


def test_a_sentence_opening_word_is_no_name() -> None:
    assert candidates("The council of Marlow met. In May they voted.", PERSON) == ["Marlow"]


def test_candidates_already_in_the_question_do_not_count() -> None:
    who = expected_type("Who told the Marlow Gazette about the bridge?")
    assert new_candidates(SENTENCE, who, "Who told the Marlow Gazette about the bridge?") == ["Ada Thorne"]
    year = expected_type("Was the cost planned in 2023, and in what year was it raised?")
    assert new_candidates("The cost was planned in 2023.", year, "planned in 2023 what year raised") == []
    assert new_candidates("Beyoncé's father worked for Xerox.", Expected(NAME, True), "Beyonce's father?") == ["Xerox"]


@pytest.mark.parametrize(("question", "kind"), [
    ("Which coastal town did the floods reach first?", PLACE),
    ("Which tech company bought the bakery chain?", NAME),
    ("According to a poll after Doe v. Roe, what percentage of voters backed the bridge?", NUMBER),
    ("What did the president of the council say?", None),
])
def test_a_type_noun_may_follow_a_modifier_or_an_abbreviation(question: str, kind: str | None) -> None:
    assert expected_type(question).kind == kind


def test_how_much_money_asks_for_an_amount_and_counts_are_no_amounts() -> None:
    assert expected_type("How much did the new ferry terminal cost?").kind == AMOUNT
    assert expected_type("How much is the brewer's takeover of the dairy worth?").kind == AMOUNT
    assert expected_type("How much rain fell on Sunday?").kind == NUMBER
    sentence = "The terminal, which cost $310 million, can handle 1.2 million containers a year."
    assert candidates(sentence, AMOUNT) == ["$310 million"]
    assert candidates("The club paid 40 million euros for him.", AMOUNT) == ["40 million euros"]
