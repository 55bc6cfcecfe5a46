"""The contract of `PassageStore`: what search, ingest and the answer engine rely on, tested through
the protocol only, so that any implementation can be run against it (add it to IMPLEMENTATIONS).
Vectors are random unit vectors of dimension 8; no model is loaded. A store may keep its vectors
rounded (this one: int8 with a scale in SQLite, float16 in FAISS), within COSINE and SCORE."""

from __future__ import annotations

import dataclasses
import unicodedata
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from tiny import DIMENSION, report, unit, whole, write

from newsbot.index.store import ArticleRef, Filters, Headline, PassageStore, RejectedWrite, SentenceVector, Store, vectors


# What comes back of a unit vector has at least this cosine with the vector written, and a search
# score is within SCORE of the inner product with it (int8 codes of 8 components that may reach
# 0.6: a step of 0.005, half of it at most a component).
COSINE = 0.999
SCORE = 0.005


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@dataclass(frozen=True)
class Implementation:
    """How to open an implementation's store at a directory: a writer, or a reader of it."""

    name: str
    open: Callable[[Path, bool], PassageStore]
    setup: Callable[[pytest.MonkeyPatch], None] = lambda monkeypatch: None
    faiss_index: str | None = None  # what stats() should report after each test, when it matters


def _sqlite_faiss(directory: Path, writable: bool) -> PassageStore:
    if writable:
        return Store.open(directory, model="contract", dimension=DIMENSION, writable=True)
    return Store.open(directory)


IMPLEMENTATIONS = [
    Implementation("sqlite+faiss flat", _sqlite_faiss, faiss_index=vectors.FLAT),
    # the HNSW graph from the first vector on, with tombstones for what is removed or replaced
    Implementation("sqlite+faiss hnsw", _sqlite_faiss, lambda mp: mp.setattr(vectors, "EXACT_UP_TO", -1), vectors.HNSW),
]


@dataclass
class Opened:
    implementation: Implementation
    directory: Path
    store: PassageStore
    rng: np.random.Generator

    def reader(self) -> PassageStore:
        return self.implementation.open(self.directory, False)


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda implementation: implementation.name)
def opened(request, tmp_path: Path, monkeypatch) -> Iterator[Opened]:
    implementation = request.param
    implementation.setup(monkeypatch)
    store = implementation.open(tmp_path / "index", True)
    assert isinstance(store, PassageStore)
    yield Opened(implementation, tmp_path / "index", store, np.random.default_rng(21))
    try:
        assert implementation.faiss_index in (None, store.stats().faiss_index)
    finally:
        store.close()


TEXTS = {
    0: "The harbour ferry resumed service on Sunday after the storm.",
    1: "A rare quillwort fern was found beside the reservoir.",
    2: "The council approved a new cycling bridge over the harbour.",
    3: "Rail workers voted to accept the pay offer.",
}


def reports(first: int = 0, count: int = 4, source: str | None = None):
    return [report(n, TEXTS.get(n), source) for n in range(first, first + count)]


def keys_of(results: list[tuple[int, float]]) -> list[int]:
    return [key for key, _ in results]


def test_what_is_written_reads_back(opened: Opened) -> None:
    store, articles = opened.store, reports()
    stored = write(store, articles, opened.rng)
    keys = list(stored)
    assert len(set(keys)) == 4 and store.vector_count() == 4 and store.dimension == DIMENSION
    found = store.passages(keys + [max(keys) + 1000])
    assert sorted(found) == sorted(keys)
    for key, article in zip(keys, articles):
        assert found[key].key == key and found[key].passage == whole(article)
        assert found[key].article == ArticleRef.of(article)
        assert [f.name for f in dataclasses.fields(found[key].article)] == ["id", "title", "date", "source", "url", "path"]
    sentences = store.sentence_vectors(keys)
    for key, vector in stored.items():
        (sentence,) = sentences[key]
        assert (sentence.start, sentence.end) == (0, len(found[key].passage.text))
        assert sentence.vector.dtype == np.float32 and sentence.vector.shape == (DIMENSION,)
        assert cosine(sentence.vector, vector) >= COSINE
    assert store.known_hashes([articles[0].content_hash, "nope"]) == {articles[0].content_hash}
    assert store.existing_ids([articles[1].id, "nope"]) == {articles[1].id}
    assert store.ids_by_path(["/news/2.txt", "/nowhere.txt"]) == {"/news/2.txt": [articles[2].id]}
    stats = store.stats()
    assert (stats.articles, stats.passages, stats.oldest, stats.newest) == (4, 4, "2024-01-01", "2024-01-04")


