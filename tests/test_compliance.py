"""The compliance guard: rule packs, the stage (pushed events, a scripted classifier), and the real
model on clear lines, the held-out set and ``coach compliance check --jsonl``.

The blind set ``phrasebank/compliance/eval/test26.jsonl`` was scored once with round 26's tuned
(and shipped) settings (README, "The compliance guard", int8 encoder): recall en 95.0 %, zh
98.8 %; false alerts en 0.0 %, zh 1.0 % (targets: recall >= 95 %, false alerts <= 2 %). The older
sets (test .. test25) are retired: folded into the packs as examples,
they no longer measure anything. The bounds below guard against regressions from the measured
figures, with a few lines of slack; they are not the targets."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.compliance import (
    ComplianceConfig,
    ComplianceError,
    ComplianceStage,
    Decision,
    Guard,
    build_guard,
    load_packs,
)
from coach.compliance.packs import default_folder, trained_on
from coach.events import Alert, CallStarted, Card, Partial, SpeechStarted, Utterance
from coach.phrasebank import insert_items, normalise

CFG = ComplianceConfig()

# --- a scripted classifier -----------------------------------------------------------------------


class ScriptedGuard(Guard):
    """The shipped packs with no model: patterns, required words and identity work for real;
    ``script`` adds classifier hits, text -> rule ids."""

    def __init__(self, script: dict[str, list[str]] | None = None, cfg=CFG) -> None:
        super().__init__(load_packs(None, cfg.packs), None, cfg)
        self.script = script or {}
        self.calls: list[tuple[str, str, frozenset]] = []

    def check(self, texts_with_channels, langs=None, contexts=None, cache=None) -> list[Decision]:
        n = len(texts_with_channels)
        langs, contexts = list(langs or [None] * n), list(contexts or [frozenset()] * n)
        out = []
        decided = super().check(texts_with_channels, langs, contexts)
        for (text, channel), ctx, d in zip(texts_with_channels, contexts, decided, strict=True):
            self.calls.append((text, channel, frozenset(ctx)))
            extra = [
                self._hit(self.rules[r], d.lang, 0.9, "model")
                for r in self.script.get(text, [])
                if r not in {h.rule for h in d.hits} and self.rules[r].channel == channel
            ]
            hits = tuple(sorted((*d.hits, *extra), key=lambda h: h.severity != "stop"))
            out.append(Decision(d.text, channel, d.lang, hits, d.said, d.identity))
        return out


def stage_with(script=None, cfg=CFG) -> ComplianceStage:
    return ComplianceStage(ScriptedGuard(script, cfg), cfg)


def started(at: str = "2026-11-23T10:00:00", source: str = "live") -> CallStarted:
    return CallStarted(channel="call", t=0.0, call_id="c1", source=source, started_at=at)


def said(text: str, t: float, uid: str, channel: str = "collector", lang: str = "en") -> Utterance:
    return Utterance(
        channel=channel, t=t, utterance_id=uid, start=t - 2.0, end=t - 0.2, lang=lang, text=text
    )


def partial(stable: str, t: float, uid: str, lang: str = "en") -> Partial:
    return Partial(
        channel="collector",
        t=t,
        utterance_id=uid,
        start=t - 1.0,
        end=t,
        lang=lang,
        text=stable + " …",
        stable=stable,
    )


def third_party_card(t: float) -> Card:
    return Card(
        channel="debtor", t=t, utterance_id="d-tp", start=t - 2, end=t - 1, lang="en",
        text="he's not here, I'm his roommate", category="third_party", title="Third party",
        score=0.9, rebuttal="", follow_up="",
    )  # fmt: skip


def run(stage: ComplianceStage, events) -> list[Alert]:
    return [e for event in events for e in stage.handle(event) if isinstance(e, Alert)]


# --- packs ---------------------------------------------------------------------------------------

REQUIRED = {
    "us.threat_arrest", "us.time_barred_suit", "us.abusive_language",
    "us.false_attorney_or_government", "us.mini_miranda", "us.third_party_disclosure",
    "us.debtor_has_lawyer", "us.inconvenient_time_place", "cn.intimidation", "cn.impersonation",
    "cn.third_party_disclosure", "cn.borrow_to_repay", "cn.self_id", "cn.quiet_hours",
}  # fmt: skip


def test_shipped_packs_have_the_issue_s_rules_and_say_they_are_not_legal_advice():
    packs = load_packs(None, CFG.packs)
    rules = {r.id: r for p in packs for r in p.rules}
    assert set(rules) >= REQUIRED
    for pack in packs:
        assert "not legal advice" in pack.note.lower()
    for rule in rules.values():
        assert rule.basis and rule.alert["zh"] and rule.alert["en"]
        if rule.semantic:
            assert min(len(rule.phrases.examples[lang]) for lang in ("zh", "en")) >= 8, rule.id
    assert rules["us.debtor_has_lawyer"].channel == "debtor"
    assert rules["us.debtor_has_lawyer"].severity == "stop"
    assert rules["us.inconvenient_time_place"].severity == "note"


def write_pack(tmp_path, body: str, name: str = "mine") -> None:
    (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(body), encoding="utf-8")


GOOD_RULE = """\
      - id: xx.rude
        basis: Rule 1
        channel: collector
        severity: stop
        alert: {zh: 停, en: Stop}
        patterns: ['\\bidiot\\b']
