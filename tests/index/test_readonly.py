"""A store opened without `writable` writes nothing: no statement changes the database, no copy of
the vectors is saved, meta.json is never rewritten, and an index on storage no one may write to
still answers."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tiny import DIMENSION, report, write, write_reports

from newsbot.index.store import VECTORS_FILE, Filters, Store, StoreError

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534


def files(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


def unchanged(before: dict[str, tuple[int, int]], directory: Path) -> bool:
    """Whether every file is as it was; a WAL reader may add only SQLite's shared-memory file and
    an empty log, as every reader of a WAL database does."""
    after = files(directory)
    return ({name: after.get(name) for name in before} == before
            and set(after) - set(before) <= {"newsbot.db-wal", "newsbot.db-shm"}
            and after.get("newsbot.db-wal", (0,))[0] == 0)


def build(directory: Path, count: int = 40) -> dict[int, np.ndarray]:
    with Store.open(directory, model="m", dimension=DIMENSION, writable=True) as store:
        return write_reports(store, 0, count, np.random.default_rng(5))


def session(store: Store, stored: dict[int, np.ndarray]) -> None:
    """Everything a reader does: searches of each kind, reads, figures, a refresh."""
    key, vector = next(iter(stored.items()))
    january = Filters(since=dt.date(2024, 1, 2), until=dt.date(2024, 1, 9))
    assert store.dense_search(vector, 3)[0][0] == key
    assert store.dense_search(vector, 5, january) and store.keyword_search('"harbour"', 5, january)
    assert store.term_postings(["harbour"]) == {"harbour": len(stored)}
    assert store.passages([key])[key].article.title and store.sentence_vectors([key])[key]
    store.refresh()
    assert store.stats().passages == len(stored) and store.check() == []


def test_a_read_only_session_changes_no_file(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    stored = build(directory)
    before = files(directory)
    with Store.open(directory) as store:
        session(store, stored)
        for attempt in (lambda: write_reports(store, 100, 1, np.random.default_rng(0)),
                        lambda: store.remove(["any"]), store.repair):
            with pytest.raises(StoreError, match="read-only"):
                attempt()
    assert unchanged(before, directory)


def test_a_reader_mends_a_stale_vectors_file_in_memory_only(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    stored = build(directory)
    stale = (directory / VECTORS_FILE).read_bytes()
    with Store.open(directory, writable=True) as store:
        stored |= write(store, [report(n) for n in range(40, 50)], np.random.default_rng(6))
    (directory / VECTORS_FILE).write_bytes(stale)
    before = files(directory)
    with Store.open(directory) as store:
        assert store.vector_count() == 50 and store.check() == []
        key, vector = max(stored.items())
        assert store.dense_search(vector, 1)[0][0] == key
    assert unchanged(before, directory) and (directory / VECTORS_FILE).read_bytes() == stale


READER = """
import json, sys
import numpy as np
from newsbot.index.store import Store
with Store.open(sys.argv[1]) as store:
    vector = np.array(json.loads(sys.argv[2]), dtype=np.float32)
    store.refresh()
    print(json.dumps({"dense": store.dense_search(vector, 1)[0][0], "passages": store.stats().passages,
                      "keyword": len(store.keyword_search('"harbour"', 100))}))
"""


def test_an_index_no_one_may_write_to_still_answers() -> None:
    """The directory and its files read-only, as on a read-only mount or another user's index
    (run as that other user when the tests run as root, whom permissions do not stop)."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv, so no user is stopped by permissions")
    directory = Path(tempfile.mkdtemp(prefix="newsbot-readonly-")) / "index"
    try:
        stored = build(directory)
        for path in directory.iterdir():
            path.chmod(0o444)
        directory.chmod(0o555)
        directory.parent.chmod(0o755)
        key, vector = next(iter(stored.items()))
        as_other = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []
        if as_other and subprocess.run([*as_other, sys.executable, "-c", "import newsbot"], cwd="/",
                                       capture_output=True, timeout=60).returncode:
            pytest.skip("the other user cannot run this checkout's interpreter (a private parent folder)")
        done = subprocess.run([*as_other, sys.executable, "-c", READER, str(directory), json.dumps(vector.tolist())],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"dense": key, "passages": len(stored), "keyword": len(stored)}
        assert sorted(p.name for p in directory.iterdir()) == [".lock", "meta.json", "newsbot.db", "vectors.faiss"]
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory.parent)
