"""How well date windows for "this week" cover the articles that hold the answers, on realtimeqa
train questions (never dev): the measurement behind `answer/timeframe.py`'s seven-day window.

    python scripts/this_week_window.py ../shared/data/realtimeqa

An article counts for a question when it holds the gold answer verbatim, shares two of the
question's first six long words, and is dated within 60 days of the quiz date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

WINDOWS = {"calendar week": None, "7 days up to the question": (-6, 0), "7 days before to 2 after": (-7, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the realtimeqa folder (train-questions.jsonl, train-corpus/)")
    args = parser.parse_args()
    articles = [(dt.date.fromisoformat(a["date"][:10]), a["text"])
                for part in sorted((args.data / "train-corpus").glob("*.jsonl"))
                for a in map(json.loads, part.read_text(encoding="utf-8").splitlines()) if a.get("date")]
    covered = dict.fromkeys(WINDOWS, 0)
    asked = 0
    for line in (args.data / "train-questions.jsonl").read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        if "this week" not in question["question"].lower() or not question["answer_in_corpus"]:
            continue
        ref, answer = dt.date.fromisoformat(question["ref_date"]), question["answers"][0]
        words = re.findall(r"[A-Za-z]{5,}", question["question"])[:6]
        offsets = [(day - ref).days for day, text in articles if abs((day - ref).days) <= 60
                   and answer in text and sum(w in text for w in words) >= 2]
        if not offsets:
            continue
        asked += 1
        for name, window in WINDOWS.items():
            first, last = window or (-ref.weekday(), 6 - ref.weekday())
            covered[name] += any(first <= o <= last for o in offsets)
    print(f"{asked} train questions about 'this week' with an answer-bearing article")
    for name, count in covered.items():
        print(f"{name:28} {count:4}  {count / asked:.3f}")


if __name__ == "__main__":
    main()
