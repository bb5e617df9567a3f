"""Pinning down the promise (seeds 000 #5, 001 #7): a promise to pay heard in the debtor's words
becomes a ``Commitment`` event and a "confirm it back" cue; when the collector says goodbye, a
recap checklist shows what is still missing before the call ends (or when the collector asks for it
with the overlay's recap hotkey).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable

from coach import commitment as promise
from coach.commitment import context
from coach.delivery.stage import CueText
from coach.events import CallStarted, Commitment, Cue, Event, Request, Utterance

GOODBYE = re.compile(r"再见|拜拜|\bbye\b|goodbye|have a (good|nice|great) (day|evening)", re.I)
FOLLOW_UP = re.compile(
    r"(再|会)(给您|跟您|联系|打电话|确认)|回电|call (you|me) (back|on|again)|"
    r"(i'll|i will|we'll|we will) (call|check|follow up)|follow up",
    re.I,
)
CONSEQUENCE = re.compile(
    r"征信|逾期|罚息|违约金|滞纳金|法务|诉讼|credit (report|bureau|score|record)|late fee|"
    r"interest|legal department|collections? agency",
    re.I,
)
METHODS = {
    "zh": {
        "card": "刷卡",
        "bank_transfer": "银行转账",
        "mobile_banking": "手机银行",
        "alipay": "支付宝",
        "wechat": "微信",
        "cash": "现金",
        "check": "支票",
        "app": "App",
        "online": "网上支付",
        "autopay": "自动扣款",
    },
    "en": {
        "bank_transfer": "bank transfer",
        "mobile_banking": "mobile banking",
        "alipay": "Alipay",
        "wechat": "WeChat Pay",
    },
}
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def summary(c: Commitment, lang: str) -> str:
    """ "500元 · 11月27日 周五 · 手机银行" / "500 · Fri 27 Nov · mobile banking", with a "?"
    where a part is still missing."""
    zh = lang == "zh"
    if c.amount is not None:
        amount = f"{c.amount:g}" + ("元" if zh and c.currency != "USD" else "")
        amount = f"${c.amount:g}" if not zh and c.currency == "USD" else amount
    else:
        amount = ("部分" if zh else "part") if c.partial else ("金额?" if zh else "amount?")
    if c.date:
        day = dt.date.fromisoformat(c.date)
        date = (
            f"{day.month}月{day.day}日 周{WEEKDAYS['zh'][day.weekday()]}"
            if zh
            else f"{WEEKDAYS['en'][day.weekday()]} {day.day} {day:%b}"
        )
    else:
        date = c.when_text or ("日期?" if zh else "date?")
    method = (
        METHODS["zh" if zh else "en"].get(c.method, c.method)
        if c.method
        else ("方式?" if zh else "method?")
    )
    return " · ".join([amount, date, method])


class CommitmentStage:
    def __init__(self, cue_text: CueText) -> None:
        self._cue_text = cue_text
        self._today = dt.date.today()
        self._promise: Commitment | None = None
        self._follow_up = False
        self._consequences = False
        self._recapped_at: float | None = None
        self._lang = "en"
        # the collector's last turn, for the debtor's reply: terms proposed, terms asked for
        self._put: tuple[float, promise.Commitment | None, frozenset[str]] | None = None

    def handle(self, event: Event) -> Iterable[Event]:
        if isinstance(event, CallStarted):
            self.__init__(self._cue_text)  # type: ignore[misc]  # a fresh call
            self._today = _call_date(event.started_at)
        if isinstance(event, Request) and event.action == "recap":  # the hotkey: always shown
            return self._recap(event.t, asked=True)
        if not isinstance(event, Utterance):
            return []
        if event.channel == "debtor":
            return self._heard(event)
        self._lang = event.lang or self._lang
        put = context.proposed(event.text, self._today), context.asked(event.text)
        self._put = (event.end, *put) if put[0] or put[1] else None
        self._follow_up |= bool(FOLLOW_UP.search(event.text))
        self._consequences |= bool(CONSEQUENCE.search(event.text))
        if GOODBYE.search(event.text):
            return self._recap(event.t)
        return []

    def _heard(self, u: Utterance) -> list[Event]:
        found = promise.extract(u.text, u.lang, self._today)
        self._follow_up |= bool(FOLLOW_UP.search(u.text))
        found = self._in_reply(u, found)
        if found is None:
            return []
        new = Commitment(
            channel="debtor",
            t=u.t,
            utterance_id=u.utterance_id,
            text=u.text,
            amount=found.amount,
            currency=found.currency,
            date=found.date,
            when_text=found.when_text,
            method=found.method,
            partial=found.partial,
        )
        if self._promise is not None:  # "500 on Friday" … "by card": the parts add up
            new = dataclasses.replace(
                new,
                **{
                    f: getattr(self._promise, f)
                    for f in ("amount", "currency", "date", "when_text", "method")
                    if getattr(new, f) is None and getattr(self._promise, f) is not None
                },
            )
        missing = tuple(f for f in ("amount", "date", "method") if getattr(new, f) is None)
        self._promise = dataclasses.replace(new, missing=missing)
        text = self._cue_text("confirm_commitment", u.lang).format(
            summary=summary(self._promise, u.lang)
        )
        cue = Cue(
            channel="debtor",
            t=u.t,
            cue="confirm_commitment",
            text=text,
            lang=u.lang,
            detail=", ".join(missing),
        )
        return [self._promise, cue]

    def _in_reply(
        self, u: Utterance, found: promise.Commitment | None
    ) -> promise.Commitment | None:
        """The promise made across two turns: the debtor agrees to the terms the collector read
        back or proposed, or answers the collector's question with a term alone."""
        put, self._put = self._put, None  # only the debtor's next turn replies to it
        if put is None or u.start - put[0] > REPLY_WITHIN_S:
            return found
        _, proposal, asked = put
        if proposal is not None and context.agrees(u.text):
            base = proposal  # agreed: it overrides the earlier promise; the debtor's words win
        elif asked and found is None and (said := context.answer(u.text, self._today)):
            base = said if self._promise is not None or asked & set(_named(said)) else None
        else:
            return found
        if base is None:
            return found
        if found is None:
            return dataclasses.replace(base, text=u.text)
        return dataclasses.replace(
            found, **{f: getattr(base, f) for f in _FIELDS if getattr(found, f) is None}
        )

    def _recap(self, t: float, asked: bool = False) -> list[Event]:
        # "bye … okay, bye-bye" should not show it twice; a hotkey press always does
        if not asked and self._recapped_at is not None and t - self._recapped_at < 30:
            return []
        self._recapped_at = t
        zh = self._lang == "zh"
        p = self._promise
        items = [
            ("金额" if zh else "amount", p is not None and p.amount is not None),
            ("日期" if zh else "date", p is not None and p.date is not None),
            ("方式" if zh else "method", p is not None and p.method is not None),
            ("谁回访" if zh else "who calls whom", self._follow_up),
            ("后果已告知" if zh else "consequences stated", self._consequences),
        ]
        checklist = "  ".join(("✓ " if ok else "✗ ") + label for label, ok in items)
        missing = [label for label, ok in items if not ok]
        text = self._cue_text("recap", self._lang).format(checklist=checklist)
        return [
            Cue(
                channel="collector",
                t=t,
                cue="recap",
                text=text,
                lang=self._lang,
                detail=", ".join(missing),
            )
        ]


REPLY_WITHIN_S = 15.0  # a reply later than this after the collector's turn answers something else
_FIELDS = ("amount", "currency", "date", "when_text", "method")


def _named(c: promise.Commitment) -> list[str]:
    return [f for f in ("amount", "date", "method") if getattr(c, f) is not None]


def _call_date(started_at: str) -> dt.date:
    """The call's local date (relative dates such as 下周五 are resolved against it)."""
    try:
        return dt.datetime.fromisoformat(started_at).astimezone().date()
    except ValueError:
        return dt.date.today()
