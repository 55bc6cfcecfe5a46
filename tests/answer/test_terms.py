"""Content words and their stems, which evidence scoring compares between a question and a sentence."""

from __future__ import annotations

from newsbot.answer import terms
from newsbot.answer.terms import content_terms, stems


def test_content_terms_drop_stop_words_and_single_letters_and_keep_case_folded_words() -> None:
    assert content_terms("The Harbour's new CHIEF, named on Monday: a 3-year term") == [
        "harbour", "new", "chief", "named", "monday", "year", "term"]


def test_inflections_share_a_stem_and_accented_words_are_words() -> None:
    assert stems("Regulators approved the merger") & stems("the regulator approves mergers") == {
        "regul", "approv", "merger"}
    assert "zurich" in stems("Flights to Zürich resumed")


def test_a_name_typed_without_its_accents_is_the_same_term() -> None:
    """Questions are often typed on keyboards without accents: "Mbappe" asks about "Mbappé"."""
    assert stems("Who is Mbappe?") <= stems("Kylian Mbappé scored twice")
    assert stems("Beyonce's tour") == stems("Beyoncé's tour")


def test_stems_come_from_the_c_build_of_snowball() -> None:
    """PyStemmer is a dependency: the pure-Python stemmer gives the same stems 15 times slower."""
    assert type(terms._STEMMER).__module__ == "Stemmer"
