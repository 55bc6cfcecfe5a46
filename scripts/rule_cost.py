"""The cost per answer (ms) of the debris and answer-type rules: over a question set's answers, the
selector's sentence features timed with the rules and the rest of the pipeline beside them.

    python scripts/rule_cost.py DATA --index DIR [--limit N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from newsbot.answer.answer_type import expected_type, new_candidates
from newsbot.answer.debris import is_debris
from newsbot.app import Newsbot
from newsbot.evaluate import load_eval_data, sample
from newsbot.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()
    rules, pipeline, counts = [], [], []
    with Newsbot.open(Settings(index_dir=args.index)) as app:
        engine = app.engine
        for item in sample(load_eval_data(args.data).questions, args.limit, 0):
            started = time.perf_counter()
            query = engine.query(item.question, item.ref_date)
            passages = engine.rerank.run(query, engine.retrieve.run(query))[: engine.config.sentences.passages_read]
            engine.compose.run(query, passages, engine.select.run(query, passages))
            pipeline.append(time.perf_counter() - started)
            sentences = [s.text for p in passages for s in p.sentences]
            started = time.perf_counter()
            expected = expected_type(item.question)
            kept = [s for s in sentences if not is_debris(s)]
            for sentence in kept:
                new_candidates(sentence, expected, item.question)
            rules.append(time.perf_counter() - started)
            counts.append(len(sentences))
    ms = np.array(rules) * 1000
    print(f"{len(ms)} answers, {np.mean(counts):.1f} sentences each: rules {np.mean(ms):.3f} ms mean, "
          f"p95 {np.percentile(ms, 95):.3f} ms; whole answer {np.mean(pipeline) * 1000:.1f} ms mean")


if __name__ == "__main__":
    main()
