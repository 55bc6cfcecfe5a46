"""Crash safety: `newsbot index add` killed with SIGKILL at 20 seeded points spread over a job."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np

from newsbot.index.store import DB_FILE, VECTORS_FILE, Database, StoreError, Store

KILL_POINTS = 20
ARTICLES = 200
SEED = 20261125


def write_corpus(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        body = " ".join(f"Dispatch {i} reports item {j} on topic {i * 7 % 13} in district {j}." for j in range(6))
        (folder / f"a{i:04d}.txt").write_text(f" date 2024-02-{1 + i % 28:02d} {body}", encoding="utf-8")


def passages_on_disk(index: Path) -> int:
    try:
        with Database.open(index / DB_FILE, writable=False) as db:
            return db.counts()[1]
    except StoreError:
        return 0


def state(index: Path) -> tuple[dict, list[str]]:
    """Every passage (text and vector bytes) and every content hash, as a fresh reader sees them;
    every passage has its sentence vectors."""
    with Store.open(index) as store:
        articles = store.articles()
        passages = {p.id: (p.text, vector.tobytes()) for a in articles for p, vector in store.article_passages(a.id)}
        keys = store.passage_keys()
        assert np.array_equal(store.faiss_keys(), keys), "FAISS ids and SQLite rows differ"
        assert store.check() == [], store.check()
        assert len(store.sentence_vectors(keys.tolist())) == keys.size, "a passage lacks its sentence vectors"
        hashes = [a.content_hash for a in articles]
    return passages, hashes


def add(index: Path, corpus: Path) -> subprocess.Popen:
    env = {**os.environ, "NEWSBOT_COMMIT_PASSAGES": "10", "NEWSBOT_BATCH_SIZE": "8"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsbot.cli.main", "index", "add", str(corpus), "--index", str(index), "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_at_twenty_points_never_loses_or_duplicates(tmp_path: Path, built_index: Path, reliability) -> None:
    write_corpus(tmp_path / "corpus", ARTICLES)
    rng = random.Random(SEED)
    base = passages_on_disk(built_index)
    total = base + ARTICLES
    targets = sorted(rng.sample(range(base, total - 5), KILL_POINTS))
    kills = 0
    for target in targets:
        before, _ = state(built_index)
        child = add(built_index, tmp_path / "corpus")
        deadline = time.monotonic() + 120
        while child.poll() is None and passages_on_disk(built_index) <= target and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.communicate()
        faiss.read_index(str(built_index / VECTORS_FILE))
        after, hashes = state(built_index)
        assert {k: v for k, v in after.items() if k in before} == before, "a kill changed indexed passages"
        assert len(hashes) == len(set(hashes)), "a kill left a duplicate article"
    assert kills >= KILL_POINTS - 2, f"only {kills} runs were killed mid-job"

    indexed = len(state(built_index)[1])
    done = add(built_index, tmp_path / "corpus")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert f"duplicates: {indexed - 5}" in out
    passages, hashes = state(built_index)
    assert len(hashes) == 5 + ARTICLES == len(set(hashes))
    reliability.row("Kill points", job=f"index add, {ARTICLES} articles, a commit every 10 passages",
                    **{"kill points": KILL_POINTS, "killed mid-job, all survived": kills,
                       "indexed before the last run": indexed - 5, "complete after the last run": len(hashes) - 5})
