"""Scoring the matcher on a labelled set: per language, per category, confusions, false alarms.

The sets live in ``phrasebank/eval/`` as JSON lines ``{"text", "lang", "label", "tags"}`` where
``label`` is a category id or null (not an excuse). ``dev.jsonl`` is for tuning; ``test.jsonl`` is
held out and only ever reported.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


class EvalSetError(Exception):
    """A labelled set that cannot be read; one line with file:line."""


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    label: str | None
    tags: tuple[str, ...] = ()


def read_set(path: Path, known: set[str] | None = None) -> list[Example]:
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise EvalSetError(f"{path}: cannot read the labelled set ({err.strerror})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            ex = Example(row["text"], row["lang"], row.get("label"), tuple(row.get("tags", ())))
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise EvalSetError(f"{path}:{n}: not a labelled line ({err})") from None
        if known is not None and ex.label is not None and ex.label not in known:
            raise EvalSetError(f"{path}:{n}: unknown category '{ex.label}'")
        examples.append(ex)
    return examples


@dataclass
class LangReport:
    excuses: int = 0
    correct: int = 0
    missed: int = 0  # excuse given no card
    wrong: int = 0  # excuse given another category's card
    non_excuses: int = 0
    false_alarms: int = 0

    @property
    def top1(self) -> float:
        return self.correct / self.excuses if self.excuses else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.non_excuses if self.non_excuses else 0.0

    def to_dict(self) -> dict:
        return {
            "excuses": self.excuses,
            "top1": round(self.top1, 4),
            "missed": self.missed,
            "wrong_category": self.wrong,
            "non_excuses": self.non_excuses,
            "false_alarms": self.false_alarms,
            "false_alarm_rate": round(self.false_alarm_rate, 4),
        }


@dataclass
class Report:
    by_lang: dict[str, LangReport] = field(default_factory=lambda: defaultdict(LangReport))
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    confusions: Counter = field(default_factory=Counter)  # (true, predicted) incl. None
    by_tag: dict[str, LangReport] = field(default_factory=lambda: defaultdict(LangReport))
    errors: list[dict] = field(default_factory=list)

    def add(self, ex: Example, predicted: str | None, score: float) -> None:
        for bucket in (
            self.by_lang[ex.lang],
            self.by_lang["all"],
            *(self.by_tag[t] for t in ex.tags),
        ):
            if ex.label is None:
                bucket.non_excuses += 1
                bucket.false_alarms += predicted is not None
            else:
                bucket.excuses += 1
                bucket.correct += predicted == ex.label
                bucket.missed += predicted is None
                bucket.wrong += predicted not in (None, ex.label)
        if predicted == ex.label:
            if predicted is not None:
                self.tp[predicted] += 1
            return
        if predicted is not None:
            self.fp[predicted] += 1
        if ex.label is not None:
            self.fn[ex.label] += 1
        self.confusions[(ex.label, predicted)] += 1
        self.errors.append(
            {"text": ex.text, "lang": ex.lang, "label": ex.label, "predicted": predicted,
             "score": round(score, 3)}
        )  # fmt: skip

    def per_category(self) -> dict[str, dict]:
        out = {}
        for cid in sorted(set(self.tp) | set(self.fp) | set(self.fn)):
            tp, fp, fn = self.tp[cid], self.fp[cid], self.fn[cid]
            out[cid] = {
                "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                "recall": round(tp / (tp + fn), 3) if tp + fn else None,
                "support": tp + fn,
            }
        return out

    def to_dict(self, top_confusions: int = 15) -> dict:
        return {
            "by_lang": {k: v.to_dict() for k, v in sorted(self.by_lang.items())},
            "by_tag": {k: v.to_dict() for k, v in sorted(self.by_tag.items())},
            "per_category": self.per_category(),
            "confusions": [
                {"label": a, "predicted": b, "count": n}
                for (a, b), n in self.confusions.most_common(top_confusions)
            ],
            "errors": self.errors,
        }


def score(examples: list[Example], predictions: list[tuple[str | None, float]]) -> Report:
    report = Report()
    for ex, (predicted, prob) in zip(examples, predictions, strict=True):
        report.add(ex, predicted, prob)
    return report
