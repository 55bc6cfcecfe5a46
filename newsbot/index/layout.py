"""What newsbot reads of a sentence-transformers model folder to run it outside PyTorch, and the
error when a backend cannot run a model here: shared by the runtimes (`backends`) and the graph
exports (`exports`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


class BackendError(RuntimeError):
    """A backend cannot run here (missing package, unsupported model or CPU)."""


@dataclass(frozen=True)
class ModelLayout:
    """What an exported graph needs to know of a sentence-transformers folder."""

    location: Path
    max_tokens: int
    uses_token_types: bool
    heads: int = 0
    hidden: int = 0

    @classmethod
    def read(cls, location: str) -> ModelLayout:
        folder = Path(location)
        pooling = _json(folder / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            raise BackendError(f"{location}: only mean-pooling models run on ONNX/OpenVINO; use --backend torch")
        if not (folder / "tokenizer.json").exists():
            raise BackendError(f"{location} has no tokenizer.json; use --backend torch")
        config = _json(folder / "config.json")
        limit = (_json(folder / "sentence_bert_config.json") or {}).get("max_seq_length")
        max_tokens = int(limit or config.get("max_position_embeddings", 512))
        return cls(folder, max_tokens, int(config.get("type_vocab_size", 0)) > 0,
                   int(config.get("num_attention_heads", 0)), int(config.get("hidden_size", 0)))

    def cache_key(self) -> str:
        """Changes when the weights change, so a stale export is never reused."""
        weights = sorted(self.location.glob("*.safetensors")) + sorted(self.location.glob("*.bin"))
        stamp = [str(self.location.resolve())] + [f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights]
        return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
