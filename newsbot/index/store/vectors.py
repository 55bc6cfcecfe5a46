"""The FAISS copy of the passage vectors: exact (flat) while small, an HNSW graph past a size chosen
with bench/query.py, with the tombstones of a graph, its mending against SQLite's ids, rebuilds,
saving by write-then-rename and filtered search. Both hold the vectors in float16 (FAISS's
scalar quantizer SQfp16, which needs no training): half the file and memory of float32.

An HNSW graph cannot remove vectors: the ids of removed passages stay in it as tombstones, which
every search leaves out, until the graph is rebuilt (see `VectorIndex.needs_rebuild`). Tombstones
are not saved: they are the ids the file holds that SQLite lacks, found again at every open.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from newsbot.index.store.errors import CorruptIndex
from newsbot.index.store.files import replace_atomically

log = logging.getLogger(__name__)

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
# float16 against float32, one query at a time on one thread: BBC passage and sentence vectors
# (5,706, real) replicated with noise as bench/query.py does, 200 questions, recall@10 against
# exact float32 search of the same rows, two runs on a loaded 2-core machine. Flat at 50k: 1.000 in
# 4.8 / 5.8 ms, float32 1.000 in 7.4 / 9.2 ms (half the bytes to read). HNSW at 100k, efSearch 512:
# 1.000 in 0.98 / 1.47 ms, float32 1.000 in 1.00 / 1.39 ms. Files: 776 and 1,048 bytes a vector
# instead of 1,544 and 1,816. What the copy holds are SQLite's int8 vectors decoded: those give
# 0.998 at 50k and 0.982 at 100k (flat or graph alike), every miss within 0.001 of the exact 10th
# score (the replicas' 10th and 11th differ by 0.0013 on average at 100k).
FP16 = faiss.ScalarQuantizer.QT_fp16
# The kinds, as FAISS factory strings (metric: inner product).
FLAT = "IDMap2,SQfp16"
HNSW = f"IDMap2,HNSW{HNSW_M}_SQfp16"

# Single queries must use one OpenMP thread: with two threads and a busy core, a 10k flat search
# took 15.5 ms instead of 0.55 ms. OpenMP keeps the setting per thread, so `search` sets it in the
# thread that searches; bulk work (adding) raises it for its step with `threads()`.

# Where the vectors of passage keys come from (SQLite): chunks of (keys, rows).
VectorSource = Callable[[np.ndarray], Iterable[tuple[np.ndarray, np.ndarray]]]


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


@dataclass(frozen=True)
class _Copy:
    """A FAISS index with its tombstones: replaced together in one assignment, so a search never
    pairs an index with another's tombstones."""

    index: faiss.Index
    tombstones: Tombstones


