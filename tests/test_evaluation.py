"""Scoring a labelled set, without a model."""

from __future__ import annotations

import json

import pytest

from coach.evaluation import EvalSetError, Example, read_set, score


def test_top1_false_alarms_and_confusions_per_language():
    examples = [
        Example("no money", "en", "cash_flow", ("asr",)),
        Example("lost my job", "en", "job_loss"),
        Example("hello", "en", None),
        Example("how much", "en", None),
        Example("没钱", "zh", "cash_flow"),
        Example("好的", "zh", None),
    ]
    predictions = [
        ("cash_flow", 0.9),
        ("cash_flow", 0.7),
        (None, 0.1),
        ("too_busy", 0.6),
        (None, 0.3),
        (None, 0.2),
    ]
    report = score(examples, predictions)
    en, zh, both = report.by_lang["en"], report.by_lang["zh"], report.by_lang["all"]
    assert (en.excuses, en.correct, en.wrong, en.false_alarms, en.non_excuses) == (2, 1, 1, 1, 2)
    assert (zh.top1, zh.missed, zh.false_alarm_rate) == (0.0, 1, 0.0)
    assert both.top1 == pytest.approx(1 / 3) and both.false_alarm_rate == pytest.approx(1 / 3)
    data = report.to_dict()
    assert data["per_category"]["cash_flow"] == {"precision": 0.5, "recall": 0.5, "support": 2}
    assert {"label": "job_loss", "predicted": "cash_flow", "count": 1} in data["confusions"]
    assert data["by_tag"]["asr"]["top1"] == 1.0
    assert len(data["errors"]) == 3


def test_a_bad_line_is_named_by_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    good = json.dumps({"text": "x", "lang": "en", "label": None})
    path.write_text(good + "\n\n" + '{"text": "y"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"set.jsonl:3: not a labelled line"):
        read_set(path)
    path.write_text(json.dumps({"text": "x", "lang": "en", "label": "nope"}) + "\n")
    with pytest.raises(EvalSetError, match=r"set.jsonl:1: unknown category 'nope'"):
        read_set(path, {"cash_flow"})
