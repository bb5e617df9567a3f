"""Scoring the guard on a labelled set: recall on prohibited lines, false alerts on legitimate ones.

The sets live in ``phrasebank/compliance/eval/`` as JSON lines::

    {"text": ..., "lang": "zh"|"en", "channel": "collector"|"debtor",
     "label": null | rule | [rules], "context": ["third_party"], "tags": [...]}

``label`` lists every rule the line breaks (a zh threat of arrest breaks a US and a Chinese rule);
only the rules of the active packs count, so a line that breaks only an inactive pack's rule is
legitimate for that run. A prohibited line is *caught* when at least one of its rules is raised;
a legitimate line raising anything is a *false alert*. ``dev.jsonl`` is for tuning, ``test.jsonl``
is held out and only ever reported.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from coach.compliance.config import ComplianceError
from coach.compliance.guard import Decision


@dataclass(frozen=True)
class Line:
    text: str
    lang: str
    channel: str
    labels: frozenset[str]
    context: frozenset[str] = frozenset()
    tags: tuple[str, ...] = ()


def read_lines(path: Path, known: set[str] | None = None) -> list[Line]:
    """The labelled set at ``path``; a bad line raises ``ComplianceError`` with file:line."""
    try:
        rows = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ComplianceError(f"{path}: cannot read the labelled set ({err.strerror})") from None
    out = []
    for n, raw in enumerate(rows, 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            label = row.get("label")
            labels = frozenset([label] if isinstance(label, str) else (label or []))
            line = Line(
                str(row["text"]),
                str(row["lang"]),
                str(row.get("channel", "collector")),
                labels,
                frozenset(row.get("context", ())),
                tuple(row.get("tags", ())),
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise ComplianceError(f"{path}:{n}: not a labelled line ({err})") from None
        unknown = sorted(labels - known) if known is not None else []
        if unknown:
            raise ComplianceError(f"{path}:{n}: unknown rule {unknown[0]!r}")
        if line.channel not in ("collector", "debtor"):
            raise ComplianceError(f"{path}:{n}: channel must be collector or debtor")
        out.append(line)
    return out


@dataclass
class Tally:
    prohibited: int = 0
    caught: int = 0  # at least one of the line's rules raised
    exact: int = 0  # exactly the line's rules raised
    wrong: int = 0  # alerted, but only with rules the line does not break
    legitimate: int = 0
    false_alerts: int = 0
    alerted: int = 0
    alerted_right: int = 0

    def to_dict(self) -> dict:
        def rate(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "prohibited": self.prohibited,
            "caught": self.caught,
            "recall": rate(self.caught, self.prohibited),
            "exact_rule": self.exact,
            "wrong_rule": self.wrong,
            "legitimate": self.legitimate,
            "false_alerts": self.false_alerts,
            "false_alert_rate": rate(self.false_alerts, self.legitimate),
            "precision": rate(self.alerted_right, self.alerted),
        }


@dataclass
class Report:
    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_tag: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_rule: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[dict] = field(default_factory=list)

    def add(self, line: Line, expected: frozenset[str], decision: Decision) -> None:
        fired = frozenset(h.rule for h in decision.hits)
        right = bool(fired & expected)
        for tally in (self.by_lang[line.lang], self.by_lang["all"], *map(self._tag, line.tags)):
            self._count(tally, expected, fired, right)
        for rule in expected | fired:
            counts = self.per_rule[rule]
            counts["support"] += rule in expected
            counts["tp"] += rule in expected and rule in fired
            counts["fp"] += rule in fired and rule not in expected
        if (expected and not right) or (not expected and fired):
            self.errors.append(
                {"text": line.text, "lang": line.lang, "channel": line.channel,
                 "expected": sorted(expected), "fired": sorted(fired), "best": decision.best,
                 "score": round(decision.score, 3), "reason": decision.reason}
            )  # fmt: skip

    def _tag(self, tag: str) -> Tally:
        return self.by_tag[tag]

    @staticmethod
    def _count(t: Tally, expected: frozenset[str], fired: frozenset[str], right: bool) -> None:
        if expected:
            t.prohibited += 1
            t.caught += right
            t.exact += fired == expected
            t.wrong += bool(fired) and not right
        else:
            t.legitimate += 1
            t.false_alerts += bool(fired)
        t.alerted += bool(fired)
        t.alerted_right += right

    def to_dict(self) -> dict:
        rules = {}
        for rule, c in sorted(self.per_rule.items()):
            fired = c["tp"] + c["fp"]
            rules[rule] = {
                "support": c["support"],
                "recall": round(c["tp"] / c["support"], 3) if c["support"] else None,
                "precision": round(c["tp"] / fired, 3) if fired else None,
            }
        return {
            "by_lang": {k: v.to_dict() for k, v in sorted(self.by_lang.items())},
            "by_tag": {k: v.to_dict() for k, v in sorted(self.by_tag.items())},
            "per_rule": rules,
            "errors": self.errors,
        }


def score(lines: list[Line], decisions: list[Decision], active: set[str]) -> Report:
    report = Report()
    for line, decision in zip(lines, decisions, strict=True):
        report.add(line, line.labels & active, decision)
    return report
