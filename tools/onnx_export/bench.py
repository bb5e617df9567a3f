"""Latency / accuracy check. One backend per process (so peak RSS is per backend).

python tools/onnx_export/bench.py torch  models/embeddinggemma-300m /tmp/onnx_out/emb_torch.npy
python tools/onnx_export/bench.py onnx:model.onnx      /tmp/onnx_out /tmp/onnx_out/emb_fp32.npy
python tools/onnx_export/bench.py onnx:model_int8.onnx /tmp/onnx_out /tmp/onnx_out/emb_int8.npy
python tools/onnx_export/bench.py compare /tmp/onnx_out/emb_torch.npy /tmp/onnx_out/emb_int8.npy
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time

import numpy as np

TIMING = [
    "我现在手头紧",
    "the check is in the mail, I sent it last week",
    "嗯",
    "我最近一直在出差,人在外地,等我回去再说吧。",
    "I lost my job two months ago and I can't pay right now",
    "你们再打电话我就投诉你们",
    "ok",
    "can you give me until Friday?",
]

SENTENCES = TIMING + [
    "这个月工资还没发，下个月一定还",
    "我不认识这个人，你打错了",
    "你们利息太高了，我不想还了",
    "好的好的，我知道了",
    "我已经还过了，你们系统没更新吧",
    "能不能分期还？一次性实在拿不出来",
    "我老婆住院了，家里急用钱",
    "你是谁？哪个公司的？",
    "我在开车，晚点再说",
    "我下周三之前肯定还上",
    "喂？听不清",
    "我要找律师",
    "钱我已经转给你们了，你查一下",
    "别再给我家里人打电话了",
    "我没钱，你们爱怎么办怎么办",
    "可以减免一部分吗",
    "我明天去银行办",
    "对",
    "不是我借的，是我朋友用我身份证借的",
    "我现在在上班，不方便接电话",
    "what company did you say you're calling from?",
    "I already paid that, check your records",
    "I don't owe you anything",
    "stop calling me or I'll report you",
    "my wife is in the hospital, I need time",
    "I can pay half now and half next month",
    "yeah",
    "sorry, who is this?",
    "I'm driving, call me back later",
    "I'll pay on the fifteenth when I get paid",
    "can we set up a payment plan?",
    "this isn't my debt, it must be identity theft",
    "I want to talk to a lawyer first",
    "uh huh, go on",
    "I'm not sure I can afford that",
    "the bank froze my account",
    "send me something in writing",
    "我最近手头有点紧,能不能宽限几天",
    "I get paid on Friday, can I pay then? 我周五发工资",
    "没问题，我今天下午就转",
    "hmm let me think about it",
    "我已经失业三个月了，真的没有收入",
    "You people are harassing me",
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    mode = sys.argv[1]
    if mode == "compare":
        a, b = np.load(sys.argv[2]), np.load(sys.argv[3])
        cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        print(
            f"n={len(cos)} cos min={cos.min():.5f} mean={cos.mean():.5f} "
            f"worst='{SENTENCES[int(cos.argmin())]}'"
        )
        # downstream proxy: nearest-neighbour structure among the sentences
        sa, sb = a @ a.T, b @ b.T
        np.fill_diagonal(sa, -1)
        np.fill_diagonal(sb, -1)
        print(
            f"nearest-neighbour agreement {np.mean(sa.argmax(1) == sb.argmax(1)):.3f}; "
            f"max |sim diff| {np.abs(sa - sb).max():.4f}"
        )
        return
    folder, out_npy = sys.argv[2], sys.argv[3]
    prompt = "Classification"
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    t0 = time.perf_counter()
    if mode == "torch":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model = SentenceTransformer(folder, device="cpu", local_files_only=True)
        model.max_seq_length = 64

        def enc(texts):
            return model.encode(
                texts,
                prompt_name=prompt,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
                batch_size=32,
            )
    else:
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        from ort_embedder import OnnxEmbedder

        model = OnnxEmbedder(folder, threads=threads, model_file=mode.split(":", 1)[1])

        def enc(texts):
            return model.encode(texts, prompt=prompt)

    load_s = time.perf_counter() - t0
    rss_load = rss_mb()

    embs = np.stack([enc([s])[0] for s in SENTENCES])  # single-sentence, like live use
    np.save(out_npy, embs.astype(np.float32))
    for s in TIMING:  # warm-up
        enc([s])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    per: dict[str, list[float]] = {s: [] for s in TIMING}
    cpu: list[float] = []
    for _ in range(rounds):
        for s in TIMING:
            t, c = time.perf_counter(), time.process_time()
            enc([s])
            per[s].append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    alls = [x for v in per.values() for x in v]
    print(f"{mode}: load {load_s:.1f}s rss_after_load {rss_load:.0f}MB peak_rss {rss_mb():.0f}MB")
    print(
        f"  median {statistics.median(alls):.1f} ms  (n={len(alls)}, min {min(alls):.1f}, "
        f"p90 {sorted(alls)[int(0.9 * len(alls))]:.1f}); process CPU ms/sentence median "
        f"{statistics.median(cpu):.1f} (threads={threads})"
    )
    for s, v in per.items():
        print(f"    {statistics.median(v):6.1f} ms  {s}")
    t = time.perf_counter()
    enc(SENTENCES)
    print(f"  batch of {len(SENTENCES)}: {(time.perf_counter() - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
