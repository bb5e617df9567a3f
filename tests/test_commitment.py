"""Promise-to-pay extraction (coach.commitment): amounts, dates, methods, negatives, and the
labelled set's dev split (the test split is held out: phrasebank/commitments/README.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from coach.commitment import METHODS, Commitment, extract

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "phrasebank" / "commitments" / "labelled.jsonl"
MONDAY = dt.date(2026, 11, 23)  # a Monday; the labelled set's `today` too


def lang_of(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def ex(text: str, today: dt.date = MONDAY) -> Commitment | None:
    return extract(text, lang_of(text), today)


def load_eval_tool():
    spec = importlib.util.spec_from_file_location(
        "commitment_eval", ROOT / "tools" / "commitment_eval.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the examples of the brief -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "date", "method"),
    [
        ("我下周五转五百", 500, "2026-12-04", "bank_transfer"),
        ("周五还五百", 500, "2026-11-27", None),
        ("明天先还一千", 1000, "2026-11-24", None),
        ("three hundred on the fifteenth by card", 300, "2026-12-15", "card"),
        ("I'll put 200 on it Friday", 200, "2026-11-27", None),
        ("I can send $500 tomorrow", 500, "2026-11-24", None),
    ],
)
def test_brief_examples(text, amount, date, method):
    c = ex(text)
    assert c is not None
    assert (c.amount, c.date, c.method) == (amount, date, method)
    assert c.text == text


@pytest.mark.parametrize(
    "text",
    [
        "I already paid 500 last week",
        "我上个月还了五百",
        "I'm not paying 500",
        "我一分都不会还",
        "can I pay by card?",
        "能用支付宝还吗?",
        "five hundred? that's too much",
        "if I had 500 I'd pay",
        "maybe I'll pay next week",
        "I'll try to pay Friday",
        "我尽量月底还",
        "我可能下个月才能还",
        "how much do I need to pay by Friday?",
        "明天要还多少?",
        "我还没发工资呢",
        "我还是觉得不对",
        "I paid by card yesterday",
        "已经用微信转过去了",
        "如果你们免了利息我就还",
        "Friday",
        "五百",
        "I'll call you back tomorrow",
        "我朋友说他会还的",
        "it's been mailed, I promise",
        "",
        "   ",
    ],
)
def test_not_a_promise(text):
    assert ex(text) is None


# --- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("我周五还五百", 500, None),
        ("我周五还三千五", 3500, None),
        ("我周五还两万", 20000, None),
        ("我周五还一千二", 1200, None),
        ("我周五还两万五", 25000, None),
        ("我周五还一千零五十", 1050, None),
        ("我周五还一百五", 150, None),
        ("我周五还1500块", 1500, "CNY"),
        ("我周五还五百块钱", 500, "CNY"),
        ("我周五还1.5万", 15000, None),
        ("我周五还八百元", 800, "CNY"),
        ("我周五还两百美元", 200, "USD"),
        ("I'll pay three hundred on Friday", 300, None),
        ("I'll pay two fifty on Friday", 250, None),
        ("I'll pay twelve hundred on Friday", 1200, None),
        ("I'll pay a thousand on Friday", 1000, None),
        ("I'll pay a hundred and fifty on Friday", 150, None),
        ("I'll pay two grand on Friday", 2000, None),
        ("I'll pay $300 on Friday", 300, "USD"),
        ("I'll pay 300 bucks on Friday", 300, "USD"),
        ("I'll pay 1,500 on Friday", 1500, None),
        ("I'll pay $1,250.50 on Friday", 1250.5, "USD"),
        ("I'll pay 2k on Friday", 2000, None),
        ("I'll pay for hundred on Friday", 400, None),  # ASR: "four"
        ("i can send to hundred dollars on friday", 200, "USD"),  # ASR: "two"
        ("I'll pay five hundred yuan on Friday", 500, "CNY"),
    ],
)
def test_amounts(text, amount, currency):
    c = ex(text)
    assert c is not None
    assert c.amount == pytest.approx(amount)
    assert c.currency == currency


def test_half_is_partial_without_amount():
    for text in ("I'll pay half on Friday", "周五先还一半"):
        c = ex(text)
        assert c is not None and c.amount is None and c.partial


def test_first_instalment_and_partial():
    c = ex("今天先还两百，下周再还两百")
    assert (c.amount, c.date, c.partial) == (200, "2026-11-23", True)
    c = ex("我先还两百，剩下的下个月再还")
    assert (c.amount, c.date, c.partial) == (200, None, True)
    c = ex("let me pay fifty bucks today and the rest on payday")
    assert (c.amount, c.date, c.partial) == (50, "2026-11-23", True)
    assert ex("I'll pay 300 on Friday").partial is False


def test_refusing_the_full_amount_keeps_the_offer():
    c = ex("我还不了那么多，这周五先还五百")
    assert (c.amount, c.date, c.partial) == (500, "2026-11-27", True)
    c = ex("I can't pay 500 but I can do 200 on Friday")
    assert (c.amount, c.date) == (200, "2026-11-27")


def test_times_and_counts_are_not_amounts():
    c = ex("明天下午五点前还")
    assert c.amount is None and c.date == "2026-11-24"
    c = ex("I'll pay tomorrow at 10")
    assert c.amount is None
    c = ex("每个月还八百，分三个月还完")
    assert c.amount == 800


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "when_text"),
    [
        ("我今天还", "2026-11-23", "今天"),
        ("我明天还", "2026-11-24", "明天"),
        ("我后天还", "2026-11-25", "后天"),
        ("我大后天还", "2026-11-26", "大后天"),
        ("我周五还", "2026-11-27", "周五"),
        ("我礼拜五还", "2026-11-27", "礼拜五"),
        ("我星期五还", "2026-11-27", "星期五"),
        ("我这周五还", "2026-11-27", "这周五"),
        ("我下周五还", "2026-12-04", "下周五"),
        ("我下个礼拜三还", "2026-12-02", "下个礼拜三"),
        ("我周一还", "2026-11-30", "周一"),  # said on a Monday: next Monday
        ("我下周还", "2026-11-30", "下周"),
        ("我月底还", "2026-11-30", "月底"),
        ("我下个月还", "2026-12-01", "下个月"),
        ("我15号还", "2026-12-15", "15号"),  # the 15th has passed this month
        ("我25号还", "2026-11-25", "25号"),
        ("我二十五号还", "2026-11-25", "二十五号"),
        ("我下个月15号还", "2026-12-15", "下个月15号"),
        ("我三月十五号还", "2027-03-15", "三月十五号"),
        ("我十二月一号还", "2026-12-01", "十二月一号"),
        ("我两周后还", "2026-12-07", "两周后"),
        ("我周末还", "2026-11-28", "周末"),
        ("I'll pay today", "2026-11-23", "today"),
        ("I'll pay tonight", "2026-11-23", "tonight"),
        ("I'll pay right now", "2026-11-23", "right now"),
        ("I'll pay tomorrow", "2026-11-24", "tomorrow"),
        ("I'll pay the day after tomorrow", "2026-11-25", "the day after tomorrow"),
        ("I'll pay Friday", "2026-11-27", "Friday"),
        ("I'll pay this Friday", "2026-11-27", "this Friday"),
        ("I'll pay next Friday", "2026-12-04", "next Friday"),
        ("I'll pay on the 15th", "2026-12-15", "on the 15th"),
        ("I'll pay on the fifteenth", "2026-12-15", "on the fifteenth"),
        ("I'll pay on the twenty-fifth", "2026-11-25", "on the twenty-fifth"),
        ("I'll pay on the first", "2026-12-01", "on the first"),
        ("I'll pay by the end of the month", "2026-11-30", "the end of the month"),
        ("I'll pay next week", "2026-11-30", "next week"),
        ("I'll pay next month", "2026-12-01", "next month"),
        ("I'll pay in two weeks", "2026-12-07", "in two weeks"),
        ("I'll pay in 3 days", "2026-11-26", "in 3 days"),
        ("I'll pay on December 15th", "2026-12-15", "December 15th"),
        ("I'll pay on 12/15", "2026-12-15", "12/15"),
        ("I'll pay this weekend", "2026-11-28", "this weekend"),
    ],
)
def test_dates_relative_to_today(text, date, when_text):
    c = ex(text)
    assert c is not None
    assert (c.date, c.when_text) == (date, when_text)


def test_dates_from_another_today():
    friday = dt.date(2026, 11, 27)
    assert ex("I'll pay Friday", friday).date == "2026-12-04"  # bare weekday: after today
    assert ex("I'll pay this Friday", friday).date == "2026-11-27"
    assert ex("我这周三还", friday).date == "2026-12-02"  # this week's is past: the next one
    december = dt.date(2026, 12, 20)
    assert ex("15号还五百", december).date == "2027-01-15"
    assert ex("下个月底还一千", december).date == "2027-01-31"
    assert ex("I'll pay in two weeks", december).date == "2027-01-03"
    february = dt.date(2027, 2, 10)
    assert ex("月底还五百", february).date == "2027-02-28"
    assert ex("I'll pay on the 30th", february).date == "2027-02-28"  # the month lacks it


def test_vague_and_event_times_give_no_date():
    for text in ("过两天就还", "回头我自己还", "I'll pay on payday", "我会还的"):
        c = ex(text)
        assert c is not None and c.date is None, text
    c = ex("等货款回来我马上还")  # 马上 after the event, not today
    assert c is not None and c.date is None


def test_date_from_the_clause_before():
    assert ex("我礼拜五发工资 发了就还你们").date == "2026-11-27"
    assert ex("when I get paid Friday I'll send you 150").date == "2026-11-27"


def test_when_text_is_a_slice_of_the_original():
    text = "明天环款五百"  # ASR homophone: normalised inside, reported as said
    c = ex(text)
    assert c is not None and c.amount == 500 and c.when_text == "明天"
    assert c.text == text


# --- methods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("我明天刷卡还", "card"),
        ("我明天用信用卡还", "card"),
        ("我明天银行卡转账还", "bank_transfer"),
        ("我明天转给你们", "bank_transfer"),
        ("我明天用手机银行还", "mobile_banking"),
        ("我明天网银转", "online"),
        ("我明天用支付宝还", "alipay"),
        ("我明天用支付包还", "alipay"),  # ASR
        ("我明天微信转给你", "wechat"),
        ("我明天还现金", "cash"),
        ("我明天去柜台还", "cash"),
        ("我明天在APP上还", "app"),
        ("自动扣款就行，下个月五号扣两千", "autopay"),
        ("I'll pay by card tomorrow", "card"),
        ("I'll pay with my debit card tomorrow", "card"),
        ("I'll pay by bank transfer tomorrow", "bank_transfer"),
        ("I'll wire it tomorrow", "bank_transfer"),
        ("I'll pay online tomorrow", "online"),
        ("I'll pay through the app tomorrow", "app"),
        ("I'll mail a check tomorrow", "check"),
        ("i'll drop off a money order tomorrow", "check"),
        ("I'll bring cash tomorrow", "cash"),
        ("I'll set up autopay tomorrow", "autopay"),
        ("I'll pay by mobile banking tomorrow", "mobile_banking"),
        ("I'll pay with Apple Pay tomorrow", "card"),
        ("I'll pay $75 tomorrow over the phone", None),
    ],
)
def test_methods(text, method):
    c = ex(text)
    assert c is not None
    assert c.method == method
    assert c.method is None or c.method in METHODS


# --- what counts as a promise ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'll pay",
        "我会还的",
        "明天一定还",
        "how about I put $300 on my debit card right now?",  # an offer as a question
        "我十八号还款可以吧",
        "周三我先转八百过去，行不行？",
        "$200, Friday, done",  # a fragment with two fields
        "十五号之前，一千五，没问题",
        "I paid 200 last week and I'll pay the rest Friday",  # past, then a promise
        "when I get paid Friday I'll send you 150",  # an expected event is a time
        "I'll pay Friday if that's ok",  # a polite "if"
    ],
)
def test_promises(text):
    assert ex(text) is not None


def test_missing():
    bare = ex("I'll pay")
    assert bare.missing() == ["amount", "date", "method"]
    assert ex("周五还五百").missing() == ["method"]
    assert ex("three hundred on the fifteenth by card").missing() == []
    assert ex("I'll pay online").missing() == ["amount", "date"]


def test_commitment_is_frozen():
    c = ex("周五还五百")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.amount = 1  # type: ignore[misc]


# --- the labelled set ----------------------------------------------------------------------------


def labelled_rows() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text("utf-8").splitlines() if line]


def test_labelled_set_shape_and_split_rule():
    rows = labelled_rows()
    assert len(rows) >= 80
    assert len({r["text"] for r in rows}) == len(rows)
    langs = [r["lang"] for r in rows]
    assert 0.4 <= langs.count("zh") / len(rows) <= 0.6
    assert sum(not r["promise"] for r in rows) / len(rows) >= 0.3
    for r in rows:
        assert r["lang"] == lang_of(r["text"]), r["text"]
        digest = int(hashlib.sha1(r["text"].encode("utf-8")).hexdigest(), 16)
        assert r["split"] == ("test" if digest % 3 == 0 else "dev"), r["text"]
        assert r["method"] is None or r["method"] in METHODS
        if not r["promise"]:
            assert (r["amount"], r["date"], r["method"], r["currency"]) == (None,) * 4
        if r["date"] is not None:
            dt.date.fromisoformat(r["date"])
    assert sum(r["split"] == "test" for r in rows) >= 25


def test_dev_split_floor():
    """Measured on dev when the rules were written: 1.0 everywhere (the rules were developed
    on it). The floors leave room for a rule change that costs a line or two."""
    report = load_eval_tool().evaluate(LABELLED, "dev")
    for lang in ("zh", "en", "all"):
        r = report[lang]
        assert r["precision"] >= 0.95, (lang, r)
        assert r["recall"] >= 0.9, (lang, r)
        for field in ("amount", "date", "method"):
            assert r["field_accuracy"][field] >= 0.9, (lang, field, r)


# --- promises made across two turns (coach.commitment.context) ----------------------------------

TWO_TURNS = [  # (the collector's turn, the debtor's reply, amount, date, method) or None: none
    ("所以是下周五用手机银行转五百,对吗?", "对", (500.0, "2026-12-04", "mobile_banking")),
    (
        "So that's $300 on the 15th by card, right?",
        "Yes, that's right.",
        (300.0, "2026-12-15", "card"),
    ),
    ("那就周三先还八百,可以吗?", "可以,没问题", (800.0, "2026-11-25", None)),
    ("Can you do 200 by Friday?", "Yeah.", (200.0, "2026-11-27", None)),
    ("通过支付宝还,对吧?", "对,没错", (None, None, "alipay")),
    ("什么时候能还?", "周五", (None, "2026-11-27", None)),
    ("How much can you pay today?", "Two hundred.", (200.0, None, None)),
    ("How will you be paying?", "By card.", (None, None, "card")),
    # not promises: an agreement with a but or a hedge, past payments, what is owed, conditions
    ("那就周三先还八百,可以吗?", "可以,但是我得看看工资", None),
    ("So 300 on the 15th, right?", "Yeah, maybe, I'll try.", None),
    ("你上个月还了五百,对吧?", "对", None),
    ("You already paid 500 last week, correct?", "Yes.", None),
    ("您这期需要还一千二,对吧?", "对", None),
    ("You owe 500, right?", "Yes.", None),
    ("If you pay 500 today we can waive the late fee, okay?", "Okay.", None),
    ("什么时候能还?", "我也不知道,下个月吧", None),
    ("When can you pay?", "Friday?", None),
    ("Is this a good time to talk?", "Yes.", None),
]


def turn(channel: str, start: float, end: float, text: str):
    from coach.events import Utterance

    return Utterance(
        channel=channel,
        t=end + 0.5,
        utterance_id=f"{channel}-{start}",
        start=start,
        end=end,
        lang=lang_of(text),
        text=text,
    )


def stage_on_monday():
    from coach.delivery.promise import CommitmentStage
    from coach.events import CallStarted

    stage = CommitmentStage(lambda cue, lang: "{summary}")
    start = "2026-11-23T10:00:00+00:00"  # MONDAY
    stage.handle(CallStarted(channel="call", t=0, call_id="c", source="x", started_at=start))
    return stage


@pytest.mark.parametrize(("collector", "debtor", "want"), TWO_TURNS)
def test_a_promise_made_across_two_turns(collector, debtor, want):
    stage = stage_on_monday()
    assert stage.handle(turn("collector", 1.0, 4.0, collector)) == []
    got = [e for e in stage.handle(turn("debtor", 5.0, 6.0, debtor)) if e.type == "commitment"]
    if want is None:
        assert got == []
    else:
        (c,) = got
        assert (c.amount, c.date, c.method) == want and c.text == debtor


def test_agreed_terms_complete_and_override_the_earlier_promise():
    stage = stage_on_monday()
    (first, _) = stage.handle(turn("debtor", 1.0, 3.0, "我周五还五百"))
    assert (first.amount, first.method) == (500.0, None)
    stage.handle(turn("collector", 4.0, 7.0, "那周五六百,用微信转,行吗?"))
    (agreed, cue) = stage.handle(turn("debtor", 8.0, 8.5, "行"))
    assert (agreed.amount, agreed.date, agreed.method) == (600.0, "2026-11-27", "wechat")
    assert agreed.missing == () and cue.text == "600元 · 11月27日 周五 · 微信"


def test_a_reply_long_after_the_question_answers_something_else():
    from coach.delivery.promise import REPLY_WITHIN_S

    stage = stage_on_monday()
    stage.handle(turn("collector", 1.0, 3.5, "When can you pay?"))
    assert stage.handle(turn("debtor", 3.5 + REPLY_WITHIN_S + 1, 29.0, "Friday.")) == []
    stage.handle(turn("collector", 30.0, 32.0, "When can you pay?"))
    stage.handle(turn("debtor", 33.0, 34.0, "Hold on, who is this?"))  # the next turn only
    assert stage.handle(turn("debtor", 35.0, 36.0, "Friday.")) == []