def test_an_empty_store_finds_nothing(opened: Opened) -> None:
    store = opened.store
    assert store.vector_count() == 0 and store.passages([1]) == {} and store.sentence_vectors([1]) == {}
    assert store.dense_search(np.ones(DIMENSION) / np.sqrt(DIMENSION), 5) == []
    assert store.keyword_search('"harbour"', 5) == [] and store.term_postings(["harbour"]) == {}
    assert not store.any_article(Filters()) and store.remove(["nope"]) == []


def test_dense_search_ranks_by_inner_product(opened: Opened) -> None:
    store = opened.store
    stored = write(store, reports(0, 4) + [report(n) for n in range(4, 30)], opened.rng)
    matrix = np.vstack(list(stored.values()))
    for key, vector in stored.items():
        results = store.dense_search(vector, 5)
        truth = dict(zip(stored, (matrix @ vector).tolist()))
        assert len(results) == 5 and results[0][0] == key
        scores = [score for _, score in results]
        assert scores == sorted(scores, reverse=True) and scores[0] == pytest.approx(1.0, abs=SCORE)
        assert all(score == pytest.approx(truth[found], abs=SCORE) for found, score in results)
        # the five best, but for passages whose inner products are within the rounding of each other
        weakest = min(truth[found] for found in keys_of(results))
        assert all(score <= weakest + 2 * SCORE for other, score in truth.items() if other not in keys_of(results))
    assert len(store.dense_search(matrix[0], 100)) == 30 and store.dense_search(matrix[0], 0) == []


def test_keyword_search_ranks_passages_that_hold_the_terms(opened: Opened) -> None:
    store = opened.store
    stored = write(store, reports(), opened.rng)
    keys = list(stored)
    assert keys_of(store.keyword_search('"quillwort"', 5)) == [keys[1]]
    harbour = store.keyword_search('"harbour"', 5)
    assert sorted(keys_of(harbour)) == sorted([keys[0], keys[2]]) and harbour[0][1] >= harbour[1][1]
    # stemmed: "voting" finds "voted"; the passage holding more of the terms ranks first
    assert keys_of(store.keyword_search('"voting"', 5)) == [keys[3]]
    assert keys_of(store.keyword_search('"harbour" OR "ferry" OR "storm"', 5))[0] == keys[0]
    assert store.keyword_search('"nosuchword"', 5) == [] and store.keyword_search('"harbour"', 0) == []
    assert store.term_postings(["harbour", "vote", "nosuchword"]) == {"harbour": 2, "vote": 1}


def test_filters_by_date_and_source(opened: Opened) -> None:
    store = opened.store
    stored = write(store, reports(0, 4) + reports(4, 4, source="wire"), opened.rng)
    keys = list(stored)
    by_key = store.passages(keys)
    early = Filters(since=dt.date(2024, 1, 2), until=dt.date(2024, 1, 3))
    wire = Filters(sources=("wire",))
    by_path = Filters(sources=("/news/1.txt",))
    for filters, allowed in ((early, keys[1:3]), (wire, keys[4:]), (by_path, [keys[1]]),
                             (Filters(since=dt.date(2024, 1, 7), sources=("wire",)), keys[6:])):
        assert store.any_article(filters)
        for vector in stored.values():
            assert set(keys_of(store.dense_search(vector, 8, filters))) == set(allowed)
        assert set(keys_of(store.keyword_search('"report" OR "harbour" OR "quillwort"', 8, filters))) <= set(allowed)
        assert all(filters.sources == () or by_key[k].article.source in filters.sources
                   or by_key[k].article.path in filters.sources for k in allowed)
    nothing = Filters(since=dt.date(2025, 1, 1))
    assert not store.any_article(nothing)
    assert store.dense_search(stored[keys[0]], 8, nothing) == [] and store.keyword_search('"harbour"', 8, nothing) == []


