"""Fits the sentence scorer of `tuned.json` on training questions: a linear model over each
quotable sentence's features (`select.FEATURES`) that gives the chance it holds a gold answer (a
logistic regression over sentences, or a conditional logit over each question's sentences,
whichever picks the right first sentence more often on held-out folds), how many re-ranked passages
it reads, and the composition thresholds in its scale (when a short answer is shown, when a second
sentence is). Every choice is made on questions the model was not fitted on
(two folds), each data set weighing the same.

    python -m newsbot.answer.fit DATA --index DIR [DATA --index DIR ...] [--features DIR] [--write]

SQuAD-format DATA is indexed into DIR when DIR is new; a JSONL question set needs DIR built from
its articles (`newsbot index add`).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from newsbot.answer.answer_type import expected_type
from newsbot.answer.config import TUNED
from newsbot.answer.select import FEATURES, candidate_short, sentence_features
from newsbot.answer.training import parse_pairs, training_index, training_parser

READS = (2, 3, 4, 6, 8, 10)
SHORT_RIGHT = 0.85  # the share of shown short answers that must be right: a wrong one in bold misleads
SHORT_STEP = 0.025  # the grid of short-answer thresholds tried
MEAN_SENTENCES = 2.5  # at most two or three sentences an answer on average keep a reply short to read
FLOORS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
WITHIN = (0.3, 0.4, 0.5, 0.6, 0.7, 0.85)
C = 1.0  # the regression's inverse regularisation strength
LISTWISE_L2 = 1e-3  # the conditional logit's penalty on its (standardised) weights


@dataclass(frozen=True)
class Question:
    """One training question: its sentences' features (rows), which hold a gold answer, the
    re-ranked rank of their passages, and whether the short answer each would give is right (1),
    wrong (0) or none (-1)."""

    features: np.ndarray
    labels: np.ndarray
    ranks: np.ndarray
    shorts: np.ndarray
    question: str = ""
    texts: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()

    def upto(self, read: int) -> Question:
        return self.rows(self.ranks <= read)

    def rows(self, keep: np.ndarray) -> Question:
        """The question with only the sentences `keep` selects (a mask or indices)."""
        texts = tuple(np.array(self.texts, dtype=object)[keep]) if self.texts else ()
        return Question(self.features[keep], self.labels[keep], self.ranks[keep], self.shorts[keep],
                        self.question, texts, self.answers)


def collect(data: Path, index: Path, read: int = max(READS)) -> list[Question]:
    """The training questions of `data` over the index at `index` that the composer would answer."""
    from newsbot.evaluate import contains_answer, load_eval_data, short_is_right

    loaded = load_eval_data(data)
    collected = []
    with training_index(index, loaded.articles, data) as app:
        engine = app.engine
        for item in loaded.questions:
            if not item.answers:
                continue
            query = engine.query(item.question, item.ref_date)
            passages = engine.rerank.run(query, engine.retrieve.run(query))
            if not passages or passages[0].score < engine.config.composition.abstain_below:
                continue
            expected = expected_type(item.question)
            rows, labels, ranks, shorts, texts = [], [], [], [], []
            for sentence, features in sentence_features(query, passages, expected, read):
                rows.append(features.values)
                texts.append(sentence.text)
                labels.append(contains_answer(sentence.text, item.answers))
                ranks.append(sentence.hit.rank)
                short = candidate_short(features.candidates, expected, features.lead)
                shorts.append(-1 if short is None else int(short_is_right(short, item.answers)))
            if rows:
                collected.append(Question(np.array(rows), np.array(labels), np.array(ranks), np.array(shorts),
                                          item.question, tuple(texts), item.answers))
    return collected


def cached(data: Path, index: Path, folder: Path | None) -> list[Question]:
    """`collect(data, index)`, kept in `folder` (when given) as `<data name>.questions.pickle` for the
    next run; one kept with other fields than `Question`'s is collected again."""
    path = folder / f"{data.name}.questions.pickle" if folder else None
    if path and path.exists():
        kept = pickle.loads(path.read_bytes())
        if all(len(k) == len(fields(Question)) for k in kept):
            return [Question(*k) for k in kept]
    questions = collect(data, index)
    if path:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps([(q.features, q.labels, q.ranks, q.shorts, q.question, q.texts, q.answers)
                                       for q in questions]))
    return questions


