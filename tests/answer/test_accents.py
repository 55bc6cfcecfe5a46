"""A name asked without its accents, as it is typed on most keyboards, finds the articles that
write it with them."""

from __future__ import annotations

import datetime as dt

import pytest


TODAY = dt.date(2025, 5, 6)
SCORER = "The striker Joël Mbekwé scored twice in the second half, and the goalkeeper saved a late penalty."
ARTICLES = [
    ("2025-05-04", "Tilby Rovers win the county cup",
     f"Tilby Rovers won the county cup on Saturday, beating Harwick Town 3-1 at the riverside ground. {SCORER}\n\n"
     "It is the club's first trophy in twelve years."),
    ("2025-04-20", "Harwick ferry fares to rise",
     "Ferry fares between Harwick and the islands will rise by five percent in June, the operator said."),
]


@pytest.mark.parametrize("question", ["Who is Joel Mbekwe?", "Who is Joël Mbekwé?"])
def test_a_name_is_found_with_or_without_its_accents(module_engine, question: str) -> None:
    answer = module_engine.answer(question, today=TODAY)
    assert not answer.abstained and answer.parts[0].text == SCORER
