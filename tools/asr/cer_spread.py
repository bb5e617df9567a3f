"""How far the sample call's transcript error moves when its audio is captured a little differently.

Live capture never hands Whisper the same samples twice: the sound server resamples the call to
its own rate, capture starts at an arbitrary point of a 30 ms VAD frame, and the turns' edges fall
a few milliseconds earlier or later. Greedy decoding of a short piece of TTS speech can flip a
character on such a change (是/世, 吗/买). ``tests/test_live.py`` bounds the CER of one live run;
this tool gives the spread that bound has to sit above, without a sound server: each trial delays
the call by a random 0–60 ms, resamples it to 44.1 or 48 kHz (the rates a sound server runs at),
stores it as 16-bit PCM and replays it through the real pipeline (VAD, pieces, partials, Whisper),
scoring the finals as the tests do. Prints JSON: per-trial figures and their quantiles.

    .venv/bin/python tools/asr/cer_spread.py [--trials 12] [--seed 1]
        [--call bench/data/dev_call.flac] [--config beam5.yaml]

--call takes any call with a reference YAML of the same stem beside it (the format of
coach/data/sample_call.yaml). Decide ASR settings on bench/data/dev_call.flac, which no test scores.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.scoring: the tests' own scoring

from coach import config as config_mod  # noqa: E402
from coach.audio import FileSource  # noqa: E402
from coach.cli import load_transcriber  # noqa: E402
from coach.pipeline import Call  # noqa: E402
from tests.conftest import SAMPLE, SAMPLE_REF  # noqa: E402
from tests.scoring import assign, error_report, load_reference  # noqa: E402


class Finals:
    def __init__(self) -> None:
        self.utterances: list[dict] = []

    def emit(self, event) -> None:
        if event.type == "utterance":
            self.utterances.append(event.to_dict())

    def close(self) -> None:
        pass


def perturbed(audio: np.ndarray, rate: int, rng: random.Random, folder: Path, k: int) -> Path:
    target = rng.choice([44100, 48000])
    delay = rng.uniform(0.0, 0.06)
    moved = soxr.resample(audio, rate, target)
    moved = np.concatenate([np.zeros((int(delay * target), moved.shape[1]), moved.dtype), moved])
    path = folder / f"trial{k}.wav"
    sf.write(path, moved, target, subtype="PCM_16")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--call", type=Path, default=Path(SAMPLE), help="audio; reference: same stem .yaml"
    )
    ap.add_argument(
        "--config", type=Path, default=None, help="coach config file (e.g. asr.beam_size)"
    )
    args = ap.parse_args()
    cfg = config_mod.load(args.config)
    transcriber = load_transcriber(cfg)
    ref = load_reference(
        Path(SAMPLE_REF) if args.call == Path(SAMPLE) else args.call.with_suffix(".yaml")
    )
    audio, rate = sf.read(args.call, dtype="float32", always_2d=True)
    rng = random.Random(args.seed)
    trials = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.trials + 1):  # trial 0: the file as it is
            path = args.call if k == 0 else perturbed(audio, rate, rng, Path(tmp), k)
            finals = Finals()
            call = Call(transcriber, sinks=[finals], vad=cfg.vad, streaming=cfg.streaming)
            call.run(FileSource(path, stereo=tuple(cfg.audio.stereo)), lockstep=True)
            offset = finals.utterances[0]["start"] - ref["turns"][0]["start"]
            shifted = [
                {**u, "start": u["start"] - offset, "end": u["end"] - offset}
                for u in finals.utterances
            ]
            scores, stray = assign(ref["turns"], shifted)
            cer, wer, report = error_report(scores)
            trials.append({
                "trial": k,
                "cer_zh": round(cer, 4),
                "wer_en": round(wer, 4),
                "one_final_per_turn": all(len(s.finals) == 1 for s in scores) and not stray,
                "turns": [t[1] for t in report["turns"]],
            })  # fmt: skip
            print(f"trial {k}: CER {cer:.3f} WER {wer:.3f}", file=sys.stderr)
    cers = np.array([t["cer_zh"] for t in trials])
    wers = np.array([t["wer_en"] for t in trials])
    summary = {
        "trials": len(trials),
        "seed": args.seed,
        "call": args.call.name,
        "asr": {"model": cfg.models.asr, "beam_size": cfg.asr.beam_size},
        "cer_zh": {q: round(float(np.quantile(cers, v)), 4)
                   for q, v in (("min", 0), ("p50", 0.5), ("p90", 0.9), ("max", 1))},
        "wer_en": {q: round(float(np.quantile(wers, v)), 4)
                   for q, v in (("min", 0), ("p50", 0.5), ("p90", 0.9), ("max", 1))},
    }  # fmt: skip
    print(json.dumps({"summary": summary, "per_trial": trials}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