def _sentences(sets: list[list[Question]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sentence's features and label, and a weight that makes each set weigh the same in total."""
    x = np.concatenate([q.features for qs in sets for q in qs])
    y = np.concatenate([q.labels for qs in sets for q in qs])
    rows = [sum(len(q.labels) for q in qs) for qs in sets]
    return x, y, np.concatenate([np.full(n, len(y) / (len(sets) * n)) for n in rows if n])


def fit(sets: list[list[Question]]):
    """A logistic regression over the sentences of `sets`, each set weighing the same in total."""
    from sklearn.linear_model import LogisticRegression

    x, y, weight = _sentences(sets)
    return LogisticRegression(C=C, max_iter=2000).fit(x, y, sample_weight=weight)


@dataclass(frozen=True)
class Linear:
    """A fitted linear scorer in the runtime's form: chance = sigmoid(features @ coef_[0] + intercept_[0])."""

    coef_: np.ndarray
    intercept_: np.ndarray

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        chance = 1 / (1 + np.exp(-(x @ self.coef_[0] + self.intercept_[0])))
        return np.column_stack([1 - chance, chance])


def fit_listwise(sets: list[list[Question]]) -> Linear:
    """A conditional logit: the weights that make a question's sentences holding a gold answer the
    likeliest of its sentences (softmax over each question's sentences; each set weighing the same,
    questions without such a sentence teaching nothing), what the answer's first sentence is chosen
    by; then a one-feature logistic regression on that score turns it into a chance, for the
    composition thresholds."""
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression

    taught = [[q for q in qs if q.labels.any()] for qs in sets]
    questions = [q for qs in taught for q in qs]
    x = np.concatenate([q.features for q in questions])
    y = np.concatenate([q.labels for q in questions]).astype(float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    sizes = np.array([len(q.labels) for q in questions])
    starts = np.cumsum(sizes) - sizes
    per_question = np.concatenate([np.full(len(qs), 1 / (len(sets) * len(qs))) for qs in taught if qs])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        scores = z @ w
        shifted = np.exp(scores - np.repeat(np.maximum.reduceat(scores, starts), sizes))
        every = np.add.reduceat(shifted, starts)
        right = np.add.reduceat(shifted * y, starts)
        value = float(per_question @ (np.log(every) - np.log(right))) + LISTWISE_L2 * float(w @ w)
        p_all = shifted / np.repeat(every, sizes)
        p_right = shifted * y / np.repeat(right, sizes)
        gradient = z.T @ ((p_all - p_right) * np.repeat(per_question, sizes)) + 2 * LISTWISE_L2 * w
        return value, gradient

    w = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    every_x, every_y, weight = _sentences(sets)
    score = ((every_x - mean) / scale) @ w
    platt = LogisticRegression(C=C, max_iter=2000).fit(score[:, None], every_y, sample_weight=weight)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    return Linear(np.array([a * w / scale]), np.array([b - a * float((w * mean / scale).sum())]))


def chances(model, question: Question) -> np.ndarray:
    return model.predict_proba(question.features)[:, 1] if len(question.labels) else np.zeros(0)


def precision(model, questions: list[Question]) -> float:
    """The share of questions whose best-scored sentence holds a gold answer."""
    hits = [q.labels[int(np.argmax(chances(model, q)))] if len(q.labels) else False for q in questions]
    return float(np.mean(hits)) if hits else 0.0


def folds(items: list, key: Callable[[object], str] = lambda q: q.question, salt: str = "") -> tuple[list, list]:
    """Two halves of `items`, each one's by a hash of its question (`key`) and `salt`: a question
    falls in the same half however the list was collected, so a model trained on one half is
    scored on the other in every later run too (a new `salt` splits a half again)."""
    halves: tuple[list, list] = ([], [])
    for item in items:
        digest = hashlib.blake2b(f"{salt}:{key(item)}".encode(), digest_size=8).digest()
        halves[digest[-1] & 1].append(item)
    return halves


def held_out(sets: list[list[Question]], read: int, fitter=fit) -> tuple[list[list[Question]], list[list[np.ndarray]]]:
    """Each set's questions (read up to `read` passages) with their chances from the model fitted
    (by `fitter`) on the other fold."""
    parts = [folds([q.upto(read) for q in qs]) for qs in sets]
    out_questions: list[list[Question]] = [[] for _ in sets]
    out_chances: list[list[np.ndarray]] = [[] for _ in sets]
    for train, test in ((0, 1), (1, 0)):
        model = fitter([p[train] for p in parts])
        for i, p in enumerate(parts):
            out_questions[i] += p[test]
            out_chances[i] += [chances(model, q) for q in p[test]]
    return out_questions, out_chances


def top1(questions: list[Question], scores: list[np.ndarray]) -> float:
    return float(np.mean([q.labels[int(np.argmax(s))] if len(s) else False for q, s in zip(questions, scores)]))


def short_threshold(sets, scores, confidences=None) -> tuple[float, dict]:
    """The lowest confidence at which the best sentences' short answers are right `SHORT_RIGHT` of
    the time in every set that shows any (1.0, never, when none is), and `short_figures` there:
    each kind of question must be served right, not their mixture. A short answer's confidence is
    its sentence's chance, or its entry in `confidences` when given."""
    best = _best_shorts(sets, scores, confidences)
    threshold = 1.0  # never shown: no threshold gives right enough short answers
    for step in np.round(np.arange(SHORT_STEP, 1.0, SHORT_STEP), 3):
        per_set = [_shown(b, step) for b in best]
        if any(per_set) and all(np.mean(s) >= SHORT_RIGHT for s in per_set if s):
            threshold = float(step)
            break
    return threshold, _figures(sets, best, threshold)


def short_figures(sets, scores, confidences, above: float) -> dict:
    """Per set, the share of questions shown a short answer at confidence `above`, and the share of those right."""
    return _figures(sets, _best_shorts(sets, scores, confidences), above)


def _best_shorts(sets, scores, confidences) -> list[list[tuple[float, int]]]:
    """Per set, the (confidence, right) of each question's best-scored sentence's short answer."""
    confidences = scores if confidences is None else confidences
    return [[(float(c[int(np.argmax(s))]), int(q.shorts[int(np.argmax(s))]))
             for q, s, c in zip(qs, ss, cs) if len(s)] for qs, ss, cs in zip(sets, scores, confidences)]


def _shown(per_set: list[tuple[float, int]], above: float) -> list[int]:
    return [right for confidence, right in per_set if confidence >= above and right >= 0]


def _figures(sets, best, above: float) -> dict:
    figures = {}
    for i, (qs, per_set) in enumerate(zip(sets, best)):
        rights = _shown(per_set, above)
        figures[i] = {"shown": round(len(rights) / max(1, len(qs)), 3),
                      "right": round(float(np.mean(rights)), 3) if rights else None}
    return figures


def composition(sets, scores) -> tuple[float, float, dict]:
    """The sentence floor and keep-within ratio (up to three sentences) under which the answer holds
    a gold answer most often with at most `MEAN_SENTENCES` sentences on average (duplicates not merged)."""
    best = (-1.0, 0.0, 0.0, 0.0)
    for floor in FLOORS:
        for within in WITHIN:
            hits, lengths = [], []
            for qs, ss in zip(sets, scores):
                h, n = [], []
                for q, s in zip(qs, ss):
                    order = np.argsort(-s)[:3] if len(s) else np.zeros(0, dtype=int)
                    kept = [i for j, i in enumerate(order) if j == 0 or s[i] >= max(floor, s[order[0]] * within)]
                    h.append(bool(any(q.labels[i] for i in kept)))
                    n.append(len(kept))
                hits.append(float(np.mean(h)))
                lengths.append(float(np.mean(n)))
            if max(lengths) <= MEAN_SENTENCES and np.mean(hits) > best[0]:
                best = (float(np.mean(hits)), floor, within, max(lengths))
    return best[1], best[2], {"answer_hit": round(best[0], 4), "mean_sentences": round(best[3], 2)}


FITTERS = {"logistic": fit, "listwise": fit_listwise}
MODELS = {"logistic": "logistic regression over sentences",
          "listwise": "conditional logit over each question's sentences (then a logistic link to a chance)"}


def main(argv: list[str] | None = None) -> int:
    parser = training_parser(__doc__)
    parser.add_argument("--features", type=Path, metavar="DIR",
                        help="keep each data set's collected features here, and read them on the next run")
    parser.add_argument("--write", action="store_true", help=f"write the scorer into {TUNED.name}")
    args = parse_pairs(parser, argv)
    sets = [cached(data, index, args.features) for data, index in args.pairs]
    names = [data.name for data, _ in args.pairs]
    by_read = {}
    for kind, fitter in FITTERS.items():
        for read in READS:
            questions, scores = held_out(sets, read, fitter)
            by_read[kind, read] = [round(top1(qs, ss), 4) for qs, ss in zip(questions, scores)]
    kind, read = max(by_read, key=lambda choice: (np.mean(by_read[choice]), -choice[1]))
    fitter = FITTERS[kind]
    questions, scores = held_out(sets, read, fitter)
    short_above, short_figures = short_threshold(questions, scores)
    floor, within, answer_figures = composition(questions, scores)
    model = fitter([[q.upto(read) for q in qs] for qs in sets])
    report = {
        "questions": dict(zip(names, map(len, sets))),
        "held_out_precision_by_passages_read": {
            k: {r: dict(zip(names, by_read[k, r])) for r in READS} for k in FITTERS},
        "model": kind,
        "passages_read": read,
        "in_sample_precision": {name: round(precision(model, [q.upto(read) for q in qs]), 4)
                                for name, qs in zip(names, sets)},
        "short_answer_above": short_above,
        "short_answers": {names[i]: f for i, f in short_figures.items()},
        "sentence_floor": floor, "keep_within": within, "answers": answer_figures,
        "bias": round(float(model.intercept_[0]), 4),
        "weights": {name: round(float(w), 4) for name, w in zip(FEATURES, model.coef_[0])},
    }
    print(json.dumps(report, indent=2))
    if args.write:
        write(report)
    return 0


def write_composition(tuned: dict, report: dict, source: str) -> None:
    """The composition thresholds of `report` into `tuned`, with the figures that chose them."""
    for name in ("short_answer_above", "sentence_floor", "keep_within"):
        tuned["composition"][name] = report[name]
    shorts = (f"a short answer of confidence {report['short_answer_above']}+ was right "
              f"{SHORT_RIGHT}+ of the time in each set ({json.dumps(report['short_answers'])})"
              if report["short_answer_above"] < 1 else
              f"no score made short answers right {SHORT_RIGHT} of the time, so none is shown")
    tuned["tuned_on"]["composition"] = (
        f"{source}: {shorts}; a second or third sentence joins when it scores "
        f"{report['sentence_floor']}+ and {report['keep_within']}+ of the best, the best answer-hit "
        f"({report['answers']['answer_hit']}) for at most {MEAN_SENTENCES} sentences on average "
        f"({report['answers']['mean_sentences']})."
    )


def write(report: dict) -> None:
    """The fitted scorer and thresholds into tuned.json, with their training figures."""
    tuned = json.loads(TUNED.read_text(encoding="utf-8"))
    tuned["sentences"] = {"passages_read": report["passages_read"], "bias": report["bias"],
                          "weights": report["weights"]}
    held = report["held_out_precision_by_passages_read"][report["model"]][report["passages_read"]]
    tuned["tuned_on"]["sentences"] = (
        f"newsbot.answer.fit: a {MODELS[report['model']]} on {json.dumps(report['questions'])} answered training "
        f"questions (questions and page furniture never quoted, each set weighing the same); the best-scored "
        f"sentence held a gold answer for {json.dumps(held)} of the questions of the fold not fitted on, "
        f"reading {report['passages_read']} passages (by passages read: "
        f"{json.dumps(report['held_out_precision_by_passages_read'])})."
    )
    if tuned.get("reader"):
        # The reader's stage reads this scorer's logit, and the thresholds are in the stage's scale.
        print("the reader's stage was fitted on the previous scorer: run python -m newsbot.answer.train_reader "
              "with the same data and --reuse --write")
    else:
        write_composition(tuned, report, "newsbot.answer.fit, on held-out folds")
    TUNED.write_text(json.dumps(tuned, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
