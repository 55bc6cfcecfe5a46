"""Calibrates `abstain_below` in `tuned.json` on SQuAD-format training data: the first half of its
articles is indexed, the best passage's evidence score is read for every question, and the
threshold is the score under which the wanted share of the questions about indexed articles
falls. The questions about the other half (articles not indexed) show what it costs: how often
the engine then abstains where it should.

    python -m newsbot.answer.calibrate TRAIN.json --index DIR [--abstain 0.03] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from newsbot.answer.config import TUNED

ABSTAIN = 0.03


def evidence_scores(data: Path, index: Path) -> tuple[np.ndarray, np.ndarray]:
    """The best re-ranked passage's score of each question (0 when nothing is found), for the
    questions about indexed articles and about the others; indexes the first half when `index` is new."""
    from newsbot.app import Newsbot
    from newsbot.evaluate import load_eval_data
    from newsbot.index.store import index_exists
    from newsbot.settings import Settings

    loaded = load_eval_data(data)
    half = loaded.articles[: (len(loaded.articles) + 1) // 2]
    settings = Settings.from_env(index_dir=index)
    fresh = not index_exists(index)
    with Newsbot.open(settings, writable=fresh, create=fresh) as app:
        if fresh:
            app.add(half)
        indexed = {a.id for a in half}
        engine = app.engine
        scores: dict[bool, list[float]] = {True: [], False: []}
        for item in loaded.questions:
            query = engine.query(item.question, item.ref_date)
            passages = engine.rerank.run(query, engine.retrieve.run(query))
            scores[item.article_id in indexed].append(passages[0].score if passages else 0.0)
    return np.array(scores[True]), np.array(scores[False])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="SQuAD-format training JSON")
    parser.add_argument("--index", type=Path, required=True, help="index of the first half (built when new)")
    parser.add_argument("--abstain", type=float, default=ABSTAIN, help="share of answerable questions to abstain on")
    parser.add_argument("--write", action="store_true", help=f"write the threshold into {TUNED.name}")
    args = parser.parse_args(argv)
    answerable, other = evidence_scores(args.data, args.index)
    threshold = round(float(np.quantile(answerable, args.abstain)), 3)
    report = (f"abstain_below {threshold}: abstains on {np.mean(answerable < threshold):.1%} of {answerable.size} "
              f"questions about indexed articles and {np.mean(other < threshold):.1%} of {other.size} about the others")
    print(report)
    if args.write:
        tuned = json.loads(TUNED.read_text())
        tuned["composition"]["abstain_below"] = threshold
        tuned["tuned_on"]["abstain_below"] = f"newsbot.answer.calibrate on {args.data.name}: {report}."
        TUNED.write_text(json.dumps(tuned, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
