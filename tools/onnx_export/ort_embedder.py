"""onnxruntime inference for an EmbeddingGemma export made by export.py.

    emb = OnnxEmbedder("/tmp/onnx_out", threads=2)          # uses model_int8.onnx
    vecs = emb.encode(["我现在手头紧"], prompt="Classification")  # (1, 768) float32, L2-normalised

Pipeline (same as the sentence-transformers modules.json): tokenizer (bos ... eos, max 64 tokens)
-> ONNX transformer -> mean pooling over attention mask (prompt tokens included) -> Dense 768->3072
-> Dense 3072->768 (no bias, identity activation) -> L2 normalise.
Runtime dependencies: onnxruntime, tokenizers, numpy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


class OnnxEmbedder:
    def __init__(
        self,
        folder: str | Path,
        threads: int = 2,
        model_file: str = "model_int8.onnx",
        max_tokens: int = 64,
        batch_size: int = 32,
        spinning: bool | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        if spinning is None:
            spinning = os.environ.get("ORT_EMBEDDER_SPIN", "1") != "0"
        if not spinning:  # don't busy-wait between ops; kinder to other processes on a 2-core box
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(folder / model_file), so, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        head = np.load(folder / "head.npz")
        # y = x @ W.T ; store transposed, contiguous
        self.w1t = np.ascontiguousarray(head["dense1"].T, dtype=np.float32)  # (768, 3072)
        self.w2t = np.ascontiguousarray(head["dense2"].T, dtype=np.float32)  # (3072, 768)
        cfg = json.loads((folder / "config_sentence_transformers.json").read_text())
        self.prompts: dict[str, str] = cfg.get("prompts") or {}
        self.batch_size = batch_size
        self.dim = self.w2t.shape[1]

    def _prompt_text(self, prompt: str | None) -> str:
        if not prompt:
            return ""
        # sentence-transformers: prompt_name -> prompts[prompt_name]; accept raw prompt text as well
        return self.prompts.get(prompt, prompt)

    def encode(self, texts: list[str], prompt: str | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        pre = self._prompt_text(prompt)
        out = np.empty((len(texts), self.dim), np.float32)
        for s in range(0, len(texts), self.batch_size):
            chunk = [pre + t for t in texts[s : s + self.batch_size]]
            encs = self.tokenizer.encode_batch(chunk)
            n = max(len(e.ids) for e in encs)
            ids = np.zeros((len(encs), n), np.int64)  # pad id 0, right padding
            mask = np.zeros((len(encs), n), np.int64)
            for i, e in enumerate(encs):
                ids[i, : len(e.ids)] = e.ids
                mask[i, : len(e.ids)] = 1
            (h,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            m = mask[:, :, None].astype(np.float32)
            pooled = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            v = (pooled @ self.w1t) @ self.w2t
            v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
            out[s : s + len(chunk)] = v
        return out
