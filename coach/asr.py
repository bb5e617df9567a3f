"""Whisper transcription of one stretch of audio, with the guards a live coach needs.

- Language: chosen per utterance among the call's languages (zh, en), never outside them, so a
  short Mandarin reply is not transcribed as Japanese and an English turn inside a Mandarin call
  is not forced into Chinese.
- Script: Mandarin is prompted in Simplified characters and converted with OpenCC t2s as a
  backstop (Whisper tends to write Traditional).
- Hallucinations: Whisper invents text on silence and noise. Audio with too little speech per
  Silero VAD is never decoded; decoded text is rejected on no_speech_prob + log-prob, repetition
  and a list of known phantom phrases (subtitle credits and the like).
"""

from __future__ import annotations

import logging
import os
import re
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

from coach.events import SAMPLE_RATE

log = logging.getLogger(__name__)

# Phrases Whisper is known to produce from silence/noise (training-data subtitle credits).
PHANTOM_PHRASES = (
    "字幕由amara.org社群提供",
    "amara.org",
    "字幕志愿者",
    "请不吝点赞",
    "订阅转发",
    "打赏支持明镜与点点栏目",
    "明镜与点点",
    "感谢观看",
    "谢谢观看",
    "中文字幕",
    "优优独播剧场",
    "thank you for watching",
    "thanks for watching",
    "subtitles by",
    "please subscribe",
    "like and subscribe",
)

PROMPTS = {"zh": "以下是普通话的句子。", "en": ""}


@dataclass(frozen=True)
class AsrConfig:
    languages: tuple[str, ...] = ("zh", "en")
    beam_size: int = 1  # finals; beam 5 costs ~30% more time on CPU for a small gain
    partial_beam_size: int = 1
    # Whisper encodes 30 s windows; a short utterance is mostly padding. Encoding only the
    # utterance + 1 s is 2.5x faster on a 2-core CPU, and on the sample call gave the same
    # transcripts (README, "Accuracy"). Set true on a GPU, where the full window costs nothing.
    full_window: bool = False
    lang_sure: float = 0.9  # a detected language less sure than this yields to the fallback
    silero_min_speech_ms: int = 200  # 0 turns the Silero second opinion off
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    min_logprob: float = -1.6  # below this a final is rejected whatever no_speech_prob says
    max_compression_ratio: float = 2.4
    # Speech carries at most ~6 tokens a second (Mandarin); a decode that runs far past that is
    # looping on a repetition and would otherwise run to Whisper's 448-token limit (seconds).
    max_tokens_per_s: float = 12.0
    prompts: dict[str, str] = field(default_factory=lambda: dict(PROMPTS))
    # Decode threads when live. 1: one queue, finals first — but a final still waits for a
    # partial already running when the speaker paused. 2: partials get a lane of their own, so
    # finals never wait; each lane uses models.cpu_threads threads, Whisper's weights are shared.
    # 0: 2 when the machine has two logical cores or more (README, Benchmark: p95 0.66 → 0.60 s).
    # Default 1 for now: with 2, the live-capture test's Mandarin CER rose past its bound once in
    # CI (0.17 > 0.15); six alternated local runs gave the same CER with 1 and 2 (0.133), so the
    # cause is unexplained and the shorter tail stays opt-in.
    lanes: int = 1

    def __post_init__(self) -> None:
        if self.lanes not in (0, 1, 2):
            raise ValueError("lanes must be 0 (auto), 1 or 2")

    @property
    def decode_lanes(self) -> int:
        return self.lanes or (2 if (os.cpu_count() or 1) >= 2 else 1)


@dataclass(frozen=True)
class AsrResult:
    text: str
    lang: str
    lang_prob: float
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    rejected: str | None = None  # why the text must not be used, or None
    seconds: float = 0.0  # compute time


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def _normalise(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.casefold())


_UNIT = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _units(text: str) -> list[tuple[str, int]]:
    """Comparable units with their offsets: Han characters one by one, other words whole."""
    units = []
    for m in _UNIT.finditer(text):
        word = m.group()
        if _CJK.search(word):
            units += [(ch.casefold(), m.start() + i) for i, ch in enumerate(word)]
        else:
            units.append((word.casefold(), m.start()))
    return units


