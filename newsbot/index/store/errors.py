"""The errors an index directory raises; every message is meant for the user and says what to do."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base of the errors an index directory raises."""


class IndexNotFound(StoreError):
    """There is no index at the given directory."""


class CorruptIndex(StoreError):
    """A file of the index cannot be read."""


class FormatMismatch(StoreError):
    """The index was made by a newsbot that writes another format."""


class ModelMismatch(StoreError):
    """The index was built with another embedding model."""


class IndexLocked(StoreError):
    """Another process is writing to the index."""


class RejectedWrite(StoreError):
    """A write broke a rule of the index (an article id or content already indexed); nothing of it
    was stored."""
