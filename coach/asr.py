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
    lang_confident: float = 0.8  # a partial's language guess this sure is reused for the final
    silero_min_speech_ms: int = 200  # 0 turns the Silero second opinion off
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    min_logprob: float = -1.6  # below this a final is rejected whatever no_speech_prob says
    max_compression_ratio: float = 2.4
    prompts: dict[str, str] = field(default_factory=lambda: dict(PROMPTS))


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

    def choose_language(self, audio: np.ndarray) -> tuple[str, float]:
        langs = self.cfg.languages
        if len(langs) == 1:
            return langs[0], 1.0
        _, _, probs = self._model.detect_language(audio)
        allowed = [(lang, p) for lang, p in probs if lang in langs]
        total = sum(p for _, p in allowed) or 1.0
        lang, p = max(allowed, key=lambda lp: lp[1], default=(langs[0], 0.0))
        return lang, p / total  # confidence among the allowed languages only

    def transcribe(
        self, audio: np.ndarray, lang: str | None = None, final: bool = True
    ) -> AsrResult:
        began = time.perf_counter()
        if self._silero is not None and self.speech_ms(audio) < self.cfg.silero_min_speech_ms:
            return AsrResult(
                "",
                lang or "",
                0.0,
                rejected="no speech (silero)",
                seconds=time.perf_counter() - began,
            )
        lang_prob = 1.0
        if lang is None:
            lang, lang_prob = self.choose_language(audio)
        segments, _ = self._model.transcribe(
            audio,
            language=lang,
            beam_size=self.cfg.beam_size if final else self.cfg.partial_beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            initial_prompt=self.cfg.prompts.get(lang) or None,
            vad_filter=False,
        )
        segments = list(segments)
        text = (
            "".join(s.text for s in segments)
            if lang == "zh"
            else " ".join(s.text.strip() for s in segments)
        )
        text = text.strip()
        if lang == "zh":
            text = self._t2s(text)
        weights = [max(1, len(s.tokens)) for s in segments] or [1]
        avg_logprob = float(np.average([s.avg_logprob for s in segments] or [0.0], weights=weights))
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


def _t2s_converter():
    import opencc

    converter = opencc.OpenCC("t2s")
    return converter.convert


def _silero():
    from faster_whisper.vad import get_vad_model

    return get_vad_model()  # cached by faster-whisper; loading it here keeps it off the hot path
