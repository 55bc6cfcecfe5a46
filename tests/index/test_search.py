"""Hybrid, dense and keyword retrieval over the fixture index, with filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import snowballstemmer

from newsbot.app import Newsbot
from newsbot.index.embedding import Embedder
from newsbot.index.search import Mode, QueryError, Searcher, keyword_query, reciprocal_rank_fusion
from newsbot.index.store import Filters, Store
from newsbot.settings import Settings


@pytest.fixture
def searcher(built_index: Path, embedder: Embedder):
    with Newsbot.open(Settings(index_dir=built_index)) as app:
        yield app.searcher


def titles(hits) -> list[str]:
    return [hit.article.title for hit in hits]


def test_a_rare_exact_keyword_is_found(searcher: Searcher) -> None:
    for mode in (Mode.KEYWORD, Mode.HYBRID):
        hits = searcher.search("quillwort", k=3, mode=mode)
        assert hits[0].passage.text.startswith("A rare quillwort fern"), mode


def test_a_paraphrase_without_shared_words_is_found(searcher: Searcher) -> None:
    question = "Which fruit crop was ruined by freezing weather?"
    assert searcher.search(question, k=3, mode=Mode.KEYWORD) == [] or \
        "apricot" not in searcher.search(question, k=1, mode=Mode.KEYWORD)[0].passage.text
    for mode in (Mode.DENSE, Mode.HYBRID):
        hit = searcher.search(question, k=3, mode=mode)[0]
        assert "apricot" in hit.passage.text, mode


def test_hits_carry_metadata_offsets_and_ranks(searcher: Searcher) -> None:
    hit = searcher.search("rail strike pay offer", k=2)[0]
    assert hit.article.id == "wire-001" and hit.article.url == "https://news.example.org/rail-strike"
    assert searcher.store.article(hit.article.id).text[hit.passage.start:hit.passage.end] == hit.passage.text
    assert not hasattr(hit.article, "text") and not hasattr(hit.article, "content_hash"), "a hit carries no body"
    assert hit.rank == 1 and hit.dense_rank is not None and hit.keyword_rank is not None


def test_date_and_source_filters(searcher: Searcher) -> None:
    march = Filters(since=dt.date(2023, 3, 1), until=dt.date(2023, 3, 31))
    for mode in Mode:
        hits = searcher.search("harbour terminal frost strike library", k=10, mode=mode, filters=march)
        assert hits and all(h.article.date and dt.date(2023, 3, 1) <= h.article.date <= dt.date(2023, 3, 31)
                            for h in hits), mode
    only_wire = Filters(sources=("Example Wire",))
    assert {h.article.id for h in searcher.search("strike", k=10, filters=only_wire)} == {"wire-001"}
    assert searcher.search("strike", filters=Filters(since=dt.date(2030, 1, 1))) == []


def test_empty_queries_are_refused(searcher: Searcher) -> None:
    with pytest.raises(QueryError):
        searcher.search("   ")
    with pytest.raises(QueryError, match="no searchable words"):
        searcher.search("the of and ?!", mode=Mode.KEYWORD)
    assert searcher.search("the of and ?!", k=2, mode=Mode.HYBRID)


def test_keyword_query_drops_stop_words_and_quotes_terms() -> None:
    assert keyword_query('What did "Kim" say about the U.S.?') == '"kim" OR "say"'
    assert keyword_query("the and of") == ""


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 4, 1]], k=60)
    assert [key for key, _ in fused][:2] == [1, 3]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)


def test_keyword_terms_are_kept_rarest_first_within_the_share_and_postings_budget(built_index: Path) -> None:
    with Store.open(built_index) as store:
        postings = store.term_postings(["the", "said", "quillwort", "nosuchterm"])
        quillwort = len(store.keyword_search('"quillwort"', k=1000))
    assert postings["quillwort"] == quillwort and "nosuchterm" not in postings
    assert 0 < postings["quillwort"] < postings["the"]
    stem = snowballstemmer.stemmer("porter").stemWord
    counts = {stem("officials"): 60_000, stem("say"): 3_000, stem("harbour"): 15_000, stem("quillwort"): 100}
    question = "What did officials say about the quillwort in the harbour?"
    assert keyword_query(question, counts, 1_000_000) == '"say" OR "quillwort" OR "harbour"'
    assert keyword_query(question, counts, 100_000) == '"say" OR "quillwort"'
    assert keyword_query(question, counts, 20_000) == '"quillwort"'
    assert keyword_query(question, counts | {stem("harbour"): 18_000}, 1_000_000) == '"say" OR "quillwort"'
    assert keyword_query("officials", counts, 100_000) == '"officials"'
