"""The `newsbot` command end to end: real files, real index, real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot.cli.main import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, main


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


def test_problems_are_listed_the_good_files_indexed_and_progress_summed_up_unless_quiet(capsys, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text(" date 2020-02-02 Fine article. Indexed.", encoding="utf-8")
    (tmp_path / "in" / "bad.txt").write_text(" date 2020-02-31 Not a real day.", encoding="utf-8")
    code, out, err = run(capsys, "index", "add", str(tmp_path / "in"), "--index", str(tmp_path / "idx"))
    assert code == EXIT_PROBLEMS
    assert "added: 1" in out and "problems: 1" in out
    assert "bad.txt" in err and "malformed date" in err and "Traceback" not in err
    assert "\nnewsbot: done: 1 added, 0 updated, 0 duplicates, 1 problem; " in "\n" + err

    code, out, err = run(capsys, "index", "add", str(tmp_path / "in"), "--index", str(tmp_path / "idx"), "--quiet")
    assert code == EXIT_PROBLEMS and "duplicates: 1" in out
    assert "malformed date" in err and "newsbot: done" not in err


def test_a_file_of_many_bad_lines_lists_the_first_problems_and_counts_them_all(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("newsbot.index.report.KEPT_PROBLEMS", 3)
    lines = ["not json"] * 5 + [json.dumps({"date": "2020-02-02", "text": "The one good line of the file."})]
    (tmp_path / "archive.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "index", "add", str(tmp_path / "archive.jsonl"), "--index", str(tmp_path / "idx"), "--quiet")
    assert code == EXIT_PROBLEMS and "added: 1" in out and "problems: 5" in out
    assert err.count("skipped ") == 3 and "archive.jsonl:3:" in err and "archive.jsonl:4:" not in err
    assert "… and 2 more problems" in err


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


@pytest.mark.parametrize("variable", ["NEWSBOT_ANSWER_THREADS", "NEWSBOT_CONCURRENT_UPDATES", "NEWSBOT_QUESTIONS_PER_MINUTE"])
def test_a_count_below_one_is_reported(capsys, built_index: Path, monkeypatch, variable: str) -> None:
    monkeypatch.setenv(variable, "0")
    code, _, err = run(capsys, "index", "stats", "--index", str(built_index))
    assert code == EXIT_ERROR and f"{variable} must be at least 1, not 0" in err and "Traceback" not in err
