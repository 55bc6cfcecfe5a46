"""Fits the sentence weights of `tuned.json` on training questions: each question's quotable
sentences and their features are read once, then a grid search maximises the share of questions
whose best-scored sentence holds a gold answer (the eval's citation precision). The similarity
weight stays as it is: it sets the scale that the composition thresholds were tuned to; the
keyword weight too by default, since SQuAD rewards copied words that paraphrased questions lack.

    python -m newsbot.answer.fit DATA --index DIR [DATA --index DIR ...] [--features F.pickle] [--write]
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsbot.answer.answer_type import expected_type
from newsbot.answer.config import TUNED, load_config
from newsbot.answer.select import sentence_features

WEIGHTS = ("similarity", "keywords", "rank", "recency", "answer_type")
FITTED = ("rank", "answer_type")
GRID = {
    "keywords": (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8),
    "rank": (0.0, 0.05, 0.1, 0.15, 0.2, 0.3),
    "recency": (0.0, 0.05, 0.1, 0.15, 0.2),
    "answer_type": (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
}


@dataclass(frozen=True)
class Question:
    """One answered training question: its sentences' features (rows) and which hold an answer."""

    features: np.ndarray
    labels: np.ndarray


def collect(data: Path, index: Path) -> list[Question]:
    """The training questions of `data` over the index at `index` that the composer would answer."""
    from newsbot.app import Newsbot
    from newsbot.evaluate import contains_answer, load_eval_data
    from newsbot.settings import Settings

    questions = [q for q in load_eval_data(data).questions if q.answers]
    collected = []
    with Newsbot.open(Settings(index_dir=index)) as app:
        engine = app.engine
        for item in questions:
            query = engine.query(item.question, item.ref_date)
            passages = engine.rerank.run(query, engine.retrieve.run(query))
            if not passages or passages[0].score < engine.config.composition.abstain_below:
                continue
            read = passages[: engine.config.sentences.passages_read]
            rows = [((s.similarity, s.terms, f.rank, f.recency, float(bool(f.candidates))),
                     contains_answer(s.text, item.answers))
                    for s, f in sentence_features(query, read, expected_type(item.question))]
            if rows:
                collected.append(Question(np.array([r for r, _ in rows]), np.array([h for _, h in rows])))
    return collected


def precision(questions: list[Question], weights: dict[str, float]) -> float:
    """The share of questions whose best-scored sentence holds a gold answer."""
    w = np.array([weights[name] for name in WEIGHTS])
    return float(np.mean([q.labels[int(np.argmax(q.features @ w))] for q in questions])) if questions else 0.0


def search(questions: list[Question], start: dict[str, float], names: tuple[str, ...] = FITTED) -> dict[str, float]:
    """The best weights `names` on GRID's full product, the others as in `start`; of equal
    precisions, the one nearest `start`."""
    best, key = dict(start), (precision(questions, start), 0.0)
    for values in itertools.product(*(GRID[name] for name in names)):
        trial = {**start, **dict(zip(names, values))}
        trial_key = (precision(questions, trial), -sum(abs(trial[n] - start[n]) for n in names))
        if trial_key > key:
            best, key = trial, trial_key
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", metavar="DATA --index DIR")
    parser.add_argument("--index", action="append", type=Path, required=True)
    parser.add_argument("--features", type=Path, help="read the collected features here, or collect and save them")
    parser.add_argument("--fit", default=",".join(FITTED), help="comma-separated weights to fit (default: %(default)s)")
    parser.add_argument("--write", action="store_true", help=f"write the weights into {TUNED.name}")
    args = parser.parse_intermixed_args(argv)
    if len(args.pairs) != len(args.index):
        parser.error("give one --index per data file")
    if args.features and args.features.exists():
        questions = [Question(*arrays) for arrays in pickle.loads(args.features.read_bytes())]
    else:
        questions = [q for data, index in zip(args.pairs, args.index) for q in collect(Path(data), index)]
        if args.features:
            args.features.write_bytes(pickle.dumps([(q.features, q.labels) for q in questions]))
    start = {name: getattr(load_config().sentences, name) for name in WEIGHTS}
    names = tuple(args.fit.split(","))
    order = random.Random(0).sample(range(len(questions)), len(questions))
    half, rest = [questions[i] for i in order[::2]], [questions[i] for i in order[1::2]]
    fitted_half = search(half, start, names)
    fitted = search(questions, start, names)
    report = {
        "questions": len(questions), "start": start, "start_precision": round(precision(questions, start), 4),
        "fitted": fitted, "fitted_precision": round(precision(questions, fitted), 4),
        "half_fitted": fitted_half, "half_in": round(precision(half, fitted_half), 4),
        "half_out": round(precision(rest, fitted_half), 4), "half_out_start": round(precision(rest, start), 4),
        "without_answer_type": round(precision(questions, search(questions, {**start, "answer_type": 0.0},
                                                                 ("rank",))), 4),
        "keywords_free": round(precision(questions, search(questions, start, WEIGHTS[1:])), 4),
    }
    print(json.dumps(report, indent=2))
    if args.write:
        write(fitted, report, [str(p) for p in args.pairs], names)
    return 0


def write(fitted: dict[str, float], report: dict, data: list[str], names: tuple[str, ...]) -> None:
    """The fitted weights and their training figures into tuned.json's `sentences` section."""
    tuned = json.loads(TUNED.read_text(encoding="utf-8"))
    tuned["sentences"].update(fitted)
    tuned["tuned_on"]["sentences"] = (
        f"newsbot.answer.fit of {'/'.join(names)} on {', '.join(Path(d).name for d in data)} "
        f"({report['questions']} answered questions, "
        f"questions and page furniture never quoted): first-cited-sentence precision {report['start_precision']} "
        f"with the previous weights, {report['fitted_precision']} fitted; fitted on a random half "
        f"{report['half_in']}, on the other half {report['half_out']} (previous weights: {report['half_out_start']}); "
        f"best without the answer-type feature {report['without_answer_type']}; with the keyword weight fitted "
        f"too {report['keywords_free']}; it stays at 0.25, since 0.3-0.4 answered the paraphrase test "
        f"(tests/answer/test_engine.py) with the wrong sentence first when the keyword weight was last tuned."
    )
    TUNED.write_text(json.dumps(tuned, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
