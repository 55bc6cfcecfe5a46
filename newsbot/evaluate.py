"""`newsbot eval`: retrieval and answer quality on SQuAD-format or JSONL question sets.

Metrics per retrieval mode: passage recall@1/5/10 and MRR@10 (a passage contains a gold answer),
answer-hit@1 (the composed answer contains one), citation precision (the first cited sentence
contains one), abstention on answerable and on unanswerable questions, the share of questions shown
a short answer and the share of those that are right (within a gold answer), and latency p50/p95.
Question sets that say which questions have their answer in the articles (realtimeqa's
`answer_in_corpus`) get every figure twice: on all questions and on those.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import string
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from newsbot.answer.engine import QuestionError
from newsbot.answer.types import Turn, answer_record
from newsbot.index.articles import Article, make_article
from newsbot.index.search import Mode

if TYPE_CHECKING:
    from newsbot.app import Newsbot


class EvalDataError(ValueError):
    """The evaluation data cannot be read."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    article_id: str | None = None
    history: tuple[Turn, ...] = ()
    ref_date: dt.date | None = None
    in_corpus: bool | None = None


@dataclass
class EvalData:
    questions: list[Question]
    articles: list[Article] = field(default_factory=list)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_ASCII_PUNCTUATION = frozenset(string.punctuation)


