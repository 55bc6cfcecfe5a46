"""ONNX exports of the local model, made on first use and cached, never downloaded: the fp32 graph
(inputs → last hidden state) for ONNX Runtime and OpenVINO, and its int8 quantisation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from newsbot.index.layout import ModelLayout

log = logging.getLogger(__name__)
# One-time notices a person waiting at a terminal should see (the CLI shows this logger at INFO).
notices = logging.getLogger("newsbot.notice")
PREPARING = "newsbot: preparing the fast embedding model (once, a few seconds)"


def replaced(target: Path, build: Callable[[Path], None]) -> Path:
    """`target`, made by `build` under a temporary name: concurrent first uses never see half a file."""
    from newsbot.index.store.files import replace_atomically  # the store reads backends: not at import

    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, build)
    return target


def onnx_export(layout: ModelLayout, cache: Path) -> Path:
    """The model as an fp32 ONNX graph (inputs → last hidden state), exported once per weights."""
    target = cache / layout.cache_key() / "model.onnx"
    if target.exists():
        return target

    def build(path: Path) -> None:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        notices.info(PREPARING)
        log.info("exporting %s to ONNX, cached in %s", layout.location, target.parent)
        model = AutoModel.from_pretrained(str(layout.location), attn_implementation="eager", local_files_only=True).eval()
        names = ["input_ids", "attention_mask"] + (["token_type_ids"] if layout.uses_token_types else [])

        class Graph(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *inputs):
                return self.model(**dict(zip(names, inputs))).last_hidden_state

        sample = torch.ones(2, 8, dtype=torch.long)
        mask = sample.clone()
        mask[1, 5:] = 0
        inputs = tuple({"attention_mask": mask}.get(name, sample if name == "input_ids" else sample * 0) for name in names)
        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(Graph(), inputs, str(path), input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)

    return replaced(target, build)


def _quantization_hint(record: logging.LogRecord) -> bool:
    """Drop ONNX Runtime's advice, logged on the root logger, to pre-process before quantizing: the
    fused graph it is given is what that pre-processing would make."""
    return not (record.name == "root" and record.module == "quantize")


def quantised_export(layout: ModelLayout, cache: Path) -> Path:
    """The fp32 export with fused attention/layer-norm nodes, weights quantised to int8 per channel."""
    target = cache / layout.cache_key() / "model-int8.onnx"
    if target.exists():
        return target
    if (cache / layout.cache_key() / "model.onnx").exists():
        notices.info(PREPARING)
    source = onnx_export(layout, cache)
    return replaced(target, lambda path: fused_int8(source, path, layout.heads, layout.hidden))


def fused_int8(source: Path, path: Path, heads: int, hidden: int) -> None:
    """The BERT graph at `source` with fused attention/layer-norm nodes, weights quantised to int8
    per channel, written to `path`."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    fused = path.with_suffix(".fused.onnx")
    root = logging.getLogger()
    root.addFilter(_quantization_hint)
    try:
        optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden).save_model_to_file(str(fused))
        quantize_dynamic(str(fused), str(path), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    finally:
        root.removeFilter(_quantization_hint)
        fused.unlink(missing_ok=True)
