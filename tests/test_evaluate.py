"""`newsbot eval` on a tiny SQuAD-format fixture: metrics checked against values worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

from newsbot.cli.main import main
from newsbot.evaluate import contains_answer, normalise_answer, short_is_right

from shared import write_jsonl

SQUAD = {
    "version": "v2.0",
    "data": [
        {"title": "Valemont_Harbour", "paragraphs": [
            {"context": "The port authority of Valemont opened a container terminal in 2023. "
                        "The terminal cost 410 million dollars and doubled the harbour's capacity.",
             "qas": [
                 {"id": "q1", "question": "How much did the Valemont terminal cost?",
                  "answers": [{"text": "410 million dollars", "answer_start": 0}]},
                 {"id": "q3", "question": "Who is the mayor of Valemont?", "answers": [], "is_impossible": True},
             ]}]},
        {"title": "Drummel_Frost", "paragraphs": [
            {"context": "A late frost destroyed the apricot blossom in the Drummel valley. "
                        "Temperatures fell to minus six degrees on two nights.",
             "qas": [
                 {"id": "q2", "question": "Which blossom did the frost destroy in Drummel?",
                  "answers": [{"text": "the apricot blossom", "answer_start": 0}]},
             ]}]},
    ],
}


def test_squad_normalisation() -> None:
    assert normalise_answer("The  Apricot, blossom!") == "apricot blossom"
    assert contains_answer("...destroyed the apricot blossom in...", ["Apricot blossom"])
    assert not contains_answer("apricots", ["apricot"])


def test_news_typography_does_not_hide_an_answer() -> None:
    assert contains_answer("Valdoria\u2019s new harbour opened on Monday.", ["Valdoria"])
    assert contains_answer("the prize went to \u201cThe Salt Road.\u201d", ['"The Salt Road"'])
    assert contains_answer("talks on the Valdoria\u2013Mirren border resumed", ["Valdoria-Mirren border"])
    assert contains_answer("the U.S.-Canada crossing", ["US-Canada crossing"])
    assert not contains_answer("Valdorians celebrated", ["Valdoria"])
    assert not contains_answer("the saltroad festival", ["Salt Road"])


def test_a_short_answer_is_right_within_a_gold_answer() -> None:
    assert short_is_right("410 million", ["410 million dollars"])
    assert short_is_right("The Apricot", ["apricot"])
    assert not short_is_right("410 million dollars", ["410 million"])
    assert not short_is_right("41", ["410 million dollars"])


def test_eval_metrics_match_the_hand_worked_values_and_resume(tmp_path: Path, capsys) -> None:
    data = tmp_path / "tiny.json"
    data.write_text(json.dumps(SQUAD), encoding="utf-8")
    out, details = tmp_path / "out.json", tmp_path / "details.jsonl"
    argv = ["eval", str(data), "--index", str(tmp_path / "idx"), "--modes", "hybrid,keyword",
            "--out", str(out), "--details", str(details)]
    assert main(argv) == 0
    table = capsys.readouterr().out
    summary = json.loads(out.read_text(encoding="utf-8"))["modes"]
    lines = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]

    # Two articles of one short paragraph each: every answerable question finds its paragraph first
    # and its answer holds the gold text; citation precision and abstention follow from the details.
    gold = {"q1": ["410 million dollars"], "q2": ["the apricot blossom"]}
    for mode in ("hybrid", "keyword"):
        figures = summary[mode]
        rows = {r["id"]: r for r in lines if r["mode"] == mode}
        first_cited = {q: rows[q]["citations"][0]["sentence"] for q in gold}
        by_hand = sum(contains_answer(first_cited[q], gold[q]) for q in gold) / 2
        assert (figures["questions"], figures["answerable"]) == (3, 2)
        assert figures["recall@1"] == figures["recall@5"] == figures["mrr@10"] == 1.0
        assert figures["answer_hit@1"] == 1.0 and figures["citation_precision"] == by_hand
        assert figures["abstain_answerable"] == 0.0
        assert figures["abstain_unanswerable"] == float(rows["q3"]["abstained"])
        shown = [q for q in rows if rows[q]["short"]]
        assert figures["short_shown"] == round(len(shown) / 3, 4)
        right = [q for q in shown if q in gold and short_is_right(rows[q]["short"], gold[q])]
        answerable_shown = set(shown) & set(gold)
        if answerable_shown:
            assert figures["short_right"] == round(len(right) / len(answerable_shown), 4)
        else:
            assert math.isnan(figures["short_right"])
    assert "recall@1" in table and "hybrid" in table and "keyword" in table
    assert len(lines) == 6 and {(r["id"], r["mode"]) for r in lines} == {
        (q, m) for q in ("q1", "q2", "q3") for m in ("hybrid", "keyword")}
    q1 = next(r for r in lines if r["id"] == "q1" and r["mode"] == "hybrid")
    assert "410 million dollars" in q1["answer"] and q1["citations"][0]["article_id"] == "valemont_harbour"
    assert q1["short"] in (None, "410 million", "410 million dollars") and q1["short_right"] == bool(q1["short"])
    assert len(q1["passages"]) == 2 and q1["latency_ms"] > 0

    assert main(argv) == 0
    capsys.readouterr()
    assert len(details.read_text(encoding="utf-8").splitlines()) == 6, "a second run resumes, adding nothing"
    assert json.loads(out.read_text(encoding="utf-8"))["modes"] == summary


def test_a_question_set_with_answer_in_corpus_gets_every_figure_on_those_questions_too(tmp_path: Path, capsys) -> None:
    corpus = write_jsonl(tmp_path / "articles.jsonl", [
        {"id": "a1", "title": "Harbour terminal opens", "date": "2026-03-02",
         "text": "The port authority of Valemont opened a container terminal on Monday. "
                 "The terminal cost 410 million dollars."},
        {"id": "a2", "title": "Frost in the valley", "date": "2026-03-03",
         "text": "A late frost destroyed the apricot blossom in the Drummel valley."},
    ])
    questions = write_jsonl(tmp_path / "questions.jsonl", [
        {"id": "r1", "question": "How much did the Valemont terminal cost?", "answers": ["410 million dollars"],
         "ref_date": "2026-03-06", "answer_in_corpus": True},
        {"id": "r2", "question": "Which singer opened the Valemont festival?", "answers": ["Mira Vance"],
         "ref_date": "2026-03-06", "answer_in_corpus": False},
    ])
    out = tmp_path / "out.json"
    assert main(["eval", str(questions), "--corpus", str(corpus), "--index", str(tmp_path / "idx"),
                 "--modes", "hybrid", "--out", str(out)]) == 0
    table = capsys.readouterr().out
    summary = json.loads(out.read_text(encoding="utf-8"))["modes"]
    everything, in_corpus = summary["hybrid"], summary["hybrid, answer in corpus"]
    assert (everything["questions"], in_corpus["questions"]) == (2, 1)
    assert in_corpus["recall@1"] == 1.0 and in_corpus["answer_hit@1"] == 1.0
    assert everything["answer_hit@1"] == 0.5, "the question whose answer no article holds is a miss on all"
    assert "answer in corpus" in table
