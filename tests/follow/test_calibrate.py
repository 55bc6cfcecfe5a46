"""Fitting and measuring the follow matcher on judged topics, over a real index and the real model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from newsbot.app import Newsbot
from newsbot.follow.calibrate import Scores, figures, fit, main, read_labels
from newsbot.follow.match import MatchConfig
from newsbot.settings import Settings

TOPICS = {
    "container shipping at the port": "container terminal",
    "frost damage to fruit growers": "apricot blossom",
    "train drivers striking": "Rail strike",
}


@pytest.fixture
def labels(tmp_path: Path, built_index: Path) -> Path:
    """Each topic judged against every fixture article, about the one article on it."""
    with Newsbot.open(Settings(index_dir=built_index)) as app:
        articles = app.store.articles()
    path = tmp_path / "labels.jsonl"
    rows = [{"topic": topic, "judged": [a.id for a in articles],
             "about": [a.id for a in articles if words in a.title or words in a.text[:200]]} for topic, words in TOPICS.items()]
    assert all(len(row["about"]) == 1 for row in rows)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_fitting_finds_weights_and_a_threshold_that_separate_the_judged_articles(labels: Path, built_index: Path) -> None:
    topics = read_labels(labels)
    with Newsbot.open(Settings(index_dir=built_index)) as app:
        scores = Scores(app, [t.topic for t in topics])
    config, result = fit(scores, topics)
    assert (result.precision, result.recall, result.about, result.matches) == (1.0, 1.0, 3, 3)
    assert figures(scores, topics, config) == result
    assert all(weight > 0 for weight in config.weights[:3]), "closer in meaning must count for a match"
    never = figures(scores, topics, MatchConfig(config.weights, threshold=1e9))
    assert (never.recall, never.matches) == (0.0, 0)
    everything = figures(scores, topics, MatchConfig(config.weights, threshold=-1e9))
    assert everything.recall == 1.0 and everything.precision == pytest.approx(3 / 15)
    assert everything.unjudged == 0 and result.unjudged == 0
    partly = [dataclasses.replace(t, judged=t.about) for t in topics]
    assert figures(scores, partly, MatchConfig(config.weights, threshold=-1e9)).unjudged == 12


def test_the_command_pools_candidates_and_measures_the_shipped_matcher(tmp_path: Path, labels: Path, built_index: Path,
                                                                        capsys) -> None:
    topics = tmp_path / "topics.txt"
    topics.write_text("\n".join(TOPICS) + "\n", encoding="utf-8")
    out = tmp_path / "pool.jsonl"
    assert main(["pool", str(topics), "--index", str(built_index), "--out", str(out)]) == 0
    pooled = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [p["topic"] for p in pooled] == list(TOPICS)
    assert all(len(p["candidates"]) == 5 and {"id", "title", "date", "lead"} <= set(p["candidates"][0]) for p in pooled)

    assert main(["measure", str(labels), "--index", str(built_index)]) == 0
    printed = capsys.readouterr().out
    assert "3 topics, 5 articles" in printed and "precision" in printed and "recall" in printed


def test_rounds_of_judging_one_topic_are_merged(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    rounds = [{"topic": "rail strike", "judged": ["a", "b"], "about": ["a"]},
              {"topic": "harbour", "judged": ["c"], "about": []},
              {"topic": "rail strike", "judged": ["d"], "about": ["d"]}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rounds), encoding="utf-8")
    topics = read_labels(path)
    assert [t.topic for t in topics] == ["rail strike", "harbour"]
    assert topics[0].judged == {"a", "b", "d"} and topics[0].about == {"a", "d"}
