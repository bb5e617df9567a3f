"""The collector's half of a promise. :func:`extract` reads one debtor turn alone, but promises
are often made across two turns:

* the collector reads terms back or proposes them, and the debtor only agrees:
  "所以是下周五用手机银行转五百,对吗?" / "对"; "so that's $300 on the 15th by card, right?" /
  "yes" (:func:`proposed`, then :func:`agrees`);
* the collector asks for a missing term and the debtor answers with it alone:
  "什么时候能还?" / "周五"; "how will you pay?" / "by card" (:func:`asked`, then :func:`answer`).

Each function judges one turn; the commitment stage (``coach.delivery.promise``) pairs the
collector's turn with the debtor's next one. The same word lists as the one-turn extractor.

What a proposal is NOT: terms the debtor already paid ("你上个月还了五百,对吧?"), what is owed
or due ("您这期需要还一千二,对吧?", "you owe 500, right?": agreeing confirms the balance, not a
promise), and conditional offers ("if you pay 500 today we waive the fee, okay?").
"""

from __future__ import annotations

import datetime as dt
import re

from . import Commitment, _commitment, _dates_and_amounts
from .clauses import _normalise
from .intent import (
    _EN_COND,
    _EN_HEDGE,
    _EN_PAST,
    _EN_PAY,
    _EN_REFUSAL,
    _ZH_COND,
    _ZH_HEDGE,
    _ZH_PAST,
    _ZH_PAST_LE,
    _ZH_PAY,
    _ZH_REFUSAL,
)
from .methods import _find_method

_PAY = re.compile(rf"{_ZH_PAY.pattern}|{_EN_PAY}", re.I)
_PAST = re.compile(
    rf"{_ZH_PAST.pattern}|{_ZH_PAST_LE.pattern}|{_EN_PAST.pattern}"
    r"|\byou(?:'ve|\s+have)?\s+(?:already\s+)?(?:paid|sent|mailed|wired|transferred)\b",
    re.I,
)
_OWED = re.compile(
    r"欠|需要|应还|应该还|要还|得还|必须|最低|到期|逾期|账单"
    r"|\b(?:owe[sd]?|owing|due|need\s+to|have\s+to|has\s+to|supposed\s+to|minimum|balance"
    r"|overdue|past\s+due|statement)\b",
    re.I,
)
_COND = re.compile(rf"{_ZH_COND.pattern}|否则|不然|{_EN_COND.pattern}|\botherwise\b", re.I)
_AGREE = re.compile(
    r"^\W*(?:对|是|好|行|可以|没问题|嗯|成|ok|okay|yes|yeah|yep|yup|right|correct|sure"
    r"|that'?s\s+right|sounds\s+good|fine|deal|alright|all\s+right|uh[-\s]?huh|mm[-\s]?hmm)",
    re.I,
)
_NOT = re.compile(
    rf"不(?!客气|错)|没(?!问题|错)|别|但是|不过|等等|{_ZH_HEDGE.pattern}"
    rf"|\b(?:no|not|but|wait|hold\s+on)\b|n't|{_EN_HEDGE.pattern}",
    re.I,
)
_ASKS = {  # the term a question asks for; each needs a pay verb in the same question
    "date": re.compile(
        r"什么时候|啥时候|哪天|哪一天|几号|几月几|\bwhen\b|\bwhat\s+(?:day|date|time)\b", re.I
    ),
    "amount": re.compile(r"多少|几百|几千|\bhow\s+much\b|\bwhat\s+amount\b", re.I),
    "method": re.compile(
        r"怎么|用什么|通过什么|什么方式|哪种方式|哪个(?:卡|账户|渠道)"
        r"|\bhow\s+(?:will|would|are|do|can)\s+you\b|\bwhat\s+method\b|\bwhich\s+(?:card|account)\b",
        re.I,
    ),
}
_QUESTION = re.compile(r"[?？]\s*$|[吗呢]\W*$")


def terms(text: str, today: dt.date) -> Commitment | None:
    """The amount, date and method named in ``text``, whoever says it; None when none is."""
    norm = _normalise(text)
    every_date, amounts = _dates_and_amounts(norm, today)
    dates = [d for d in every_date if d.date is not None and not d.past]
    method = _find_method(norm)
    if not (dates or amounts or method):
        return None
    return _commitment(
        text, amounts[0] if amounts else None, dates[0] if dates else None, method, False
    )


def proposed(text: str, today: dt.date) -> Commitment | None:
    """Payment terms the collector reads back or proposes, for the debtor to agree to."""
    norm = _normalise(text)
    if not (_PAY.search(norm) or _find_method(norm)):
        return None
    if _PAST.search(norm) or _OWED.search(norm) or _COND.search(norm) or asked(text):
        return None
    return terms(text, today)


def asked(text: str) -> frozenset[str]:
    """The terms a collector's question asks for ("when can you pay?": date), if any."""
    norm = _normalise(text)
    if not _PAY.search(norm) or _PAST.search(norm):
        return frozenset()
    return frozenset(name for name, pattern in _ASKS.items() if pattern.search(norm))


def agrees(text: str) -> bool:
    """A plain yes ("对", "好的", "yes, that's right"), without a but, a no or a hedge."""
    norm = _normalise(text)
    return bool(_AGREE.search(norm)) and not (_NOT.search(norm) or _QUESTION.search(norm))


def answer(text: str, today: dt.date) -> Commitment | None:
    """A short reply that only names terms ("周五", "by card", "五百吧"): the answer to the
    collector's question. Refusals, hedges, past payments and counter-questions are none."""
    norm = _normalise(text)
    short = (
        len(re.findall(r"[A-Za-z']+", norm)) <= 8
        and len(re.findall(r"[\u4e00-\u9fff]", norm)) <= 12
    )
    if not short or _QUESTION.search(norm) or _COND.search(norm):
        return None
    if (
        _PAST.search(norm)
        or _NOT.search(norm)
        or _ZH_REFUSAL.search(norm)
        or _EN_REFUSAL.search(norm)
    ):
        return None
    return terms(text, today)
