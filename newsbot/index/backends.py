"""Runtimes for one sentence-transformers model: PyTorch in fp32 or bf16, ONNX Runtime in fp32 or
int8, OpenVINO in bf16. Each turns texts into unit-length float32 vectors; the ONNX files they run
are made by `exports`."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from newsbot.index.exports import onnx_export, quantised_export
from newsbot.index.layout import BackendError, ModelLayout


TORCH, TORCH_BF16, ONNX, ONNX_INT8, OPENVINO = "torch", "torch-bf16", "onnx", "onnx-int8", "openvino"
BACKENDS = (TORCH, TORCH_BF16, ONNX, ONNX_INT8, OPENVINO)
AUTO = "auto"
PRECISION = {TORCH: "fp32", TORCH_BF16: "bf16", ONNX: "fp32", ONNX_INT8: "int8", OPENVINO: "bf16"}
# Vectors of one model may share an index only within a family: bench/encode.py measured cosine to
# torch fp32 >= 0.998 for the float backends but only ~0.987 for dynamic int8.
FAMILY = {TORCH: "float", TORCH_BF16: "float", ONNX: "float", OPENVINO: "float", ONNX_INT8: "int8"}
_EXTRA = {ONNX: ("onnxruntime", "onnx"), ONNX_INT8: ("onnxruntime", "onnx"), OPENVINO: ("openvino", "onnx")}


Span = tuple[int, int]


@dataclass(frozen=True)
class Pooled:
    """Unit vectors of texts and of character spans inside them, from one forward pass per text:
    `spans[i][j]` mean-pools the tokens of span j of text i. `covered[i][j]` is False for a span
    the model's token window cut off, whose row is zeros."""

    texts: np.ndarray
    spans: list[np.ndarray]
    covered: list[np.ndarray]


class Runner(Protocol):
    """A loaded model on one backend."""

    backend: str

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...

    def encode_spans(self, texts: list[str], spans: list[list[Span]], batch_size: int) -> Pooled: ...


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX-512 BF16 or AMX); without it bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


def cpu_has_amx() -> bool:
    """Whether the CPU has AMX tiles for bf16 (Sapphire Rapids and later), where OpenVINO's bf16
    outruns ONNX Runtime's int8."""
    try:
        return " amx_bf16" in Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False


def missing_packages(backend: str) -> list[str]:
    """The optional packages `backend` needs that are not installed."""
    from importlib.util import find_spec

    return [name for name in _EXTRA.get(backend, ()) if find_spec(name) is None]


_CONVERTER = "openvino.tools.ovc"
_IMPORTING = threading.Lock()  # the reader and an ingest may load OpenVINO at once


def import_openvino():
    """The `openvino` package without its model converter, which it imports only when it can: the
    converter's telemetry reads every installed distribution's metadata, 60 of the 95 ms the
    import takes, and newsbot only runs graphs already made (`exports`). The converter stays
    importable for whoever asks for it by name."""
    with _IMPORTING:
        if "openvino" not in sys.modules and _CONVERTER not in sys.modules:
            sys.modules[_CONVERTER] = None  # importing it raises ImportError, which openvino's import allows
            try:
                import openvino  # noqa: F401
            except ImportError:  # a release that cannot do without it: imported whole below
                pass
            finally:
                del sys.modules[_CONVERTER]
        import openvino

        return openvino


def check_available(backend: str) -> None:
    """Raise `BackendError` naming what to install when `backend` cannot run here."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}: choose one of {', '.join((AUTO, *BACKENDS))}")
    missing = missing_packages(backend)
    if missing:
        extra = "openvino" if backend == OPENVINO else "onnx"
        raise BackendError(
            f"the {backend} backend needs {' and '.join(missing)}: "
            f"pip install 'newsbot[{extra}]' (or choose --backend torch)"
        )


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _by_length(texts: list[str], batch_size: int) -> list[list[int]]:
    """Indices of `texts` in batches of similar length, so padding costs little."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[first : first + batch_size] for first in range(0, len(order), batch_size)]


