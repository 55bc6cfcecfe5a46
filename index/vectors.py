"""The FAISS index type for a number of vectors: exact (flat) while small, IVF with 8-bit scalar
quantisation past a size chosen with bench/query.py, and the helpers that treat both alike."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np

# bench/query.py: flat search grows linearly (~0.1 ms per 10k vectors on this 2-core machine) while
# IVF-SQ8 stays near 1 ms; past 50k passages flat costs more than the rest of the query path.
EXACT_UP_TO = 50_000
# Real question vectors sit far from their passages, so IVF must probe many lists: at 100k Reuters
# passages recall@10 against exact was 0.93 / 0.97 / 0.98 probing 1/16, 1/8, 1/4 of the lists
# (bench/query.py); a quarter costs ~4 ms per query there, flat search ~10 ms.
PROBE_SHARE = 1 / 4
MIN_PROBES = 16
TRAIN_SAMPLE = 100_000
FLAT = "IDMap2,Flat"

# Single queries must use one OpenMP thread: with two threads and a busy core, a 10k flat search
# took 15.5 ms instead of 0.55 ms. Bulk work (training, adding) raises it with `threads()`.
faiss.omp_set_num_threads(1)


@contextmanager
def threads(count: int | None = None) -> Iterator[None]:
    """Let FAISS use `count` (default: all) cores for a bulk step, then go back to one."""
    faiss.omp_set_num_threads(count or os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def lists_for(count: int) -> int:
    """IVF lists for `count` vectors: about 4·√n, a power of two."""
    return 1 << max(6, round(math.log2(4 * math.sqrt(max(count, 1)))))


def kind_for(count: int) -> str:
    """The FAISS factory string of the index type that suits `count` vectors."""
    return FLAT if count <= EXACT_UP_TO else f"IVF{lists_for(count)},SQ8"


def describe(index: faiss.Index) -> str:
    ivf = _ivf(index)
    return f"IVF{ivf.nlist},SQ8" if ivf is not None else FLAT


def needs_rebuild(index: faiss.Index, count: int) -> bool:
    """Whether `index` is the wrong type for `count` vectors (flat grown large, IVF outgrown)."""
    ivf = _ivf(index)
    if ivf is None:
        return count > EXACT_UP_TO
    return count <= EXACT_UP_TO // 2 or lists_for(count) >= 2 * ivf.nlist


def empty(dimension: int, kind: str = FLAT, training: np.ndarray | None = None) -> faiss.Index:
    """A new index of `kind`; IVF kinds are trained on `training` (unit vectors, inner product)."""
    if kind == FLAT:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    index = faiss.index_factory(dimension, kind, faiss.METRIC_INNER_PRODUCT)
    with threads():
        index.train(np.ascontiguousarray(training, dtype=np.float32))
    tune(index)
    return index


def tune(index: faiss.Index) -> None:
    """Search settings, which FAISS does not keep in the file."""
    ivf = _ivf(index)
    if ivf is not None:
        ivf.nprobe = max(MIN_PROBES, int(ivf.nlist * PROBE_SHARE))


def ids(index: faiss.Index) -> np.ndarray:
    """Every id the index holds."""
    ivf = _ivf(index)
    if ivf is None:
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    lists = ivf.invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
             for i in range(ivf.nlist) if lists.list_size(i)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def search(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the `k` best vectors, only among `allowed` ids when given. A filtered IVF
    search probes every list: a narrow filter would otherwise find too few vectors."""
    ivf = _ivf(index)
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(allowed)
        params = (faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nlist) if ivf is not None
                  else faiss.SearchParameters(sel=selector))
    return index.search(query, k, params=params)


def _ivf(index: faiss.Index) -> faiss.IndexIVF | None:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None
