"""The FAISS copy follows the index size: exact while small, IVF-SQ8 past the threshold, back to exact
when it shrinks; ids, removal, filters and repair work on both."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from index import vectors
from index.articles import make_article
from index.chunking import Passage
from index.store import Filters, Store

DIMENSION = 32


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(vectors, "EXACT_UP_TO", 300)


def _write(store: Store, first: int, count: int, rng: np.random.Generator) -> dict[int, np.ndarray]:
    articles, passages = [], []
    for n in range(first, first + count):
        article = make_article(f"Report {n} on the harbour.", path=f"/news/{n}.txt", date=dt.date(2024, 1, 1 + n % 28))
        articles.append(article)
        passages.append(Passage(f"{article.id}:0", article.id, 0, 0, len(article.text), article.text))
    rows = rng.normal(size=(count, DIMENSION)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    store.write(articles, passages, rows)
    keys = [r[0] for r in store.db.execute("SELECT rowid FROM passages ORDER BY rowid DESC LIMIT ?", (count,))]
    return dict(zip(sorted(keys), rows))


def _consistent(store: Store) -> bool:
    keys = np.array(sorted(r[0] for r in store.db.execute("SELECT rowid FROM passages")), dtype=np.int64)
    return np.array_equal(keys, store.faiss_keys())


def test_the_index_type_follows_the_size(tmp_path, small_threshold):
    rng = np.random.default_rng(7)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        stored = _write(store, 0, 200, rng)
        store.flush()
        assert store.stats().faiss_index == vectors.FLAT
        stored |= _write(store, 200, 300, rng)
        store.flush()
        assert store.stats().faiss_index.startswith("IVF") and _consistent(store)
    with Store.open(directory) as store:
        assert store.meta["faiss_index"] == store.stats().faiss_index.replace("IDMap2,", "")
        assert _consistent(store)
        found = sum(store.dense_search(vector, 1)[0][0] == key for key, vector in stored.items())
        assert found / len(stored) >= 0.98
        january_3 = store.dense_search(next(iter(stored.values())), 5, Filters(since=dt.date(2024, 1, 3),
                                                                               until=dt.date(2024, 1, 3)))
        dates = {store.passages([key])[key].article.date for key, _ in january_3}
        assert len(january_3) == 5 and dates == {dt.date(2024, 1, 3)}


def test_removal_and_repair_on_ivf_then_back_to_exact(tmp_path, small_threshold):
    rng = np.random.default_rng(8)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        _write(store, 0, 500, rng)
        store.flush()
        assert store.stats().faiss_index.startswith("IVF")
        store.remove(sources=[f"/news/{n}.txt" for n in range(0, 100)])
        store.flush()
        assert _consistent(store) and store.vector_count() == 400
        assert store.repair() == 400 and store.stats().faiss_index.startswith("IVF")
        store.remove(sources=[f"/news/{n}.txt" for n in range(100, 400)])
        store.flush()
        assert store.stats().faiss_index == vectors.FLAT and _consistent(store)