def test_a_replaced_article_is_gone_and_its_new_version_found(opened: Opened) -> None:
    store = opened.store
    old = write(store, reports(), opened.rng)
    first = reports()[0]
    edited = report(0, "The harbour ferry was cancelled again on Monday.")
    new = write(store, [edited], opened.rng, replace=[first.id])
    (old_key, old_vector), (new_key, new_vector) = next(iter(old.items())), next(iter(new.items()))
    assert old_key != new_key and store.passages([old_key]) == {} and store.sentence_vectors([old_key]) == {}
    assert old_key not in keys_of(store.dense_search(old_vector, 10))
    assert keys_of(store.dense_search(new_vector, 1)) == [new_key]
    assert keys_of(store.keyword_search('"cancelled"', 5)) == [new_key]
    # the old version's words no longer match; the words both hold find only the new one
    assert store.keyword_search('"resumed" OR "storm" OR "sunday"', 5) == []
    assert store.term_postings(["storm", "ferri", "cancel"]) == {"ferri": 1, "cancel": 1}
    assert keys_of(store.keyword_search('"ferry"', 5)) == [new_key]
    assert store.known_hashes([first.content_hash, edited.content_hash]) == {edited.content_hash}
    assert store.vector_count() == 4 and store.stats().articles == 4


def test_remove_by_id_source_and_path(opened: Opened) -> None:
    store = opened.store
    articles = reports(0, 3) + reports(3, 3, source="wire")
    stored = write(store, articles, opened.rng)
    keys = list(stored)
    assert store.remove([articles[0].id, "nope"]) == [articles[0].id]
    assert sorted(store.remove(sources=["wire"])) == sorted(a.id for a in articles[3:])
    assert store.remove(sources=["/news/1.txt"]) == [articles[1].id]
    assert store.remove([articles[0].id]) == []
    assert store.existing_ids(a.id for a in articles) == {articles[2].id} and store.vector_count() == 1
    assert sorted(store.passages(keys)) == [keys[2]]
    for vector in stored.values():
        assert keys_of(store.dense_search(vector, 5)) == [keys[2]]
    assert keys_of(store.keyword_search('"harbour" OR "quillwort" OR "report"', 10)) == [keys[2]]
    # a removed article's words match nothing, in search or in the term statistics
    assert store.keyword_search('"quillwort" OR "ferry" OR "reservoir"', 10) == []
    assert store.term_postings(["quillwort", "ferri", "harbour", "report"]) == {"harbour": 1}


def test_a_write_is_all_or_nothing(opened: Opened) -> None:
    store = opened.store
    write(store, reports(0, 2), opened.rng)
    fresh, copy = report(7, "A lighthouse keeper retired after forty years."), reports(0, 1)[0]
    renamed = dataclasses.replace(copy, id="another-id", path="/news/copy.txt")
    with pytest.raises(RejectedWrite):
        write(store, [fresh, renamed], opened.rng)
    with pytest.raises(RejectedWrite):
        write(store, [report(8, "Snow closed the mountain pass."), reports(1, 1)[0]], opened.rng)
    assert store.existing_ids([fresh.id, "another-id"]) == set() and store.known_hashes([fresh.content_hash]) == set()
    assert store.keyword_search('"lighthouse" OR "snow"', 5) == [] and store.vector_count() == 2
    assert store.stats().passages == 2
    with pytest.raises(ValueError):
        store.write([fresh], [whole(fresh)], np.zeros((2, DIMENSION), np.float32))
    assert store.existing_ids([fresh.id]) == set()
    assert keys_of(store.dense_search(np.eye(DIMENSION, dtype=np.float32)[0], 5)) != []


def test_flushed_writes_are_seen_by_other_readers_and_by_a_refresh(opened: Opened) -> None:
    store = opened.store
    stored = write(store, reports(0, 2), opened.rng)
    store.flush()
    reader = opened.reader()
    try:
        assert reader.vector_count() == 2 and sorted(reader.passages(list(stored))) == sorted(stored)
        later = write(store, reports(2, 2), opened.rng)
        store.remove([reports(0, 1)[0].id])
        store.flush()
        reader.refresh()
        assert reader.vector_count() == 3 and reader.stats().articles == 3
        for key, vector in later.items():
            assert keys_of(reader.dense_search(vector, 1)) == [key]
        first = next(iter(stored))
        assert first not in keys_of(reader.dense_search(stored[first], 5)) and reader.passages([first]) == {}
    finally:
        reader.close()