def trim_loop(text: str, min_units: int = 5) -> str:
    """``text`` without a decode loop at its end: Whisper, greedy and without timestamps, can
    finish a sentence and start it over ("Great. Can you give me the number? Great. Can you
    give me the…"). A tail of at least ``min_units`` words (Han characters) that repeats the
    stretch just before it, period for period, is cut. Shorter repeats ("no, no", 对对对) are
    speech and stay; judge() rejects short pieces repeated many times."""
    units = _units(text)
    n, cut = len(units), None
    for period in range(min_units, n - min_units + 1):
        # the token cap may stop the loop mid-word: "…the date you ma"
        p = n - 1 if n and units[n - 1 - period][0].startswith(units[n - 1][0]) else n
        while p - 1 >= period and units[p - 1][0] == units[p - 1 - period][0]:
            p -= 1
        if n - p >= min_units and (cut is None or p < cut):
            cut = p
    return text if cut is None else text[: units[cut][1]].rstrip(" ,，、")


def judge(text: str, avg_logprob: float, no_speech_prob: float, cfg: AsrConfig) -> str | None:
    """Why this decoded text is not to be trusted, or None when it is."""
    norm = _normalise(text)
    if not norm:
        return "empty"
    if any(_normalise(p) in norm for p in PHANTOM_PHRASES):
        return "phantom phrase"
    if no_speech_prob > cfg.no_speech_threshold and avg_logprob < cfg.logprob_threshold:
        return "no speech"
    if avg_logprob < cfg.min_logprob:
        return "low confidence"
    if len(norm) >= 12 and compression_ratio(norm) > cfg.max_compression_ratio:
        return "repetition"
    if re.search(r"(.{1,8}?)\1{4,}", norm):  # the same short piece five times in a row
        return "repetition"
    return None


