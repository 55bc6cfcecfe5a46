"""A reader serving searches while an ingest runs sees whole articles only, old or new, never half;
its refreshes never hold up its queries."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import numpy as np
from tiny import DIMENSION, write_reports

from newsbot.index.articles import make_article
from newsbot.index.chunking import chunk_article
from newsbot.index.embedding import Embedder
from newsbot.index.ingest import ingest
from newsbot.answer.config import load_config
from newsbot.index.search import Mode, Searcher
from newsbot.index.store import Filters, Store, VectorIndex


def test_a_reader_never_sees_half_an_article_during_an_ingest(built_index: Path, embedder: Embedder) -> None:
    many = [make_article(" ".join(f"Weather report {i} from town {i}, part {j}, says rain is likely." for j in range(30)),
                         path=f"gen/{i}.txt", date=dt.date(2024, 6, 1)) for i in range(40)]
    expected = {a.id: len(chunk_article(a)) for a in many}
    assert all(n > 1 for n in expected.values())
    reader = Store.open(built_index)
    searcher = Searcher(reader, embedder, load_config().retrieval.fusion)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with Store.open(built_index, writable=True) as writer:
                ingest(writer, embedder, many, commit_every=6)
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    rounds, seen_new = 0, set()
    while writer.is_alive() or rounds < 3:
        reader.refresh()
        stored = set(reader.passage_keys().tolist())
        assert set(reader.faiss_keys().tolist()) <= stored
        for mode in Mode:
            for hit in searcher.search("weather report rain town", k=20, mode=mode):
                if hit.article.id in expected:
                    seen_new.add(hit.article.id)
                    assert len(reader.article_passages(hit.article.id)) == expected[hit.article.id]
        rounds += 1
    writer.join()
    searcher.close()
    reader.close()
    assert not failures, failures
    assert rounds > 3 and seen_new
    with Store.open(built_index) as store:
        assert store.stats().articles == 5 + len(many)


def test_queries_are_answered_while_a_refresh_reads_the_new_copy(tmp_path: Path, monkeypatch) -> None:
    """refresh() reads and mends vectors.faiss without the lock every query takes: while it reads
    (held back here until queries got through), another thread's searches keep being answered, each
    from one whole copy, old or new."""
    directory = tmp_path / "index"
    rng = np.random.default_rng(12)
    writer = Store.open(directory, model="m", dimension=DIMENSION, writable=True)
    stored = write_reports(writer, 0, 20, rng)
    writer.flush()
    reader = Store.open(directory)
    answered, failures, stop = [0], [], threading.Event()
    read = VectorIndex.read

    def held_back(path, dimension):
        index, waiting_from = read(path, dimension), answered[0]
        deadline = time.monotonic() + 10
        while answered[0] < waiting_from + 5 and time.monotonic() < deadline:
            time.sleep(0.001)
        if answered[0] < waiting_from + 5:
            failures.append("no query was answered while a refresh read the vectors")
        return index

    def ask() -> None:
        while not stop.is_set():
            try:
                key, vector = next(iter(stored.items()))
                hits = reader.dense_search(vector, 5, Filters(since=dt.date(2024, 1, 1)))
                found = reader.passages([k for k, _ in hits])
                assert hits[0][0] == key and set(found) == {k for k, _ in hits}
                assert reader.keyword_search('"harbour"', 100) and reader.vector_count() >= 20
                answered[0] += 1
            except BaseException as exc:  # handed to the main thread
                failures.append(exc)
                return

    monkeypatch.setattr(VectorIndex, "read", staticmethod(held_back))
    asker = threading.Thread(target=ask)
    asker.start()
    try:
        for step in range(1, 4):
            fresh = write_reports(writer, 20 * step, 20, rng)
            writer.flush()
            reader.refresh()
            assert reader.vector_count() == 20 * (step + 1)
            assert all(reader.dense_search(v, 1)[0][0] == k for k, v in fresh.items())
    finally:
        stop.set()
        asker.join()
        reader.close()
        writer.close()
    assert not failures, failures
