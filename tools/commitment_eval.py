#!/usr/bin/env python3
"""Evaluate coach.commitment.extract on the labelled promise set.

    .venv/bin/python tools/commitment_eval.py                 # dev and test, JSON on stdout
    .venv/bin/python tools/commitment_eval.py --split dev --errors   # plus every miss on dev

Prints, per split and per language (zh, en, all): promise detection precision / recall / F1, and
field accuracy (exact match) on the true promises that were detected: amount, date, method, and
also currency, partial and "all3" (amount, date and method all right). Gold ``None`` must be
predicted ``None`` to count as right. ``evaluate(path, split)`` returns the same dict for one split
(tests import it). Tune on ``dev`` only; ``test`` is held out (phrasebank/commitments/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from coach.commitment import extract

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT / "phrasebank" / "commitments" / "labelled.jsonl"
FIELDS = ("amount", "date", "method", "currency", "partial")
LANGS = ("zh", "en", "all")


def load(path: str | Path, split: str | None = None) -> list[dict]:
    """The labelled rows of ``split`` ("dev", "test"; None or "all": every row)."""
    rows = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
    if split in (None, "all"):
        return rows
    return [r for r in rows if r["split"] == split]


def _same(field: str, want, got) -> bool:
    if field == "amount" and want is not None and got is not None:
        return abs(float(want) - float(got)) < 0.005
    return want == got


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _score(rows: list[dict], preds: list) -> dict:
    tp = sum(1 for r, p in zip(rows, preds, strict=True) if r["promise"] and p is not None)
    fp = sum(1 for r, p in zip(rows, preds, strict=True) if not r["promise"] and p is not None)
    fn = sum(1 for r, p in zip(rows, preds, strict=True) if r["promise"] and p is None)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else None
    detected = [(r, p) for r, p in zip(rows, preds, strict=True) if r["promise"] and p is not None]
    fields = {
        f: _ratio(sum(_same(f, r[f], getattr(p, f)) for r, p in detected), len(detected))
        for f in FIELDS
    }
    fields["all3"] = _ratio(
        sum(
            all(_same(f, r[f], getattr(p, f)) for f in ("amount", "date", "method"))
            for r, p in detected
        ),
        len(detected),
    )
    return {
        "n": len(rows),
        "promises": sum(1 for r in rows if r["promise"]),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "field_accuracy": fields,
        "fields_scored_on": len(detected),
    }


def predict(rows: list[dict]) -> list:
    return [extract(r["text"], r["lang"], dt.date.fromisoformat(r["today"])) for r in rows]


def evaluate(path: str | Path = DEFAULT_PATH, split: str = "dev") -> dict:
    """Scores for one split: {"zh": {...}, "en": {...}, "all": {...}} (see the module docstring)."""
    rows = load(path, split)
    preds = predict(rows)
    out = {}
    for lang in LANGS:
        keep = [i for i, r in enumerate(rows) if lang == "all" or r["lang"] == lang]
        out[lang] = _score([rows[i] for i in keep], [preds[i] for i in keep])
    return out


def errors(path: str | Path = DEFAULT_PATH, split: str = "dev") -> list[dict]:
    """Every row of ``split`` whose detection or a field is wrong, with what was predicted."""
    rows = load(path, split)
    out = []
    for r, p in zip(rows, predict(rows), strict=True):
        got = None if p is None else {f: getattr(p, f) for f in FIELDS}
        want = {f: r[f] for f in FIELDS} if r["promise"] else None
        if (got is None) != (want is None) or (
            got is not None and not all(_same(f, want[f], got[f]) for f in FIELDS)
        ):
            out.append({"text": r["text"], "lang": r["lang"], "want": want, "got": got})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path", default=str(DEFAULT_PATH))
    ap.add_argument("--split", choices=("dev", "test", "all", "both"), default="both")
    ap.add_argument("--errors", action="store_true", help="list the misses too")
    args = ap.parse_args(argv)
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    report: dict = {
        "path": str(
            Path(args.path).relative_to(ROOT) if Path(args.path).is_relative_to(ROOT) else args.path
        )
    }
    for split in splits:
        report[split] = evaluate(args.path, split)
        if args.errors:
            report[split]["errors"] = errors(args.path, split)
    rows = load(args.path, None)
    start = time.perf_counter()
    predict(rows)
    report["ms_per_utterance"] = round((time.perf_counter() - start) * 1000 / len(rows), 3)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
