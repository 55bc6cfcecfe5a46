"""Ingest: the chunking thread ahead of the encoder (order kept, its errors raised, stopped when
abandoned), and input streamed in groups (any size, duplicates, ids and one-article files kept
apart across groups, bad lines reported, an interrupted run taken up again)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from archive import fixture_sentences, write_archive
from tiny import DIMENSION, report, write

from newsbot.index.articles import Article, LoadProblem, load_paths, make_article
from newsbot.index.embedding import Embedder
from newsbot.index.ingest import POOLED, SEPARATE, _prefetched, ingest, plan
from newsbot.index.report import KEPT_PROBLEMS, IngestReport
from newsbot.index.store import DB_FILE, Store


def test_steps_arrive_in_order_and_errors_reach_the_caller():
    assert list(_prefetched(iter(range(10)))) == list(range(10))

    def broken():
        yield 1
        raise ValueError("bad article")

    with pytest.raises(ValueError, match="bad article"):
        list(_prefetched(broken()))


def test_an_abandoned_run_stops_its_thread():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    for item in _prefetched(endless()):
        if item == 3:
            break
    assert not any(t.name == "newsbot-chunking" for t in threading.enumerate())
    assert len(produced) < 10


class Counting:
    """The session's real model, keeping every text ingest asks it to encode."""

    def __init__(self, model: Embedder) -> None:
        self.model = model
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return self.model.encode(texts)

    def encode_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]):
        self.texts += texts
        return self.model.encode_with_spans(texts, spans)


@pytest.fixture
def store(tmp_path: Path, embedder: Embedder) -> Iterator[Store]:
    with Store.open(tmp_path / "index", model=embedder.name, dimension=embedder.dimension, writable=True) as store:
        yield store


@pytest.fixture
def tiny_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "tiny", model="tiny", dimension=DIMENSION, writable=True) as store:
        yield store


def test_plan_reads_an_endless_input_a_group_at_a_time(tiny_store: Store) -> None:
    produced = 0

    def endless() -> Iterator[Article]:
        nonlocal produced
        while produced < 1000:
            yield report(produced)
            produced += 1
        raise AssertionError("plan read the whole input before its first group")

    first = list(islice(plan(tiny_store, endless(), IngestReport(), group=10), 25))
    assert [article.id for article, _ in first] == [report(n).id for n in range(25)]
    assert produced <= 25 + 10 + 1


def test_plan_keeps_duplicates_ids_and_one_article_files_across_groups(tiny_store: Store) -> None:
    old_one = make_article("Old text of file one.", path="/news/one.txt")
    write(tiny_store, [old_one, report(5),
                       make_article("Old fixed.", path="/news/feed.jsonl", article_id="fixed"),
                       make_article("Old feed line.", path="/news/feed.jsonl", article_id="gone"),
                       make_article("Old single line.", path="/news/single.jsonl", article_id="single-old")],
          np.random.default_rng(0))
    one = make_article("New text of file one.", path="/news/one.txt")
    broken = LoadProblem("/news/feed.jsonl", "broken JSON", 1)
    fixed = make_article("New fixed.", path="/news/feed.jsonl", article_id="fixed")
    other_line = make_article("Another feed line.", path="/news/feed.jsonl")
    single = make_article("New single line.", path="/news/single.jsonl")
    items = [one, broken, fixed, other_line,
             make_article(report(5).text, path="/news/copy.txt"),
             make_article("New fixed.", path="/news/other.txt"),
             make_article("Different text.", path="/news/other2.txt", article_id="fixed"),
             single]
    result = IngestReport()
    todo = list(plan(tiny_store, iter(items), result, group=2))
    assert todo == [(one, [old_one.id]), (fixed, ["fixed"]), (other_line, []), (single, ["single-old"])]
    assert result.duplicates == 2
    assert [p.message for p in result.problems] == ["broken JSON", "article id 'fixed' given twice; kept the first"]


