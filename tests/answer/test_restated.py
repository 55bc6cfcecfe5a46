"""One wire story in two outlets is one answer sentence citing both, even when each outlet's copy
reads differently around it (a dateline, other paragraphs), so their sentence vectors differ; a
copy with another number or day is other news and keeps its own sentence."""

from __future__ import annotations

import datetime as dt

from newsbot.answer.terms import restates

TODAY = dt.date(2025, 9, 20)
WIRE = ("The Harwick ferry company will stop taking cash payments on board from October 1, "
        "its chief executive Mira Solberg said on Tuesday.")
ARTICLES = [
    ("2025-09-16", "Harwick ferries to go cashless",
     f"{WIRE} Tickets can still be bought with cash at the harbour office.\n\n"
     "Passenger groups said older travellers would find the change hard."),
    ("2025-09-17", "Island news in brief",
     "The island's summer festival drew a record crowd of 4,000 visitors, the organisers said. The "
     "lifeboat crew held its open day at the old boathouse, and the bakery on Quay Street won a prize for "
     f"its bread. {WIRE} The council meets again on Friday."),
    ("2025-09-02", "Harwick library extends its hours",
     "The Harwick library will open until eight on weekdays from next month, the council said."),
]


def test_the_same_wire_sentence_in_two_outlets_is_written_once_and_cited_to_both(module_engine) -> None:
    engine = module_engine
    question = "When will the Harwick ferry company stop taking cash on board?"
    query = engine.query(question, TODAY)
    sentences = engine.select.scored(query, engine.rerank.run(query, engine.retrieve.run(query)))
    copies = [s.evidence for s in sentences if "stop taking cash payments" in s.evidence.text]
    assert len(copies) == 2 and float(copies[0].vector @ copies[1].vector) < engine.config.composition.duplicate_above, \
        "the copies read differently in their passages, so their vectors alone would not merge them"
    answer = engine.answer(question, today=TODAY)
    written = [p for p in answer.parts if "stop taking cash payments" in p.text]
    assert len(written) == 1 and len(written[0].citations) == 2
    assert {answer.citations[n - 1].title for n in written[0].citations} == {
        "Harwick ferries to go cashless", "Island news in brief"}


def test_restating_needs_nearly_the_same_words_and_the_same_numbers_and_names() -> None:
    assert restates(WIRE, f"HARWICK – {WIRE}", 0.8), "a dateline is no news"
    assert restates("Target stores to stop taking personal checks for payment July 15",
                    "Target to stop taking personal checks for payment July 15", 0.8)
    assert not restates("The death toll rose to 45 on Monday, officials said.",
                        "The death toll rose to 52 on Monday, officials said.", 0.8), "another number"
    assert not restates("Police gave an update on Thursday afternoon on the search for the escaped prisoner.",
                        "Police gave an update on Wednesday afternoon on the search for the escaped prisoner.", 0.8), \
        "another day"
    assert not restates(WIRE, "The Harwick ferry company said on Tuesday that fares will rise next year.", 0.8)
