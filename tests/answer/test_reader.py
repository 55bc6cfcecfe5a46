"""The reader shipped with newsbot (a cross-encoder trained by `newsbot.answer.train_reader`): its
weights are the small part of it, its exports read as torch does, it points at the words that
answer, and the selector's stage combines its score with the linear scorer's over the best `top`
sentences only."""

from __future__ import annotations

import datetime as dt
import json
from importlib.util import find_spec

import numpy as np
import pytest

from newsbot.answer.config import ReaderConfig, load_config
from newsbot.answer.reader import (ONNX_INT8, OPENVINO, READER, SETTINGS, TORCH, WEIGHTS, WORD_EMBEDDINGS,
                                   PairEncoder, Reader, Reading, ReaderSettings, Span, best_span, build, save)
from newsbot.answer.select import SentenceSelector
from newsbot.app import Newsbot
from newsbot.index.backends import cpu_has_amx

from shared import dated_index

QUESTION = "How much did the brewery pay for the cider maker?"
SENTENCES = [
    "The brewery announced on Friday that it had agreed to buy the cider maker.",
    "The deal values the cider maker at 410 million euros, including its debts.",
    "Rain is expected across the north of the country this weekend.",
]


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def test_the_shipped_weights_leave_out_the_word_embeddings_and_stay_under_30_mb():
    from safetensors import safe_open

    assert (READER / WEIGHTS).stat().st_size < 30 * 2**20
    with safe_open(str(READER / WEIGHTS), "pt") as weights:
        names = list(weights.keys())
    assert names and not [name for name in names if name.endswith(WORD_EMBEDDINGS)]
    settings = json.loads((READER / SETTINGS).read_text(encoding="utf-8"))
    assert "cross-encoder trained" in settings["trained_on"]


def test_a_sentence_off_the_subject_scores_below_those_about_it(reader):
    scores = reader.run(QUESTION, SENTENCES).scores
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert scores[2] < min(scores[0], scores[1])


def test_the_reader_points_at_the_amount_asked_for(reader):
    span = reader.run(QUESTION, SENTENCES).spans[1]
    assert span.text in ("410 million euros", "410 million") and SENTENCES[1][span.start:span.end] == span.text
    assert 0 < span.chance <= 1


def test_a_span_is_whole_words_without_the_punctuation_around_them():
    sentence = "Its chief, Mara Lindqvist, said on Tuesday."
    feeds, (encoding,) = PairEncoder().run("Who runs it?", [sentence])
    tokens = [i for i, s in enumerate(encoding.sequence_ids) if s == 1]
    logits = np.full((len(encoding.ids), 2), -10.0)
    mara = next(i for i in tokens if sentence[slice(*encoding.offsets[i])] == "Mara")
    comma = next(i for i in tokens if encoding.offsets[i][0] > encoding.offsets[mara][0]
                 and sentence[slice(*encoding.offsets[i])] == ",")
    logits[mara, 0] = 10.0
    logits[comma, 1] = 10.0  # the end falls on the comma after the name
    span = best_span(encoding, logits, sentence)
    assert span == Span("Mara Lindqvist", 11, 25, pytest.approx(1.0, abs=1e-3))
    logits[tokens[0], 1] = 20.0  # an end before every start is never a span
    assert best_span(encoding, logits, sentence).text == "Mara Lindqvist"


def test_training_points_at_the_gold_answers_tokens_in_the_sentence():
    from newsbot.answer.train_reader import answer_tokens

    sentence = SENTENCES[1]
    feeds, (encoding,) = PairEncoder().run(QUESTION, [sentence])
    first, last = answer_tokens(encoding, sentence, ("410 Million Euros",))
    assert sentence[encoding.offsets[first][0]:encoding.offsets[last][1]] == "410 million euros"
    assert answer_tokens(encoding, sentence, ("Lisbon", "")) is None


