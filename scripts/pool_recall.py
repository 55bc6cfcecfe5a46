"""Where answers are lost before a sentence is chosen: for each pool size, the share of questions
whose searched passages hold a gold answer at all, and whose re-ranked best 3 / 5 / 10 do (the
shipped re-ranking weights over every pooled passage). A JSONL set's questions whose answer is in
none of its articles (`answer_in_corpus` false) are left out.

    python scripts/pool_recall.py DATA --index DIR [--pools 20,40,80]

A pool of N takes the N best passages of a question's dates and N of any date (as the engine's
`pool` and `beyond_dates`), from N + 30 fused candidates of each search.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from newsbot.answer.evidence import Reranker
from newsbot.answer.retrieve import Retriever
from newsbot.answer.training import training_index
from newsbot.evaluate import contains_answer, load_eval_data

KS = (3, 5, 10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--pools", default="20,40,80", help="comma-separated pool sizes")
    args = parser.parse_args(argv)
    pools = [int(p) for p in args.pools.split(",")]
    loaded = load_eval_data(args.data)
    questions = [q for q in loaded.questions if q.answers and q.in_corpus is not False]
    found = {pool: {"any": 0, **{k: 0 for k in KS}} for pool in pools}
    with training_index(args.index, loaded.articles, args.data) as app:
        engine = app.engine
        rerank = Reranker(replace(engine.config.rerank, keep=max(pools) * 2))
        for question in questions:
            query = engine.query(question.question, question.ref_date)
            for pool in pools:
                app.searcher.fusion = replace(app.searcher.fusion, candidates=pool + 30)
                retrieve = Retriever(app.searcher, replace(engine.config.retrieval, pool=pool, beyond_dates=pool))
                searched = retrieve.run(query)
                ranked = rerank.run(query, searched)
                found[pool]["any"] += any(contains_answer(h.passage.text, question.answers) for h in searched.hits)
                first = next((i for i, p in enumerate(ranked, 1) if contains_answer(p.hit.passage.text, question.answers)),
                             None)
                for k in KS:
                    found[pool][k] += bool(first and first <= k)
    print(f"{len(questions)} questions of {args.data.name}")
    print(f"{'pool':<11} | searched | " + " | ".join(f"re-ranked @{k:<2}" for k in KS))
    for pool in pools:
        shares = [found[pool][key] / max(1, len(questions)) for key in ("any", *KS)]
        cells = [f"{share:<{width}.3f}" for share, width in zip(shares, (8, 13, 13, 13))]
        print((f"{f'{pool} + {pool}':<11} | " + " | ".join(cells)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