def pool_spans(hidden: np.ndarray, offsets: np.ndarray, content: np.ndarray, spans: list[Span]) -> tuple[np.ndarray, np.ndarray]:
    """Mean-pooled unit vectors of character `spans` from one text's token outputs (`hidden`, one
    row per token, `offsets` their character ranges, `content` False for special and padding
    tokens), and which spans the tokens reach to the end (the rest were cut off by the window)."""
    rows = np.zeros((len(spans), hidden.shape[1]), dtype=np.float32)
    covered = np.zeros(len(spans), dtype=bool)
    starts, ends = offsets[:, 0], offsets[:, 1]
    reach = int(ends[content].max()) if content.any() else 0
    for j, (start, end) in enumerate(spans):
        chosen = content & (starts >= start) & (ends <= end)
        if chosen.any() and end <= reach:
            rows[j] = hidden[chosen].mean(axis=0)
            covered[j] = True
    return _unit(rows), covered


class TorchRunner:
    """sentence-transformers itself, optionally cast to bf16."""

    def __init__(self, location: str, bf16: bool = False) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.backend = TORCH_BF16 if bf16 else TORCH
        self.model = SentenceTransformer(location, device="cpu", local_files_only=True)
        if bf16:
            import torch

            self.model.to(torch.bfloat16)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False)
        return _unit(vectors.float().numpy())

    def encode_spans(self, texts: list[str], spans: list[list[Span]], batch_size: int) -> Pooled:
        import torch

        vectors: np.ndarray | None = None
        pooled: list = [None] * len(texts)
        for chosen in _by_length(texts, batch_size):
            batch = self.model.tokenizer([texts[i] for i in chosen], padding=True, truncation=True,
                                         max_length=self.model.max_seq_length, return_tensors="pt",
                                         return_offsets_mapping=True, return_special_tokens_mask=True)
            offsets = batch.pop("offset_mapping").numpy()
            content = (batch.pop("special_tokens_mask") == 0) & (batch["attention_mask"] == 1)
            with torch.inference_mode():
                out = self.model(dict(batch))
            hidden = out["token_embeddings"].float().numpy()
            if vectors is None:
                vectors = np.empty((len(texts), hidden.shape[2]), dtype=np.float32)
            vectors[chosen] = out["sentence_embedding"].float().numpy()
            for row, i in enumerate(chosen):
                pooled[i] = pool_spans(hidden[row], offsets[row], content[row].numpy(), spans[i])
        return Pooled(_unit(vectors), [p[0] for p in pooled], [p[1] for p in pooled])


