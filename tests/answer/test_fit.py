"""The sentence scorer's fit (a logistic regression, and the choices made on held-out folds), and
the abstention calibration."""

from __future__ import annotations

import numpy as np

from newsbot.answer.fit import SHORT_STEP, Question, fit, fit_listwise, folds, held_out, precision, short_threshold
from newsbot.answer.select import FEATURES

from shared import dated_index, write_jsonl

TYPED, SIMILARITY, TERMS = FEATURES.index("typed"), FEATURES.index("similarity"), FEATURES.index("terms")


def _questions(n: int, seed: int) -> list[Question]:
    """Questions of four sentences: the answer is never the most similar one but always the only
    one holding a candidate of the asked type; its passage is ranked second."""
    rng = np.random.default_rng(seed)
    questions = []
    for i in range(n):
        features = rng.uniform(0, 0.2, (4, len(FEATURES)))
        features[:, SIMILARITY] = [0.8, 0.7, 0.6, 0.5]
        features[:, TYPED] = 0
        answer = int(rng.integers(1, 4))
        features[answer, TYPED] = 1
        labels = np.arange(4) == answer
        shorts = np.where(labels, 1, 0)
        questions.append(Question(features, labels, np.array([1, 2, 2, 3]), shorts, f"question {seed}.{i}"))
    return questions


def test_the_scorer_learns_that_the_asked_type_outweighs_similarity() -> None:
    model = fit([_questions(60, 0)])
    weights = dict(zip(FEATURES, model.coef_[0]))
    assert weights["typed"] > 0 and weights["typed"] > abs(weights["similarity"])
    assert precision(model, _questions(40, 1)) == 1.0


def _offset_questions(n: int, seed: int) -> list[Question]:
    """Questions whose sentences' similarity moves with the question (some questions' sentences are
    all far more similar than others'): within a question the answer is always the most similar,
    though across questions similarity says little; the term share is noise that holds the answer
    more often across questions."""
    rng = np.random.default_rng(seed)
    questions = []
    for _ in range(n):
        features = np.zeros((5, len(FEATURES)))
        features[:, SIMILARITY] = rng.uniform(0, 1) + rng.uniform(0, 0.05, 5)
        answer = int(rng.integers(0, 5))
        features[answer, SIMILARITY] = features[:, SIMILARITY].max() + 0.02
        features[:, TERMS] = rng.uniform(0, 1, 5)
        features[answer, TERMS] += rng.uniform(0, 0.6)
        labels = np.arange(5) == answer
        questions.append(Question(features, labels, np.ones(5, dtype=int), np.full(5, -1)))
    return questions


def test_the_listwise_scorer_ranks_within_each_question_where_a_pointwise_fit_is_misled() -> None:
    listwise, pointwise = fit_listwise([_offset_questions(200, 3)]), fit([_offset_questions(200, 3)])
    unseen = _offset_questions(200, 4)
    assert precision(listwise, unseen) >= 0.95
    assert precision(listwise, unseen) > precision(pointwise, unseen) + 0.1
    chances = listwise.predict_proba(unseen[0].features)[:, 1]
    assert ((0 < chances) & (chances < 1)).all(), "the listwise score is turned into a chance"


def test_held_out_chances_come_from_the_other_fold_and_reading_fewer_passages_drops_sentences() -> None:
    sets = [_questions(30, 2)]
    questions, chances = held_out(sets, read=2)
    assert len(questions[0]) == 30 and all(len(q.labels) == 3 for q in questions[0])
    assert all(len(c) == len(q.labels) for q, c in zip(questions[0], chances[0]))


def test_a_question_stays_in_its_half_whatever_else_was_collected() -> None:
    """A model trained on one half is scored on the other, also in a later run whose collection
    dropped or added questions: each question's half is its own."""
    questions = _questions(200, 5)
    first, second = folds(questions)
    assert 70 < len(first) < 130 and len(first) + len(second) == 200
    later = questions[7:] + _questions(20, 6)
    again = folds(later)
    kept = {q.question for q in later}
    assert {q.question for q in first if q.question in kept} <= {q.question for q in again[0]}
    assert not {q.question for q in again[0]} & {q.question for q in second}
    split = folds(first, salt="again")
    assert split[0] and split[1], "a new salt splits a half again"


