"""Which written words are terms: stop words are not, unless news uses them as nouns or names."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newsbot.index.search import keyword_query
from newsbot.index.stopwords import terms
from newsbot.index.store import Store
from tests.index.tiny import DIMENSION, report, write


def test_stop_words_written_as_part_of_a_name_are_terms() -> None:
    assert terms("What did Will Smith do at the Oscars?") == ["will", "smith", "oscars"]
    assert terms("Theresa May will resign, she said.") == ["theresa", "may", "resign", "said"]
    assert terms("Who freed the Ever Given?") == ["freed", "ever", "given"]
    assert terms("Is the US economy shrinking, and what did the WHO say?") == ["us", "economy", "shrinking", "who", "say"]


def test_stop_words_stay_out_where_they_are_not_names() -> None:
    assert terms("Will Biden run again? Tell us more.") == ["biden", "run", "tell"]
    assert terms("The New York Times wrote about the Bank of England.") == ["new", "york", "times", "wrote", "bank", "england"]
    assert terms("US AND UK TO MEET ON TRADE") == ["uk", "meet", "trade"], "a headline in capitals has no acronyms to tell"


def test_news_nouns_on_the_general_stop_list_are_terms() -> None:
    assert terms("How many acres did the fire burn before the bill on interest passed?") == [
        "acres", "fire", "burn", "bill", "interest", "passed"]


def test_a_name_made_of_stop_words_finds_its_passage(tmp_path: Path) -> None:
    """Keyword search over real FTS5: "Will" in "Will Tolley" is what tells the two reports apart."""
    articles = [report(1, "Will Tolley opened the harbour festival on a cold and windy Saturday."),
                report(2, "Ann Tolley opens the festival.")]
    with Store.open(tmp_path / "index", model="test", dimension=DIMENSION, writable=True) as store:
        keys = write(store, articles, np.random.default_rng(0))
        hits = store.keyword_search(keyword_query("Who did Will Tolley open?"), 2)
    assert [key for key, _ in hits][0] == list(keys)[0]