def normalise_answer(text: str) -> str:
    """SQuAD's normalisation (lower case, no punctuation, no articles, single spaces), made fair to
    news typography: curly quotes and apostrophes count as punctuation too, a possessive 's goes
    ("Japan's" holds "Japan"), and dashes and slashes separate words ("US-Mexico")."""
    text = _POSSESSIVE.sub("", unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES))
    text = "".join(" " if c in "-/" or unicodedata.category(c) == "Pd" else
                   "" if c in _ASCII_PUNCTUATION or unicodedata.category(c).startswith("P") else c for c in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    haystack = f" {normalise_answer(text)} "
    return any(f" {n} " in haystack for n in map(normalise_answer, answers) if n)


def short_is_right(short: str, answers: Iterable[str]) -> bool:
    """A short answer is right when it equals, or is whole words within, a gold answer."""
    return any(contains_answer(answer, [short]) for answer in answers)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def load_eval_data(path: Path) -> EvalData:
    """A SQuAD JSON file (v1.1 or v2.0: its paragraphs become the corpus) or a JSONL of questions."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return _squad(json.loads(raw), str(path))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalDataError(f"{path} is not SQuAD-format JSON ({exc.__class__.__name__}: {exc})") from None
    return EvalData(list(_jsonl_questions(raw, path)))


def _squad(data: dict, path: str) -> EvalData:
    questions, articles = [], []
    for entry in data["data"]:
        article_id = slug(entry["title"])
        text = "\n\n".join(p["context"] for p in entry["paragraphs"])
        articles.append(make_article(text, path=path, title=entry["title"].replace("_", " "),
                                     source="squad", article_id=article_id))
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = () if qa.get("is_impossible") else tuple(a["text"] for a in qa["answers"])
                questions.append(Question(qa["id"], qa["question"], answers, article_id))
    return EvalData(questions, articles)


def _jsonl_questions(raw: str, path: Path) -> Iterator[Question]:
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            answers = tuple(a if isinstance(a, str) else a["text"] for a in record.get("answers") or ())
            history = tuple(Turn(h["question"], h.get("answer", "")) for h in record.get("history") or ())
            ref = record.get("ref_date")
            in_corpus = record.get("answer_in_corpus")
            yield Question(str(record["id"]), record["question"], answers, record.get("article_id"),
                           history, dt.date.fromisoformat(ref) if ref else None,
                           None if in_corpus is None else bool(in_corpus))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalDataError(f"{path}:{lineno}: not a question record ({exc})") from None


def sample(questions: list[Question], limit: int | None, seed: int) -> list[Question]:
    """The same `limit` questions for the same seed, in a fixed order."""
    ordered = sorted(questions, key=lambda q: q.id)
    if limit is None or limit >= len(ordered):
        return ordered
    return random.Random(seed).sample(ordered, limit)


@dataclass(frozen=True)
class Outcome:
    """One question answered in one mode: what the metrics need, and the details line."""

    id: str
    mode: str
    answerable: bool
    first_hit_rank: int | None
    answer_hit: bool
    citation_hit: bool
    abstained: bool
    latency_ms: float
    short_shown: bool = False
    short_right: bool = False
    in_corpus: bool | None = None

    @classmethod
    def from_details(cls, record: dict) -> Outcome:
        fields = cls.__dataclass_fields__
        return cls(**{k: record.get(k, fields[k].default) for k in fields})


def run_question(app: Newsbot, question: Question, mode: Mode, answerable: bool) -> tuple[Outcome, dict]:
    started = time.perf_counter()
    try:
        answer = app.ask(question.question, question.history, today=question.ref_date, mode=mode)
    except QuestionError as exc:
        answer = None
        error = str(exc)
    latency = (time.perf_counter() - started) * 1000
    passages = [h.passage.text for h in answer.hits[:10]] if answer else []
    first = next((i for i, text in enumerate(passages, 1) if contains_answer(text, question.answers)), None)
    cited = answer.citations[answer.parts[0].citations[0] - 1].sentence if answer and answer.parts else ""
    outcome = Outcome(
        id=question.id, mode=mode.value, answerable=answerable,
        first_hit_rank=first if answerable else None,
        answer_hit=bool(answer and answerable and contains_answer(answer.text, question.answers)),
        citation_hit=bool(answerable and cited and contains_answer(cited, question.answers)),
        abstained=answer.abstained if answer else True,
        latency_ms=round(latency, 2),
        short_shown=bool(answer and answer.short),
        short_right=bool(answer and answer.short and answerable and short_is_right(answer.short, question.answers)),
        in_corpus=question.in_corpus,
    )
    details = {**outcome.__dict__, "question": question.question, "passages": passages}
    details.update(answer_record(answer) if answer else {"answer": "", "citations": [], "error": error})
    return outcome, details


def summarise(outcomes: list[Outcome]) -> dict[str, float | int]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    latencies = np.array([o.latency_ms for o in outcomes]) if outcomes else np.zeros(1)

    def rate(items: list[Outcome], test) -> float:
        return round(sum(1 for o in items if test(o)) / len(items), 4) if items else float("nan")

    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "recall@1": rate(answerable, lambda o: o.first_hit_rank == 1),
        "recall@5": rate(answerable, lambda o: o.first_hit_rank is not None and o.first_hit_rank <= 5),
        "recall@10": rate(answerable, lambda o: o.first_hit_rank is not None),
        "mrr@10": round(sum(1 / o.first_hit_rank for o in answerable if o.first_hit_rank) / len(answerable), 4)
        if answerable else float("nan"),
        "answer_hit@1": rate(answerable, lambda o: o.answer_hit),
        "citation_precision": rate([o for o in answerable if not o.abstained], lambda o: o.citation_hit),
        "abstain_answerable": rate(answerable, lambda o: o.abstained),
        "abstain_unanswerable": rate(unanswerable, lambda o: o.abstained),
        "short_shown": rate(outcomes, lambda o: o.short_shown),
        "short_right": rate([o for o in answerable if o.short_shown], lambda o: o.short_right),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1),
    }


def table(summary: dict[str, dict]) -> str:
    """Modes as columns, metrics as rows."""
    modes = list(summary)
    metrics = list(next(iter(summary.values()))) if summary else []
    width = max((len(m) for m in metrics), default=6) + 2
    columns = {m: max(10, len(m) + 2) for m in modes}
    lines = ["metric".ljust(width) + "".join(m.rjust(columns[m]) for m in modes)]
    for metric in metrics:
        lines.append(metric.ljust(width) + "".join(f"{summary[m][metric]:>{columns[m]}}" for m in modes))
    return "\n".join(lines)


def run(
    app: Newsbot,
    questions: list[Question],
    modes: list[Mode],
    indexed_articles: set[str],
    details: Path | None = None,
    progress: bool = False,
) -> dict[str, dict]:
    """Every question in every mode; lines already in `details` are reused, new ones appended."""
    from tqdm import tqdm

    done: dict[tuple[str, str], Outcome] = {}
    if details and details.exists():
        for line in details.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                done[(record["id"], record["mode"])] = Outcome.from_details(record)
    outcomes: dict[str, list[Outcome]] = {m.value: [] for m in modes}
    sink = details.open("a", encoding="utf-8") if details else None
    try:
        with tqdm(total=len(questions) * len(modes), unit="q", disable=not progress, leave=False) as bar:
            for question in questions:
                answerable = bool(question.answers) and (
                    question.article_id is None or question.article_id in indexed_articles)
                for mode in modes:
                    outcome = done.get((question.id, mode.value))
                    if outcome is None:
                        outcome, record = run_question(app, question, mode, answerable)
                        if sink:
                            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                            sink.flush()
                    outcomes[mode.value].append(outcome)
                    bar.update(1)
    finally:
        if sink:
            sink.close()
    return summaries(outcomes)


IN_CORPUS = "answer in corpus"


def summaries(outcomes: dict[str, list[Outcome]]) -> dict[str, dict]:
    """Each mode's summary, and where questions say whether their answer is in the articles, the
    summary of those that have it, as the column `<mode>, answer in corpus`."""
    summary = {}
    for mode, items in outcomes.items():
        summary[mode] = summarise(items)
        if any(o.in_corpus is not None for o in items):
            summary[f"{mode}, {IN_CORPUS}"] = summarise([o for o in items if o.in_corpus])
    return summary
