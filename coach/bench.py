"""Benchmarks that print JSON. Figures are reported, never asserted in tests.

``coach bench asr`` replays a call at wall-clock speed (``--realtime``: the only honest latency)
in a fresh process per run, and reports per run and as medians over runs:

- ``ready_s``: process start → model loaded and the first audio block accepted;
- ``latency_s``: speech end → final text (``t - end`` of each utterance), p50 / p95;
- ``rtf_final``: Whisper compute of final decodes / seconds of speech decoded, per channel;
- ``asr_load``: all decode compute (partials included) / call duration — how busy the worker is;
- ``peak_rss_mb``: peak resident memory of the process.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def one_run(call_file: Path, spawned_at: float, realtime: bool = True) -> dict:
    """Run inside a fresh process: load, replay, measure."""
    from coach import config as config_mod
    from coach.audio import FileSource
    from coach.cli import load_transcriber
    from coach.events import Utterance
    from coach.pipeline import Call
    from coach.sinks import JsonlSink

    cfg = config_mod.load(None)
    loaded = time.perf_counter()
    transcriber = load_transcriber(cfg)
    load_s = time.perf_counter() - loaded
    source = FileSource(call_file, realtime=realtime)
    ready_s = time.time() - spawned_at
    finals: list[Utterance] = []

    class Collect:
        def emit(self, event) -> None:
            if isinstance(event, Utterance):
                finals.append(event)

        def close(self) -> None:
            pass

    with tempfile.TemporaryDirectory() as tmp:
        call = Call(
            transcriber,
            vad=cfg.vad,
            streaming=cfg.streaming,
            sinks=[Collect(), JsonlSink(Path(tmp) / "events.jsonl")],
            lanes=cfg.asr.decode_lanes,
        )
        report = call.run(source, lockstep=not realtime)

    out: dict = {
        "ready_s": round(ready_s, 3),
        "model_load_s": round(load_s, 3),
        "audio_s": round(report.audio_s, 2),
        "utterances": len(finals),
    }
    lat = [u.t - u.end for u in finals]
    out["latency_s"] = {
        "p50": _percentile(lat, 50),
        "p95": _percentile(lat, 95),
        "max": _percentile(lat, 100),
    }
    for channel in ("collector", "debtor"):
        ch = [u.t - u.end for u in finals if u.channel == channel]
        out["latency_s"][channel] = {"p50": _percentile(ch, 50), "p95": _percentile(ch, 95)}
    out["rtf_final"] = {}
    for channel in ("collector", "debtor"):
        decodes = [d for d in report.decodes if d.channel == channel and d.kind == "final"]
        audio = sum(d.audio_s for d in decodes)
        out["rtf_final"][channel] = (
            round(sum(d.compute_s for d in decodes) / audio, 3) if (audio) else None
        )
    out["asr_load"] = round(sum(d.compute_s for d in report.decodes) / max(report.audio_s, 1e-9), 3)
    out["decodes"] = {
        kind: sum(1 for d in report.decodes if d.kind == kind) for kind in ("partial", "final")
    }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _median(runs: list[dict], *path: str) -> float | None:
    values = []
    for run in runs:
        value = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(value)
    return round(statistics.median(values), 3) if values else None


@click.group()
def bench() -> None:
    """Benchmarks (JSON on stdout)."""


@bench.command("asr")
@click.option(
    "--call",
    "call_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recorded call to replay (default: the bundled sample call).",
)
@click.option("--runs", default=3, show_default=True, help="Fresh processes; medians reported.")
@click.option("--fast", is_flag=True, help="Lockstep replay instead of --realtime (no latency).")
def bench_asr(call_file: Path | None, runs: int, fast: bool) -> None:
    """Speech end → final text latency, real-time factor, memory, time to ready."""
    from coach.cli import UserError, sample_call

    call_file = call_file or sample_call()
    results = []
    for i in range(runs):
        spawned = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "coach.bench", str(call_file), str(spawned), str(int(fast))],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"benchmark run {i + 1} failed: {tail}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        click.echo(f"run {i + 1}/{runs}: {json.dumps(results[-1])}", err=True)
    summary = {
        "benchmark": "asr",
        "call": str(call_file),
        "mode": "lockstep" if fast else "realtime",
        "runs": runs,
        "cpu_count": __import__("os").cpu_count(),
        "median": {
            "ready_s": _median(results, "ready_s"),
            "latency_p50_s": _median(results, "latency_s", "p50"),
            "latency_p95_s": _median(results, "latency_s", "p95"),
            "debtor_latency_p50_s": _median(results, "latency_s", "debtor", "p50"),
            "rtf_final_collector": _median(results, "rtf_final", "collector"),
            "rtf_final_debtor": _median(results, "rtf_final", "debtor"),
            "asr_load": _median(results, "asr_load"),
            "peak_rss_mb": _median(results, "peak_rss_mb"),
        },
        "per_run": results,
    }
    click.echo(json.dumps(summary, indent=2))


def _after_partials(matcher, texts: list[str]) -> tuple[list[float], list[float]]:
    """Long replies as a live call matches them (``coach.cards``): the stable text of each partial
    (every ~0.5 s: about 3 characters / 2 words more each time; a prefix of the final, as the
    stability rule makes it), then the final. Returns the ms per partial and per final; the
    final's clauses mostly come from the embedder's recent texts."""
    from coach.matcher import detect_lang
    from coach.phrasebank import normalise

    per_partial, per_final = [], []
    for text in texts:
        lang = detect_lang(text)
        if lang == "zh":
            prefixes = [text[:n] for n in range(3, len(text), 3)]
        else:
            words = text.split()
            prefixes = [" ".join(words[:n]) for n in range(2, len(words), 2)]
        matcher.embedder.forget()
        for prefix in prefixes:
            if len(normalise(prefix)) >= matcher.cfg.partial_min_chars:  # as coach.cards
                t = time.perf_counter()
                matcher.decide([prefix], [lang])
                per_partial.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        matcher.decide([text], [lang])
        per_final.append((time.perf_counter() - t) * 1000)
    return per_partial, per_final


@bench.command("match")
@click.option(
    "--runs", default=3, show_default=True, help="Passes over the texts; medians reported."
)
@click.option("--texts", default=60, show_default=True, help="Utterances timed per pass.")
@click.pass_obj
def bench_match(cfg, runs: int, texts: int) -> None:
    """Matching cost per utterance (one at a time, as live) and per utterance in batches."""
    from coach.clauses import size
    from coach.evaluation import read_set
    from coach.match_cli import load_matcher, phrasebank_root

    began = time.perf_counter()
    matcher = load_matcher(cfg)
    load_s = time.perf_counter() - began
    # Timing only: the held-out sentences are realistic lengths; their labels are not looked at.
    sample = [e.text for e in read_set(phrasebank_root(cfg) / "eval" / "test.jsonl")][:texts]
    # Long rambling replies cost more: more tokens, and with clause_min_prob set, one embedding
    # per clause when the whole is turned down. Timed apart, on the long non-excuses of the
    # long-reply training lines (turned down as a whole, so the clause step runs when enabled).
    long_set = phrasebank_root(cfg) / "eval" / "long17.jsonl"
    rambles = [
        e.text
        for e in (read_set(long_set) if long_set.exists() else [])
        if e.label is None
        and size(e.text, e.lang) >= cfg.matcher.clause_min_size.get(e.lang, 10**6)
    ][: max(texts // 2, 1)]
    matcher.decide(sample[:4])  # warm-up
    passes = []
    for _ in range(runs):
        single, long = [], []
        for text, times in [*((t, single) for t in sample), *((t, long) for t in rambles)]:
            matcher.embedder.forget()
            t = time.perf_counter()
            matcher.decide([text])
            times.append((time.perf_counter() - t) * 1000)
        partial, final = _after_partials(matcher, rambles)
        matcher.embedder.forget()
        t = time.perf_counter()
        for i in range(0, len(sample), 32):
            matcher.decide(sample[i : i + 32])
        batched = (time.perf_counter() - t) * 1000 / len(sample)
        passes.append({"single_ms_p50": round(statistics.median(single), 1),
                       "single_ms_p95": round(float(np.percentile(single, 95)), 1),
                       "batched_ms_per_utterance": round(batched, 1)})  # fmt: skip
        if long:  # a trainer's own phrasebank folder may have no long17.jsonl
            for key, times in (("long", long), ("long_partial", partial), ("long_final", final)):
                passes[-1][f"{key}_ms_p50"] = round(statistics.median(times), 1)
                passes[-1][f"{key}_ms_p95"] = round(float(np.percentile(times, 95)), 1)
    summary = {
        "benchmark": "match",
        "embedding": cfg.models.embedding,
        "runtime": type(matcher.embedder).__name__,
        "examples": len(matcher.example_texts),
        "utterances_per_pass": len(sample),
        "long_replies_per_pass": len(rambles),
        "cpu_count": __import__("os").cpu_count(),
        "load_s": round(load_s, 2),
        "median": {k: _median(passes, k) for k in passes[0]},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "per_pass": passes,
    }
    click.echo(json.dumps(summary, indent=2))


if __name__ == "__main__":  # a single measured run in a fresh process (used by bench asr)
    result = one_run(Path(sys.argv[1]), float(sys.argv[2]), realtime=sys.argv[3] == "0")
    print(json.dumps(result))


def _register() -> None:
    from coach.bench_delivery import bench_delivery
    from coach.bench_overlay import bench_overlay
    from coach.bench_store import bench_store

    bench.add_command(bench_overlay)
    bench.add_command(bench_store)
    bench.add_command(bench_delivery)


_register()
