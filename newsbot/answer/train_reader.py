"""Trains the reader (`reader.py`) and fits its stage of the sentence scorer: the cross-encoder learns,
on one fold of the training questions, to make the sentences holding a gold answer the likeliest of
each question's sentences (softmax over the sentences of the passages read), and to point at the
gold answer's words in each of those sentences (softmaxes over their tokens); on the other fold, a
logistic regression combines its score with the linear scorer's logit over the linear scorer's `top`
sentences, and the composition thresholds are refitted in that scale. Every figure it reports is of
questions neither was fitted on.

    python -m newsbot.answer.train_reader DATA --index DIR [DATA --index DIR ...] [--features DIR] [--write]

It takes about 30 minutes on two cores (SQuAD train and realtimeqa train); `--reuse` keeps the
shipped reader and refits only its stage and the thresholds (two minutes).
"""

from __future__ import annotations

import dataclasses
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from newsbot.answer import fit
from newsbot.answer.config import TUNED, load_config
from newsbot.answer.reader import READER, PairEncoder, Reader, ReaderSettings, build, save, sentence_tokens
from newsbot.answer.training import parse_pairs, training_parser

LAYERS = 3  # of the embedding model's 6: half the reading time of all six
EPOCHS = 2
LEARNING_RATE = 1e-4
TOPS = (3, 4)  # sentences read per question, each 1 to 3 ms of an answer's time; fewer than an answer's three cap it
WORTH_READING = 0.005  # a sentence more is read only for at least this much more first-sentence precision
SHORT_CURVE = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # short-answer thresholds whose figures the report lists
SEED = 0
SPAN_WEIGHT = 1.0  # the span loss against the sentence-ranking loss


def answer_tokens(encoding, sentence: str, answers: tuple[str, ...]) -> tuple[int, int] | None:
    """The pair's first and last token of the first gold answer written in `sentence` (case aside),
    None when none is written there whole, within the tokens read."""
    lowered = sentence.lower()
    inside = sentence_tokens(encoding)[0]
    offsets = encoding.offsets
    for answer in answers:
        found = lowered.find(answer.strip().lower()) if answer.strip() else -1
        if found < 0:
            continue
        end = found + len(answer.strip())
        first = [i for i in inside if offsets[i][1] > found]
        last = [i for i in inside if offsets[i][0] < end]
        if first and last and first[0] <= last[-1] and offsets[last[-1]][1] >= end:
            return int(first[0]), int(last[-1])
    return None


