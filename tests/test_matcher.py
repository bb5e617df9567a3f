"""The real matcher (EmbeddingGemma + the shipped phrasebank) on real text.

``phrasebank/eval/test26.jsonl`` is the held-out set: written blind, never used for tuning, scored
once (README, int8 runtime): en 96.0% top-1 / 3.7% false alarms, zh 96.5% / 2.6% (a third of it
long rambling replies, a quarter of its excuses indirect). The older sets (test .. test25) are
retired: their lines were folded into the phrasebank as examples, so they no longer measure
anything. The issue's targets are top-1 >= 90% and false alarms <= 3% per language; the bounds
below guard against regressions from the measured figures (3 to 4 points of slack, a handful of
lines), not the targets."""

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
    ("lang", "min_top1", "max_false_alarms"), [("en", 0.92, 0.06), ("zh", 0.92, 0.05)]
)
def test_the_held_out_set_stays_near_its_measured_figures(
    matcher, lang: str, min_top1: float, max_false_alarms: float
):
    examples = read_set(
        pb.default_root() / "eval" / "test26.jsonl", set(matcher.phrasebank.categories)
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


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "Hey, yeah, hi, sorry I'm in the car with the kids, it's a zoo in here. Look, honestly,"
            " the plant shut down our whole line in September and I've been out of work since, so"
            " what can we do here?",
            "job_loss",
        ),
        (
            "哎你好你好,我这边信号不太好,我在我妈老家这边,她上周摔了一跤住院了,我请假过来照顾她,"
            "这个事情等我回去再说行不行。",
            "illness_or_misfortune",
        ),
        # the excuse is resolved after the "but": no clause before it may speak
        (
            "I got laid off last year and it was rough for a while, but I'm working again now,"
            " so what's the total today?",
            None,
        ),  # fmt: skip
        ("我去年失业过一段时间,那阵子挺难的,不过现在已经上班了,你把总数跟我说一下吧。", None),
    ],
)
def test_a_long_reply_can_be_read_clause_by_clause(matcher, text, category):
    import copy
    from dataclasses import replace

    from coach.matcher import clean

    # Step 4 is an option (MatcherConfig.clause_min_prob), off as shipped since the eighth
    # session's tuning; tested here under a nearness gate strict enough that the whole reply
    # alone does not pass (the tuned gate moves from round to round: 0.7, 0.6, 0.5).
    by_clause = copy.copy(matcher)
    by_clause.cfg = replace(matcher.cfg, clause_min_prob=0.95, min_similarity=0.7)
    [d] = by_clause.decide([text])
    assert d.category == category, d
    if category:
        # step 5 (nearness by a clause) may answer before step 4 (a card from a clause)
        assert d.reason in ("matched a clause", "near by a clause"), d
        assert d.clause and d.to_dict()["clause"] == d.clause
        assert d.text == clean(text)  # the card is for the whole reply


def test_a_likely_excuse_far_from_examples_may_be_near_by_a_clause(matcher):
    """Step 5: the whole reply keeps its category and score; only the nearness comes from a
    clause (the sample call's promise, two sentences, sits far from the short examples)."""
    import copy
    from dataclasses import replace

    text = "I don't remember the number. Look, I will pay 500 on Friday."
    [as_shipped] = matcher.decide([text], ["en"])
    assert as_shipped.category == "promise_to_pay", as_shipped
    # Under a gate the whole reply does not pass (the tuned one moves: 0.7, 0.6, 0.5):
    strict = copy.copy(matcher)
    strict.cfg = replace(matcher.cfg, min_similarity=0.7)
    whole_only = copy.copy(matcher)
    whole_only.cfg = replace(strict.cfg, clause_near=False)
    [far] = whole_only.decide([text], ["en"])
    assert far.category is None and far.reason == "far from examples", far
    [near] = strict.decide([text], ["en"])
    assert near.reason == "near by a clause" and near.category == far.best, near
    assert near.score == far.score and near.clause and near.clause in text
    assert near.similarity >= strict.cfg.min_similarity > far.similarity


def test_decisions_in_one_batch_are_the_decisions_one_at_a_time(matcher):
    """The per-utterance path computes the head's softmax itself and decides a batch (a long
    reply's clauses) with one matrix product: neither may change an answer."""
    texts = [
        "我现在手头有点紧",
        "Who is this?",
        "My lawyer will call you.",
        "嗯",
        # a long reply that only the clause step matches (step 4's batch of clauses)
        "哎你好你好,我这边信号不太好,我在我妈老家这边,她上周摔了一跤住院了,我请假过来照顾她,"
        "这个事情等我回去再说行不行。",
    ]
    import copy
    from dataclasses import replace

    vecs = matcher.embedder.encode(texts)
    assert np.allclose(matcher.head_probs(vecs), matcher.head.predict_proba(vecs), atol=1e-6)
    by_clause = copy.copy(matcher)  # the clause step too (off as shipped)
    by_clause.cfg = replace(matcher.cfg, clause_min_prob=0.95, min_similarity=0.7)
    for m in (matcher, by_clause):
        one_by_one = [m.decide([t])[0] for t in texts]
        together = m.decide(texts)
        assert [(d.category, d.reason, d.clause) for d in together] == [
            (d.category, d.reason, d.clause) for d in one_by_one
        ]
        assert np.allclose([d.score for d in together], [d.score for d in one_by_one], atol=1e-6)
        assert [d.category for d in one_by_one[:3]] == ["cash_flow", None, "lawyer_or_bankruptcy"]
    assert together[-1].reason == "matched a clause", together[-1]
