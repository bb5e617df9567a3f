"""Sentence embedders: the encoder the excuse matcher and the compliance guard share.

Two runtimes of the same model, chosen by ``models.embedding_runtime``:

- ``onnx``: EmbeddingGemma's transformer exported to ONNX with int8 weights by
  ``coach models pull`` (coach/int8_export.py) and run by onnxruntime. One sentence at a time —
  what a live call asks for — it is about 3x faster than PyTorch on a laptop CPU, because
  at batch 1 the cost is reading the weights, and int8 weights are a quarter of fp32's. Its
  vectors are within cosine 0.99 of PyTorch's.
- ``torch``: sentence-transformers, for a GPU, a hub id, or any other encoder.

``auto`` (the default) takes the int8 export when the device is the CPU and the export exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RECENT = 64  # texts whose vectors an embedder keeps
RUNTIMES = ("auto", "onnx", "torch")


class Embedder(ABC):
    """Texts in, L2-normalised float32 vectors out (one row per text)."""

    fingerprint: str  # changes whenever the vectors would: names the on-disk example cache
    dim: int

    def __init__(self) -> None:
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        # In a call the matcher and the compliance guard embed the same utterance one after the
        # other: remember the last few texts so the second one costs nothing.
        found = {t: self._recent[t] for t in texts if t in self._recent}
        for text in found:  # least recently used goes first: a long reply's partials keep
            self._recent.move_to_end(text)  # touching its early clauses, which must stay
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self._encode(missing), strict=True))
            for text in missing[-RECENT:]:
                self._recent[text] = found[text]
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def forget(self) -> None:
        """Drop the remembered vectors (benchmarks time the encoder, not the memo)."""
        self._recent.clear()

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray: ...


def _fingerprint(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]


class TorchEmbedder(Embedder):
    """A sentence-transformers model (any encoder; GPU when ``device`` says so)."""

    def __init__(
        self,
        model_path: str,
        device: str = "cpu",
        threads: int = 2,
        prompt: str | None = "Classification",
        max_tokens: int = 64,
    ) -> None:
        super().__init__()
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        # The collector's terminal is no place for weight-loading progress bars and HF notices.
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        if device == "cpu" and threads:
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(model_path, device=device, local_files_only=True)
        self.model.max_seq_length = max_tokens
        prompts = getattr(self.model, "prompts", {}) or {}
        self.prompt = prompt if prompt in prompts else None
        self.dim = int(self.model.get_embedding_dimension() or 768)
        self.fingerprint = _fingerprint(Path(model_path).name, self.prompt, max_tokens)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode(
            texts,
            prompt_name=self.prompt,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


class OnnxEmbedder(Embedder):
    """EmbeddingGemma from its int8 ONNX export (a folder written by coach.int8_export).

    The same computation as the sentence-transformers pipeline: tokenizer (max ``max_tokens``)
    -> transformer -> mean pooling (prompt tokens included) -> Dense 768->3072 -> Dense
    3072->768 -> L2 normalisation.
    """

    def __init__(
        self,
        folder: str | Path,
        threads: int = 2,
        prompt: str | None = "Classification",
        max_tokens: int = 64,
    ) -> None:
        super().__init__()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Busy-waiting between ops would take the cores Whisper needs in the gaps.
        if os.environ.get("COACH_ORT_SPIN", "0") != "1":
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(folder / "model_int8.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        with np.load(folder / "head.npz") as head:  # y = x @ W.T: keep W.T, contiguous
            self.dense1 = np.ascontiguousarray(head["dense1"].T, dtype=np.float32)
            self.dense2 = np.ascontiguousarray(head["dense2"].T, dtype=np.float32)
        config = json.loads((folder / "config_sentence_transformers.json").read_text())
        prompts: dict[str, str] = config.get("prompts") or {}
        self.prompt = prompt if prompt in prompts else None
        self.prefix = prompts.get(prompt or "", "")
        self.dim = int(self.dense2.shape[1])
        info = json.loads((folder / "export_info.json").read_text())
        self.fingerprint = _fingerprint(
            folder.name, info.get("source", ""), self.prompt, max_tokens, "onnx-int8", "one"
        )

    def _encode(self, texts: list[str]) -> np.ndarray:
        # One text per run, never a batch: int8 activations are scaled per tensor, so in a batch
        # a text's vector would depend on its neighbours (cosine 0.98-0.99 to its own vector).
        # The phrasebank's examples and a live utterance must be embedded the same way; and on a
        # CPU a batch saves little (36 against 48 ms a text).
        return np.stack([self._encode_one(text) for text in texts])

    def _encode_one(self, text: str) -> np.ndarray:
        ids = np.array([self.tokenizer.encode(self.prefix + text).ids], np.int64)
        mask = np.ones_like(ids)
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        pooled = hidden[0].mean(0)
        vec = (pooled @ self.dense1) @ self.dense2
        return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)