"""


def test_a_bad_pack_is_refused_with_file_and_line(tmp_path):
    write_pack(
        tmp_path,
        """\
        pack: mine
        note: Our summaries, not legal advice.
        rules:
          - id: xx.loud
            basis: Rule 2
            channel: debtor
            severity: urgent
            alert: {zh: 停, en: Stop}
            patterns: ['(unclosed']
            examples:
              zh: [一, 二]
              en: [one, two, three, four, five, six, seven, eight]
        """,
    )
    with pytest.raises(ComplianceError) as err:
        load_packs(tmp_path, ["mine"])
    problems = err.value.problems
    assert any("mine.yaml:" in p and "severity" in p and "urgent" in p for p in problems)
    assert any("not a valid regex" in p for p in problems)
    assert any("has 2 zh sentences — add at least 8" in p for p in problems)
    assert all(p.split(":")[1].isdigit() for p in problems), problems  # file:line every time
    assert "\n" not in str(err.value) and "more)" in str(err.value)


def test_pack_needs_the_disclaimer_and_known_keys(tmp_path):
    write_pack(tmp_path, "pack: mine\nnote: short\nrules:\n" + GOOD_RULE + "        colour: red\n")
    with pytest.raises(ComplianceError) as err:
        load_packs(tmp_path, ["mine"])
    assert any("not legal advice" in p for p in err.value.problems)
    assert any("unknown key 'colour'" in p and "mine.yaml:4" in p for p in err.value.problems)


def test_a_missing_pack_names_the_ones_there(tmp_path):
    write_pack(tmp_path, "pack: mine\nnote: not legal advice\nrules:\n" + GOOD_RULE)
    assert [r.id for r in load_packs(tmp_path, ["mine"])[0].rules] == ["xx.rude"]
    with pytest.raises(ComplianceError, match=r"rule pack 'nope' not found \(packs here: mine\)"):
        load_packs(tmp_path, ["nope"])


# --- patterns without a model --------------------------------------------------------------------


def test_patterns_fire_without_a_model_and_third_party_rules_need_the_context():
    guard = Guard(load_packs(None, CFG.packs), None, CFG)
    swear, loan, owes, owes_tp = guard.check(
        [("pay up you fucking idiot", "collector"), ("以贷还贷嘛", "collector"),
         ("he owes us $500", "collector"), ("he owes us $500", "collector")],
        contexts=[frozenset(), frozenset(), frozenset(), frozenset({"third_party"})],
    )  # fmt: skip
    assert swear.rule == "us.abusive_language" and swear.hits[0].source == "pattern"
    assert loan.rule == "cn.borrow_to_repay" and loan.lang == "zh"
    assert owes.rule is None
    assert {h.rule for h in owes_tp.hits} == {
        "us.third_party_disclosure",
        "cn.third_party_debt_talk",
    }


class BagOfWords:
    """A stand-in embedder: hashed words (and Han characters), L2-normalised."""

    dim, fingerprint = 256, "bag-of-words"

    def encode(self, texts):
        import re
        import zlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for token in re.findall(r"[a-z']+|[\u4e00-\u9fff]", text.lower()):
                out[i, zlib.crc32(token.encode()) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_the_head_has_a_lawful_class_and_lawful_neighbours_win(tmp_path):
    examples = {
        "en": ["we will have you arrested today", "the police will arrest you", "you will be "
               "arrested", "an arrest warrant for you", "we send the police to arrest you",
               "arrested and sent to jail", "arrested by the police tomorrow",
               "police arrest you at work"],
        "zh": ["警察抓你", "抓你坐牢", "让警察抓你", "明天抓你", "抓你进去", "警察来抓你",
               "马上抓你", "抓你去派出所"],
    }  # fmt: skip
    near = {"en": ["nobody will arrest you over this debt"], "zh": ["没有人会抓你"]}
    lawful = {"en": ["can you pay today", "your balance is due friday", "we may refer the account"],
              "zh": ["今天能还吗", "按合同上报征信"]}  # fmt: skip
    pack = {
        "pack": "mine", "note": "Not legal advice.", "lawful": lawful,
        "rules": [{"id": "xx.arrest", "basis": "R1", "channel": "collector", "severity": "stop",
                   "alert": {"zh": "停", "en": "Stop"}, "examples": examples,
                   "near_misses": near}],
    }  # fmt: skip
    (tmp_path / "mine.yaml").write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    cfg = ComplianceConfig(packs=("mine",), folder=str(tmp_path))
    guard = Guard(load_packs(tmp_path, cfg.packs), BagOfWords(), cfg)  # no disk cache
    threat, calm, pay, zh = guard.check(
        [("the police will arrest you tomorrow", "collector"),
         ("nobody will arrest you over this debt", "collector"),
         ("can you pay today", "collector"), ("明天让警察来抓你", "collector")]
    )  # fmt: skip
    assert threat.rule == "xx.arrest" and threat.hits[0].source == "model"
    assert calm.rule is None and calm.reason in ("lawful", "closer to a lawful line", "disclaimed")
    assert pay.rule is None and zh.rule == "xx.arrest" and zh.hits[0].alert == "停"
    # Tuning scores a folded set with heads trained without its lines (leave one set out).
    left_out = frozenset(map(normalise, ["the police will arrest you", "can you pay today"]))
    head = Guard(load_packs(tmp_path, cfg.packs), BagOfWords(), cfg, exclude=left_out).heads
    assert len(head["collector"][0].example_vecs["xx.arrest"]) == 16 - 1
    assert len(head["collector"][0].lawful_vecs) == len(guard.heads["collector"][0].lawful_vecs) - 1


def test_folding_a_retired_set_puts_each_line_in_its_list(tmp_path):
    import importlib.util

    from coach.compliance.evaluate import Line

    path = default_folder().parents[1] / "tools" / "compliance" / "fold_retired.py"
    spec = importlib.util.spec_from_file_location("fold_compliance", path)
    fold = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fold)
    folder = tmp_path / "compliance"
    folder.mkdir()
    rude_en = "".join(f"      - you idiot number {i}\n" for i in range(8))
    rude_zh = "".join(f"      - 你这个笨蛋{i}\n" for i in range(8))
    (folder / "mine.yaml").write_text(
        "pack: mine\nlang: en\nnote: Not legal advice.\nlawful:\n  en:\n    - can you pay today\n"
        "  zh:\n    - 今天能还吗\nrules:\n  - id: xx.rude\n    basis: R1\n    channel: collector\n"
        "    severity: stop\n    alert: {zh: 停, en: Stop}\n    examples:\n      en:\n"
        f"{rude_en}      zh:\n{rude_zh}",
        encoding="utf-8",
    )
    packs = load_packs(folder, ["mine"])
    lines = [
        Line("yes", "en", "collector", frozenset(["xx.rude"]), frozenset(), ()),
        Line("no: really", "en", "collector", frozenset(), frozenset(), ()),
        Line("- dash", "zh", "collector", frozenset(), frozenset(), ()),
    ]  # texts YAML would read as a boolean, a mapping or a list must round-trip
    blocks: dict = {}
    for line in lines:
        for file, after in fold.target(line, packs, folder):
            blocks.setdefault(file, {}).setdefault(after, []).append(line.text)
    for file, by_line in blocks.items():
        insert_items(Path(file), by_line, "from eval/testX.jsonl")
    [pack] = load_packs(folder, ["mine"])
    assert pack.rules[0].phrases.examples["en"][-2:] == ["you idiot number 7", "yes"]
    assert pack.lawful == {
        "en": ["can you pay today", "no: really"],
        "zh": ["今天能还吗", "- dash"],
    }
    assert "# from eval/testX.jsonl" in (folder / "mine.yaml").read_text(encoding="utf-8")


# --- the stage -----------------------------------------------------------------------------------


def test_pattern_hit_on_a_partial_alerts_at_once_and_the_final_does_not_repeat_it():
    stage = stage_with()
    alerts = run(
        stage,
        [
            started(),
            partial("pay up you fucking", 3.0, "c1"),
            said("pay up you fucking idiot", 4, "c1"),
        ],
    )
    assert [(a.rule, a.t, a.utterance_id) for a in alerts] == [("us.abusive_language", 3.0, "c1")]
    assert alerts[0].severity == "stop" and alerts[0].basis.startswith("12 CFR 1006.14")


def test_classifier_hit_on_partials_needs_two_agreeing_checks():
    threat = "we will have you arrested"
    script = {"we will have you": ["us.threat_arrest"], threat: ["us.threat_arrest"]}
    stage = stage_with(script)
    first = run(stage, [started(), partial("we will have you", 2.0, "c1")])
    second = run(stage, [partial(threat, 2.5, "c1")])
    again = run(stage, [partial(threat, 2.6, "c1"), said(threat, 3.0, "c1")])
    assert first == [] and [a.rule for a in second] == ["us.threat_arrest"] and again == []
    assert [c[0] for c in stage.guard.calls].count(threat) == 2  # same stable text not rechecked


def test_the_final_alerts_when_partials_did_not_and_each_utterance_alerts_on_its_own():
    threat = "你再不还钱就让警察抓你"
    stage = stage_with({threat: ["us.threat_arrest", "cn.intimidation"]})
    alerts = run(
        stage, [started(), said(threat, 3.0, "c1", lang="zh"), said(threat, 6.0, "c2", lang="zh")]
    )
    assert [(a.utterance_id, a.rule) for a in alerts] == [
        ("c1", "cn.intimidation"), ("c1", "us.threat_arrest"),
        ("c2", "cn.intimidation"), ("c2", "us.threat_arrest"),
    ]  # fmt: skip
    a = alerts[1]
    assert a.lang == "zh" and a.text == stage.guard.rules["us.threat_arrest"].alert["zh"]
    assert a.channel == "collector" and a.t == 3.0


def test_third_party_on_the_line_guards_the_debt_until_the_debtor_confirms():
    stage = stage_with()
    before = run(stage, [started(), said("he owes us $500", 5.0, "c1")])
    during = run(stage, [third_party_card(8.0), said("tell him he owes $500", 10.0, "c2")])
    after = run(
        stage,
        [
            said("Yes, this is John.", 20.0, "d1", channel="debtor"),
            said("you owe $500", 22.0, "c3"),
        ],
    )
    assert before == [] and after == []
    assert {(a.rule, a.severity) for a in during} == {
        ("us.third_party_disclosure", "warn"), ("cn.third_party_debt_talk", "warn")
    }  # fmt: skip


def test_debtor_rules_are_checked_on_debtor_utterances():
    stage = stage_with({"talk to my lawyer": ["us.debtor_has_lawyer"]})
    [alert] = run(stage, [started(), said("talk to my lawyer", 9.0, "d1", channel="debtor")])
    assert (alert.rule, alert.severity, alert.channel) == ("us.debtor_has_lawyer", "stop", "debtor")
    assert run(stage, [said("talk to my lawyer", 9.0, "c9")]) == []  # not a collector rule


def deadline_alerts(events, cfg=CFG) -> list[tuple[str, float]]:
    stage = stage_with(cfg=cfg)
    return [(a.rule, a.t) for a in run(stage, events) if a.utterance_id is None]


def tick(t: float) -> SpeechStarted:
    return SpeechStarted(channel="debtor", t=t, start=t)


def test_mini_miranda_deadline_falls_back_to_the_call_start():
    events = [
        started(),
        said("你好,我是招商银行的小王", 2.0, "c1", lang="zh"),
        tick(59.0),
        tick(61.0),
        tick(90),
    ]
    assert deadline_alerts(events) == [("us.mini_miranda", 61.0)]


def test_mini_miranda_deadline_runs_from_the_debtor_s_identity_and_is_met_by_saying_it():
    confirm = said("Yes, this is John.", 20.0, "d1", channel="debtor")
    hello = said("Hi, this is Tom from Crestline Recovery.", 2.0, "c1")
    late = deadline_alerts([started(), hello, confirm, tick(61.0), tick(79.0), tick(80.5)])
    assert late == [("us.mini_miranda", 80.5)]  # 19.8 s + 60 s
    disclosed = said("This is an attempt to collect a debt by a debt collector.", 30.0, "c2")
    assert deadline_alerts([started(), hello, confirm, disclosed, tick(200.0)]) == []


def test_mini_miranda_waits_while_a_third_party_is_on_the_line():
    events = [started(), third_party_card(3.0), tick(70.0), tick(100.0)]
    assert deadline_alerts(events) == []


def test_self_identification_deadline_counts_from_the_collector_s_first_words():
    cfg = ComplianceConfig(packs=("cn_guideline",), self_id_deadline_s=30.0)
    quiet = [
        started(),
        said("喂,李先生吗", 6.0, "c1", lang="zh"),
        tick(10.0),
        tick(35.0),
        tick(40.0),
    ]
    assert deadline_alerts(quiet, cfg) == [("cn.self_id", 35.0)]  # first words at 4.0 s
    named = [started(), said("您好,我是招商银行信用卡中心的小王", 6.0, "c1", lang="zh"), tick(60.0)]
    assert deadline_alerts(named, cfg) == []


@pytest.mark.parametrize(
    ("at", "window", "alerted"),
    [
        ("2026-11-23T23:15:00", ("22:00", "08:00"), True),
        ("2026-11-24T07:59:00", ("22:00", "08:00"), True),
        ("2026-11-23T08:00:00", ("22:00", "08:00"), False),
        ("2026-11-23T14:00:00", ("22:00", "08:00"), False),
        ("2026-11-23T21:30:00", ("21:00", "09:00"), True),
        ("", ("22:00", "08:00"), False),  # no start time known: no alert
    ],
)
def test_quiet_hours_from_the_call_s_start_time(at, window, alerted):
    cfg = ComplianceConfig(packs=("cn_guideline",), quiet_hours=window)
    alerts = run(stage_with(cfg=cfg), [started(at)])
    assert [a.rule for a in alerts] == (["cn.quiet_hours"] if alerted else [])
    if alerted:
        assert alerts[0].channel == "call" and "–".join(window) in alerts[0].text
        assert alerts[0].lang == "zh"  # nobody has spoken yet: the pack's language


def test_a_replayed_recording_is_not_judged_by_its_file_date():
    cfg = ComplianceConfig(packs=("cn_guideline",))
    assert run(stage_with(cfg=cfg), [started("2026-11-23T23:15:00", "call.wav")]) == []


def test_a_bad_quiet_hours_window_is_one_line():
    with pytest.raises(ComplianceError, match="compliance.quiet_hours: expected two HH:MM"):
        stage_with(cfg=ComplianceConfig(quiet_hours=("late", "early")))


# --- the real model ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guard(embedder):
    return build_guard(CFG, embedder)


CLEAR = [
    ("If you don't pay by Friday, we'll have you arrested.", "collector", "us.threat_arrest"),
    ("I'm calling from the sheriff's department about your debt.", "collector",
     "us.false_attorney_or_government"),
    ("你再不还,我们就通知你的家人和单位", "collector", "cn.third_party_disclosure"),
    ("没钱就去网贷平台借点先还上", "collector", "cn.borrow_to_repay"),
    ("我是法院的,你的案子已经立案了", "collector", "cn.impersonation"),
    ("please talk to my attorney, I'm not discussing this", "debtor", "us.debtor_has_lawyer"),
    ("别往我单位打电话", "debtor", "us.inconvenient_time_place"),
    ("If we can't agree on a plan, the account may be referred to our legal department.",
     "collector", None),
    ("我们会按合同约定上报征信", "collector", None),
    ("Can you make a payment of one hundred dollars today?", "collector", None),
    ("您好,请问是张伟先生本人吗", "collector", None),
]  # fmt: skip


@pytest.mark.models
def test_clear_lines_in_both_languages(guard):
    decisions = guard.check([(text, channel) for text, channel, _ in CLEAR])
    for (text, _, rule), d in zip(CLEAR, decisions, strict=True):
        if rule is None:
            assert d.hits == (), (text, d)
        else:
            assert rule in {h.rule for h in d.hits}, (text, d)


@pytest.mark.models
def test_held_out_set_stays_near_its_measured_figures(guard):
    from coach.compliance.evaluate import read_lines, score
    from coach.match_cli import embedding_cache

    lines = read_lines(default_folder() / "eval" / "test26.jsonl", set(guard.rules))
    cache = embedding_cache(guard.embedder)
    decisions = guard.check(
        [(x.text, x.channel) for x in lines], [x.lang for x in lines], [x.context for x in lines],
        cache=cache,
    )  # fmt: skip
    cache.save()
    report = score(lines, decisions, set(guard.rules))
    for lang in ("zh", "en"):
        r = report.by_lang[lang]
        assert r.prohibited >= 65 and r.legitimate >= 75
        assert r.caught / r.prohibited >= 0.92, (lang, r.to_dict())  # measured 95.0 / 98.8 %
        assert r.false_alerts / r.legitimate <= 0.05, (lang, r.to_dict())  # measured 0.0 / 1.0 %
    # None of its lines may have become a pack sentence: then it would no longer be held out.
    trained = trained_on(guard.packs)
    assert not [x.text for x in lines if normalise(x.text) in trained]


@pytest.mark.models
def test_check_jsonl_answers_every_line_in_order(embedding_path):
    from coach.compliance.cli import compliance_cli
    from coach.config import Config

    lines = [
        json.dumps({"text": "we're going to have you arrested", "channel": "collector"}),
        "{not json",
        json.dumps({"text": "我请了律师,你找我律师谈", "channel": "debtor"}, ensure_ascii=False),
        json.dumps({"text": "Your balance is $300.", "channel": "collector"}),
        json.dumps({"text": "Your balance is $300.", "third_party": True}),
        json.dumps({"text": "hello", "channel": "boss"}),
    ]
    result = CliRunner().invoke(
        compliance_cli, ["check", "--jsonl"], input="\n".join(lines) + "\n", obj=Config()
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["rule"] for r in rows] == [
        "us.threat_arrest", None, "us.debtor_has_lawyer", None, "us.third_party_disclosure", None
    ]  # fmt: skip
    assert all({"rule", "severity", "alert"} <= set(r) for r in rows)
    assert "line 2: not a JSON object" in rows[1]["error"] and "channel" in rows[5]["error"]
    assert rows[0]["severity"] == "stop" and rows[0]["alert"].startswith("Stop")
    assert rows[2]["lang"] == "zh" and rows[2]["alert"].startswith("停止催收")
