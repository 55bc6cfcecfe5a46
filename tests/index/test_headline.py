"""Which titles are headlines an answer may quote, and in what words."""

from __future__ import annotations

import datetime as dt

import pytest

from newsbot.index.headline import headline

DAY = dt.date(2025, 6, 2)
BODY = "The ferry company confirmed the change on Monday.\n\nMore details follow."


@pytest.mark.parametrize("title, quoted", [
    ("Harbour ferry to run all night from July", "Harbour ferry to run all night from July"),
    ("Harbour ferry to run all night from July | Coastal News", "Harbour ferry to run all night from July"),
    ("Harbour ferry to run all night from July | Coastal News ...", "Harbour ferry to run all night from July"),
    ("Harbour ferry to run all night from July - CNN", "Harbour ferry to run all night from July"),
    ("Harbour ferry to run all night from July – 24/7 Wall St.", "Harbour ferry to run all night from July"),
    ("  Harbour ferry   to run all night\nfrom July ", "Harbour ferry to run all night from July"),
    # a dash before words of the headline's own is not a site's name
    ("Ferry fares rise again — and riders are angry", "Ferry fares rise again — and riders are angry"),
    # cut short by a search page, a question, too short to state anything
    ("Harbour ferry to run all night from July after a ...", None),
    ("Harbour ferry to run all night from July after a…", None),
    ("Will the harbour ferry run all night?", None),
    ("Harbour ferry news", None),
    ("Harbour | Coastal News", None),
    # the title of a page that changes by the hour, or shows rather than tells
    ("Live: Harbour ferry runs through the night", None),
    ("Storm live updates: Harbour ferry stops for the night", None),
    ("Photos: Harbour ferry runs through the night", None),
    ("Fact check: Harbour ferry did not stop for the night", "Fact check: Harbour ferry did not stop for the night"),
])
def test_a_title_is_quoted_without_the_site_s_name_when_it_is_a_whole_statement(title: str, quoted: str | None) -> None:
    assert headline(title, DAY, BODY) == quoted


def test_an_undated_article_s_title_names_a_subject() -> None:
    assert headline("Harbour ferry to run all night from July", None, BODY) is None


def test_a_title_made_from_the_first_sentence_is_quoted_as_that_sentence() -> None:
    first = "The ferry company confirmed the change on Monday."
    assert headline(first, DAY, BODY) is None
    assert headline("The ferry company confirmed the change", DAY, "The ferry  company\nconfirmed the change on Monday.") is None
