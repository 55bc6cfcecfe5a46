"""An eval summary over part of a details file: the questions whose record in the questions JSONL
has a true `--field` (realtimeqa: answer_in_corpus), beside the summary over all of them.

    python scripts/details_subset.py DETAILS.jsonl QUESTIONS.jsonl [--field answer_in_corpus]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from newsbot.evaluate import Outcome, summarise, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("details", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--field", default="answer_in_corpus")
    args = parser.parse_args()
    chosen = {r["id"] for r in map(json.loads, args.questions.read_text(encoding="utf-8").splitlines())
              if r.get(args.field)}
    outcomes = [Outcome.from_details(json.loads(line))
                for line in args.details.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(table({"all": summarise(outcomes), args.field: summarise([o for o in outcomes if o.id in chosen])}))


if __name__ == "__main__":
    main()