def test_a_span_never_only_repeats_the_question():
    question, sentence = "Who is the new chief?", "The new chief."
    feeds, (encoding,) = PairEncoder().run(question, [sentence])
    chief = next(i for i, s in enumerate(encoding.sequence_ids) if s == 1 and encoding.tokens[i] == "chief")
    logits = np.zeros((len(encoding.ids), 2))
    logits[chief] = 10.0
    assert best_span(encoding, logits, sentence) is None
    feeds, (encoding,) = PairEncoder().run("Who is it?", [sentence])
    assert best_span(encoding, np.zeros((len(encoding.ids), 2)), sentence) is not None


RUNTIMES = [ONNX_INT8, pytest.param(OPENVINO, marks=pytest.mark.skipif(
    not cpu_has_amx() or find_spec("openvino") is None, reason="OpenVINO reads only where the CPU has AMX"))]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_each_export_orders_sentences_as_torch_does_and_is_made_once(reader, tmp_path, runtime):
    fast = Reader(READER, tmp_path, runtimes=(runtime,))
    assert fast.runtime == runtime
    exact, quick = reader.run(QUESTION, SENTENCES), fast.run(QUESTION, SENTENCES)
    assert list(np.argsort(exact.scores)) == list(np.argsort(quick.scores))
    assert np.abs(exact.scores - quick.scores).max() < (0.2 if runtime == OPENVINO else 1.0)
    assert [s.text for s in exact.spans] == [s.text for s in quick.spans]
    made = sorted(p.name for p in tmp_path.rglob("*.onnx"))
    assert made == (["reader.onnx"] if runtime == OPENVINO else ["reader-int8.onnx", "reader.onnx"])
    again = Reader(READER, tmp_path, runtimes=(runtime,))
    assert again.run(QUESTION, SENTENCES).scores == pytest.approx(quick.scores, abs=1e-4)
    assert sorted(p.name for p in tmp_path.rglob("*.onnx")) == made


def test_the_fastest_runtime_here_is_the_default(tmp_path):
    expected = OPENVINO if cpu_has_amx() and find_spec("openvino") else ONNX_INT8
    assert Reader(READER, tmp_path).runtime == expected