def test_the_short_answer_threshold_is_the_lowest_chance_with_right_enough_short_answers() -> None:
    right = Question(np.zeros((1, len(FEATURES))), np.array([True]), np.array([1]), np.array([1]))
    wrong = Question(np.zeros((1, len(FEATURES))), np.array([False]), np.array([1]), np.array([0]))
    # Nine right short answers at 0.9, one wrong at 0.5: shown from 0.05 they are right 0.9 of the
    # time, which clears 0.85, so the lowest threshold is chosen.
    sets = [[right] * 9 + [wrong]]
    chances = [[np.array([0.9])] * 9 + [np.array([0.5])]]
    threshold, figures = short_threshold(sets, chances)
    assert threshold == SHORT_STEP and figures[0] == {"shown": 1.0, "right": 0.9}
    sets = [[right] * 5 + [wrong] * 5]
    chances = [[np.array([0.9])] * 5 + [np.array([0.5])] * 5]
    threshold, figures = short_threshold(sets, chances)
    assert threshold == 0.525 and figures[0] == {"shown": 0.5, "right": 1.0}
    # With the short answers' own confidences, those decide, not the sentences' chances.
    confidences = [[np.array([0.3])] * 5 + [np.array([0.6])] * 5]
    threshold, figures = short_threshold(sets, chances, confidences)
    assert threshold == 1.0 and figures[0] == {"shown": 0.0, "right": None}
    threshold, figures = short_threshold([[wrong] * 3], [[np.array([0.9])] * 3])
    assert threshold == 1.0 and figures[0] == {"shown": 0.0, "right": None}, "never right enough: never shown"
    # Each set must be right enough on its own: a set whose short answers are wrong below 0.7 keeps
    # them hidden there, though pooled with a larger right set they would clear 0.85 from the lowest step.
    sets = [[right] * 20, [right] * 2 + [wrong] * 2]
    chances = [[np.array([0.9])] * 20, [np.array([0.8])] * 2 + [np.array([0.6])] * 2]
    threshold, figures = short_threshold(sets, chances)
    assert threshold == 0.625 and figures == {0: {"shown": 1.0, "right": 1.0}, 1: {"shown": 0.5, "right": 1.0}}


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
    answerable, clusters, other = calibrate.evidence_scores(path, tmp_path / "index")
    assert answerable.size == 2 and other.size == 2 and clusters.tolist() == ["valemont_port"] * 2
    # Questions about the indexed article find far better evidence than those about the other.
    assert answerable.min() > other.max()
    assert calibrate.main([str(path), "--index", str(tmp_path / "index"), "--abstain", "0.5"]) == 0
    assert "train.json: abstains on 50.0% of 2 answerable questions" in capsys.readouterr().out


def test_calibration_reads_answerable_questions_of_a_jsonl_set_from_answer_in_corpus(tmp_path) -> None:
    from newsbot.answer import calibrate

    index = dated_index(tmp_path / "index", [
        ("2026-03-03", "Valemont terminal opens",
         "The Valemont container terminal opened on Tuesday and cost $410 million."),
    ]).index_dir
    questions = write_jsonl(tmp_path / "questions.jsonl", [
        {"id": "1", "question": "How much did the Valemont terminal cost?", "answers": ["$410 million"],
         "ref_date": "2026-03-06", "answer_in_corpus": True},
        {"id": "2", "question": "Which band headlined the Corvath jazz festival?", "answers": ["The Lanterns"],
         "ref_date": "2026-03-06", "answer_in_corpus": False},
    ])
    answerable, clusters, other = calibrate.evidence_scores(questions, index)
    assert clusters.tolist() == ["2026-03-06"]
    assert answerable.size == 1 and other.size == 1 and answerable[0] > other[0]


def test_the_threshold_allows_for_clustered_questions() -> None:
    from newsbot.answer.calibrate import conservative_quantile

    rng = np.random.default_rng(5)
    # Ten articles of 100 questions each; how hard an article's questions are varies by article.
    scores = np.concatenate([rng.normal(0.6 + 0.08 * rng.standard_normal(), 0.1, 100) for _ in range(10)])
    clusters = np.repeat(np.arange(10), 100)
    plain = float(np.quantile(scores, 0.03))
    careful = conservative_quantile(scores, clusters, 0.03)
    assert careful < plain, "with few clusters the sample's 3% may be another sample's 5%"
    assert abs(conservative_quantile(scores, np.arange(1000), 0.03, confidence=0.5) - plain) < 0.01
    assert conservative_quantile(scores, np.zeros(1000), 0.03) == plain, "one cluster: nothing to resample"
