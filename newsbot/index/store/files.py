"""The index directory's files on disk: whole-file writes by write-then-rename, and the writer lock."""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path
from collections.abc import Callable
from typing import IO

from newsbot.index.store.errors import IndexLocked

LOCK_FILE = ".lock"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` by write-then-rename (see `replace_atomically`)."""
    replace_atomically(path, lambda tmp: tmp.write_bytes(data))


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Have `write` make the new file under a temporary name, flush it to disk, then rename it over
    `path`: a reader, or a process or thread killed meanwhile, sees the old file or the new one, never
    part of one, and writers at once each write their own. A failed write leaves no temporary file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def lock_for_writing(directory: Path) -> IO[str]:
    """Take the index's exclusive writer lock (held until the returned handle is closed), or raise
    `IndexLocked` naming the process that holds it."""
    handle = open(directory / LOCK_FILE, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise IndexLocked(
            f"the index at {directory} is being written by {holder}; "
            "wait for it to finish (two writers are never interleaved)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return handle
