"""Export EmbeddingGemma's transformer to ONNX (fp32) and an int8 dynamic-quantised copy.

Usage:
    python tools/onnx_export/export.py models/embeddinggemma-300m /tmp/onnx_out

Writes into <out>:
    model.onnx          fp32 transformer: (input_ids, attention_mask) -> last_hidden_state
    model_int8.onnx     same, MatMul weights int8 (dynamic quantisation, per-channel, 7-bit range),
                        token-embedding Gather int8 too unless --keep-fp32-embedding
    (before export the fp32 weights get an exact SmoothQuant rescaling, see smooth())
    head.npz            for the numpy pooling: dense1 (3072x768) and dense2 (768x3072)
    tokenizer.json, config_sentence_transformers.json, export_info.json

Why a wrapper: torch.onnx.export(dynamo=False) of Gemma3TextModel.forward dies in transformers'
masking_utils (vmap -> "unordered_map::at"). EmbeddingGemma uses bidirectional attention and a
512-token sliding window on 5/6 of its layers; with inputs <= 64 tokens (<< 512) the sliding and
the full masks are identical, a plain key-padding mask. So the wrapper calls embed_tokens, the
rotary embedding and the decoder layers directly with a precomputed additive padding mask.
(For inputs longer than 512 tokens this graph would NOT apply the sliding window.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn


class GemmaEncoder(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.m = model
        self.layer_types = list(model.config.layer_types)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        m = self.m
        h = m.embed_tokens(input_ids)
        seq = input_ids.shape[1]
        # HF default: position_ids = arange(seq) regardless of padding (right padding).
        pos = torch.arange(seq, device=input_ids.device).unsqueeze(0)
        # additive key-padding mask, broadcast over heads and query positions: (B, 1, 1, S)
        keep = attention_mask[:, None, None, :].to(h.dtype)
        mask = (1.0 - keep) * torch.finfo(h.dtype).min
        pe = {lt: m.rotary_emb(h, pos, lt) for lt in sorted(set(self.layer_types))}
        for i, layer in enumerate(m.layers):
            lt = self.layer_types[i]
            h = layer(
                h,
                attention_mask=mask,
                position_embeddings=pe[lt],
                position_ids=pos,
                past_key_values=None,
            )
        return m.norm(h)


CALIBRATION = [
    "我现在手头紧",
    "嗯",
    "好的",
    "对",
    "喂？",
    "你是谁？哪个公司的？",
    "我下个月发了工资就还",
    "我最近一直在出差,人在外地,等我回去再说吧。",
    "能不能分期？一次性拿不出来这么多钱",
    "别再给我家里人打电话了，不然我报警",
    "这笔钱不是我借的",
    "我已经还了，你们查一下",
    "我失业了，家里老人还生病，真的没办法",
    "行吧，我尽量这周末之前处理",
    "你们利息怎么这么高",
    "ok",
    "yeah",
    "hello?",
    "who is this?",
    "the check is in the mail, I sent it last week",
    "I lost my job and I can't pay anything right now",
    "can you give me until Friday?",
    "stop calling me, I'll report you for harassment",
    "I already paid that, check your records",
    "can we work out a payment plan, maybe fifty a month?",
    "that's not my debt",
    "I get paid on the fifteenth, I'll pay then 我十五号发工资",
    "let me talk to my wife first",
]


@torch.no_grad()
def smooth(model: nn.Module, tokenizer, prompt: str, alpha: float) -> None:
    """SmoothQuant-style channel rescaling, exact in fp32.

    Dynamic int8 MatMul in onnxruntime quantises activations per tensor; Gemma's inputs to
    q/k/v, gate/up and down_proj have channels 10-50x larger than the median, which wrecks
    per-tensor int8 (cosine to fp32 as low as 0.79). Divide those input channels by s and
    multiply the matching weight columns by s: for q/k/v and gate/up s is folded into the
    preceding RMSNorm weight (out = norm(x) * (1 + w)), for down_proj into the rows of up_proj.
    """
    amax: dict[str, torch.Tensor] = {}

    def hook(name):
        def f(_mod, inp):
            a = inp[0].detach().abs().reshape(-1, inp[0].shape[-1]).amax(0).float()
            amax[name] = torch.maximum(amax[name], a) if name in amax else a

        return f

    hooks = []
    for i, layer in enumerate(model.layers):
        for n in ("self_attn.q_proj", "mlp.gate_proj", "mlp.down_proj"):
            hooks.append(layer.get_submodule(n).register_forward_pre_hook(hook(f"{i}.{n}")))
    for text in CALIBRATION:
        enc = tokenizer(prompt + text, return_tensors="pt")
        model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    for h in hooks:
        h.remove()

    def scales(act: torch.Tensor, weights: list[torch.Tensor]) -> torch.Tensor:
        w = torch.stack([x.abs().amax(0) for x in weights]).amax(0)  # per input channel
        s = act.clamp(min=1e-5).pow(alpha) / w.clamp(min=1e-5).pow(1 - alpha)
        return s.clamp(min=1e-3, max=1e3)

    for i, layer in enumerate(model.layers):
        at, mlp = layer.self_attn, layer.mlp
        for norm, lins, key in (
            (layer.input_layernorm, [at.q_proj, at.k_proj, at.v_proj], f"{i}.self_attn.q_proj"),
            (layer.pre_feedforward_layernorm, [mlp.gate_proj, mlp.up_proj], f"{i}.mlp.gate_proj"),
        ):
            s = scales(amax[key], [lin.weight for lin in lins])
            norm.weight.copy_((1.0 + norm.weight.float()) / s - 1.0)
            for lin in lins:
                lin.weight.mul_(s[None, :])
        s = scales(amax[f"{i}.mlp.down_proj"], [mlp.down_proj.weight])
        mlp.up_proj.weight.div_(s[:, None])
        mlp.down_proj.weight.mul_(s[None, :])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--no-per-channel", action="store_true")
    ap.add_argument(
        "--no-reduce-range", action="store_true", help="full 8-bit weights (only for VNNI/AMX CPUs)"
    )
    ap.add_argument(
        "--keep-fp32-embedding",
        action="store_true",
        help="do not quantise the token-embedding Gather (model_int8.onnx ~ +600 MB)",
    )
    ap.add_argument(
        "--smooth-alpha",
        type=float,
        default=0.5,
        help="SmoothQuant migration strength; 0 disables smoothing",
    )
    ap.add_argument(
        "--skip-fp32-export", action="store_true", help="reuse an existing <out>/model.onnx"
    )
    args = ap.parse_args()

    src = Path(args.model_dir)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info: dict = {}

    from safetensors.numpy import load_file

    d1 = load_file(str(src / "2_Dense" / "model.safetensors"))
    d2 = load_file(str(src / "3_Dense" / "model.safetensors"))
    (w1,) = [v for k, v in d1.items() if k.endswith("weight")]
    (w2,) = [v for k, v in d2.items() if k.endswith("weight")]
    assert w1.shape == (3072, 768) and w2.shape == (768, 3072), (w1.shape, w2.shape)
    for cfg in ("2_Dense", "3_Dense"):
        c = json.loads((src / cfg / "config.json").read_text())
        assert not c.get("bias") and c["activation_function"].endswith("Identity"), c
    pool = json.loads((src / "1_Pooling" / "config.json").read_text())
    assert pool["pooling_mode_mean_tokens"] and pool.get("include_prompt", True), pool
    np.savez(out / "head.npz", dense1=w1.astype(np.float32), dense2=w2.astype(np.float32))
    for f in ("tokenizer.json", "config_sentence_transformers.json"):
        shutil.copy(src / f, out / f)

    fp32 = out / "model.onnx"
    if not args.skip_fp32_export:
        from transformers import AutoModel

        t0 = time.perf_counter()
        model = AutoModel.from_pretrained(
            str(src), attn_implementation="eager", dtype=torch.float32
        )
        model.eval()
        cfg = model.config
        assert (
            cfg.use_bidirectional_attention
            and cfg.sliding_window >= 64
            and cfg.attn_logit_softcapping is None
        )
        enc = GemmaEncoder(model).eval()

        ids = torch.tensor([[2, 8071, 236787, 15241, 1109, 7609, 236787, 26911, 16157, 1, 0, 0]])
        am = torch.tensor([[1] * 10 + [0, 0]])
        with torch.no_grad():
            ref = model(input_ids=ids, attention_mask=am).last_hidden_state
            got = enc(ids, am)
        diff = (ref - got)[0, :10].abs().max().item()
        print(f"wrapper vs HF forward max abs diff (valid tokens): {diff:.3g}")
        assert diff < 1e-3, diff
        if args.smooth_alpha > 0:
            from transformers import AutoTokenizer

            prompts = json.loads((src / "config_sentence_transformers.json").read_text()).get(
                "prompts", {}
            )
            smooth(
                model,
                AutoTokenizer.from_pretrained(str(src)),
                prompts.get("Classification", ""),
                args.smooth_alpha,
            )
            with torch.no_grad():
                got = enc(ids, am)
            v0, v1 = ref[0, :10].mean(0), got[0, :10].mean(0)
            cos = torch.nn.functional.cosine_similarity(v0, v1, dim=0).item()
            rel = ((ref - got)[0, :10].norm() / ref[0, :10].norm()).item()
            print(
                f"smoothing (alpha={args.smooth_alpha}): pooled cos {cos:.6f}, rel. err {rel:.2e}"
            )
            assert cos > 0.9999, cos
            info["smooth_alpha"] = args.smooth_alpha

        with torch.no_grad():
            torch.onnx.export(
                enc,
                (ids, am),
                str(fp32),
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "last_hidden_state": {0: "batch", 1: "seq"},
                },
                opset_version=args.opset,
                do_constant_folding=True,
                dynamo=False,
            )
        info["fp32_export_s"] = round(time.perf_counter() - t0, 1)
        print(f"fp32 export: {info['fp32_export_s']} s -> {fp32}")
        del model, enc

    from onnxruntime.quantization import QuantType, quantize_dynamic

    t0 = time.perf_counter()
    ops = ["MatMul"] if args.keep_fp32_embedding else ["MatMul", "Gather"]
    quantize_dynamic(
        str(fp32),
        str(out / "model_int8.onnx"),
        op_types_to_quantize=ops,
        per_channel=not args.no_per_channel,
        weight_type=QuantType.QInt8,
        # 7-bit weights: the u8s8 kernel on AVX2 without VNNI (vpmaddubsw) saturates int16 pair sums
        # with full 8-bit weights; that alone took min cosine from 0.99 down to ~0.96.
        reduce_range=not args.no_reduce_range,
        extra_options={"MatMulConstBOnly": True},
    )
    info["int8_quantize_s"] = round(time.perf_counter() - t0, 1)
    info["int8_ops"] = ops
    info["per_channel"] = not args.no_per_channel
    info["reduce_range"] = not args.no_reduce_range
    print(f"int8 quantisation: {info['int8_quantize_s']} s -> {out / 'model_int8.onnx'}")
    for f in sorted(out.iterdir()):
        print(f"  {f.name:40s} {f.stat().st_size / 1e6:9.1f} MB")
    (out / "export_info.json").write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
