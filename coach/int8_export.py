"""Build the int8 ONNX copy of EmbeddingGemma that the CPU runtime uses (coach/embedders.py).

``coach models pull`` runs it once after provisioning the model (a few minutes; the hub is out of
reach, so there is no ready-made export to download). It writes ``<models>/<name>-int8/``:

    model_int8.onnx     the transformer, (input_ids, attention_mask) -> last_hidden_state, with
                        int8 MatMul and token-embedding weights (dynamic quantisation, per channel)
    head.npz            the two Dense layers after pooling, for numpy
    tokenizer.json, config_sentence_transformers.json
    export_info.json    settings, the source model's stamp, and each file's size and sha256

Two details make int8 work for this model on AVX2 CPUs:
- SmoothQuant rescaling before export (exact in fp32): Gemma's activations into q/k/v, gate/up
  and down_proj have channels 10-50x the median, which wrecks per-tensor int8 activations
  (cosine to fp32 as low as 0.79). Dividing those channels by s and multiplying the matching
  weight columns by s moves the range into the weights, which are quantised per channel.
- 7-bit weights (``reduce_range``): the u8s8 kernel without VNNI saturates int16 pair sums with
  full 8-bit weights (min cosine 0.96 instead of 0.99).

Why a wrapper module: torch.onnx.export of Gemma3TextModel dies in transformers' mask building.
EmbeddingGemma attends bidirectionally with a 512-token sliding window on most layers; the
coach's inputs are at most 64 tokens, where the sliding and full masks are the same key-padding
mask, so the wrapper calls the layers directly with a precomputed additive mask.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coach.models import hash_file, read_stamp

SUFFIX = "-int8"
FORMAT = 1  # bump when the export's recipe changes: older folders are rebuilt
INFO = "export_info.json"
FILES = ("model_int8.onnx", "head.npz", "tokenizer.json", "config_sentence_transformers.json")
SMOOTH_ALPHA = 0.5

# Typical call lines in both languages, for SmoothQuant's activation ranges.
CALIBRATION = [
    "我现在手头紧",
    "嗯",
    "好的",
    "喂？",
    "你是谁？哪个公司的？",
    "我下个月发了工资就还",
    "我最近一直在出差,人在外地,等我回去再说吧。",
    "能不能分期？一次性拿不出来这么多钱",
    "别再给我家里人打电话了，不然我报警",
    "这笔钱不是我借的",
    "我已经还了，你们查一下",
    "行吧，我尽量这周末之前处理",
    "ok",
    "hello?",
    "who is this?",
    "the check is in the mail, I sent it last week",
    "I lost my job and I can't pay anything right now",
    "can you give me until Friday?",
    "stop calling me, I'll report you for harassment",
    "can we work out a payment plan, maybe fifty a month?",
    "that's not my debt",
    "I get paid on the fifteenth, I'll pay then 我十五号发工资",
]


class ExportError(Exception):
    """The export could not be built or is damaged; ``str()`` is one line."""


def folder_for(models_dir: Path, name: str) -> Path:
    return models_dir / f"{name}{SUFFIX}"


def _source_stamp(source: Path) -> str:
    """What identifies the source model: its weights' size and sha256 from the pull's stamp."""
    entry = read_stamp(source).get("files", {}).get("model.safetensors")
    if isinstance(entry, dict) and "sha256" in entry:
        return f"{entry.get('size')}:{entry['sha256']}"
    weights = source / "model.safetensors"
    return f"{weights.stat().st_size}:?" if weights.is_file() else "?"


def check(folder: Path, source: Path | None = None, *, full: bool = False) -> str | None:
    """None when the export in ``folder`` is usable, else the first problem as one line.

    Sizes are always checked; ``full`` rehashes every file against export_info.json."""
    try:
        info = json.loads((folder / INFO).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{folder} is missing"
    except (OSError, ValueError):
        return f"{folder / INFO} is unreadable"
    if info.get("format") != FORMAT:
        return f"{folder} was built by another version of the coach"
    if source is not None and info.get("source") != _source_stamp(source):
        return f"{folder} was built from another copy of {source.name}"
    for name in FILES:
        want = info.get("files", {}).get(name, {})
        path = folder / name
        if not path.is_file():
            return f"{path} is missing"
        if path.stat().st_size != want.get("size"):
            return f"{path}: size expected {want.get('size')} bytes, found {path.stat().st_size}"
        if full and hash_file(path) != want.get("sha256"):
            return f"{path}: sha256 does not match {INFO}"
    return None


def build(source: Path, target: Path, step: Callable[[str], None] = lambda _: None) -> float:
    """Export ``source`` (an EmbeddingGemma folder) into ``target``; returns seconds taken.

    Built in a scratch folder next to the target and moved in at the end, so an interrupted
    export never leaves a half-written model behind."""
    start = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".build-{target.name}-", dir=target.parent))
    try:
        info = _build(source, work, step)
        info["files"] = {
            name: {"size": (work / name).stat().st_size, "sha256": hash_file(work / name)}
            for name in FILES
        }
        (work / INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except ExportError:
        raise
    except Exception as err:  # noqa: BLE001 - torch/onnx raise many kinds; one line for the user
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ExportError(f"int8 export of {source.name} failed: {first}") from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return time.monotonic() - start


def _build(source: Path, out: Path, step: Callable[[str], None]) -> dict[str, Any]:
    import torch
    import transformers
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from safetensors.numpy import load_file
    from transformers import AutoModel, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    step("dense head")
    dense = []
    for sub in ("2_Dense", "3_Dense"):
        config = json.loads((source / sub / "config.json").read_text())
        if config.get("bias") or not config["activation_function"].endswith("Identity"):
            raise ExportError(f"{source / sub} is not EmbeddingGemma's linear head")
        (weight,) = [v for k, v in load_file(str(source / sub / "model.safetensors")).items()]
        dense.append(weight.astype(np.float32))
    np.savez(out / "head.npz", dense1=dense[0], dense2=dense[1])
    for name in ("tokenizer.json", "config_sentence_transformers.json"):
        shutil.copy(source / name, out / name)

    step("load")
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager", dtype=torch.float32)
    model.eval()
    config = model.config
    if not (config.use_bidirectional_attention and config.sliding_window >= 64):
        raise ExportError(f"{source} is not an EmbeddingGemma model")
    prompts = json.loads((source / "config_sentence_transformers.json").read_text())["prompts"]
    step("smooth")
    _smooth(model, AutoTokenizer.from_pretrained(str(source)), prompts["Classification"])

    step("export")
    fp32 = out / "model.onnx"
    ids = torch.tensor([[2, 8071, 236787, 15241, 1109, 7609, 236787, 26911, 16157, 1, 0, 0]])
    mask = torch.tensor([[1] * 10 + [0, 0]])
    with torch.no_grad():
        torch.onnx.export(
            _encoder(model),
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                name: {0: "batch", 1: "seq"}
                for name in ("input_ids", "attention_mask", "last_hidden_state")
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    del model

    step("quantise")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process the graph is not for this model
    try:
        quantize_dynamic(
            str(fp32),
            str(out / "model_int8.onnx"),
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            reduce_range=True,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        root.setLevel(level)
    fp32.unlink()
    return {
        "format": FORMAT,
        "source": _source_stamp(source),
        "smooth_alpha": SMOOTH_ALPHA,
        "ops": ["MatMul", "Gather"],
        "per_channel": True,
        "reduce_range": True,
        "torch": torch.__version__,
    }


def _encoder(model: Any) -> Any:
    """Gemma3TextModel's forward with a plain key-padding mask (inputs <= 512 tokens)."""
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model
            self.layer_types = list(model.config.layer_types)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            m = self.m
            h = m.embed_tokens(input_ids)
            pos = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
            keep = attention_mask[:, None, None, :].to(h.dtype)
            additive = (1.0 - keep) * torch.finfo(h.dtype).min
            rotary = {t: m.rotary_emb(h, pos, t) for t in sorted(set(self.layer_types))}
            for layer, kind in zip(m.layers, self.layer_types, strict=True):
                h = layer(
                    h,
                    attention_mask=additive,
                    position_embeddings=rotary[kind],
                    position_ids=pos,
                    past_key_values=None,
                )
            return m.norm(h)

    return Encoder().eval()