class VectorIndex:
    """The FAISS copy of the passage vectors, ids being passage keys; unit vectors, inner product."""

    def __init__(self, index: faiss.Index, tombstones: Tombstones = NO_TOMBSTONES) -> None:
        self._copy = _Copy(index, tombstones)

    @classmethod
    def new(cls, dimension: int, kind: str = FLAT) -> VectorIndex:
        """An empty index of `kind`."""
        if kind == FLAT:
            return cls(faiss.IndexIDMap2(faiss.IndexScalarQuantizer(dimension, FP16, faiss.METRIC_INNER_PRODUCT)))
        if kind == HNSW:
            index = cls(faiss.IndexIDMap2(faiss.IndexHNSWSQ(dimension, FP16, HNSW_M, faiss.METRIC_INNER_PRODUCT)))
            index.tune()
            return index
        raise ValueError(f"unknown FAISS index kind {kind!r}")

    @classmethod
    def read(cls, path: Path, dimension: int) -> VectorIndex:
        """The index saved at `path`, tuned as this version searches; `CorruptIndex` names the file
        and the repair when it cannot be read or holds vectors of another dimension."""
        try:
            index = cls(faiss.read_index(str(path)))
            index.kind  # noqa: B018 (an index of another type is refused here)
        except (RuntimeError, ValueError) as exc:
            raise CorruptIndex(
                f"{path} is damaged ({str(exc).splitlines()[0][:120]}). It is a copy of the vectors "
                f"in the database: rebuild it with `newsbot index repair --index {path.parent}`."
            ) from None
        if index.faiss.d != dimension:
            raise CorruptIndex(f"{path} has dimension {index.faiss.d}, meta.json says {dimension}")
        index.tune()
        return index

    # -- what it holds -------------------------------------------------------------------------

    @property
    def faiss(self) -> faiss.Index:
        """The FAISS index itself (benchmarks search it with other parameters)."""
        return self._copy.index

    @property
    def tombstones(self) -> Tombstones:
        return self._copy.tombstones

    @property
    def kind(self) -> str:
        """FLAT or HNSW; a ValueError for any other index (float32 ones of format 2 included)."""
        inner = _inner(self._copy.index)
        if isinstance(inner, faiss.IndexHNSWSQ) and _is_fp16(inner.storage):
            return HNSW
        if isinstance(inner, faiss.IndexScalarQuantizer) and _is_fp16(inner):
            return FLAT
        raise ValueError(f"a FAISS index ({_described(inner)}), which this newsbot does not read")

    @property
    def removes(self) -> bool:
        """Whether the index can remove vectors (a graph cannot: it keeps tombstones instead)."""
        return self.kind == FLAT

    def __len__(self) -> int:
        """Live vectors (tombstones left out)."""
        copy = self._copy
        return int(copy.index.ntotal) - len(copy.tombstones)

    def ids(self) -> np.ndarray:
        """Every id the index holds, tombstones included."""
        return faiss.vector_to_array(self._copy.index.id_map).astype(np.int64)

    def live_ids(self) -> np.ndarray:
        """The ids of live vectors (tombstones left out)."""
        copy = self._copy
        return copy.tombstones.exclude(faiss.vector_to_array(copy.index.id_map).astype(np.int64))

    def needs_rebuild(self) -> bool:
        """Whether the index should be rebuilt: flat grown large, a graph shrunk to half the
        threshold or holding too many tombstones."""
        count, dead = len(self), len(self.tombstones)
        if self.removes:
            return count > EXACT_UP_TO
        return count <= EXACT_UP_TO // 2 or dead > TOMBSTONE_SHARE * (count + dead)

    def tune(self) -> None:
        """Search and build settings of this version (FAISS saves them in the file, but an index
        opened from an older file must work as the constants here say)."""
        inner = _inner(self._copy.index)
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efSearch = ef_search(self._copy.index.ntotal)
            inner.hnsw.efConstruction = EF_CONSTRUCTION

    # -- changing it ---------------------------------------------------------------------------

    def add(self, rows: np.ndarray, keys: np.ndarray) -> None:
        with threads():
            self._copy.index.add_with_ids(np.ascontiguousarray(rows, dtype=np.float32),
                                          np.asarray(keys, dtype=np.int64))

    def add_from(self, source: VectorSource, keys: np.ndarray) -> None:
        """Add the vectors of `keys`, read from `source` in chunks."""
        for found, rows in source(keys):
            if found.size:
                self.add(rows, found)

    def drop(self, keys: np.ndarray) -> None:
        """Take removed passages out, or make them tombstones of a graph."""
        if not keys.size:
            return
        copy = self._copy
        if self.removes:
            copy.index.remove_ids(np.asarray(keys, dtype=np.int64))
        else:
            self._copy = _Copy(copy.index, copy.tombstones.plus(keys))

    def reconcile(self, stored: np.ndarray, source: VectorSource) -> bool:
        """Make the live ids equal `stored` (SQLite's keys), as after a process killed between its
        SQLite commit and its save: add the vectors it lacks, drop the ids SQLite lacks (a graph
        keeps them as tombstones). Returns whether the index itself changed."""
        present = self.ids()
        extra = np.setdiff1d(present, stored, assume_unique=True)
        missing = np.setdiff1d(stored, present, assume_unique=True)
        removed = bool(extra.size) and self.removes
        if removed:
            self._copy.index.remove_ids(extra)
        self._copy = _Copy(self._copy.index, NO_TOMBSTONES if self.removes else Tombstones(extra))
        if missing.size:
            self.add_from(source, missing)
        if removed or missing.size:
            log.info("mended vectors.faiss: %d stale, %d missing vectors", extra.size, missing.size)
        return removed or bool(missing.size)

    def rebuilt(self, source: VectorSource) -> VectorIndex:
        """A new index of the kind that suits the live vectors, built from `source`, without tombstones."""
        keys, kind = self.live_ids(), kind_for(len(self))
        if kind == self.kind:
            log.warning("rebuilding the FAISS %s index of %d vectors without its %d tombstones",
                        kind, keys.size, len(self.tombstones))
        else:
            log.warning("moving %d vectors to a FAISS %s index (once per size step)", keys.size, kind)
        index = VectorIndex.new(self._copy.index.d, kind)
        index.add_from(source, keys)
        return index

    def save(self, path: Path) -> None:
        """Write the index to `path` by write-then-rename (tombstones are not saved), straight from
        FAISS to the file, so saving needs no in-memory copy of the index."""
        index = self._copy.index
        replace_atomically(path, lambda tmp: faiss.write_index(index, str(tmp)))

    # -- searching -----------------------------------------------------------------------------

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Keys and inner-product scores of the `k` best vectors, never a tombstone, only among
        `allowed` keys when given. Filtered searches: flat checks every vector; a graph scores a
        small allowed set exactly and otherwise searches with a candidate list widened to the
        allowed share."""
        copy = self._copy
        live = int(copy.index.ntotal) - len(copy.tombstones)
        if live <= 0 or k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, keys = _search(copy, query, min(k, live), allowed)
        return [(int(key), float(score)) for key, score in zip(keys[0], scores[0]) if key >= 0]


def _search(copy: _Copy, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    faiss.omp_set_num_threads(1)
    index, tombstones = copy.index, copy.tombstones
    if not isinstance(_inner(index), faiss.IndexHNSW):
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed)) if allowed is not None else None
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
        allowed = allowed[np.isin(allowed, faiss.vector_to_array(index.id_map))]
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


def _is_fp16(index: faiss.Index) -> bool:
    index = faiss.downcast_index(index)
    return isinstance(index, faiss.IndexScalarQuantizer) and index.sq.qtype == FP16


def _described(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexHNSW):
        storage = faiss.downcast_index(index.storage)
        return f"{type(index).__name__} over {_described(storage)}"
    if isinstance(index, faiss.IndexScalarQuantizer):
        return f"{type(index).__name__} of quantizer type {index.sq.qtype}"
    return type(index).__name__


def _inner(index: faiss.Index) -> faiss.Index:
    """The index inside the id map (every index this version makes is in an IndexIDMap2)."""
    if not isinstance(index, faiss.IndexIDMap2):
        raise ValueError(f"a FAISS {type(index).__name__} index, which this newsbot does not read")
    return faiss.downcast_index(index.index)