class _GraphRunner:
    """Tokenises with `tokenizers` (truncation reset to the model's limit, padding to the longest
    text of a batch, rounded up to `pad_multiple` tokens when given), runs the exported graph,
    mean-pools (over a text, or over spans of it) and normalises; batches are length-sorted."""

    backend = ""

    def __init__(self, layout: ModelLayout, pad_multiple: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.layout = layout
        self.tokenizer = Tokenizer.from_file(str(layout.location / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=layout.max_tokens)
        fits = pad_multiple and layout.max_tokens % pad_multiple == 0
        self.tokenizer.enable_padding(pad_to_multiple_of=pad_multiple if fits else None)

    def _hidden(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _feeds(self, texts: list[str], batch_size: int):
        """Per length-sorted batch: the chosen indices, their encodings and the graph's inputs."""
        for chosen in _by_length(texts, batch_size):
            encodings = self.tokenizer.encode_batch([texts[i] for i in chosen])
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64), "attention_mask": mask}
            if self.layout.uses_token_types:
                feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            yield chosen, encodings, feeds

    def _run(self, texts: list[str], batch_size: int):
        """Per batch: the chosen indices, their encodings, token outputs and mask."""
        for chosen, encodings, feeds in self._feeds(texts, batch_size):
            yield chosen, encodings, self._hidden(feeds).astype(np.float32), feeds["attention_mask"]

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out: np.ndarray | None = None
        for chosen, _, hidden, mask in self._run(texts, batch_size):
            pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[chosen] = pooled
        return _unit(out)

    def encode_spans(self, texts: list[str], spans: list[list[Span]], batch_size: int) -> Pooled:
        vectors: np.ndarray | None = None
        pooled: list = [None] * len(texts)
        for chosen, encodings, hidden, mask in self._run(texts, batch_size):
            if vectors is None:
                vectors = np.empty((len(texts), hidden.shape[2]), dtype=np.float32)
            vectors[chosen] = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            for row, i in enumerate(chosen):
                encoding = encodings[row]
                content = (np.array(encoding.special_tokens_mask) == 0) & (mask[row] == 1)
                pooled[i] = pool_spans(hidden[row], np.array(encoding.offsets), content, spans[i])
        return Pooled(_unit(vectors), [p[0] for p in pooled], [p[1] for p in pooled])


class OnnxRunner(_GraphRunner):
    """ONNX Runtime on the fp32 export, or on its fused, per-channel dynamic int8 quantisation
    (per-tensor int8 damages the vectors: cosine to fp32 down to 0.88)."""

    def __init__(self, layout: ModelLayout, cache: Path, int8: bool = False, threads: int | None = None) -> None:
        import onnxruntime

        super().__init__(layout)
        self.backend = ONNX_INT8 if int8 else ONNX
        path = quantised_export(layout, cache) if int8 else onnx_export(layout, cache)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _hidden(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, feeds)[0]


class OpenVinoRunner(_GraphRunner):
    """OpenVINO on the fp32 export with bf16 inference where the CPU has it, compiled for
    throughput: batches run in as many parallel requests as OpenVINO finds best (one per core
    here): on a 2-core AMX Xeon, BBC passages at 84 to 100 a second, against 62 one request at a
    time (bench/README.md). One encode runs at a time. Token lengths are padded to a multiple of
    32: the CPU plugin keeps state for every input shape it sees, and free lengths made ingest's
    memory grow with the corpus (986 to 1,124 MB over 2k to 20k passages; flat in 32s, at no cost
    in speed)."""

    backend = OPENVINO

    def __init__(self, layout: ModelLayout, cache: Path) -> None:
        openvino = import_openvino()
        super().__init__(layout, pad_multiple=32)
        core = openvino.Core()
        config = {"INFERENCE_PRECISION_HINT": "bf16" if cpu_has_bf16() else "f32", "PERFORMANCE_HINT": "THROUGHPUT"}
        self.compiled = core.compile_model(str(onnx_export(layout, cache)), "CPU", config)
        self._queue_type = openvino.AsyncInferQueue
        self._requests = int(self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self._lock = threading.Lock()

    def _run(self, texts: list[str], batch_size: int):
        """Batches in parallel requests, yielded in order as they finish (a few in flight at most)."""
        with self._lock:
            queue = self._queue_type(self.compiled, self._requests)
            finished: dict[int, np.ndarray] = {}
            queue.set_callback(lambda request, n: finished.__setitem__(n, request.get_output_tensor(0).data.copy()))
            waiting: list[tuple] = []
            for n, (chosen, encodings, feeds) in enumerate(self._feeds(texts, batch_size)):
                queue.start_async(feeds, n)
                waiting.append((n, chosen, encodings, feeds["attention_mask"]))
                while waiting and waiting[0][0] in finished:
                    first, chosen_, encodings_, mask = waiting.pop(0)
                    yield chosen_, encodings_, finished.pop(first).astype(np.float32), mask
            queue.wait_all()
            for first, chosen_, encodings_, mask in waiting:
                yield chosen_, encodings_, finished.pop(first).astype(np.float32), mask


def load(backend: str, location: str, cache: Path, threads: int | None = None) -> Runner:
    """A runner of the model at `location` on `backend` (which must be available); `threads`
    limits an ONNX Runtime session's threads (default: all cores)."""
    check_available(backend)
    if backend in (TORCH, TORCH_BF16):
        return TorchRunner(location, bf16=backend == TORCH_BF16)
    layout = ModelLayout.read(location)
    if backend == OPENVINO:
        return OpenVinoRunner(layout, cache)
    return OnnxRunner(layout, cache, int8=backend == ONNX_INT8, threads=threads)