class Transcriber:
    """faster-whisper behind one call: ``transcribe(audio, lang) -> AsrResult``."""

    def __init__(
        self,
        model_path: str,
        cfg: AsrConfig,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
    ) -> None:
        from faster_whisper import WhisperModel

        self.cfg = cfg
        self._model = WhisperModel(
            model_path,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=cfg.decode_lanes,  # decodes that may run at once, from different threads
            local_files_only=True,
        )
        self._t2s = _t2s_converter()
        self._silero = _silero() if cfg.silero_min_speech_ms else None

    def speech_ms(self, audio: np.ndarray) -> float:
        """Milliseconds of speech Silero hears in ``audio`` (float32, 16 kHz)."""
        if self._silero is None:
            return float("inf")
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        spans = get_speech_timestamps(
            audio,
            VadOptions(min_speech_duration_ms=100, min_silence_duration_ms=100, speech_pad_ms=0),
        )
        return sum(s["end"] - s["start"] for s in spans) * 1000 / SAMPLE_RATE

    def _decode(self, audio: np.ndarray, lang: str | None, fallback: str | None, beam: int):
        """One encoder pass serves language detection and decoding.

        ``WhisperModel.transcribe`` encodes twice when it must detect the language; on a 2-core
        CPU that second pass costs a third of the latency budget. Detection on short replies over
        a phone line is unreliable (对，我是 came out as English at p=0.85), so unless it is sure,
        the utterance keeps ``fallback``: the language this speaker (or the call) used last, or
        the call's main language (the first in ``languages``).
        """
        from faster_whisper.audio import pad_or_trim

        features = self._model.feature_extractor(audio)
        if self.cfg.full_window:
            window = pad_or_trim(features)
        else:  # the utterance plus 1 s of padding: see AsrConfig.full_window
            frames = min(3000, max(300, features.shape[-1] + 100))
            window = pad_or_trim(features, frames)
        encoded = self._model.encode(window)
        prob = 1.0
        if lang is None and len(self.cfg.languages) == 1:
            lang = self.cfg.languages[0]
        elif lang is None:
            ranked = self._rank_languages(self._model.model.detect_language(encoded)[0])
            lang, prob = ranked[0]
            if prob < self.cfg.lang_sure:
                lang = fallback if fallback in self.cfg.languages else self.cfg.languages[0]
                prob = dict(ranked).get(lang, 0.0)
        return self._generate(features, encoded, lang, beam), lang, prob

    def _rank_languages(self, probs: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """The call's languages, most likely first, with their share among them."""
        allowed = [
            (tok.strip("<|>"), p) for tok, p in probs if tok.strip("<|>") in self.cfg.languages
        ]
        total = sum(p for _, p in allowed) or 1.0
        ranked = sorted(((lang, p / total) for lang, p in allowed), key=lambda lp: -lp[1])
        return ranked or [(self.cfg.languages[0], 0.0)]

    def _generate(self, features, encoded, lang: str, beam_size: int) -> list:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import TranscriptionOptions, get_suppressed_tokens

        model = self._model
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=lang
        )
        options = TranscriptionOptions(
            beam_size=beam_size,
            best_of=1,
            patience=1.0,
            length_penalty=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            # thresholds off: judge() decides, and QA gets to see the rejected text
            log_prob_threshold=None,
            no_speech_threshold=None,
            compression_ratio_threshold=None,
            condition_on_previous_text=False,
            prompt_reset_on_temperature=0.5,
            temperatures=[0.0],
            initial_prompt=self.cfg.prompts.get(lang) or None,
            prefix=None,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            without_timestamps=True,
            max_initial_timestamp=1.0,
            word_timestamps=False,
            prepend_punctuations="\"'“¿([{-",
            append_punctuations="\"'.。,，!！?？:：”)]}、",
            multilingual=False,
            max_new_tokens=int(16 + self.cfg.max_tokens_per_s * features.shape[-1] / 100),
            clip_timestamps="0",
            hallucination_silence_threshold=None,
            hotwords=None,
        )
        return list(model.generate_segments(features, tokenizer, options, False, encoded))

    def transcribe(
        self,
        audio: np.ndarray,
        lang: str | None = None,
        final: bool = True,
        fallback: str | None = None,
    ) -> AsrResult:
        """Text of ``audio``; ``lang`` forces the language, else it is detected (see _decode)."""
        began = time.perf_counter()
        if self._silero is not None and self.speech_ms(audio) < self.cfg.silero_min_speech_ms:
            return AsrResult(
                "",
                lang or "",
                0.0,
                rejected="no speech (silero)",
                seconds=time.perf_counter() - began,
            )
        beam = self.cfg.beam_size if final else self.cfg.partial_beam_size
        segments, lang, lang_prob = self._decode(audio, lang, fallback, beam)
        text = (
            "".join(s.text for s in segments)
            if lang == "zh"
            else " ".join(s.text.strip() for s in segments)
        )
        text = trim_loop(text.strip())
        if lang == "zh":
            text = self._t2s(text)
        avg_logprob = _avg_logprob(segments) if segments else 0.0
        no_speech = float(max((s.no_speech_prob for s in segments), default=0.0))
        return AsrResult(
            text=text,
            lang=lang,
            lang_prob=lang_prob,
            avg_logprob=avg_logprob,
            no_speech_prob=no_speech,
            compression_ratio=compression_ratio(text) if text else 1.0,
            rejected=judge(text, avg_logprob, no_speech, self.cfg),
            seconds=time.perf_counter() - began,
        )


def _avg_logprob(segments) -> float:
    """Token-weighted mean log-probability of the decoded segments (-inf for no text)."""
    if not segments:
        return float("-inf")
    weights = [max(1, len(s.tokens)) for s in segments]
    return float(np.average([s.avg_logprob for s in segments], weights=weights))


def _t2s_converter():
    import opencc

    converter = opencc.OpenCC("t2s")
    return converter.convert


def _silero():
    from faster_whisper.vad import get_vad_model

    return get_vad_model()  # cached by faster-whisper; loading it here keeps it off the hot path