def _smooth(model: Any, tokenizer: Any, prompt: str) -> None:
    """SmoothQuant channel rescaling, exact in fp32 (see the module docstring)."""
    import torch

    peaks: dict[str, torch.Tensor] = {}

    def record(name: str) -> Callable[..., None]:
        def hook(_module: Any, inputs: tuple) -> None:
            x = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0).float()
            peaks[name] = torch.maximum(peaks[name], x) if name in peaks else x

        return hook

    hooks = [
        layer.get_submodule(sub).register_forward_pre_hook(record(f"{i}.{sub}"))
        for i, layer in enumerate(model.layers)
        for sub in ("self_attn.q_proj", "mlp.gate_proj", "mlp.down_proj")
    ]
    with torch.no_grad():
        for text in CALIBRATION:
            enc = tokenizer(prompt + text, return_tensors="pt")
            model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        for h in hooks:
            h.remove()

        def scales(peak: torch.Tensor, weights: list[torch.Tensor]) -> torch.Tensor:
            w = torch.stack([x.abs().amax(0) for x in weights]).amax(0)  # per input channel
            s = peak.clamp(min=1e-5).pow(SMOOTH_ALPHA) / w.clamp(min=1e-5).pow(1 - SMOOTH_ALPHA)
            return s.clamp(min=1e-3, max=1e3)

        for i, layer in enumerate(model.layers):
            attn, mlp = layer.self_attn, layer.mlp
            for norm, linears, key in (
                (layer.input_layernorm, [attn.q_proj, attn.k_proj, attn.v_proj], "self_attn"),
                (layer.pre_feedforward_layernorm, [mlp.gate_proj, mlp.up_proj], "mlp"),
            ):
                name = f"{i}.self_attn.q_proj" if key == "self_attn" else f"{i}.mlp.gate_proj"
                s = scales(peaks[name], [lin.weight for lin in linears])
                # Gemma's RMSNorm multiplies by (1 + w): fold 1/s into it
                norm.weight.copy_((1.0 + norm.weight.float()) / s - 1.0)
                for lin in linears:
                    lin.weight.mul_(s[None, :])
            s = scales(peaks[f"{i}.mlp.down_proj"], [mlp.down_proj.weight])
            mlp.up_proj.weight.div_(s[:, None])
            mlp.down_proj.weight.mul_(s[None, :])
