"""Score final utterances against the sample call's reference script.

Each final utterance is assigned to the reference turn on the same channel that it overlaps most
in time. Text is compared after normalisation that removes what is not a transcription error:
punctuation, case, and how a number is written (Whisper writes 五百 or 500, five hundred or 500).
zh turns are scored by character error rate, en turns by word error rate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jiwer
import yaml

_ZH_DIGITS = dict(zip("零一二两三四五六七八九", [0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9], strict=True))
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_EN_NUMBERS = {"five hundred": "500", "fifteen": "15", "three thousand two hundred": "3200"}


def zh_number(text: str) -> int | None:
    """三千二百 -> 3200, 十五 -> 15, 五百 -> 500 (enough for spoken amounts and dates)."""
    total, digit = 0, None
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            total += (1 if digit is None else digit) * _ZH_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def normalise(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    if lang == "zh":
        text = re.sub(
            r"[零一二两三四五六七八九十百千万]{2,}",
            lambda m: str(zh_number(m.group()) or m.group()),
            text,
        )
        return re.sub(r"[\W_]+", "", text)
    for words, digits in _EN_NUMBERS.items():
        text = text.replace(words, digits)
    text = re.sub(r"(\d),(\d)", r"\1\2", text).replace("'", "")
    return " ".join(re.sub(r"[^\w\s]+", " ", text).split())


@dataclass
class TurnScore:
    turn: dict
    finals: list[dict]
    error: float | None  # CER (zh) or WER (en) of the joined finals; None if no final


def load_reference(path) -> dict:
    return yaml.safe_load(open(path, encoding="utf-8"))


def assign(turns: list[dict], finals: list[dict]) -> tuple[list[TurnScore], list[dict]]:
    """Finals per turn, and the finals that overlap no turn of their channel."""
    scores = [TurnScore(turn, [], None) for turn in turns]
    stray = []
    for utt in finals:
        best, overlap = None, 0.0
        for score in scores:
            t = score.turn
            if t["channel"] != utt["channel"]:
                continue
            o = min(t["end"], utt["end"]) - max(t["start"], utt["start"])
            if o > overlap:
                best, overlap = score, o
        (best.finals.append(utt) if best else stray.append(utt))
    for score in scores:
        if score.finals:
            lang = score.turn["lang"]
            hyp = normalise(
                ("" if lang == "zh" else " ").join(u["text"] for u in score.finals), lang
            )
            ref = normalise(score.turn["text"], lang)
            score.error = jiwer.cer(ref, hyp) if lang == "zh" else jiwer.wer(ref, hyp)
    return scores, stray


def corpus_error(scores: list[TurnScore], lang: str) -> float:
    """Errors over all turns of one language, weighted by reference length."""
    refs, hyps = [], []
    for s in scores:
        if s.turn["lang"] != lang:
            continue
        refs.append(normalise(s.turn["text"], lang))
        joined = ("" if lang == "zh" else " ").join(u["text"] for u in s.finals)
        hyps.append(normalise(joined, lang) or "∅")
    return jiwer.cer(refs, hyps) if lang == "zh" else jiwer.wer(refs, hyps)


def error_report(scores: list[TurnScore]) -> tuple[float, float, dict]:
    """CER (zh), WER (en) and a per-turn report to print and to show when a bound fails."""
    cer, wer = corpus_error(scores, "zh"), corpus_error(scores, "en")
    report = {
        "cer_zh": round(cer, 3),
        "wer_en": round(wer, 3),
        "turns": [(s.turn["text"], [u["text"] for u in s.finals], s.error) for s in scores],
    }
    return cer, wer, report
