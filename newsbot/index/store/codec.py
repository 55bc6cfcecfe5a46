"""How the database stores a vector: int8 codes with a float32 scale, and back."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newsbot.index.store.errors import CorruptIndex

# Passage and sentence vectors are stored as int8 with a per-vector float32 scale (max |v| / 127):
# a blob of the scale (4 bytes, little-endian) then one signed byte a component, 388 bytes for 384
# dimensions where float32 took 1,536 and float16 768. They are unit vectors compared by inner
# product (cosine): a decoded copy is off by at most half a step (scale / 2) a component and keeps
# cosine >= 0.9999 with the original (BBC passages: 0.99994 at worst, 0.99997 on average).
SCALE_DTYPE = np.dtype("<f4")
CODE_DTYPE = np.dtype("i1")


def encode_vectors(rows: np.ndarray) -> list[bytes]:
    """Each row as stored: its float32 scale (max |v| / 127), then its int8 codes."""
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"vectors must be rows of a matrix, got shape {rows.shape}")
    scales = np.abs(rows).max(axis=1, initial=0.0) / 127
    codes = np.rint(rows / np.where(scales > 0, scales, 1)[:, None])
    record = np.empty(len(rows), dtype=_record(rows.shape[1]))
    record["scale"] = scales
    record["codes"] = np.clip(codes, -127, 127)
    raw, width = record.tobytes(), record.dtype.itemsize
    return [raw[i * width : (i + 1) * width] for i in range(len(rows))]


def decode_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """The float32 rows of stored vectors (all of one dimension), codes times scale."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    kind, joined = _record(len(blobs[0]) - SCALE_DTYPE.itemsize), b"".join(blobs)
    if len(joined) != len(blobs) * kind.itemsize:
        raise CorruptIndex("the database holds vectors of different lengths: rebuild the index")
    record = np.frombuffer(joined, dtype=kind)
    return record["codes"].astype(np.float32) * record["scale"].astype(np.float32)[:, None]


def quantized(rows: np.ndarray) -> np.ndarray:
    """`rows` as the database gives them back (encoded, then decoded)."""
    return decode_vectors(encode_vectors(rows)) if len(rows) else np.asarray(rows, dtype=np.float32)


def _record(dimension: int) -> np.dtype:
    return np.dtype([("scale", SCALE_DTYPE), ("codes", CODE_DTYPE, (dimension,))])
