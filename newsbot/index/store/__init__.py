"""The index store, split by job: `meta` (meta.json), `database` (SQLite, the truth), `vectors` (the
FAISS copy), `files` (atomic writes, the writer lock) and `store` (the `Store` that composes them);
`protocol` is the interface the rest of newsbot relies on."""

from newsbot.index.store.codec import decode_vectors, encode_vectors
from newsbot.index.store.database import DB_FILE, Database
from newsbot.index.store.errors import (
    CorruptIndex,
    FormatMismatch,
    IndexLocked,
    IndexNotFound,
    ModelMismatch,
    RejectedWrite,
    StoreError,
)
from newsbot.index.store.files import LOCK_FILE
from newsbot.index.store.meta import FORMAT_VERSION, META_FILE, IndexMeta
from newsbot.index.store.protocol import PassageStore
from newsbot.index.store.store import VECTORS_FILE, Store, index_exists
from newsbot.index.store.types import ArticleRef, Filters, Headline, SentenceVector, Stats, StoredPassage
from newsbot.index.store.vectors import VectorIndex

__all__ = [
    "DB_FILE", "FORMAT_VERSION", "LOCK_FILE", "META_FILE", "VECTORS_FILE",
    "ArticleRef", "CorruptIndex", "Database", "Filters", "FormatMismatch", "Headline", "IndexLocked", "IndexMeta",
    "IndexNotFound", "ModelMismatch", "PassageStore", "RejectedWrite", "SentenceVector", "Stats", "Store",
    "StoreError", "StoredPassage", "VectorIndex", "decode_vectors", "encode_vectors", "index_exists",
]