def train(questions: list[fit.Question], log=print):
    """The cross-encoder fitted on `questions` (those with a sentence holding a gold answer)."""
    import torch

    torch.manual_seed(SEED)
    taught = [q for q in questions if q.labels.any()]
    random.Random(SEED + 1).shuffle(taught)
    model = build(LAYERS)
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    pairs = PairEncoder()
    trained = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=LEARNING_RATE, weight_decay=0.01)
    steps = int(len(taught) * EPOCHS)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    model.train()
    started, running = time.monotonic(), None
    for step in range(steps):
        q = taught[step % len(taught)]
        feeds, encodings = pairs.run(q.question, list(q.texts))
        scores, logits = model(**{name: torch.from_numpy(ids) for name, ids in feeds.items()})
        right = torch.tensor(q.labels, dtype=torch.bool)
        loss = torch.logsumexp(scores, 0) - torch.logsumexp(scores.masked_fill(~right, -1e4), 0)
        spans = [(i, answer_tokens(encodings[i], q.texts[i], q.answers)) for i in np.flatnonzero(q.labels)]
        spans = [(i, span) for i, span in spans if span]
        if spans:
            outside = torch.tensor([[s != 1 for s in encodings[i].sequence_ids] for i, _ in spans])
            chosen = logits[[i for i, _ in spans]].masked_fill(outside.unsqueeze(-1), -1e4)
            targets = torch.tensor([span for _, span in spans])
            loss = loss + SPAN_WEIGHT * 0.5 * (
                torch.nn.functional.cross_entropy(chosen[:, :, 0], targets[:, 0])
                + torch.nn.functional.cross_entropy(chosen[:, :, 1], targets[:, 1]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 500 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps}: loss {running:.3f}, {time.monotonic() - started:.0f} s")
    return model.eval()


def stage(sets: list[list[fit.Question]], linear, reader: Reader, top: int):
    """Each set's questions cut to the linear scorer's `top` sentences, with the two signals of each
    and the chance of the reader's span; the questions' `shorts` say whether each span is right."""
    from newsbot.evaluate import short_is_right

    out = []
    for qs in sets:
        rows = []
        for q in qs:
            logit = linear(q.features)
            keep = np.argsort(-logit, kind="stable")[:top]
            cut = q.rows(keep)
            reading = reader.run(q.question, list(cut.texts))
            shorts = np.array([-1 if span is None else int(short_is_right(span.text, q.answers))
                               for span in reading.spans], dtype=int)
            spans = np.array([0.0 if span is None else span.chance for span in reading.spans])
            rows.append((dataclasses.replace(cut, shorts=shorts), np.column_stack([logit[keep], reading.scores, spans])))
        out.append(rows)
    return out


def combine(sets) -> tuple[float, float, float]:
    """The logistic regression over (linear logit, reader score) on the sentences of `sets`, each set
    weighing the same."""
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([s[:, :2] for rows in sets for _, s in rows])
    y = np.concatenate([q.labels for rows in sets for q, _ in rows])
    sizes = [sum(len(q.labels) for q, _ in rows) for rows in sets]
    weight = np.concatenate([np.full(n, len(y) / (len(sets) * n)) for n in sizes if n])
    model = LogisticRegression(C=fit.C, max_iter=2000).fit(x, y, sample_weight=weight)
    return float(model.coef_[0][0]), float(model.coef_[0][1]), float(model.intercept_[0])


def held_out(sets):
    """Each set's questions with their combined chances from the combination fitted on the other
    half, and the chances of their short answers (combined chance × the span's)."""
    halves = [fit.folds(rows, key=lambda row: row[0].question, salt="stage") for rows in sets]
    questions, chances, shorts = [[] for _ in sets], [[] for _ in sets], [[] for _ in sets]
    for a, b in ((0, 1), (1, 0)):
        linear, read, bias = combine([h[a] for h in halves])
        for i, h in enumerate(halves):
            for q, s in h[b]:
                questions[i].append(q)
                chances[i].append(1 / (1 + np.exp(-(linear * s[:, 0] + read * s[:, 1] + bias))))
                shorts[i].append(chances[i][-1] * s[:, 2])
    return questions, chances, shorts


def main(argv: list[str] | None = None) -> int:
    parser = training_parser(__doc__)
    parser.add_argument("--features", type=Path, metavar="DIR",
                        help="keep each data set's collected sentences here, and read them on the next run")
    parser.add_argument("--reuse", action="store_true", help="keep the shipped reader: refit only its stage")
    parser.add_argument("--write", action="store_true", help=f"write the reader into {READER} and its stage into {TUNED.name}")
    args = parse_pairs(parser, argv)
    names = [data.name for data, _ in args.pairs]
    config = load_config()
    read = config.sentences.passages_read
    weights = np.array([config.sentences.weights[name] for name in fit.FEATURES])

    def linear(features: np.ndarray) -> np.ndarray:
        return features @ weights + config.sentences.bias

    sets = [[q.upto(read) for q in fit.cached(data, index, args.features) if len(q.labels)]
            for data, index in args.pairs]
    parts = [fit.folds(qs) for qs in sets]
    if args.reuse:
        reader = Reader(READER)
        training = reader.settings.trained_on
    else:
        started = time.monotonic()
        model = train([q for p in parts for q in p[0]])
        training = (f"a {LAYERS}-layer cross-encoder trained {EPOCHS} epochs "
                    f"({(time.monotonic() - started) / 60:.1f} min) on "
                    f"{json.dumps(dict(zip(names, (len(p[0]) for p in parts))))} training questions")
        with tempfile.TemporaryDirectory() as scratch:
            save(model, ReaderSettings(LAYERS, training), Path(scratch))
            reader = Reader(Path(scratch))
            reader.model  # loads the saved (float16) weights while the scratch copy exists
    tested = [p[1] for p in parts]
    staged = {top: stage(tested, linear, reader, top) for top in TOPS}
    scored = {top: held_out(staged[top]) for top in TOPS}
    by_top = {top: [round(fit.top1(qs, cs), 4) for qs, cs, _ in zip(*scored[top])] for top in TOPS}
    top = min(t for t in TOPS if np.mean(by_top[t]) >= max(np.mean(v) for v in by_top.values()) - WORTH_READING)
    questions, chances, shorts = scored[top]
    short_above, short_figures = fit.short_threshold(questions, chances, shorts)
    floor, within, answer_figures = fit.composition(questions, chances)
    linear_only = [round(fit.top1(qs, [linear(q.features) for q in qs]), 4) for qs in tested]
    coefficients = combine(staged[top])
    report = {
        "reader": training,
        "tested_on": dict(zip(names, map(len, tested))),
        "linear_precision": dict(zip(names, linear_only)),
        "held_out_precision_by_top": {t: dict(zip(names, by_top[t])) for t in TOPS},
        "top": top,
        "stage": dict(zip(("linear", "reader", "bias"), (round(c, 4) for c in coefficients))),
        "short_answer_above": short_above,
        "short_answers": {names[i]: f for i, f in short_figures.items()},
        "short_answers_at": {above: {names[i]: f for i, f in fit.short_figures(questions, chances, shorts, above).items()}
                             for above in SHORT_CURVE},
        "sentence_floor": floor, "keep_within": within, "answers": answer_figures,
    }
    print(json.dumps(report, indent=2))
    if args.write:
        if not args.reuse:
            save(reader.model, reader.settings)
        write(report)
    return 0


def write(report: dict) -> None:
    """The reader's stage and the refitted thresholds into tuned.json, with their figures."""
    figures = (
        f"newsbot.answer.train_reader: {report['reader']}; on the "
        f"{json.dumps(report['tested_on'])} of the other fold, its score and the linear logit over the "
        f"linear scorer's best {report['top']} sentences picked a sentence holding a gold answer for "
        f"{json.dumps(report['held_out_precision_by_top'][report['top']])} of them (linear scorer alone: "
        f"{json.dumps(report['linear_precision'])}; by sentences read: {json.dumps(report['held_out_precision_by_top'])})."
    )
    tuned = json.loads(TUNED.read_text(encoding="utf-8"))
    tuned["reader"] = {"top": report["top"], **report["stage"]}
    tuned["tuned_on"]["reader"] = figures
    fit.write_composition(tuned, report, "newsbot.answer.train_reader, on held-out questions")
    TUNED.write_text(json.dumps(tuned, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
