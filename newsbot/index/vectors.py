"""The FAISS index type for a number of vectors: exact (flat) while small, an HNSW graph past a size
chosen with bench/query.py, and the helpers that treat both alike.

An HNSW graph cannot remove vectors: the ids of removed passages stay in it as tombstones, which
every search leaves out, until the store rebuilds the graph (see `needs_rebuild`). IVF indexes made
by earlier versions still open and search; the store moves them to the right type at the next flush.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np

# Exact search of one query costs 0.31 ms at 10k vectors and 6.7 ms at 100k (bench/README.md, 2
# cores), 60 ms at 1M (below); past 50k passages it costs more than the rest of the query path.
EXACT_UP_TO = 50_000
# Links per node of the graph (faiss's HNSW M), candidate list lengths when adding and searching,
# from two measurements of recall@10 against exact, one query at a time on one thread:
# 1. 1M synthetic vectors (a 30k-passage Reuters index's vectors, each copied with noise as
#    bench/query.py does) and 200 queries far from every vector (cosine 0.745 to the nearest),
#    machine shared. efConstruction 40 (faiss's default): efSearch 128 / 512 / 2048 gave 0.925 /
#    0.982 / 0.990 at 0.38 / 1.2 / 5.2 ms; efConstruction 80: efSearch 128 / 512 / 1024 gave 0.984 /
#    0.992 / 0.995 at 0.36 / 1.1 / 2.4 ms. Adding 1M vectors on 2 threads: 279 s, 1.7 GiB.
# 2. bench/query.py's real questions over 46k Reuters passages replicated to 1M (~21 noisy copies
#    each, so the 10th and 11th exact scores differ by 0.0012 on average), idle machine:
#    efConstruction 80, efSearch 512 / 1024 / 2048 gave 0.955 / 0.981 / 0.993 at 1.4 / 2.7 / 5.2 ms
#    (M=48, efConstruction 120: 0.964 / 0.987 / 0.997, built in 251 s instead of 166 s). At 100k,
#    efSearch 512 gave 0.988 in 1.1 ms. Hence the longer list from LARGE_FROM vectors: dense search
#    runs beside keyword search, which takes longer, so it costs an answer nothing.
HNSW_M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 512
EF_SEARCH_LARGE = 2048
LARGE_FROM = 300_000
# A filtered search of the graph keeps only allowed ids, so it widens its candidate list by the
# inverse of their share (at most MAX_EF_SEARCH); filters allowing at most EXACT_FILTER_UP_TO
# passages are scored exactly instead, from the vectors the index holds. Same 1M graph, random
# allowed ids: exact 5.4 / 10.7 / 30 ms for 10k / 20k / 50k of them; the graph 11.9 / 14.6 / 11.5 /
# 4.8 ms at 2% / 5% / 10% / 30% of the vectors, recall@10 0.995 to 0.998.
MAX_EF_SEARCH = 4096
EXACT_FILTER_UP_TO = 20_000
# Tombstones cost memory and a little time (a tenth of the 1M graph: recall@10 0.992, 1.3 ms instead
# of 1.1); past this share of its vectors the graph is rebuilt from SQLite (minutes at 1M).
TOMBSTONE_SHARE = 0.10
FLAT = "IDMap2,Flat"
HNSW = f"IDMap2,HNSW{HNSW_M}"

# Single queries must use one OpenMP thread: with two threads and a busy core, a 10k flat search
# took 15.5 ms instead of 0.55 ms. OpenMP keeps the setting per thread, so `search` sets it in the
# thread that searches; bulk work (adding) raises it for its step with `threads()`.


@contextmanager
def threads(count: int | None = None) -> Iterator[None]:
    """Let FAISS use `count` (default: all) cores for a bulk step, then go back to one."""
    faiss.omp_set_num_threads(count or os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


class Tombstones:
    """Ids an HNSW graph still holds whose passages are gone; immutable, so a search can keep the
    set it started with while a writer makes a new one."""

    def __init__(self, keys: np.ndarray | None = None) -> None:
        self.keys = np.unique(np.asarray(keys if keys is not None else [], dtype=np.int64))
        self._batch = faiss.IDSelectorBatch(self.keys) if self.keys.size else None
        self.selector = faiss.IDSelectorNot(self._batch) if self._batch is not None else None

    def __len__(self) -> int:
        return int(self.keys.size)

    def plus(self, keys: np.ndarray) -> Tombstones:
        return Tombstones(np.union1d(self.keys, keys)) if len(keys) else self

    def exclude(self, keys: np.ndarray) -> np.ndarray:
        """`keys` without the tombstones."""
        if not self.keys.size:
            return keys
        spot = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        return keys[self.keys[spot] != keys]


NO_TOMBSTONES = Tombstones()


def ef_search(count: int) -> int:
    """The graph's candidate list length when searching `count` vectors."""
    return EF_SEARCH_LARGE if count >= LARGE_FROM else EF_SEARCH


def kind_for(count: int) -> str:
    """The FAISS kind (the factory string) that suits `count` vectors."""
    return FLAT if count <= EXACT_UP_TO else HNSW