def test_sentence_vectors_come_back_in_order(opened: Opened) -> None:
    store, article = opened.store, report(9, "First sentence here. Second one follows. Third ends it.")
    rows = np.eye(DIMENSION, dtype=np.float32)
    spans = [(0, 20), (21, 40), (41, 55)]
    (key,) = store.write([article], [whole(article)], rows[:1],
                         sentences=[[SentenceVector(s, e, rows[i + 1]) for i, (s, e) in reversed(list(enumerate(spans)))]])
    got = store.sentence_vectors([key, key + 1])
    assert list(got) == [key] and [(s.start, s.end) for s in got[key]] == spans
    assert all(np.allclose(s.vector, rows[i + 1]) for i, s in enumerate(got[key]))


# Offsets in each script: Python counts code points, so must the store (an emoji is one code point
# and two UTF-16 units, CJK three UTF-8 bytes, an accent one code point once NFC-composed).
SCRIPTS = [
    "Café owners in Zürich said the crème brûlée tax was naïve. The señora's façade was repainted.",
    "Fans cheered 🎉🎉 as the team won 🏆. Then the mayor waved 👋 from the balcony of the hall.",
    "東京 の 市場 は 月曜日 に 再開 した。 大阪 でも 同じ だった。 Rain fell in 京都 all day.",
    "Ünïcödé everywhere: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 maths letters, Ελληνικά words and кириллица too, then plain words.",
]


def spans(article, count: int = 3) -> list:
    """`count` passages over the article: its text cut at spaces into pieces of about equal length."""
    text, bounds = article.text, [0]
    for n in range(1, count):
        bounds.append(text.index(" ", len(text) * n // count) + 1)
    bounds.append(len(text))
    return [dataclasses.replace(whole(article), id=f"{article.id}:{n}", ordinal=n, start=start, end=end,
                                text=text[start:end]) for n, (start, end) in enumerate(zip(bounds, bounds[1:]))]


def passage_words(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode() + text


def test_passage_texts_are_their_articles_spans_in_any_script(opened: Opened) -> None:
    store, articles = opened.store, [report(10 + n, text) for n, text in enumerate(SCRIPTS)]
    passages = [p for article in articles for p in spans(article)]
    rows = np.eye(DIMENSION, dtype=np.float32)[np.arange(len(passages)) % DIMENSION]
    keys = store.write(articles, passages, rows, sentences=[[SentenceVector(p.start, p.end, row)]
                                                             for p, row in zip(passages, rows)])
    found = store.passages(keys)
    assert [found[key].passage for key in keys] == passages
    by_id = {article.id: article for article in articles}
    assert all(by_id[p.article_id].text[p.start:p.end] == p.text for p in passages)
    assert "".join(p.text for p in passages[3:6]) == articles[1].text
    # words of passages after the first of their article find them (accents folded)
    for term, passage in (('"brulee"', 1), ('"facade"', 2), ('"balcony"', 5), ('"大阪"', 7), ('"京都"', 8),
                          ('"кириллица"', 10), ('"plain"', 11)):
        assert term.strip('"') in passage_words(passages[passage].text)
        assert keys_of(store.keyword_search(term, 5)) == [keys[passage]], term


def test_headlines_are_kept_with_their_articles(opened: Opened) -> None:
    store = opened.store
    articles = reports()
    write(store, articles, opened.rng)
    first, second = (Headline(a.id, f"Headline of report {n} on the harbour", unit(opened.rng.normal(size=(1, DIMENSION)))[0])
                     for n, a in enumerate(articles[:2]))
    assert store.headlines([a.id for a in articles]) == {}
    assert {ref.id for ref, _ in store.without_headline(10)} == {a.id for a in articles}
    # headlines of articles already indexed join them in a write of their own; so does having none
    none = Headline(articles[2].id, None, None)
    store.write([], [], np.zeros((0, DIMENSION), np.float32), headlines=[first, second, none])
    found = opened.reader().headlines([a.id for a in articles] + ["nope"])
    assert sorted(found) == sorted([first.article_id, second.article_id])
    assert found[first.article_id].text == first.text and cosine(found[first.article_id].vector, first.vector) >= COSINE
    assert [(ref.id, opening) for ref, opening in store.without_headline(10)] == [(articles[3].id, articles[3].text[:10])]
    # a replaced article loses its headline unless the write brings a new one; a removed one loses it
    edited = report(0, "The harbour ferry was cancelled again on Monday.")
    write(store, [edited], opened.rng, replace=[articles[0].id])
    store.remove([articles[1].id])
    assert store.headlines([articles[0].id, articles[1].id, edited.id]) == {}