def test_a_cache_that_cannot_be_written_reads_with_torch(reader, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    fallback = Reader(READER, blocked)
    assert fallback.runtime == TORCH
    assert fallback.run(QUESTION, SENTENCES).scores == pytest.approx(reader.run(QUESTION, SENTENCES).scores)


def test_no_sentences_get_no_scores(reader):
    empty = reader.run("Who won?", [])
    assert empty.scores.shape == (0,) and empty.spans == ()


def test_weights_of_another_shape_are_refused(tmp_path):
    save(build(1), ReaderSettings(layers=1), tmp_path)
    (tmp_path / SETTINGS).write_text(json.dumps({"layers": 2}), encoding="utf-8")
    with pytest.raises(ValueError, match="does not fit a 2-layer reader"):
        Reader(tmp_path).model


ARTICLES = [
    ("2025-05-06", "Brewery buys cider maker", " ".join(SENTENCES[:2])),
    ("2025-05-06", "Weekend weather", "Rain is expected across the north of the country this weekend. "
     "Temperatures will stay below the seasonal average until Tuesday."),
]


class _ByLength:
    """A stand-in reader that prefers shorter sentences, points at each one's first word, and
    records what it was asked to read."""

    def __init__(self) -> None:
        self.read: list[list[str]] = []

    def run(self, question: str, sentences: list[str]) -> Reading:
        self.read.append(list(sentences))
        spans = tuple(Span(s.split()[0], 0, len(s.split()[0]), 0.5) for s in sentences)
        return Reading(-np.array([len(s) for s in sentences], dtype=float) / 100, spans)


def test_the_stage_reads_only_the_linear_scorers_best_and_combines_the_two_scores(tmp_path_factory, embedder):
    settings = dated_index(tmp_path_factory.mktemp("stage") / "index", ARTICLES)
    config = load_config()
    with Newsbot.open(settings) as app:
        engine = app.engine
        query = engine.query(QUESTION, dt.date(2025, 5, 8))
        passages = engine.rerank.run(query, engine.retrieve.run(query))
    linear = SentenceSelector(config.sentences, config.composition).scored(query, passages)
    stand_in = _ByLength()
    stage = ReaderConfig(top=2, linear=0.0, reader=1.0, bias=0.0)
    staged = SentenceSelector(config.sentences, config.composition, stage, stand_in).scored(query, passages)
    assert stand_in.read == [[s.evidence.text for s in linear[:2]]]
    assert [s.evidence.text for s in staged] == sorted(stand_in.read[0], key=len)
    assert staged[0].score == pytest.approx(1 / (1 + np.exp(len(staged[0].evidence.text) / 100)))
    assert staged[0].short == staged[0].evidence.text.split()[0]
    assert staged[0].short_chance == pytest.approx(staged[0].score * 0.5)


def test_the_engine_reads_with_the_shipped_reader(tmp_path_factory, embedder):
    settings = dated_index(tmp_path_factory.mktemp("shipped") / "index", ARTICLES)
    with Newsbot.open(settings) as app:
        assert isinstance(app.engine.select.reader, Reader)
        assert app.engine.select.reading == load_config().reader
        answer = app.ask(QUESTION, today=dt.date(2025, 5, 8))
    assert not answer.abstained
    assert "cider maker" in answer.parts[0].text


def test_adding_articles_leaves_the_answer_engine_unbuilt(tmp_path):
    """Ingest never needs the reader, so it neither loads it nor waits for its export."""
    settings = dated_index(tmp_path / "index", ARTICLES)
    with Newsbot.open(settings, writable=True) as app:
        app.add([])
        assert app._engine is None
        assert app.ask(QUESTION, today=dt.date(2025, 5, 8)).parts
        assert app._engine is app.engine


def test_training_a_reader_reports_held_out_figures_for_each_number_of_sentences_read(tmp_path, capsys, monkeypatch):
    from newsbot.answer import train_reader

    facts = {
        "Valemont port": ["The Valemont container terminal opened in 2019 after six years of work.",
                          "It cost 410 million euros, paid by the regional government.",
                          "Its first ship came from Lisbon with a cargo of cork.",
                          "Dockers at the terminal went on strike in 2022 over night shifts."],
        "Tarnow hills": ["Botanists found a rare quillwort fern beside a lake in the Tarnow hills.",
                         "The fern had not been recorded in the region since 1931.",
                         "The find was made by a student from Krakow named Ola Wierzba.",
                         "The lake lies at 1,200 metres and freezes for five months a year."],
    }
    asked = {
        "Valemont port": [("When did the Valemont terminal open?", "2019"), ("How much did it cost?", "410 million euros"),
                          ("Where did its first ship come from?", "Lisbon"), ("When did dockers strike?", "2022")],
        "Tarnow hills": [("What did botanists find?", "quillwort fern"), ("When was the fern last recorded?", "1931"),
                         ("Who made the find?", "Ola Wierzba"), ("How high is the lake?", "1,200 metres")],
    }
    data = {"version": "1.1", "data": []}
    for title, sentences in facts.items():
        context = " ".join(sentences)
        data["data"].append({"title": title, "paragraphs": [{"context": context, "qas": [
            {"id": f"{title}-{n}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}]}
            for n, (q, a) in enumerate(asked[title])]}]})
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(train_reader, "EPOCHS", 1)
    shipped = (READER / WEIGHTS).read_bytes()
    assert train_reader.main([str(path), "--index", str(tmp_path / "index"), "--features", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{\n"):])
    assert (READER / WEIGHTS).read_bytes() == shipped, "without --write the shipped reader stays"
    assert set(report["held_out_precision_by_top"]) == {str(t) for t in train_reader.TOPS}
    assert report["top"] in train_reader.TOPS and report["reader"].startswith("a 3-layer cross-encoder trained 1 epochs")
    trained = json.loads(report["reader"][report["reader"].index("{"):report["reader"].index("}") + 1])
    assert report["tested_on"]["train.json"] > 0 and trained["train.json"] > 0, "one fold trains, the other tests"
    assert report["tested_on"]["train.json"] + trained["train.json"] <= 8