def describe(index: faiss.Index) -> str:
    ivf = _ivf(index)
    if ivf is not None:
        return f"IVF{ivf.nlist},SQ8"
    return HNSW if _hnsw(index) is not None else FLAT


def removes(index: faiss.Index) -> bool:
    """Whether `index` can remove vectors (an HNSW graph cannot: it keeps tombstones instead)."""
    return _hnsw(index) is None


def needs_rebuild(index: faiss.Index, count: int, tombstones: int = 0) -> bool:
    """Whether `index` holding `count` live vectors and `tombstones` dead ones should be rebuilt:
    flat grown large, a graph shrunk to half the threshold or holding too many tombstones, or an
    IVF index of an earlier version."""
    if _ivf(index) is not None:
        return True
    if _hnsw(index) is None:
        return count > EXACT_UP_TO
    return count <= EXACT_UP_TO // 2 or tombstones > TOMBSTONE_SHARE * (count + tombstones)


def empty(dimension: int, kind: str = FLAT) -> faiss.Index:
    """A new index of `kind` for unit vectors compared by inner product."""
    if kind == FLAT:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if kind == HNSW:
        index = faiss.IndexIDMap2(faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT))
        tune(index)
        return index
    raise ValueError(f"unknown FAISS index kind {kind!r}")


def tune(index: faiss.Index) -> None:
    """Search and build settings of this version (FAISS saves them in the file, but an index opened
    from an older file must work as the constants here say)."""
    graph = _hnsw(index)
    if graph is not None:
        graph.hnsw.efSearch = ef_search(index.ntotal)
        graph.hnsw.efConstruction = EF_CONSTRUCTION
    ivf = _ivf(index)
    if ivf is not None:  # what earlier versions probed: a quarter of the lists
        ivf.nprobe = max(16, ivf.nlist // 4)


def ids(index: faiss.Index) -> np.ndarray:
    """Every id the index holds (tombstones included)."""
    ivf = _ivf(index)
    if ivf is None:
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    lists = ivf.invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
             for i in range(ivf.nlist) if lists.list_size(i)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def search(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
           tombstones: Tombstones = NO_TOMBSTONES) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the `k` best vectors of one query, never a tombstone, only among `allowed`
    ids when given. Filtered searches: flat checks every vector; a graph scores a small allowed set
    exactly and otherwise searches with a candidate list widened to the allowed share; an IVF index
    (earlier versions) probes every list."""
    faiss.omp_set_num_threads(1)
    graph = _hnsw(index)
    if graph is None:
        ivf = _ivf(index)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nlist) if ivf is not None
                      else faiss.SearchParameters(sel=selector))
        return index.search(query, k, params=params)
    if allowed is None:
        selector = tombstones.selector
        ef = max(ef_search(index.ntotal), k)
    else:
        allowed = tombstones.exclude(allowed)
        if allowed.size <= EXACT_FILTER_UP_TO:
            return _score_exactly(index, query, k, allowed)
        selector, bitmap = _bitmap(allowed)  # noqa: F841 (the selector reads it)
        ef = min(MAX_EF_SEARCH, max(ef_search(index.ntotal), k) * index.ntotal // allowed.size)
    params = (faiss.SearchParametersHNSW(sel=selector, efSearch=ef) if selector is not None
              else faiss.SearchParametersHNSW(efSearch=ef))
    return index.search(query, k, params=params)


def _score_exactly(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best of `allowed` by inner product with the vectors the index holds, shaped as a
    FAISS search answers (padded with id -1). Ids the index lacks (a reader opened before an
    ingest) are left out. `faiss.knn` scores one query on this thread: numpy's BLAS spreads a
    product of a few thousand rows over all cores and took 8 ms instead of 0.14 ms at 5,000."""
    try:
        stored = index.reconstruct_batch(allowed)
    except RuntimeError:
        allowed = allowed[np.isin(allowed, ids(index))]
        stored = index.reconstruct_batch(allowed) if allowed.size else None
    if stored is None or not allowed.size:
        return np.full((1, k), -np.inf, dtype=np.float32), np.full((1, k), -1, dtype=np.int64)
    scores, rows = faiss.knn(query, stored, k, metric=faiss.METRIC_INNER_PRODUCT)
    return scores, np.where(rows >= 0, allowed[np.maximum(rows, 0)], -1)


def _bitmap(keys: np.ndarray) -> tuple[faiss.IDSelector, np.ndarray]:
    """A selector of `keys` (ids from 0) and the bitmap it reads, which must outlive it: 0.4 ms
    for 300,000 keys where an IDSelectorBatch took 26 ms."""
    bits = np.zeros(int(keys.max()) + 1, dtype=bool)
    bits[keys] = True
    bitmap = np.packbits(bits, bitorder="little")
    return faiss.IDSelectorBitmap(bitmap), bitmap


def _hnsw(index: faiss.Index) -> faiss.IndexHNSW | None:
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
    return inner if isinstance(inner, faiss.IndexHNSW) else None


def _ivf(index: faiss.Index) -> faiss.IndexIVF | None:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None
