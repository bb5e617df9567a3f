"""The bundled sample call through the real ``coach replay``: real Whisper, real audio."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLE, SAMPLE_REF
from tests.scoring import assign, error_report, load_reference
from tests.test_cli import coach

pytestmark = pytest.mark.models

# Bounds measured on this call (README, "Tests"). A replay hands Whisper the same samples every
# time: whisper-base int8 greedy gives CER(zh) 0.138 and WER(en) 0.016 on this CPU, run after run.
MAX_CER_ZH = 0.15
MAX_WER_EN = 0.15
# Live capture never gives the same samples twice (the sound server's resampling, where capture
# starts in a VAD frame), and greedy decoding of short TTS turns flips characters on that:
# tools/asr/cer_spread.py replayed the call and 16 such variations, CER(zh) 0.09-0.21 (median
# 0.15), WER(en) 0.02-0.10 (bench/results/asr-cer-spread-2026-11-24.json); live runs gave
# 0.133-0.17. The live bound sits above that spread; breakage that a loose CER could hide (a turn
# split or merged, a turn in the wrong language) has assertions of its own.
MAX_LIVE_CER_ZH = 0.25


@pytest.fixture(scope="module")
def replay(tmp_path_factory, whisper_path):
    out = tmp_path_factory.mktemp("replay") / "events.jsonl"
    proc = coach("replay", "--quiet", "--events", str(out), str(SAMPLE), timeout=900)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return events, load_reference(SAMPLE_REF)


def test_each_turn_gives_exactly_one_final_on_its_channel(replay):
    events, ref = replay
    finals = [e for e in events if e["type"] == "utterance"]
    scores, stray = assign(ref["turns"], finals)
    assert stray == [], f"finals that match no turn on their channel: {stray}"
    for s in scores:
        assert len(s.finals) == 1, (s.turn["text"], [u["text"] for u in s.finals])
        assert s.finals[0]["lang"] == s.turn["lang"], (s.turn["text"], s.finals[0])


def test_transcripts_match_the_script(replay):
    events, ref = replay
    scores, _ = assign(ref["turns"], [e for e in events if e["type"] == "utterance"])
    cer, wer, report = error_report(scores)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    assert cer <= MAX_CER_ZH and wer <= MAX_WER_EN, report


def test_simplified_chinese_and_event_contract(replay):
    events, _ = replay
    zh = "".join(e["text"] for e in events if e["type"] == "utterance" and e["lang"] == "zh")
    assert not set("這個們還說對時間") & set(zh), zh  # Traditional forms of common characters
    for e in events:
        assert {"type", "channel", "t"} <= set(e)
        if e["type"] in ("utterance", "partial"):
            assert e["start"] < e["end"] <= e["t"] + 1e-6
            assert e["lang"] in ("zh", "en")
    partials = [e for e in events if e["type"] == "partial"]
    assert partials, "no partial text while speaking"
    by_utt: dict[str, str] = {}
    for p in partials:  # the committed prefix never changes within an utterance
        assert p["stable"].startswith(by_utt.get(p["utterance_id"], ""))
        by_utt[p["utterance_id"]] = p["stable"]


# What the debtor says in the sample call, and the card each turn should raise (None: no card).
EXPECTED_CARDS = {
    "对,我是。什么事?": None,
    "我现在手头有点紧,这个月实在周转不开。": "cash_flow",
    "我最近一直在出差,人在外地,等我回去再说吧。": "away_on_trip",
    "Honestly, the check is already in the mail. I sent it last week.": "check_in_mail",
    "I don't remember the number. Look, I will pay five hundred on Friday.": "promise_to_pay",
    "对,周五转五百。": "promise_to_pay",
}


def test_debtor_excuses_raise_the_right_cards_and_nothing_else(replay, embedding_path):
    events, ref = replay
    finals = [e for e in events if e["type"] == "utterance"]
    scores, _ = assign(ref["turns"], finals)
    cards = [e for e in events if e["type"] == "card"]
    assert all(c["channel"] == "debtor" for c in cards)
    for s in scores:
        if s.turn["channel"] != "debtor":
            continue
        uid = s.finals[0]["utterance_id"]
        shown = [c for c in cards if c["utterance_id"] == uid]
        expected = EXPECTED_CARDS[s.turn["text"]]
        if expected is None:
            assert shown == [], shown
            continue
        assert shown, f"no card for {s.turn['text']!r}"
        assert shown[-1]["category"] == expected, shown
        assert shown[-1]["lang"] == s.turn["lang"] and shown[-1]["rebuttal"]
        assert shown[0]["t"] >= shown[0]["start"]
