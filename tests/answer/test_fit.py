"""The sentence-weight fit: precision of the best-scored sentence, and the grid search over it."""

from __future__ import annotations

import numpy as np

from newsbot.answer.fit import Question, precision, search

START = {"similarity": 0.7, "keywords": 0.25, "rank": 0.15, "recency": 0.1, "answer_type": 0.0}


def _question(rows: list[tuple[float, float, float, float, float]], answer: int) -> Question:
    labels = np.zeros(len(rows), dtype=bool)
    labels[answer] = True
    return Question(np.array(rows), labels)


# Rows: similarity, keywords, rank, recency, answer type. The answer sentence is a little less
# similar than a look-alike but holds the asked type; the sentences are of one date (recency 0).
TYPED = _question([(0.80, 0.5, 1.0, 0.0, 0.0), (0.72, 0.5, 1.0, 0.0, 1.0)], answer=1)
PLAIN = _question([(0.80, 0.5, 1.0, 0.0, 0.0), (0.60, 0.5, 1.0, 0.0, 0.0)], answer=0)


def test_precision_is_the_share_of_questions_answered_by_their_best_sentence() -> None:
    assert precision([TYPED, PLAIN], START) == 0.5
    assert precision([TYPED, PLAIN], {**START, "answer_type": 0.1}) == 1.0


def test_the_search_finds_the_smallest_answer_type_weight_that_helps() -> None:
    fitted = search([TYPED, PLAIN], START)
    assert fitted["answer_type"] == 0.1 and fitted["rank"] == START["rank"]
    assert fitted["similarity"] == START["similarity"] and fitted["keywords"] == START["keywords"]


def test_calibration_sets_the_threshold_under_the_wanted_share_of_answerable_questions(tmp_path, capsys) -> None:
    import json

    from newsbot.answer import calibrate

    paragraphs = {
        "Valemont port": ["The port authority of Valemont opened a new container terminal on Tuesday.",
                          "The terminal cost $410 million and took four years to build."],
        "Tarnow hills": ["Botanists found a rare quillwort fern beside a mountain lake in the Tarnow hills.",
                         "The fern had not been recorded in the region since 1931."],
    }
    questions = {"Valemont port": ["How much did the Valemont terminal cost?", "When did the Valemont terminal open?"],
                 "Tarnow hills": ["What did botanists find in the Tarnow hills?", "When was the fern last recorded?"]}
    data = {"version": "1.1", "data": [
        {"title": title, "paragraphs": [{"context": " ".join(texts), "qas": [
            {"id": f"{title}-{n}", "question": q, "answers": [{"text": texts[0].split()[1], "answer_start": 4}]}
            for n, q in enumerate(questions[title])]}]}
        for title, texts in paragraphs.items()]}
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data))
    answerable, other = calibrate.evidence_scores(path, tmp_path / "index")
    assert answerable.size == 2 and other.size == 2
    # Questions about the indexed article find far better evidence than those about the other.
    assert answerable.min() > other.max()
    assert calibrate.main([str(path), "--index", str(tmp_path / "index"), "--abstain", "0.5"]) == 0
    assert "abstains on 50.0% of 2 questions about indexed articles" in capsys.readouterr().out
