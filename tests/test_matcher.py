"""The real matcher (EmbeddingGemma + the shipped phrasebank) on real text.

``phrasebank/eval/test16.jsonl`` is the held-out set: written blind, never used for tuning, scored
once (README, int8 runtime): en 97.4% top-1 / 0.0% false alarms, zh 93.7% / 1.1%. The older sets
(test .. test15) are retired: their lines were folded into the phrasebank as examples, so they no
longer measure anything. The issue's targets are top-1 >= 90% and false alarms <= 3% per
language; the bounds below guard against regressions from the measured figures (about 3 points
of slack, a handful of lines), not the targets."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from coach import phrasebank as pb
from coach.evaluation import read_set, score

pytestmark = pytest.mark.models

COACH = [sys.executable, "-m", "coach"]


@pytest.mark.parametrize(
    ("lang", "min_top1", "max_false_alarms"), [("en", 0.94, 0.04), ("zh", 0.9, 0.05)]
)
def test_the_held_out_set_stays_near_its_measured_figures(
    matcher, lang: str, min_top1: float, max_false_alarms: float
):
    examples = read_set(
        pb.default_root() / "eval" / "test16.jsonl", set(matcher.phrasebank.categories)
    )
    decisions = matcher.decide([e.text for e in examples], [e.lang for e in examples])
    report = score(examples, [(d.category, d.score) for d in decisions])
    r = report.by_lang[lang]
    assert r.excuses >= 100 and r.non_excuses >= 70
    assert r.top1 >= min_top1, r.to_dict()
    assert r.false_alarm_rate <= max_false_alarms, r.to_dict()
    # None of its lines may have become a phrasebank example: then it would no longer be held out.
    known = {pb.normalise(t) for t, _, _ in matcher.phrasebank.labelled_examples()}
    assert not [e.text for e in examples if pb.normalise(e.text) in known]


@pytest.mark.parametrize(
    ("text", "lang", "category"),
    [
        ("我现在手头紧", "zh", "cash_flow"),
        ("我出差在外地", "zh", "away_on_trip"),
        ("the check is in the mail", "en", "check_in_mail"),
        ("that's not my debt", "en", "not_my_debt"),
    ],
)
def test_the_issue_s_own_examples(matcher, text, lang, category):
    [decision] = matcher.decide([text], [lang])
    assert decision.category == category, decision


def test_rebuttal_follows_the_utterance_language(matcher):
    zh, en = matcher.decide(["支票已经寄出去了", "I already mailed the check"])
    assert zh.category == en.category == "check_in_mail"
    assert matcher.card_texts(zh)["rebuttal"] == matcher.category("check_in_mail").rebuttal["zh"]
    assert matcher.card_texts(en)["rebuttal"] == matcher.category("check_in_mail").rebuttal["en"]


def test_bad_text_gets_no_card_and_no_crash(matcher):
    texts = [
        "",
        "   ",
        "🙂🙂🙂",
        "…?!",
        "asdkjh qwpoeiru zxmcnv",
        "好" * 2000,
        "ok 好的 thanks 谢谢",
    ]
    decisions = matcher.decide(texts)
    assert len(decisions) == len(texts)
    assert [d.category for d in decisions] == [None] * len(texts)
    assert decisions[0].reason == decisions[2].reason == "no words"


def test_match_jsonl_answers_every_line_in_order(embedding_path):
    lines = [
        json.dumps({"text": "I'm out of town this week"}),
        "{not json",
        json.dumps({"text": "好的好的"}),
        json.dumps({"txt": "wrong key"}),
        json.dumps({"text": "我出差了人在外地"}, ensure_ascii=False),
    ]
    proc = subprocess.run(
        [*COACH, "match", "--jsonl"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r.get("category") for r in rows] == ["away_on_trip", None, None, None, "away_on_trip"]
    assert "line 2: not a JSON object" in rows[1]["error"] and "line 4" in rows[3]["error"]
    assert all({"category", "score", "rebuttal"} <= set(r) for r in rows)
    assert rows[4]["rebuttal"] and rows[4]["lang"] == "zh"


def test_match_text_prints_the_card(embedding_path):
    proc = subprocess.run(
        [*COACH, "match", "the check is in the mail"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("check_in_mail") and "say:" in proc.stdout


def test_the_embedder_remembers_recent_texts_without_mixing_them_up(matcher):
    """The matcher and the guard embed the same utterance in turn; a big batch (an eval set)
    must still come back whole and in order."""
    embedder = matcher.embedder
    texts = [f"line {i}" for i in range(100)] + ["line 3"]
    vecs = embedder.encode(texts)
    assert vecs.shape[0] == 101 and np.allclose(vecs[3], vecs[100])
    again = embedder.encode(["line 99", "line 3"])  # one remembered, one not: same vectors
    assert np.allclose(again[0], vecs[99], atol=1e-5) and np.allclose(again[1], vecs[3], atol=1e-5)
