"""The `newsbot` command end to end: real files, real index, real model; and an ingest killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.cli import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, main
from index.store import Store


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_stats_search_remove(capsys, tmp_path: Path, articles_dir: Path, embedder) -> None:
    index = str(tmp_path / "idx")
    code, out, err = run(capsys, "index", "add", str(articles_dir), "--index", index)
    assert code == EXIT_OK, err
    assert "added: 5" in out and "problems: 0" in out

    code, out, _ = run(capsys, "index", "stats", "--index", index)
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert lines["articles"] == "5" and int(lines["passages"]) >= 5
    assert lines["model"] == "sentence-transformers/all-MiniLM-L6-v2" and int(lines["size bytes"]) > 0

    code, out, _ = run(capsys, "index", "stats", "--index", index, "--json")
    assert json.loads(out)["articles"] == 5

    code, out, _ = run(capsys, "search", "quillwort near a lake", "--index", index, "-k", "2", "--json")
    hits = json.loads(out)
    assert code == EXIT_OK and "quillwort" in hits[0]["text"] and len(hits) == 2

    code, out, _ = run(capsys, "search", "container terminal", "--index", index, "--mode", "keyword",
                       "--since", "2023-03-01", "--until", "2023-03-15")
    assert code == EXIT_OK and out.startswith("[1] The port authority of Valemont")

    code, out, _ = run(capsys, "index", "remove", "--index", index, "--source", str(articles_dir / "harbour.txt"))
    assert code == EXIT_OK and out.startswith("removed ")
    code, out, _ = run(capsys, "index", "stats", "--index", index, "--json")
    assert json.loads(out)["articles"] == 4


def test_problems_are_listed_and_the_good_files_indexed(capsys, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text(" date 2020-02-02 Fine article. Indexed.", encoding="utf-8")
    (tmp_path / "in" / "bad.txt").write_text(" date 2020-02-31 Not a real day.", encoding="utf-8")
    code, out, err = run(capsys, "index", "add", str(tmp_path / "in"), "--index", str(tmp_path / "idx"))
    assert code == EXIT_PROBLEMS
    assert "added: 1" in out and "problems: 1" in out
    assert "bad.txt" in err and "malformed date" in err and "Traceback" not in err


@pytest.mark.parametrize("argv,message", [
    (["index", "stats"], "no index at"),
    (["search", "anything"], "no index at"),
    (["search", "   "], "query is empty"),
    (["index", "remove"], "give article ids"),
])
def test_clear_errors_without_tracebacks(capsys, tmp_path: Path, argv, message) -> None:
    code, out, err = run(capsys, *argv, "--index", str(tmp_path / "missing"))
    assert code == EXIT_ERROR and message in err and "Traceback" not in err


def test_model_mismatch_is_refused(capsys, built_index: Path) -> None:
    code, _, err = run(capsys, "search", "harbour", "--index", str(built_index), "--model", "other/model")
    assert code == EXIT_ERROR and "built with the model" in err


def test_bad_env_setting_is_reported(capsys, built_index: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_PASSAGE_WORDS", "many")
    code, _, err = run(capsys, "index", "stats", "--index", str(built_index))
    assert code == EXIT_ERROR and "NEWSBOT_PASSAGE_WORDS" in err


def write_corpus(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        body = " ".join(f"Dispatch {i} line {j} reports on topic {i * 7 % 13} in district {j}." for j in range(25))
        (folder / f"a{i:04d}.txt").write_text(f" date 2024-02-{1 + i % 28:02d} {body}", encoding="utf-8")


def passages_in(index: Path) -> int:
    if not (index / "newsbot.db").exists():
        return 0
    try:
        with sqlite3.connect(f"file:{index / 'newsbot.db'}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM passages").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_an_ingest_killed_mid_run_leaves_the_old_index_readable(tmp_path: Path, built_index: Path) -> None:
    with Store.open(built_index) as store:
        old = {r[0]: (r[1], r[2]) for r in store.db.execute("SELECT id, text, vector FROM passages")}
    write_corpus(tmp_path / "big", 300)
    env = {**os.environ, "NEWSBOT_BATCH_SIZE": "8"}
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", "add", str(tmp_path / "big"), "--index", str(built_index), "--quiet"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while passages_in(built_index) <= len(old) and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

    with Store.open(built_index) as store:
        kept = {r[0]: (r[1], r[2]) for r in store.db.execute("SELECT id, text, vector FROM passages")}
        keys = np.array(sorted(r[0] for r in store.db.execute("SELECT rowid FROM passages")))
        assert np.array_equal(store.faiss_keys(), keys)
        partial = store.stats().articles
    assert {k: v for k, v in kept.items() if k in old} == old
    assert 5 < partial < 305

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "index", "add", str(tmp_path / "big"), "--index", str(built_index), "--quiet"],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == EXIT_OK, done.stderr
    assert f"duplicates: {partial - 5}" in done.stdout
    with Store.open(built_index) as store:
        assert store.stats().articles == 305
        ids = [r[0] for r in store.db.execute("SELECT content_hash FROM articles")]
        assert len(ids) == len(set(ids))
