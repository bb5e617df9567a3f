"""Promise-to-pay extraction from the debtor's words (Mandarin and English), rule-based.

Seed 000 #5 / 001 #7: a call without a commitment is a wasted call, so the coach pins the
promise down -- amount, date and method, read back to the debtor -- and the end-of-call recap
highlights what is still missing. :func:`extract` turns one debtor utterance into a
:class:`Commitment`, or ``None`` when it is not a promise. Only ``re`` and ``datetime``, no
model; about 0.3 ms for a typical utterance.

What counts as a promise
------------------------
(``phrasebank/commitments/labelled.jsonl`` is labelled by the same rules.)

A promise is the debtor stating or offering a FUTURE payment of their own:

* a first-person pay intent: "I'll pay", "I can send $500 tomorrow", "let's do $150 on the
  20th", "我下周五转五百", "周五还五百" (a Mandarin pay verb without a past marker is
  future), "我会还的";
* an offer put as a yes/no question, when it names an amount or a date: "how about $300
  right now?", "can I do a hundred now and another on the 15th?", "我十八号还款可以吧",
  "周三我先转八百,行不行?" (shown so the collector confirms it);
* a verbless fragment naming at least two of amount / date / method and nothing else:
  "three hundred on the fifteenth by card", "$200, Friday, done", "十五号之前,一千五,没问题".

A bare "I'll pay" / "我会还的" / "明天一定还" IS a promise; :meth:`Commitment.missing` lists
what it lacks and the recap asks for it. So is a promise tied to an event the debtor expects
("when I get paid Friday I'll send 150", "等发了工资就还"): a time, not a condition.

NOT a promise (``None``):

* past payments: "I already paid 500 last week", "我上个月还了五百", "柜台还的,有回单";
* refusals and inability: "I'm not paying 500", "我一分都不会还", "还不起", "I can't pay
  anything"; but refusing only the FULL amount next to an offer ("我还不了那么多,这周五先还
  五百", "I can't do the full amount, but I'll pay 150 Thursday") keeps the offer, partial;
* next to a past payment or a refusal, a "promise" with neither amount nor date ("it's been
  mailed, I promise"): it is about that payment;
* information questions ("how much do I need to pay by Friday?", "明天要还多少?") and
  yes/no questions naming no amount or date ("can I pay by card?", "能用支付宝还吗?");
* amounts echoed back ("five hundred? that's too much", "你说的是一千二对吧?");
* hedges anywhere in the utterance: "maybe", "I'll try", "hopefully", "probably", "I'm not
  sure", "when I can", "我尽量", "争取", "可能", "看情况", "再说": not a commitment, and the
  recap must not record one (the excuse cards handle "I'll try");
* conditionals: counterfactual or conditional on something else ("if I had 500 I'd pay",
  "I would pay if I had a job", "要是我有钱就还", "如果你们免了利息我就还"); polite tags
  ("if that's ok", "如果可以的话") and "I said I'd pay" do not count as conditions;
* someone else's payment or demand ("我朋友说他会还的", "你们跟我说还要还七千");
* a lone date or amount without a pay verb ("Friday", "五百"): it may answer any question.

Fields
------
``amount``: the FIRST payment named ("今天先还两百,下周再还两百" -> 200); a clause about
"the rest" / "剩下的" / "another" / "再还" is a later instalment and gives no amount or date.
Mandarin numerals with units (五百, 三千五 = 3500, 一千二 = 1200, 两万五 = 25000, 1.5万),
Arabic digits ("1500块", "这期的1200"), English words ("three hundred", "two fifty" = 250,
"twelve hundred", "a thousand", "two grand"; ASR's "for hundred" = 400, "to hundred" = 200),
"$300", "300 bucks", "1,500", "2k". "half" / "一半" / "the whole thing" / "全部还清" give no
amount. Per-period amounts ("$75 a month") give the per-period amount.

``currency``: "CNY" for 元/块/块钱/人民币/yuan/RMB/¥, "USD" for $/dollars/bucks/美元/美金/刀,
only when said with the amount; else ``None`` (the call's currency).

``date``: ISO date resolved against ``today``; weeks start on Monday.

* 今天/today/tonight/now/现在/马上/挂了电话 -> today (马上 / "right away" after "等..." /
  "once..." is the event's time: ``None``); 明天/tomorrow +1; 后天/"the day after tomorrow"
  +2; 大后天 +3; 下午/今晚 alone -> today.
* A bare weekday (周五, 礼拜五, 星期五, "Friday") -> its next occurrence AFTER today (said on
  a Friday: next week's). 这周五 / "this Friday" -> the Friday of this week (the next one if
  already past). 下周五 / "next Friday" -> the Friday of NEXT week: said on a Monday, "next
  Friday" is 11 days away, not 4. 下下周五 +1 week more.
* 下周 / "next week" -> Monday of next week; 周末 / "this weekend" -> Saturday; "end of the
  week" -> Friday; 月底 / "end of the month" -> its last day; 下个月 / "next month" / 月初 ->
  the 1st of next month.
* 15号 / "the 15th" / "on the fifteenth" -> the next 15th, today included (a day the month
  lacks -> its last day); 下个月15号 -> next month; 三月十五号 / "March 15th" / "12/15" ->
  that day this year, or next year once passed.
* "in two weeks" / 两周后 +14, "in 3 days" / 三天后 +3. Deadlines take their date ("by
  Friday", "月底之前"); recurring ones the next occurrence (每个月10号 -> the next 10th).
* Vague times give ``None``: 过两天, 回头, 晚点, "later", "payday", "when I'm back". A date
  said in the clause just before the promise counts ("我礼拜五发工资,发了就还" -> Friday).

``method``, normalised: ``card`` (刷卡, 信用卡, 借记卡, 银行卡, card, debit, credit, Visa,
Apple Pay), ``bank_transfer`` (转账, a bare 转, 打到账户, 汇款, bank transfer, wire, Zelle,
ACH), ``mobile_banking`` (手机银行, mobile banking, bank app), ``online`` (网银, 网上, online,
website), ``app`` (APP, 小程序, "through the app"), ``alipay`` (支付宝, 花呗), ``wechat``
(微信), ``cash`` (现金, 柜台, 网点, cash, "at the branch", "in person"), ``check`` (支票,
check, cheque, money order), ``autopay`` (自动扣款, 代扣, autopay). The more specific wins
(微信转 -> wechat, 手机银行转 -> mobile_banking, 银行卡转账 -> bank_transfer). "Over the
phone" names no method.

``partial``: the first payment is explicitly part of the balance: 先还, 一部分, 一半, 剩下的,
"half", "part of it", "for now", "the rest", "another", or a refused full amount.

Text handling: full-width digits and common recogniser homophones (环款/换款 -> 还款, 支付包
-> 支付宝, 微心 -> 微信, 转帐) are fixed without changing offsets, so ``when_text`` is a
slice of the original utterance. Clauses are split after punctuation (not inside "1,500"),
before "but" / 但是 / 不过 / 剩下, before "and" (not in "two hundred and fifty"), and in
Mandarin at spaces (ASR pauses). Both languages' patterns run on every utterance
(code-switching: "30号我通过APP还六百块"); ``lang`` only decides whether spaces split.

Known limits: one turn only (a bare "Friday" answering "when?" and terms read back and answered
"对" are :mod:`.context`'s, paired by the commitment stage); one commitment per utterance (the
first instalment); word lists decide past, hedge, refusal and question, so an unlisted hedge or
past form passes as a promise and sarcasm is not seen; "I can't pay until Friday" is a refusal;
an imperative condition ("take the fees off and I'll pay") passes as a promise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .amounts import _Amount, _find_amounts
from .clauses import _Clause, _is_fragment, _normalise, _split
from .dates import _Date, _find_dates
from .intent import _EN_PARTIAL, _ZH_PARTIAL, _analyse
from .methods import _find_method

__all__ = ["METHODS", "Commitment", "extract"]

METHODS = (
    "card",
    "bank_transfer",
    "mobile_banking",
    "alipay",
    "wechat",
    "cash",
    "check",
    "app",
    "online",
    "autopay",
)


@dataclass(frozen=True, slots=True)
class Commitment:
    amount: float | None  # in the call's currency units
    currency: str | None  # "CNY" / "USD" when said with the amount, else None
    date: str | None  # ISO YYYY-MM-DD resolved against `today`, or None
    when_text: str | None  # the words that gave the date
    method: str | None  # one of METHODS
    partial: bool  # the first payment is explicitly part of the balance
    text: str  # the utterance

    def missing(self) -> list[str]:
        """Which of amount / date / method are still unknown (in that order)."""
        return [
            name
            for name, value in (
                ("amount", self.amount),
                ("date", self.date),
                ("method", self.method),
            )
            if value is None
        ]


# "等货款回来我马上还", "as soon as it clears I'll pay right away": 马上 is after the event
_AFTER_EVENT = re.compile(r"等|一到|下来|到账|once|as\s+soon\s+as|soon\s+as|when|after", re.I)
_IMMEDIATE = re.compile(r"马上|立刻|立马|right\s+away|immediately|now|right\s+now", re.I)


def extract(text: str, lang: str, today: dt.date) -> Commitment | None:
    """The payment promise in one debtor utterance, or None (see the module docstring)."""
    if not text or not text.strip():
        return None
    norm = _normalise(text)
    dates, amounts = _dates_and_amounts(norm, today)

    clauses: list[_Clause] = []
    for a, b in _split(norm, lang):
        c = _Clause(a, b, norm[a:b])
        c.dates = [d for d in dates if a <= d.start < b]
        if _AFTER_EVENT.search(c.text):
            for d in c.dates:
                if _IMMEDIATE.fullmatch(norm[d.start : d.end]):
                    d.date = None
        c.amounts = [x for x in amounts if a <= x.start < b]
        c.method = _find_method(c.text)
        _analyse(c, clauses[-1] if clauses else None)
        c.fragment = not c.intent and _is_fragment(c, norm)
        clauses.append(c)

    if any(c.hedge or c.cond for c in clauses):
        return None

    def offers(c: _Clause) -> bool:
        if not c.intent or c.refusal or c.past or c.whq:
            return False
        return not c.ynq or bool(c.amounts) or c.date is not None

    promising = [c for c in clauses if offers(c)]
    # next to a past payment or a refusal, a "promise" with no amount or date of its own is about
    # that payment or that debt ("it's been mailed, I promise"; "跨行转账要两三天,已经在途了")
    if (
        promising
        and any(c.past or c.refusal for c in clauses)
        and not any(c.amounts or c.date is not None for c in promising)
    ):
        return None
    if not promising:
        frags = [c for c in clauses if c.n_fields]
        blocked = any(c.refusal or c.past or c.whq or c.ynq for c in clauses)
        if blocked or not frags or not all(c.fragment for c in frags):
            return None
        kinds = (
            any(c.amounts for c in frags)
            + any(c.date is not None for c in frags)
            + any(c.method for c in frags)
        )
        if kinds < 2:
            return None
        promising = frags

    first = promising[0]
    # the commitment's clauses: from the first promising one on, the promising ones and the
    # verbless fragments, not the later instalments ("the rest", "剩下的", "再还")
    used: list[_Clause] = []
    for c in clauses:
        if c is first or c in promising or (c.fragment and c.n_fields):
            if used and c.rest:
                continue
            if c.start < first.start and not c.fragment:
                continue
            if c.refusal or c.past:
                continue
            used.append(c)
    if first not in used:
        used.insert(0, first)
    used.sort(key=lambda c: c.start)

    amount = next((x for c in used for x in c.amounts), None)
    date = next((c.date for c in used if c.date is not None), None)
    i = clauses.index(first)
    if date is None and i > 0:  # "我礼拜五发工资 发了就还", "when I get paid on the 15th, I'll pay"
        before = clauses[i - 1]
        if not (before.past or before.refusal or before.whq or before.ynq or before.rest):
            date = before.date
    method_clauses = used + [c for c in clauses if c.rest and not (c.refusal or c.past)]
    method = next((c.method for c in method_clauses if c.method), None)
    partial = bool(
        _ZH_PARTIAL.search(norm)
        or _EN_PARTIAL.search(norm)
        or any(c.whole_refused for c in clauses)
    )
    return _commitment(text, amount, date, method, partial)


def _dates_and_amounts(norm: str, today: dt.date) -> tuple[list[_Date], list[_Amount]]:
    """The dates in ``norm``, then the amounts outside them ("15号" is a date, not 15)."""
    dates = _find_dates(norm, today)
    blanked = list(norm)
    for d in dates:
        blanked[d.start : d.end] = " " * (d.end - d.start)
    return dates, _find_amounts("".join(blanked))


def _commitment(
    text: str, amount: _Amount | None, date: _Date | None, method: str | None, partial: bool
) -> Commitment:
    return Commitment(
        amount=amount.value if amount else None,
        currency=amount.currency if amount else None,
        date=date.date.isoformat() if date and date.date else None,
        when_text=text[date.start : date.end] if date else None,
        method=method,
        partial=partial,
        text=text,
    )
