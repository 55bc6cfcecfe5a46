"""The FAISS copy follows the index size: exact while small, an HNSW graph past the threshold, back
to exact when it shrinks. The graph keeps removed passages as tombstones that no search returns;
ids, filters, reopening, repair and mending work on both; a file of another type is refused."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import faiss
import numpy as np
import pytest
from tiny import unit, write_reports

from newsbot.index.store import VECTORS_FILE, CorruptIndex, Filters, Store, vectors
from newsbot.index.store.vectors import VectorIndex

DIMENSION = 32
THRESHOLD = 300


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(vectors, "EXACT_UP_TO", THRESHOLD)


_write = write_reports


def _article_id(store: Store, n: int) -> str:
    return store.ids_by_path([f"/news/{n}.txt"])[f"/news/{n}.txt"][0]


def _consistent(store: Store) -> bool:
    return store.check() == []


def _self_recall(store: Store, stored: dict[int, np.ndarray]) -> float:
    return sum(store.dense_search(vector, 1)[0][0] == key for key, vector in stored.items()) / len(stored)


def _found(store: Store, vector: np.ndarray, k: int = 10, filters: Filters = Filters()) -> set[int]:
    return {key for key, _ in store.dense_search(vector, k, filters)}


EVERY_DAY = Filters(since=dt.date(2024, 1, 1), until=dt.date(2024, 1, 28))


def test_the_index_type_follows_the_size_and_growth_adds_to_the_graph(tmp_path, small_threshold, caplog):
    rng = np.random.default_rng(7)
    directory = tmp_path / "index"
    caplog.set_level(logging.WARNING, logger="newsbot.index.store")
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        stored = _write(store, 0, 200, rng)
        store.flush()
        assert store.stats().faiss_index == vectors.FLAT
        stored |= _write(store, 200, 300, rng)
        store.flush()
        assert store.stats().faiss_index == vectors.HNSW == "IDMap2,HNSW32_SQfp16" and _consistent(store)
        graph = store.vectors
        stored |= _write(store, 500, 200, rng)
        store.flush()
        assert store.vectors is graph and store.vector_count() == 700
    assert [r.getMessage() for r in caplog.records] == [
        "moving 500 vectors to a FAISS IDMap2,HNSW32_SQfp16 index (once per size step)"]
    graph = faiss.read_index(str(directory / VECTORS_FILE))
    faiss.downcast_index(graph.index).hnsw.efSearch = 16
    faiss.write_index(graph, str(directory / VECTORS_FILE))
    with Store.open(directory) as store:
        assert store.meta.faiss_index == store.stats().faiss_index == vectors.HNSW
        assert faiss.downcast_index(store.vectors.faiss.index).hnsw.efSearch == vectors.ef_search(store.vector_count())
        assert _consistent(store)
        assert _self_recall(store, stored) >= 0.98
        january_3 = store.dense_search(next(iter(stored.values())), 5, Filters(since=dt.date(2024, 1, 3),
                                                                               until=dt.date(2024, 1, 3)))
        dates = {store.passages([key])[key].article.date for key, _ in january_3}
        assert len(january_3) == 5 and dates == {dt.date(2024, 1, 3)}


def test_the_graph_search_honours_tombstones_and_filters_by_external_id(monkeypatch):
    """FAISS translates a selector through IndexIDMap2 to the ids given at add, and reconstructs by
    those ids: both searches and exact filtered scoring rely on it."""
    rng = np.random.default_rng(3)
    data = unit(rng.normal(size=(400, DIMENSION)))
    keys = np.arange(400, dtype=np.int64) * 7 + 1000
    index = VectorIndex.new(DIMENSION, vectors.HNSW)
    index.add(data, keys)
    # float16: a relative error of at most 2**-11 a component
    assert np.allclose(index.faiss.reconstruct_batch(keys[[5, 9]]), data[[5, 9]], rtol=2**-11, atol=0)
    whole = VectorIndex(index.faiss)
    index.drop(keys[:50])
    assert len(index) == 350 and len(index.tombstones) == 50 and index.ids().size == 400

    def found(index: VectorIndex, row: int, k: int, allowed: np.ndarray | None = None) -> list[int]:
        return [key for key, _ in index.search(data[row], k, allowed)]

    for row in range(50):
        assert found(index, row, 10)[0] != keys[row] and not set(found(index, row, 10)) & set(keys[:50])
        assert found(whole, row, 1) == [keys[row]]
    # a small allowed set is scored exactly, without tombstones; an id the index lacks (a reader
    # opened before an ingest) is left out
    allowed = np.concatenate([keys[40:60], [99_999]])
    best = np.argsort(-(data[50:60] @ data[45]))[:5]
    assert found(index, 45, 5, allowed) == keys[50:60][best].tolist()
    assert [score for _, score in index.search(data[45], 5, allowed)] == pytest.approx((data[50:60] @ data[45])[best],
                                                                                        abs=1e-3)
    best = 50 + np.argsort(-(data[50:300] @ data[0]))[:10]
    assert found(whole, 0, 10, keys[50:300]) == keys[best].tolist()
    assert sorted(found(whole, 45, 5, keys[[50, 99]])) == sorted(keys[[50, 99]]), "only the allowed, no padding"
    # a large one searches the graph with the allowed ids and without the tombstones
    monkeypatch.setattr(vectors, "EXACT_FILTER_UP_TO", 100)
    allowed = keys[40:400]
    for row in range(40, 100):
        hits = found(index, row, 10, allowed)
        assert not set(hits) & set(keys[:50]) and set(hits) <= set(allowed)
        assert row < 50 or hits[0] == keys[row]
    # a narrow one (a tenth) widens the candidate list to find its best ids all the same
    monkeypatch.setattr(vectors, "EXACT_FILTER_UP_TO", 10)
    allowed = keys[::10]
    hits = 0
    for row in range(100, 150):
        hits += len(set(found(whole, row, 10, allowed)) & set(allowed[np.argsort(-(data[::10] @ data[row]))[:10]]))
    assert hits / 500 >= 0.98


def test_removed_passages_become_tombstones_no_search_returns(tmp_path, small_threshold, monkeypatch):
    rng = np.random.default_rng(8)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        stored = _write(store, 0, 500, rng)
        store.flush()
        store.remove(sources=[f"/news/{n}.txt" for n in range(0, 30)])
        replaced = _article_id(store, 30)
        stored |= _write(store, 500, 1, rng, replace=(replaced,))
        removed = {key: stored.pop(key) for key in sorted(stored)[:31]}
        store.flush()
        assert store.stats().faiss_index == vectors.HNSW and store.vector_count() == 470
        assert store.vectors.ids().size == 501 and len(store.vectors.tombstones) == 31
        assert _consistent(store)
    modified = (directory / VECTORS_FILE).stat().st_mtime_ns
    for writable in (False, True):
        with Store.open(directory, writable=writable) as store:
            assert sorted(store.vectors.tombstones.keys.tolist()) == sorted(removed) and _consistent(store)
            assert store.vector_count() == 470
            for vector in removed.values():
                found = _found(store, vector)
                assert len(found) == 10 and not found & removed.keys()
                # filtered: past EXACT_FILTER_UP_TO allowed passages the graph is searched, below
                # they are scored exactly
                for exact_up_to in (100, 1000):
                    monkeypatch.setattr(vectors, "EXACT_FILTER_UP_TO", exact_up_to)
                    found = _found(store, vector, 10, EVERY_DAY)
                    assert len(found) == 10 and not found & removed.keys()
            assert _self_recall(store, stored) >= 0.98
    assert (directory / VECTORS_FILE).stat().st_mtime_ns == modified, "reopening rewrote an unchanged file"


def _holding(kind: str, count: int, dead: int = 0) -> VectorIndex:
    index = VectorIndex.new(DIMENSION, kind)
    keys = np.arange(count + dead, dtype=np.int64)
    index.add(unit(np.random.default_rng(1).normal(size=(keys.size, DIMENSION))), keys)
    index.drop(keys[count:])
    return index


def test_when_an_index_is_rebuilt(small_threshold):
    flat, graph = vectors.FLAT, vectors.HNSW
    assert not _holding(flat, THRESHOLD).needs_rebuild() and _holding(flat, THRESHOLD + 1).needs_rebuild()
    assert not _holding(graph, THRESHOLD // 2 + 1).needs_rebuild() and _holding(graph, THRESHOLD // 2).needs_rebuild()
    assert not _holding(graph, 400, 44).needs_rebuild() and _holding(graph, 400, 45).needs_rebuild()


def test_tombstones_past_a_tenth_rebuild_the_graph_then_repair_then_back_to_exact(tmp_path, small_threshold):
    rng = np.random.default_rng(9)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        _write(store, 0, 500, rng)
        store.flush()
        store.remove(sources=[f"/news/{n}.txt" for n in range(0, 50)])
        assert store.vectors.ids().size == 500 and len(store.vectors.tombstones) == 50
        store.remove(sources=[f"/news/{n}.txt" for n in range(50, 60)])
        assert store.stats().faiss_index == vectors.HNSW and _consistent(store)
        assert store.vectors.ids().size == 440 and len(store.vectors.tombstones) == 0
        graph = store.vectors
        assert store.repair() == 440 and store.vectors is not graph
        assert store.stats().faiss_index == vectors.HNSW and _consistent(store)
        store.remove(sources=[f"/news/{n}.txt" for n in range(60, 350)])
        assert store.stats().faiss_index == vectors.FLAT and store.vector_count() == 150 and _consistent(store)
    with Store.open(directory) as store:
        assert store.meta.faiss_index == vectors.FLAT and _consistent(store)


def test_a_file_holding_ids_sqlite_lacks_is_mended_with_tombstones(tmp_path, small_threshold):
    """A process killed after SQLite committed but before vectors.faiss was saved: the file holds
    removed passages and lacks new ones."""
    rng = np.random.default_rng(10)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        stored = _write(store, 0, 500, rng)
    shutil.copy(directory / VECTORS_FILE, tmp_path / "old.faiss")
    with Store.open(directory, writable=True) as store:
        store.remove(sources=[f"/news/{n}.txt" for n in range(0, 20)])
        stored |= _write(store, 500, 40, rng)
    removed = {key: stored.pop(key) for key in sorted(stored)[:20]}
    shutil.copy(tmp_path / "old.faiss", directory / VECTORS_FILE)
    with Store.open(directory) as store:
        assert sorted(store.vectors.tombstones.keys.tolist()) == sorted(removed) and _consistent(store)
        assert store.vectors.faiss.ntotal == 540 and _self_recall(store, stored) >= 0.98
        assert not any(_found(store, vector) & removed.keys() for vector in removed.values())
    with Store.open(directory, writable=True) as store:
        assert _consistent(store) and len(store.vectors.tombstones) == 20
    assert faiss.read_index(str(directory / VECTORS_FILE)).ntotal == 540, "the mended file was not saved"


def test_a_file_of_another_faiss_type_is_refused_and_repair_replaces_it(tmp_path):
    """An IVF file (made before the first release) or any index this version does not make."""
    rng = np.random.default_rng(11)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        stored = _write(store, 0, 100, rng)
    keys = np.array(sorted(stored), dtype=np.int64)
    data = np.vstack([stored[key] for key in keys])
    ivf = faiss.index_factory(DIMENSION, "IVF4,SQ8", faiss.METRIC_INNER_PRODUCT)
    ivf.train(data)
    ivf.add_with_ids(data, keys)
    faiss.write_index(ivf, str(directory / VECTORS_FILE))
    with pytest.raises(CorruptIndex, match="IndexIVFScalarQuantizer.*newsbot index repair"):
        Store.open(directory)
    with Store.open(directory, writable=True, repair=True) as store:
        assert store.repair() == 100
    with Store.open(directory) as store:
        assert store.stats().faiss_index == vectors.FLAT and _consistent(store)
        assert _self_recall(store, stored) == 1.0


def test_both_kinds_hold_float16_and_a_float32_file_is_refused(tmp_path):
    """The kinds are FAISS factory strings of float16 indexes (2 bytes a component); a float32 file,
    as format 2 wrote, is refused with the repair to run."""
    data = unit(np.random.default_rng(12).normal(size=(1000, 384)))
    keys = np.arange(1000, dtype=np.int64)
    for kind, graph_bytes in ((vectors.FLAT, 0), (vectors.HNSW, 4 * 2 * vectors.HNSW_M)):
        index = VectorIndex.new(384, kind)
        index.add(data, keys)
        made = faiss.index_factory(384, kind, faiss.METRIC_INNER_PRODUCT)
        assert type(faiss.downcast_index(made.index)) is type(faiss.downcast_index(index.faiss.index))
        assert VectorIndex(made).kind == index.kind == kind
        per_vector = len(faiss.serialize_index(index.faiss)) / 1000
        assert 2 * 384 + 8 <= per_vector <= 2 * 384 + 8 + graph_bytes * 1.3 + 1, kind
        found = index.search(data[7], 10)
        assert found[0][0] == 7 and found[0][1] == pytest.approx(1.0, abs=1e-3)
    directory = tmp_path / "index"
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        _write(store, 0, 20, np.random.default_rng(13))
    for old in (faiss.IndexIDMap2(faiss.IndexFlatIP(DIMENSION)),
                faiss.IndexIDMap2(faiss.IndexHNSWFlat(DIMENSION, 32, faiss.METRIC_INNER_PRODUCT)),
                faiss.IndexIDMap2(faiss.IndexScalarQuantizer(DIMENSION, faiss.ScalarQuantizer.QT_8bit,
                                                             faiss.METRIC_INNER_PRODUCT))):
        faiss.write_index(old, str(directory / VECTORS_FILE))
        with pytest.raises(CorruptIndex, match="damaged .*(IndexFlatIP|IndexHNSWFlat over IndexFlat|IndexScalarQuantizer of quantizer type 0)"
                                              ".*newsbot index repair"):
            Store.open(directory)
    with Store.open(directory, writable=True, repair=True) as store:
        assert store.repair() == 20 and store.vectors.kind == vectors.FLAT
