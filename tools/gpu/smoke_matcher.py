"""The matcher's GPU path (``models.device: cuda``, ``embedding_runtime: torch``), end to end.

For sites with a GPU. The lent GPU machine reaches no registry and takes at most 64 MiB along,
so the real EmbeddingGemma (1.3 GB) cannot go with it: this builds a tiny, randomly initialised
sentence-transformers encoder from the shipped phrasebank's own text and runs the coach's real
code on it — the embedder on ``cuda``, the matcher over every example, ``coach match --jsonl``
with a GPU config. It checks the code path, not accuracy (a random encoder's answers mean
nothing). Run from the repository root, with PyTorch and sentence-transformers installed:

    python tools/gpu/smoke_matcher.py   # writes gpu-smoke.json under $OUT (default /tmp)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers import models as st_models
from tokenizers import Tokenizer, normalizers, pre_tokenizers, trainers
from tokenizers import models as tok_models
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from coach import phrasebank as pb
from coach.embedders import TorchEmbedder
from coach.matcher import Matcher, MatcherConfig

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PROBE = ["我现在手头有点紧", "I lost my job in March, I can't pay.", "Who is this?", "嗯"]


def tiny_encoder(texts: list[str], folder: Path) -> Path:
    """A two-layer BERT with a WordPiece vocabulary trained on ``texts``, saved as a
    sentence-transformers folder (mean pooling, L2 normalisation)."""
    tok = Tokenizer(tok_models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=4000, special_tokens=SPECIAL)
    tok.train_from_iterator(texts, trainer)
    roles = ["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"]
    names = dict(zip(roles, SPECIAL, strict=True))
    torch.manual_seed(0)
    size = {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2}
    bert = BertModel(BertConfig(vocab_size=tok.get_vocab_size(), intermediate_size=256, **size))
    bert.save_pretrained(folder / "hf")
    PreTrainedTokenizerFast(tokenizer_object=tok, **names).save_pretrained(folder / "hf")
    word = st_models.Transformer(str(folder / "hf"), max_seq_length=128)
    pooling = st_models.Pooling(word.get_word_embedding_dimension(), "mean")
    SentenceTransformer(modules=[word, pooling, st_models.Normalize()]).save(str(folder / "model"))
    return folder / "model"


def main() -> None:
    out = Path(os.environ.get("OUT", "/tmp"))
    on_gpu = torch.cuda.is_available()
    report: dict[str, object] = {
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if on_gpu else None,
    }
    book = pb.load(pb.default_root())
    model = tiny_encoder([str(t) for t, _, _ in book.labelled_examples()], Path("/tmp/tiny-st"))
    gpu = TorchEmbedder(str(model), device="cuda" if on_gpu else "cpu", prompt=None)
    cpu = TorchEmbedder(str(model), device="cpu", prompt=None)
    report["model_device"] = str(gpu.model.device)
    # the same vectors on both devices: a site moving to a GPU keeps its tuned thresholds
    report["cosine_gpu_vs_cpu_min"] = float((gpu.encode(PROBE) * cpu.encode(PROBE)).sum(1).min())
    began = time.perf_counter()
    matcher = Matcher(book, gpu, MatcherConfig(prompt=None))
    report["matcher_build_s"] = round(time.perf_counter() - began, 1)
    report["examples"] = len(matcher.example_texts)
    times = []
    for text in PROBE * 10:
        gpu.forget()
        began = time.perf_counter()
        matcher.decide([text])
        times.append((time.perf_counter() - began) * 1000)
    report["decide_ms_p50_tiny_model"] = round(statistics.median(times), 2)
    config = out / "gpu.yaml"
    device = "cuda" if on_gpu else "cpu"
    config.write_text(
        f"models: {{embedding: {model}, embedding_runtime: torch, device: {device}}}\n"
        "matcher: {prompt: null}\n"
    )
    lines = '{"text": "我现在手头有点紧"}\n{"text": 1}\nnot json\n'  # one good, two bad
    proc = subprocess.run(
        [sys.executable, "-m", "coach", "--config", str(config), "match", "--jsonl"],
        input=lines,
        capture_output=True,
        text=True,
    )
    report["cli_rc"] = proc.returncode
    report["cli_lines"] = proc.stdout.strip().splitlines()
    report["cli_stderr_tail"] = proc.stderr.strip().splitlines()[-3:]
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    (out / "gpu-smoke.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