def test_a_jsonl_over_the_old_limit_is_indexed_and_its_bad_lines_reported(store: Store, embedder: Embedder,
                                                                         tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive.jsonl")
    counting = Counting(embedder)
    result = ingest(store, counting, load_paths([archive.path]))
    assert (result.added, result.updated, result.duplicates) == (len(archive.good_ids) + 1, 0, archive.copies - 1)
    assert result.problem_count == len(archive.problems) > KEPT_PROBLEMS == len(result.problems)
    assert [p.line for p in result.problems] == sorted(archive.problems)[:KEPT_PROBLEMS]
    assert all(archive.problems[p.line] in p.message for p in result.problems)
    assert store.existing_ids(archive.good_ids) == set(archive.good_ids)
    assert store.stats().articles == result.added and store.stats().passages == result.passages
    digest = store.article(make_article(archive.digest, path="").id)
    passages = [passage.text for passage, _ in store.article_passages(digest.id)]
    assert passages and all(counting.texts.count(text) == 1 for text in passages), "copies never reach the model"


def test_an_interrupted_run_goes_on_where_it_stopped_and_encodes_nothing_twice(store: Store, embedder: Embedder) -> None:
    sentences = fixture_sentences()
    many = [make_article(f"Archive item {n}. " + " ".join(sentences[(n + k) % len(sentences)] for k in range(5)),
                         path=f"/archive/{n}.txt") for n in range(24)]

    def interrupted() -> Iterator[Article]:
        yield from many[:16]
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        ingest(store, Counting(embedder), interrupted(), commit_every=3, group=4)
    done = store.existing_ids(a.id for a in many)
    assert 0 < len(done) < 16
    again = Counting(embedder)
    result = ingest(store, again, many, commit_every=3, group=4)
    assert (result.added, result.updated, result.duplicates) == (24 - len(done), 0, len(done))
    assert store.existing_ids(a.id for a in many) == {a.id for a in many}
    encoded = {int(n) for text in again.texts for n in re.findall(r"Archive item (\d+)\.", text)}
    assert encoded == {n for n, a in enumerate(many) if a.id not in done}


def test_an_edited_one_article_jsonl_replaces_its_old_version(store: Store, embedder: Embedder, tmp_path: Path) -> None:
    folder = (tmp_path / "feeds").resolve()
    folder.mkdir()
    single, pair = folder / "single.jsonl", folder / "pair.jsonl"
    single.write_text(json.dumps({"text": "The ferry timetable changes in May."}) + "\n", encoding="utf-8")
    pair.write_text(json.dumps({"text": "The bridge reopens on Monday."}) + "\n"
                    + json.dumps({"text": "The market moves to the square."}) + "\n", encoding="utf-8")
    assert ingest(store, embedder, load_paths([folder]), group=1).added == 3
    single.write_text(json.dumps({"text": "The ferry timetable changes in June."}) + "\n{broken\n", encoding="utf-8")
    pair.write_text(json.dumps({"text": "The bridge reopens on Tuesday."}) + "\n"
                    + json.dumps({"text": "The market moves to the square."}) + "\n", encoding="utf-8")
    result = ingest(store, embedder, load_paths([folder]), group=1)
    assert (result.added, result.updated, result.duplicates) == (1, 1, 1)
    assert [(p.line, p.message.split(" (")[0]) for p in result.problems] == [(2, "broken JSON")]
    by_path = store.ids_by_path([str(single), str(pair)])
    assert [store.article(i).text for i in by_path[str(single)]] == ["The ferry timetable changes in June."]
    assert len(by_path[str(pair)]) == 3


@pytest.mark.parametrize("how", [POOLED, SEPARATE])
def test_sentence_vectors_come_from_the_passage_pass_unless_asked_otherwise(store: Store, embedder: Embedder,
                                                                            articles_dir: Path, how: str) -> None:
    counting = Counting(embedder)
    report = ingest(store, counting, load_paths([articles_dir]), sentence_vectors=how)
    keys = store.passage_keys().tolist()
    texts = [stored.passage.text for stored in store.passages(keys).values()]
    sentences = [v for group in store.sentence_vectors(keys).values() for v in group]
    assert report.passages == len(texts) and len(sentences) > len(texts)
    headlines = [h.text for h in store.headlines([a.id for a in store.articles()]).values()]
    if how == POOLED:
        assert sorted(counting.texts) == sorted(texts + headlines)
    else:
        assert len(set(counting.texts)) > len(set(texts))
    # Either way, asked with a sentence's own words, that sentence's stored vector ranks first.
    stored = store.passages(keys)
    key = max(keys, key=lambda k: len(store.sentence_vectors([k])[k]))
    group = store.sentence_vectors([key])[key]
    article = store.article(stored[key].passage.article_id)
    alone = embedder.encode([article.text[s.start:s.end] for s in group])
    assert list((np.vstack([s.vector for s in group]) @ alone.T).argmax(axis=0)) == list(range(len(group)))


HEADLINED = [("2025-04-07", "Penmoor ferry to run through the night from May",
              "The harbour board of Penmoor agreed on Monday to extend the ferry timetable. Boats will leave every "
              "hour after midnight."),
             ("2025-04-08", "Dunmere library reopens", "The Dunmere library reopened on Tuesday after repairs.")]


def test_headlines_are_stored_with_their_articles_and_added_to_an_index_made_before_them(tmp_path: Path,
                                                                                      embedder: Embedder) -> None:
    articles = [make_article(text, path=f"/news/{n}.txt", title=title, date=dt.date.fromisoformat(day))
                for n, (day, title, text) in enumerate(HEADLINED)]
    directory, ids = tmp_path / "index", [a.id for a in articles]
    with Store.open(directory, model=embedder.name, dimension=embedder.dimension, writable=True) as store:
        ingest(store, embedder, articles)
        stored = store.headlines(ids)
        assert store.without_headline(10) == []  # nothing is looked for again
    # the library's title is three words: a label, not a statement to quote
    assert list(stored) == [ids[0]] and stored[ids[0]].text == "Penmoor ferry to run through the night from May"
    assert float(stored[ids[0]].vector @ embedder.encode([stored[ids[0]].text])[0]) > 0.99
    with sqlite3.connect(directory / DB_FILE) as db:  # as an index made before headlines were stored
        db.execute("DROP TABLE headlines")
    with Store.open(directory) as reader:
        assert reader.headlines(ids) == {}
        with Store.open(directory, writable=True) as writer:
            report = ingest(writer, embedder, [])
        assert (report.added, report.passages, report.headlines) == (0, 0, 1)
        assert list(reader.headlines(ids)) == [ids[0]] and reader.without_headline(10) == []
