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
