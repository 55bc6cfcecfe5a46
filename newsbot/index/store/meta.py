"""`meta.json`: what made an index (format, model, backend) and what its vectors are, as a typed,
validated record. An index of another format is refused with what to run instead."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from newsbot.index.backends import BACKENDS, FAMILY, PRECISION, TORCH
from newsbot.index.store.errors import CorruptIndex, FormatMismatch
from newsbot.index.store.files import write_atomically

# 3: vectors in SQLite as int8 with a per-vector scale, no passage text in SQLite (a passage is
# its article's span; FTS5 reads it through a view), the FAISS copy in float16 (IDMap2 over SQfp16,
# or HNSW over SQfp16). Format 2 (float32 passage vectors, float16 sentence vectors, passage texts
# stored, float32 FAISS) and format 1 (no sentence vectors, no backend in meta.json) are not read.
FORMAT_VERSION = 3
META_FILE = "meta.json"
REBUILD = "Rebuild it: move the directory away and run `newsbot index add` on your articles."


@dataclass(frozen=True)
class IndexMeta:
    """The contents of `meta.json`. `vectors` is the family of the vectors ("float" or "int8"):
    only backends of that family may add to the index. `faiss_index` is the kind of the FAISS copy
    when it was last saved."""

    format: int
    model: str
    dimension: int
    backend: str
    precision: str
    vectors: str
    faiss_index: str
    created: str
    metric: str = "inner_product"

    @classmethod
    def new(cls, model: str, dimension: int, backend: str | None, faiss_index: str) -> IndexMeta:
        backend = backend or TORCH
        return cls(
            format=FORMAT_VERSION, model=model, dimension=dimension, backend=backend,
            precision=PRECISION[backend], vectors=FAMILY[backend], faiss_index=faiss_index,
            created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        )

    def with_faiss_index(self, kind: str) -> IndexMeta:
        return dataclasses.replace(self, faiss_index=kind)

    def write(self, directory: Path) -> None:
        write_atomically(directory / META_FILE, json.dumps(dataclasses.asdict(self), indent=2).encode())

    @classmethod
    def read(cls, directory: Path) -> IndexMeta:
        """The index's metadata; raises `FormatMismatch` for another format and `CorruptIndex` for
        a file that cannot be read or holds what no newsbot writes."""
        path = directory / META_FILE
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            found = fields["format"]
            if not isinstance(found, int) or isinstance(found, bool):
                raise TypeError("format")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _unreadable(path, exc) from None
        if found != FORMAT_VERSION:
            raise FormatMismatch(_format_message(directory, found))
        try:
            meta = cls(**fields)
            meta._validate()
        except (TypeError, ValueError) as exc:
            raise _unreadable(path, exc) from None
        return meta

    def _validate(self) -> None:
        for name in ("model", "backend", "precision", "vectors", "faiss_index", "created", "metric"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} is not a name")
        if not isinstance(self.dimension, int) or self.dimension <= 0:
            raise ValueError("dimension is not a positive number")
        if self.backend not in BACKENDS or self.vectors != FAMILY[self.backend]:
            raise ValueError(f"backend {self.backend!r} with {self.vectors!r} vectors")
        if self.metric != "inner_product":
            raise ValueError(f"metric {self.metric!r}")


def _unreadable(path: Path, exc: Exception) -> CorruptIndex:
    return CorruptIndex(f"{path} is unreadable ({exc.__class__.__name__}: {exc}); the index cannot be trusted. {REBUILD}")


def _format_message(directory: Path, found: int) -> str:
    if found < FORMAT_VERSION:
        return (f"the index at {directory} has format {found}, made by an earlier newsbot; this newsbot "
                f"reads format {FORMAT_VERSION}. {REBUILD}")
    return (f"the index at {directory} has format {found}, made by a later newsbot; this newsbot reads "
            f"format {FORMAT_VERSION}. Use that newsbot with it, or build an index of your own with "
            "`newsbot index add PATH --index ANOTHER_DIRECTORY`.")
