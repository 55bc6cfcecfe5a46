"""Calibrates `abstain_below` in `tuned.json` on training data: the best passage's evidence score
is read for every question, and the threshold is the highest score under which at most the wanted
share of each data set's answerable questions falls, with `CONFIDENCE`: questions come in clusters
(SQuAD's by article, a quiz's by its week) that make one sample's share a loose estimate, so the
threshold is the lower `1 - CONFIDENCE` quantile of that share's score over resamples of the
clusters. Its unanswerable questions show what that costs: how often the engine then abstains where
it should.

SQuAD-format data: the first half of its articles is indexed (into DIR when DIR is new), and the
questions about the other half are the unanswerable ones. A JSONL question set (realtimeqa) over an
index of its articles: the questions with `answer_in_corpus` are the answerable ones.

    python -m newsbot.answer.calibrate DATA --index DIR [DATA --index DIR ...] [--abstain 0.03] [--write]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from newsbot.answer.config import TUNED
from newsbot.answer.training import parse_pairs, training_index, training_parser

ABSTAIN = 0.03
CONFIDENCE = 0.9
RESAMPLES = 2000


def conservative_quantile(scores: np.ndarray, clusters: np.ndarray, share: float,
                          confidence: float = CONFIDENCE, resamples: int = RESAMPLES) -> float:
    """A score under which at most `share` of questions like these fall, with `confidence`: the
    `1 - confidence` quantile of the `share` quantile over resamples of whole clusters."""
    names, members = np.unique(clusters, return_inverse=True)
    grouped = [scores[members == n] for n in range(len(names))]
    rng = np.random.default_rng(0)
    quantiles = [np.quantile(np.concatenate([grouped[i] for i in rng.integers(0, len(grouped), len(grouped))]), share)
                 for _ in range(resamples)]
    return float(np.quantile(quantiles, 1 - confidence))


def evidence_scores(data: Path, index: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best re-ranked passage's score of each question (0 when nothing is found), for the
    answerable questions (and the cluster of each: its article, else its date) and the others."""
    from newsbot.evaluate import load_eval_data

    loaded = load_eval_data(data)
    half = loaded.articles[: (len(loaded.articles) + 1) // 2]
    with training_index(index, half, data) as app:
        indexed = {a.id for a in half}
        engine = app.engine
        scores: dict[bool, list[float]] = {True: [], False: []}
        clusters = []
        for item in loaded.questions:
            query = engine.query(item.question, item.ref_date)
            passages = engine.rerank.run(query, engine.retrieve.run(query))
            answerable = bool(item.in_corpus) if item.in_corpus is not None else item.article_id in indexed
            scores[answerable].append(passages[0].score if passages else 0.0)
            if answerable:
                clusters.append(str(item.article_id or item.ref_date or item.id))
    return np.array(scores[True]), np.array(clusters), np.array(scores[False])


def main(argv: list[str] | None = None) -> int:
    parser = training_parser(__doc__)
    parser.add_argument("--abstain", type=float, default=ABSTAIN, help="share of answerable questions to abstain on")
    parser.add_argument("--confidence", type=float, default=CONFIDENCE,
                        help="how sure to be that no more than that share is abstained on (0.5: the sample's share)")
    parser.add_argument("--write", action="store_true", help=f"write the threshold into {TUNED.name}")
    args = parse_pairs(parser, argv)
    sets = [(data.name, *evidence_scores(data, index)) for data, index in args.pairs]
    threshold = round(min(conservative_quantile(answerable, clusters, args.abstain, args.confidence)
                          for _, answerable, clusters, _ in sets), 3)
    report = f"abstain_below {threshold} (at most {args.abstain:.0%} with confidence {args.confidence}): " + "; ".join(
        f"{name}: abstains on {np.mean(answerable < threshold):.1%} of {answerable.size} answerable questions "
        f"and {np.mean(other < threshold):.1%} of {other.size} others" for name, answerable, _, other in sets)
    print(report)
    if args.write:
        tuned = json.loads(TUNED.read_text())
        tuned["composition"]["abstain_below"] = threshold
        tuned["tuned_on"]["abstain_below"] = f"newsbot.answer.calibrate: {report}."
        TUNED.write_text(json.dumps(tuned, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
