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

Known limits: no context from the collector's turn (a bare "Friday" answering "when?" is
missed); one commitment per utterance (the first instalment); word lists decide past, hedge,
refusal and question, so an unlisted hedge or past form passes as a promise and sarcasm is not
seen; "I can't pay until Friday" is a refusal; an imperative condition ("take the fees off and
I'll pay") passes as a promise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

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


# --- normalisation (length-preserving, so spans index the original text) ----------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９＄￥．％", "0123456789$¥.%")
_ZH_FIXES = (
    (re.compile(r"环(?![境节保球绕])"), "还"),
    (re.compile(r"换(?=款|钱|清)"), "还"),
    (re.compile(r"支付[包保]"), "支付宝"),
    (re.compile(r"[微威维]心|威信|维信"), "微信"),
    (re.compile(r"转帐"), "转账"),
    (re.compile(r"刷咔"), "刷卡"),
)


def _normalise(text: str) -> str:
    out = text.translate(_FULLWIDTH).replace("’", "'").replace("‘", "'")
    for pattern, repl in _ZH_FIXES:
        out = pattern.sub(lambda m, r=repl: r.ljust(len(m.group()), r[-1])[: len(m.group())], out)
    assert len(out) == len(text)
    return out


# --- numbers -------------------------------------------------------------------------------------


def _words(s: str) -> tuple[str, ...]:
    return tuple(s.split())


_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2, "幺": 1}
_ZH_MAG = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_ZH_NUM = r"[0-9零〇一二两三四五六七八九十幺]"  # for dates (no 百/千/万)


def _zh_number(s: str) -> float | None:
    """Parse 三千五 = 3500, 一千二 = 1200, 两万五, 一千零五, 1.5万, 5千, 十五, 1500 ..."""
    total = 0.0
    section = 0.0
    num: float | None = None
    last_mag = None  # magnitude just before a trailing digit ("三千五": 五 after 千)
    after_mag = False
    for tok in re.findall(r"\d+(?:\.\d+)?|.", s):
        if tok[0].isdigit():
            num, after_mag = float(tok), after_mag and num is None
        elif tok in _ZH_DIGITS:
            if num is not None and not after_mag and tok != "零":
                num = num * 10 + _ZH_DIGITS[tok]  # digit by digit: 一五 (rare)
            else:
                num = float(_ZH_DIGITS[tok])
            if tok == "零":
                last_mag, num = None, None
                after_mag = False
        elif tok in ("十", "百", "千"):
            mag = _ZH_MAG[tok]
            section += (1 if num is None else num) * mag
            num, last_mag, after_mag = None, mag, True
        elif tok == "万":
            total += (section + (num or 0)) * 10000
            section, num, last_mag, after_mag = 0.0, None, 10000, True
        else:
            return None
    if num is not None and after_mag and last_mag and last_mag >= 100:
        num *= last_mag / 10  # colloquial: 三千五 = 3000 + 500
    value = total + section + (num or 0)
    return value or None


_EN_UNITS = {
    w: i
    for i, w in enumerate(
        _words(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
            " fifteen sixteen seventeen eighteen nineteen"
        )
    )
}
_EN_TENS = {
    w: 10 * i
    for i, w in enumerate(_words("twenty thirty forty fifty sixty seventy eighty ninety"), 2)
}
_EN_HOMOPHONES = {"for": 4, "fore": 4, "to": 2, "too": 2, "won": 1, "a": 1, "tree": 3}
_EN_ORDINALS = {
    w: i
    for i, w in enumerate(
        _words(
            "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
            " thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
        ),
        1,
    )
}


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_EN_NUMWORD = _alt([*_EN_UNITS, *_EN_TENS, "hundred", "thousand", "grand"])
_EN_MAG_AHEAD = r"(?=[\s-]+(?:hundred|thousand|grand)\b)"
_EN_WORDS_RE = re.compile(
    rf"\b(?:(?:{_alt(_EN_HOMOPHONES)}){_EN_MAG_AHEAD}|{_EN_NUMWORD})"
    rf"(?:(?:[\s-]and)?[\s-](?:{_EN_NUMWORD}))*\b",  # one space: blanked-out dates end a number
    re.I,
)


def _en_words_number(s: str) -> float | None:
    words = [w for w in re.split(r"[\s-]+", s.lower()) if w and w != "and"]
    chunks: list[int] = []  # numbers < 100 built from tens + units, and magnitudes 100 / 1000
    prev_tens = False
    for w in words:
        if w in _EN_TENS:
            chunks.append(_EN_TENS[w])
        elif w in _EN_UNITS or w in _EN_HOMOPHONES:
            v = _EN_UNITS.get(w, _EN_HOMOPHONES.get(w))
            if chunks and chunks[-1] in _EN_TENS.values() and 0 < v < 10 and prev_tens:
                chunks[-1] += v  # twenty five
            else:
                chunks.append(v)
        elif w == "hundred":
            chunks.append(-100)
        else:  # thousand, grand
            chunks.append(-1000)
        prev_tens = w in _EN_TENS
    if len(chunks) == 2 and all(c > 0 for c in chunks) and chunks[0] < 100 and chunks[1] >= 10:
        return float(chunks[0] * 100 + chunks[1])  # "two fifty" = 250, "twelve fifty" = 1250
    if len(chunks) == 3 and all(c > 0 for c in chunks) and chunks[1] >= 20 and chunks[2] < 10:
        return float(chunks[0] * 100 + chunks[1] + chunks[2])  # "two twenty five" (rare)
    total = current = 0
    for c in chunks:
        if c == -100:
            current = (current or 1) * 100
        elif c == -1000:
            total += (current or 1) * 1000
            current = 0
        else:
            current += c
    value = total + current
    return float(value) if value else None


# --- dates ---------------------------------------------------------------------------------------

_ZH_WD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_ZH_WD |= {str(i): i - 1 for i in range(1, 8)}
_EN_WD = {
    d: i for i, d in enumerate(_words("monday tuesday wednesday thursday friday saturday sunday"))
}
_EN_MONTHS = {
    m: i
    for i, m in enumerate(
        _words(
            "january february march april may june july august september october november december"
        ),
        1,
    )
}
_EN_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_EN_ORD_RE = (
    r"(?:(?:twenty|thirty)[\s-]+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    rf"|thirtieth|{_alt(_EN_ORDINALS)})"
)
_EN_DAYNUM = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_EN_ORD_RE})"
_EN_COUNT = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple(?: of)?|couple)"

_DATE_RES = [
    # --- Mandarin
    (
        "zh_rel",
        r"大后天|后天|明天(?:上午|中午|下午|晚上|早上)?|明儿个?|明个儿|明早|明晚"
        r"|今天(?:上午|中午|下午|晚上|早上)?|今儿个?|今晚|今早|现在|马上|立刻|立马|等一?下|等会儿?"
        r"|一会儿|待会儿?|挂了电话|昨天|前天|(?<![每])(?:上午|中午|下午|傍晚|晚上|早上)",
    ),
    ("zh_md", rf"(?P<m>{_ZH_NUM}{{1,3}})月(?P<d>{_ZH_NUM}{{1,3}})[号日]"),
    ("zh_month_day", rf"(?P<pre>这个?|本|下下?个?|每个?|上个?)月(?P<d>{_ZH_NUM}{{1,3}})[号日]"),
    ("zh_day", rf"(?<![第月\d])(?P<d>{_ZH_NUM}{{1,3}})[号日](?!子|线|码|楼|房|院|车|机)"),
    ("zh_month", r"(?P<pre>这个?|本|下下?个?|上个?)?月(?P<part>底|末|初)"),
    ("zh_month_only", r"(?P<pre>下下?个?|上个?)月(?![底末初份\d零〇一二两三四五六七八九十])"),
    (
        "zh_weekday",
        r"(?P<pre>这个?|本|下下?个?|上个?|每个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末1-7])",
    ),
    ("zh_week", r"(?P<pre>下下?个?|上个?)(?:周|星期|礼拜)(?![一二三四五六日天末1-7])"),
    ("zh_in", rf"(?P<n>{_ZH_NUM}{{1,3}}|半)个?(?P<u>天|周|星期|礼拜|月)(?:后|之后|以后)"),
    # --- English
    (
        "en_rel",
        r"\b(?:the\s+day\s+after\s+tomorrow|tomorrow(?:\s+(?:morning|afternoon|night|"
        r"evening))?|tmr?w|today|tonight|this\s+(?:morning|afternoon|evening)|right\s+now"
        r"|right\s+away|now|immediately|later\s+today|yesterday)\b",
    ),
    (
        "en_weekday",
        r"\b(?:(?P<pre>this\s+coming|this|next|coming|last|every|on)\s+)?"
        r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b",
    ),
    ("en_weekend", r"\b(?P<pre>this|next|the)\s+weekend\b"),
    (
        "en_end",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<nx>next\s+)?(?P<u>month|week)\b"
        r"|\bmonth[\s-]end\b",
    ),
    ("en_next", r"\b(?P<pre>next|last|this)\s+(?P<u>week|month)\b"),
    ("en_first_next", r"\b(?:the\s+)?(?:first|1st|beginning|start)\s+of\s+(?:the|next)\s+month\b"),
    (
        "en_in",
        rf"\b(?:in\s+(?P<n>{_EN_COUNT})\s+(?P<u>days?|weeks?)"
        rf"|(?P<n2>{_EN_COUNT})\s+(?P<u2>days?|weeks?)\s+from\s+(?:now|today)|(?P<ago>{_EN_COUNT})"
        r"\s+(?:days?|weeks?)\s+ago)\b",
    ),
    ("en_md", rf"\b(?P<mon>{_EN_MONTH_RE})\.?\s+(?:the\s+)?(?P<d>{_EN_DAYNUM})\b"),
    (
        "en_dm",
        rf"\b(?:the\s+)?(?P<d>{_EN_DAYNUM})\s+of\s+(?P<mon>{_EN_MONTH_RE}|this\s+month"
        r"|next\s+month|the\s+month)\b",
    ),
    (  # "on the first", "the 15th", "the fifteenth"; a bare "the first/second/third" is no date
        "en_ord",
        rf"\b(?:on|by|before|until|till|from)\s+(?:the\s+)?(?P<d>\d{{1,2}}(?:st|nd|rd|th)"
        rf"|{_EN_ORD_RE})\b|\bthe\s+(?P<d2>\d{{1,2}}(?:st|nd|rd|th)|(?!(?:first|second|third)\b)"
        rf"{_EN_ORD_RE})\b(?!\s+(?:payment|installment|instalment|time|one|thing|bill)\b)",
    ),
    (
        "numeric",
        r"\b(?P<y>20\d\d)-(?P<m>\d\d?)-(?P<d>\d\d?)\b|(?<![\d/])(?P<m2>1[0-2]|0?[1-9])/"
        r"(?P<d2>[12]\d|3[01]|0?[1-9])(?![\d/])",
    ),
]
_DATE_PATTERNS = [(k, re.compile(p, re.I)) for k, p in _DATE_RES]


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _month_end(d: dt.date) -> dt.date:
    return _add_months(d, 1) - dt.timedelta(days=1)


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _day_of_month(day: int, today: dt.date, month_offset: int | None) -> dt.date | None:
    """Day ``day`` of this month (if not past) or the next; a day the month lacks (the 30th in
    February) is its last day."""
    if not 1 <= day <= 31:
        return None
    if month_offset is None:
        month_offset = 0 if day >= today.day else 1
    first = _add_months(today.replace(day=1), month_offset)
    return min(
        first.replace(day=min(day, 28)) + dt.timedelta(days=max(day - 28, 0)), _month_end(first)
    )


def _month_day(month: int, day: int, today: dt.date) -> dt.date | None:
    d = _safe_date(today.year, month, day)
    if d is not None and d < today:
        d = _safe_date(today.year + 1, month, day)
    return d


def _weekday(wd: int, today: dt.date, mode: str) -> dt.date:
    monday = today - dt.timedelta(days=today.weekday())
    if mode == "this":
        d = monday + dt.timedelta(days=wd)
        if d >= today:
            return d
        mode = "bare"
    if mode == "next":
        return monday + dt.timedelta(days=7 + wd)
    ahead = (wd - today.weekday()) % 7 or 7  # bare: next occurrence after today
    return today + dt.timedelta(days=ahead)


def _count(s: str | None) -> int | None:
    if not s:
        return None
    s = s.lower().strip()
    if s.isdigit():
        return int(s)
    if s in ("a", "an", "one"):
        return 1
    if "couple" in s:
        return 2
    if s == "半":
        return None
    return _EN_UNITS.get(s) or (int(v) if (v := _zh_number(s)) else None)


def _en_day(s: str) -> int | None:
    s = s.lower()
    m = re.match(r"\d+", s)
    if m:
        return int(m.group())
    parts = re.split(r"[\s-]+", s)
    if len(parts) == 2:
        return _EN_TENS.get(parts[0], 0) + _EN_ORDINALS.get(parts[1], 0)
    return 30 if s == "thirtieth" else _EN_ORDINALS.get(s)


def _zh_pre_offset(pre: str | None) -> str:
    if not pre:
        return "bare"
    if pre.startswith("下下"):
        return "next2"
    if pre.startswith("下"):
        return "next"
    if pre.startswith("上"):
        return "past"
    if pre.startswith("每"):
        return "bare"
    return "this"


@dataclass(slots=True)
class _Date:
    start: int
    end: int
    date: dt.date | None  # None: vague or past
    past: bool = False


def _resolve(kind: str, m: re.Match[str], today: dt.date) -> _Date:  # noqa: C901 - a table
    g = m.groupdict()
    s = m.group().lower()
    d: dt.date | None = None
    past = False
    if kind == "zh_rel":
        if s in ("昨天", "前天"):
            past = True
        elif s.startswith("大后天"):
            d = today + dt.timedelta(days=3)
        elif s.startswith("后天"):
            d = today + dt.timedelta(days=2)
        elif s.startswith("明"):
            d = today + dt.timedelta(days=1)
        else:
            d = today
    elif kind == "zh_md":
        mo, day = _zh_number(g["m"]), _zh_number(g["d"])
        if mo and day:
            d = _month_day(int(mo), int(day), today)
    elif kind == "zh_month_day":
        mode, day = _zh_pre_offset(g["pre"]), _zh_number(g["d"])
        if mode == "past":
            past = True
        elif day:
            offset = {"bare": None, "this": 0, "next": 1, "next2": 2}[mode]
            d = _day_of_month(int(day), today, offset)
    elif kind == "zh_day":
        day = _zh_number(g["d"])
        if day:
            d = _day_of_month(int(day), today, None)
    elif kind == "zh_month":
        mode = _zh_pre_offset(g["pre"])
        if mode == "past":
            past = True
        else:
            offset = {"bare": 0, "this": 0, "next": 1, "next2": 2}[mode]
            if g["part"] == "初":
                d = _add_months(today.replace(day=1), max(offset, 1))
            else:
                d = _month_end(_add_months(today.replace(day=1), offset))
    elif kind == "zh_month_only":
        mode = _zh_pre_offset(g["pre"])
        if mode == "past":
            past = True
        else:
            d = _add_months(today.replace(day=1), 2 if mode == "next2" else 1)
    elif kind == "zh_weekday":
        mode = _zh_pre_offset(g["pre"])
        if mode == "past":
            past = True
        else:
            wd = _ZH_WD[g["wd"]]
            if mode == "next2":
                d = _weekday(wd, today, "next") + dt.timedelta(days=7)
            else:
                d = _weekday(wd, today, mode)
    elif kind == "zh_week":
        mode = _zh_pre_offset(g["pre"])
        if mode == "past":
            past = True
        else:
            d = _weekday(0, today, "next") + dt.timedelta(days=7 if mode == "next2" else 0)
    elif kind == "zh_in":
        n = 15 if g["n"] == "半" and g["u"] == "月" else _count(g["n"])
        if n:
            if g["u"] == "天":
                d = today + dt.timedelta(days=n)
            elif g["u"] == "月" and g["n"] != "半":
                d = _safe_date(*(_add_months(today.replace(day=1), n).timetuple()[:2]), today.day)
            else:
                d = today + dt.timedelta(days=n if g["n"] == "半" else 7 * n)
    elif kind == "en_rel":
        if s == "yesterday":
            past = True
        elif s.startswith("the day after"):
            d = today + dt.timedelta(days=2)
        elif s.startswith("tom") or s.startswith("tm"):
            d = today + dt.timedelta(days=1)
        else:
            d = today
    elif kind == "en_weekday":
        pre = re.sub(r"\s+", " ", (g["pre"] or "").lower())
        wd = _EN_WD[g["wd"].lower()]
        if pre == "last":
            past = True
        elif pre == "next":
            d = _weekday(wd, today, "next")
        elif pre in ("this", "this coming"):
            d = _weekday(wd, today, "this")
        else:
            d = _weekday(wd, today, "bare")
    elif kind == "en_weekend":
        d = _weekday(5, today, "next" if g["pre"].lower() == "next" else "this")
    elif kind == "en_end":
        nxt = bool(g["nx"])
        if (g["u"] or "month").lower() == "week":
            d = _weekday(4, today, "next" if nxt else "this")
        else:
            d = _month_end(_add_months(today.replace(day=1), 1 if nxt else 0))
    elif kind == "en_next":
        pre, unit = g["pre"].lower(), g["u"].lower()
        if pre == "last":
            past = True
        elif unit == "week":
            d = _weekday(0, today, "next") if pre == "next" else None
        else:
            d = _add_months(today.replace(day=1), 1) if pre == "next" else None
    elif kind == "en_first_next":
        d = _add_months(today.replace(day=1), 1)
    elif kind == "en_in":
        if g["ago"]:
            past = True
        else:
            n = _count(g["n"] or g["n2"])
            unit = (g["u"] or g["u2"]).lower()
            if n:
                d = today + dt.timedelta(days=n * (7 if unit.startswith("week") else 1))
    elif kind in ("en_md", "en_dm"):
        day = _en_day(g["d"])
        mon = g["mon"].lower()
        if day:
            if "month" in mon:
                d = _day_of_month(day, today, 1 if mon.startswith("next") else None)
            else:
                d = _month_day(
                    _EN_MONTHS[next(k for k in _EN_MONTHS if k.startswith(mon[:3]))], day, today
                )
    elif kind == "en_ord":
        day = _en_day(g["d"] or g["d2"])
        if day:
            d = _day_of_month(day, today, None)
    elif kind == "numeric":
        if g["y"]:
            d = _safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
        else:
            d = _month_day(int(g["m2"]), int(g["d2"]), today)
    if d is not None and d < today:
        past, d = True, None
    return _Date(m.start(), m.end(), d, past)


def _find_dates(text: str, today: dt.date) -> list[_Date]:
    found: list[tuple[int, int, str, re.Match[str]]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if m.end() > m.start():
                found.append((m.start(), -m.end(), kind, m))
    found.sort(key=lambda f: (f[0], f[1]))
    out: list[_Date] = []
    pos = 0
    for start, neg_end, kind, m in found:
        if start >= pos:
            out.append(_resolve(kind, m, today))
            pos = -neg_end
    return out


# --- amounts -------------------------------------------------------------------------------------

_CNY_AFTER = r"(?:块钱|块|塊|元|圆|人民币|yuan|rmb|kuai)"
_USD_AFTER = r"(?:美元|美金|刀|dollars?|bucks|usd)"
_ZH_AMOUNT_RE = re.compile(
    r"(?<![第\d.])(?P<num>(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万幺])"
    r"(?:\d|\.\d|[零〇一二两三四五六七八九十百千万幺])*)"
    rf"\s*(?P<cur>{_CNY_AFTER}|{_USD_AFTER})?",
    re.I,
)
_ZH_NOT_AMOUNT_AFTER = re.compile(
    r"\s*(?:[号日月点天周个期次年岁倍%:：号]|分钟|小时|礼拜|星期|部分|半|下|起|定|样|直|共|些|点儿"
    r"|(?:st|nd|rd|th|am|pm|o'?clock|days?|weeks?|months?|years?|hours?|minutes?|times|percent"
    r"|payments?|installments?)\b)",
    re.I,
)
_EN_AMOUNT_RE = re.compile(
    r"(?P<pre>(?:us)?[$¥]\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d\d?)?|\d+(?:\.\d\d?)?)(?P<k>\s?k\b)?"
    rf"(?:\s*(?P<mag>hundred|thousand|grand)\b)?(?:\s*(?P<cur>{_CNY_AFTER}|{_USD_AFTER})"
    r"(?![A-Za-z]))?",
    re.I,
)
_EN_WORD_CUR_RE = re.compile(rf"\s*(?P<cur>{_CNY_AFTER}|{_USD_AFTER})(?![A-Za-z])", re.I)


@dataclass(slots=True)
class _Amount:
    start: int
    end: int
    value: float
    currency: str | None


def _currency(pre: str | None, cur: str | None) -> str | None:
    if pre:
        return "CNY" if "¥" in pre else "USD"
    if not cur:
        return None
    return "USD" if re.fullmatch(_USD_AFTER, cur, re.I) else "CNY"


def _find_amounts(text: str) -> list[_Amount]:
    """Amounts in ``text`` (dates already blanked out)."""
    out: list[_Amount] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _EN_AMOUNT_RE.finditer(text):
        if not free(*m.span()):
            continue
        raw = m["num"].replace(",", "")
        value = float(raw)
        if m["k"]:
            value *= 1000
        if m["mag"]:
            value *= 100 if m["mag"].lower() == "hundred" else 1000
        after = text[m.end() :]
        if not (m["pre"] or m["cur"] or m["mag"] or m["k"]):
            if value < 10 or _ZH_NOT_AMOUNT_AFTER.match(after):
                continue
            if re.search(r"\b(?:at|around|by)\s*$", text[: m.start()], re.I) and value <= 12:
                continue  # a time: "at 10"
            if re.match(r"[0-9零〇一二两三四五六七八九十百千万]", after):
                continue  # part of a Chinese numeral run, handled below
        if re.match(r"[百千万]", after):
            continue  # "5千", "1.5万": Chinese
        out.append(_Amount(m.start(), m.end(), value, _currency(m["pre"], m["cur"])))
        taken.append(m.span())

    for m in _EN_WORDS_RE.finditer(text):
        if not free(*m.span()):
            continue
        value = _en_words_number(m.group())
        if not value:
            continue
        cur = _EN_WORD_CUR_RE.match(text, m.end())
        end = cur.end() if cur else m.end()
        has_mag = re.search(r"hundred|thousand|grand", m.group(), re.I)
        if not (cur or has_mag) and (value < 20 or _ZH_NOT_AMOUNT_AFTER.match(text, m.end())):
            continue
        out.append(_Amount(m.start(), end, value, _currency(None, cur and cur["cur"])))
        taken.append((m.start(), end))

    for m in _ZH_AMOUNT_RE.finditer(text):
        if not free(*m.span("num")):
            continue
        raw = m["num"]
        if raw.isdigit() or re.fullmatch(r"\d+\.\d+", raw):
            continue  # pure Arabic: handled by the English pass
        if not m["cur"]:
            if _ZH_NOT_AMOUNT_AFTER.match(text, m.end("num")):
                continue
            if not re.search(r"[十百千万]", raw):
                continue  # 一定, 一下, 一次: a bare digit is not an amount
        value = _zh_number(raw)
        if not value:
            continue
        out.append(_Amount(m.start(), m.end(), value, _currency(None, m["cur"])))
        taken.append(m.span())
    out.sort(key=lambda a: a.start)
    return out


# --- methods -------------------------------------------------------------------------------------

# 转 "transfer", not 周转 / 好转 / 转告 / 转悠 / 转不过来
_ZH_TRANSFER = r"(?<![周好运旋打空])转(?!告|接|达|不|身|头|弯|移|发|载|变|换|行|悠|圈|两圈|让)"
_METHOD_RES = [  # most specific first: the first kind found in the promise wins
    (
        "autopay",
        r"自动(?:扣款|还款|扣|划扣|划款)|代扣|auto[\s-]?pay|automatic\s+payments?"
        r"|auto[\s-]?debit|direct\s+debit",
    ),
    ("alipay", r"支付宝|花呗|ali\s?pay"),
    ("wechat", r"微信|we\s?chat|weixin"),
    ("mobile_banking", r"手机银行|掌上银行|银行\s*app|mobile\s+banking|bank(?:ing|'s)?\s+app"),
    ("online", r"网银|网上银行|网上|线上|\bonline\b|\bwebsite\b|\bweb\s?site\b|\bportal\b"),
    ("app", r"(?<![A-Za-z])app(?![A-Za-z])|小程序|客户端"),
    (
        "check",
        r"支票|汇票|\bcheques?\b|\bmoney\s+orders?\b|\bchecks\b"
        r"|\b(?:a|the|my|by|via|personal|cashier'?s|certified)\s+check\b",
    ),
    (
        "cash",
        r"现金|柜台|网点|营业厅|\bcash\b|\bin\s+person\b"
        r"|\bat\s+the\s+(?:branch|counter|office)\b",
    ),
    (
        "card",
        r"刷卡|信用卡|借记卡|储蓄卡|银行卡(?!转)|\b(?:credit|debit)\b|\bcard\b|\bvisa\b"
        r"|\bmaster\s?card\b|\bapple\s+pay\b|\bgoogle\s+pay\b",
    ),
    (
        "bank_transfer",
        rf"转账|银行卡转|{_ZH_TRANSFER}|打(?:到|过去|钱|款|进)|汇款|汇(?:过去|给|到)|对公"
        r"|\bbank\s+transfer\b|\btransfer\b|\bwire\b|\bzelle\b|\bach\b"
        r"|\bfrom\s+my\s+(?:bank|checking|savings)(?:\s+account)?\b",
    ),
]
_METHOD_PATTERNS = [(k, re.compile(p, re.I)) for k, p in _METHOD_RES]


def _find_method(text: str) -> str | None:
    """The most specific method named in ``text`` (_METHOD_RES order)."""
    return next((kind for kind, pattern in _METHOD_PATTERNS if pattern.search(text)), None)


# --- clause cues ---------------------------------------------------------------------------------

# Mandarin: 还 the pay verb, not the adverb (还是, 还没, 还有, 还要...) or a noun compound (还款日)
_ZH_PAY = re.compile(
    # 还 the verb, told from the adverb (还是, 还没, 还在, 还留着...) by what follows it
    r"还(?=[钱清上完掉给你您现一二两三四五六七八九十百千万幺\d个了的吧呀啊呢嘛哈全剩部些利本最债分每]"
    r"|这(?!么|样)|那(?!么|样)|\s*$|[\s，。！？,.!?~～])"
    r"|还款(?![日额金计方账期记单成通明证凭信卡])|还钱|还清|还上|(?<!不)结清|付款|付钱"
    r"|(?<![支对])付(?![出费不])|交(?:钱|款|上|清|现金)|(?:钱|款)[^，。,.!?]{0,8}打给"
    rf"|{_ZH_TRANSFER}|打(?:到|过去|钱|款|进)|汇(?:款|钱|过去)|扣(?!除|走)|缴|存进|充值|刷卡|补上"
)
_ZH_PAY_WEAK = re.compile(r"(?<!在)(?:处理|搞定|弄)(?!了)")  # a pay verb only with a date or amount
_ZH_REFUSAL = re.compile(
    r"不(?:会|想|能|打算|可能|愿意|准备)?(?:还|给|付|转|交)|还不(?:起|上|了|出)|没(?:钱|法|办法|能力)"
    r"|拿不出|一分(?:钱)?(?:都|也)(?:不|没)|不可能|凭什么|别想|休想|没门|不是我欠|不认|不欠|太多|太高"
    r"|付不起|不给|没有(?:钱|多余)|钱都没|没(?:打算|想过?|准备)(?:还|给|付)|[转还]不过来|周转不"
)
_ZH_WHOLE = re.compile(r"那么多|这么多|全部|全额|一次性|那么些|一下子")
_ZH_PAST = re.compile(
    r"已经|早就|早都|早(?=还|转|付|交|结|扣|八百年)|刚刚|刚才|刚还|昨天|前天|上周|上个?月|上个?礼拜"
    r"|上个?星期|上次|去年|前几天|那天|当时|忘了|忘记|那时|成功|在途|在路上|寄出|发出|以为|一直|从来"
    # evidence of a payment made: 转账记录, 回单, 截图, 流水, 结清证明
    r"|记录|回单|回执|截图|凭证|流水|证明|付款单|汇款单|还款单"
    r"|(?:设|开通|绑|开)(?:了|过|的)"
)
_ZH_PAST_DE = re.compile(r"(?:还|转|付|交|扣|打|汇)(?:进去|过去|上|走)?的(?!话)")  # 柜台还的: past
_ZH_PAST_LE = re.compile(
    r"(?:还|转|付|交|打|汇|扣)(?:清|上|完|掉|走|过去|出去|进去|出)?(?:了|过)(?!电话|就|再)"
    # a pay verb and a clause-final 了: 转给朋友了, 还给营业厅了
    r"|(?:还|转|付|交|打|汇|扣)[^，。,.!?？！就再]{0,8}了[呢啊吧呀嘛]?[，。,.!?？！\s]*$"
)
_ZH_FUTURE = re.compile(r"会|要|等|准备|打算|保证|一定|肯定|明天|后天")
_ZH_WILL = re.compile(r"会(?!儿)|肯定|一定|保证")
_ZH_HEDGE = re.compile(
    r"尽量|争取|试试|试一下|可能|也许|大概|说不定|看情况|不一定|不确定|估计|想办法|看能不能|再说"
    r"|考虑|看看吧|说不好|应该"
)
_ZH_COND = re.compile(r"要是|如果|假如|万一|除非|有钱(?:的话)?就|的话")
_ZH_COND_OK = re.compile(r"(?:如果|要是)?(?:可以|行|方便)的话")
# someone else's demand or another debt, not the debtor's commitment
_ZH_OBLIGATION = re.compile(
    r"还有.{0,8}(?:要|得|需要)还|(?<!会)还的是"
    r"|[他她]们?[^，。,.我]{0,6}(?:还|付|转)"  # a third party's payment: 他自己还, 他会还的
    r"|(?:(?:你们?|他们?|她|人家|别人|银行|公司)[^，。,.]{0,6}说|[跟和给对]我说|告诉我|通知我|让[我你他她]"
    r"|叫[我你他她]|催我|要我|要求我?)[^，。,.]{0,8}(?:还|交|付|转)"
)
_ZH_WHQ = re.compile(
    r"多少|(?<!不管)怎么(?!样都)|怎样|哪(?!怕)|(?<!没)什么|几号|几点|为什么|为啥|谁|啥|咋"
)
_ZH_YNQ = re.compile(
    r"吗|么\s*$|能不能|可不可以|行不行|是不是|可以不|行吗|好吗|对吧|是吧|好不好|没有\s*$|不行\s*$"
)
_ZH_REST = re.compile(r"剩下|剩余|其余|余下|其他的|再还|再转|再付|再给|然后")
_ZH_PARTIAL = re.compile(r"先(?:还|转|付|给|交|打)|一部分|部分|一半|一点|剩下|剩余|其余|余下")

_EN_MODAL = (
    r"\b(?:i'?ll|i\s+will|i'?m\s+(?:going\s+to|gonna|paying|sending|logging|putting|mailing|"
    r"transferring|wiring|making|dropping|bringing)|i\s+am\s+(?:going\s+to|gonna|paying|"
    r"sending)|i\s+(?:can|could)(?!'t|not|\s+not)|let\s+me|let'?s|we'?ll|we\s+will|we\s+can"
    r"|i'?d\s+(?:like|love)\s+to|i\s+would\s+(?:like|love)\s+to|i\s+want\s+to|i\s+plan\s+to"
    r"|i'?m\s+planning\s+to|i\s+promise|said\s+i'?d|said\s+i\s+would|told\s+you\s+i'?d"
    r"|(?:can|could)\s+i|you'?ll\s+(?:get|have)|how\s+about|what\s+about|what\s+if\s+i"
    r"|put\s+me\s+down|sign\s+me\s+up)\b"
    # ASR drops the subject: "will pay friday", "gonna send it tonight"
    r"|^\W*(?:(?:yeah|yes|ok|okay|so|um|uh|alright|fine)\W+)*(?:will|gonna|going\s+to)\b"
)
_EN_PAY = (
    r"\b(?:pay(?:ing)?|(?:send(?:ing)?|mail(?:ing)?|e-?mail|text)"
    # ... not "send you the receipt"
    r"(?!\s+(?:you\s+|over\s+)?(?:the|a|an|my)?\s*(?:receipts?|proof|screenshots?|confirmation"
    r"|copy|copies|documents?|letters?|e-?mails?|info|paperwork|statements?|texts?|pictures?"
    r"|photos?|number|details)\b)"
    r"|transfer(?:ring)?|wir(?:e|ing)|zelle|venmo"
    r"|deposit|settle|cover|clear|pay\s+off|take\s+care\s+of|handle|make\s+(?:a|the|my)?\s*"
    r"payments?|make\s+it|do|put|get\s+(?:you|it)|bring(?:ing)?|drop(?:ping)?\s+off"
    r"|give\s+you\s+(?:the\s+money|the\s+payment|it|\$|\d)"
    r"|call\s+in|set\s+up|square|logging\s+in|payment|have\s+(?:it|this|that|everything)\s+paid"
    r"|get\s+(?:it|this|that)\s+(?:paid|done|to\s+you))\b"
)
_EN_INTENT = re.compile(
    rf"(?:{_EN_MODAL})(?:\W+\w+){{0,6}}?\W+(?:{_EN_PAY})|\bput\s+me\s+down\b"
    r"|\bsign\s+me\s+up\b|\bi'?m\s+(?:paying|sending|logging\s+in)\b"
    r"(?!\s+(?:my|his|her|their|for|off\s+my)\b)",
    re.I,
)
# an offer naming an amount or a date: "how about $60 every two weeks", "would $75 a month work"
_EN_OFFER = re.compile(
    r"\b(?:how\s+about|what\s+about|let'?s\s+say|let'?s\s+do|put\s+me\s+down|sign\s+me\s+up"
    r"|would\b.{1,40}\b(?:work|be\s+(?:ok|okay|alright|all\s+right|fine|good|enough)))\b",
    re.I,
)
_EN_REFUSAL = re.compile(
    r"\b(?:not\s+(?:paying|going\s+to|gonna|able)|won'?t|will\s+not|can'?t|cannot|can\s+not"
    r"|couldn'?t|don'?t\s+(?:have|owe)|do\s+not\s+(?:have|owe)|no\s+money|never|refuse|no\s+way"
    r"|ain'?t|unable|not\s+a\s+(?:dime|penny|cent)|forget\s+it|lawyer|too\s+much|kidding"
    r"|are\s+you\s+serious|not\s+my\s+debt|nothing|barely|hardly)\b",
    re.I,
)
_EN_WHOLE = re.compile(r"\b(?:full|whole|all\s+of\s+it|everything|that\s+much|the\s+total)\b", re.I)
_EN_PAST = re.compile(
    r"\b(?:already|yesterday|ago|last\s+(?:week|month|time|night|year|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday)|i\s+(?:paid|sent|mailed|wired|transferred|made\s+(?:a|the)"
    r"\s+payment)|i'?ve\s+(?:paid|sent|mailed|made)|i\s+have\s+(?:paid|sent|made)|was\s+paid"
    r"|been\s+paid|did\s+pay|been\s+(?:mailed|sent|paid|taken|debited|deducted)|in\s+the\s+mail"
    r"|on\s+(?:its|the)\s+way|i\s+thought|i\s+always|i\s+set\s+up|mailed\s+it"
    r"|sent\s+it\s+(?:in|off|out))\b",
    re.I,
)
_EN_HEDGE = re.compile(
    r"\b(?:maybe|might|try|trying|hopefully|hope|probably|possibly|perhaps|i\s+guess|we'?ll\s+see"
    r"|not\s+sure|if\s+i\s+can|should\s+be\s+able|depends|see\s+what\s+i\s+can"
    r"|talk\s+about|think\s+about|discuss|when\s+i\s+can|whenever|what(?:ever)?\s+i\s+can)\b",
    re.I,
)
_EN_COND = re.compile(
    r"\b(?:if|unless|i'?d(?!\s+(?:like|love))|i\s+would(?!\s+(?:like|love))|would\s+have)\b", re.I
)
_EN_COND_OK = re.compile(
    r"\bif\s+(?:that'?s|that\s+is|it'?s|that)\s+(?:ok|okay|alright|all\s+right|fine|works|good)"
    r"|\bif\s+(?:you\s+want|that\s+helps|it\s+helps|i\s+start)\b"
    r"|\b(?:said|told\s+(?:you|them|him|her|y'?all))\s+(?:that\s+)?(?:i'?d|i\s+would)\b",
    re.I,
)
_EN_WHQ = re.compile(  # at the start of the clause: "I'll pay when I get paid" is no question
    r"^\W*(?:(?:so|and|ok|okay|well|um|uh|but|then|like|wait)\W+)*"
    r"(?:how\s+much|how\s+many|how\s+long|what'?s|why|who|do\s+i\s+(?:have|need)|is\s+there"
    r"|(?:how|when|where|what|which)(?:\s+(?!about\b|if\b)\w+)?\s+(?:do|does|did|can|could|should"
    r"|will|would|is|are|am|was|were|shall)\b)\b"
    r"|\b(?:how\s+much|how\s+do|when|what|where|which|why)\b(?=.*\?\s*$)",
    re.I,
)
_EN_YNQ = re.compile(
    r"\?|^\s*(?:(?:so|and|ok|okay|well|um|uh)\W+)*(?:can|could|may|do|does|is|are|would|should"
    r"|shall|will)\s+(?:i|you|we|it|that)\b",
    re.I,
)
_EN_REST = re.compile(r"\b(?:the\s+rest|rest\s+of|remaining|remainder|another|then)\b", re.I)
_EN_PARTIAL = re.compile(
    r"\b(?:half|part\s+of|some\s+of|a\s+portion|partial|for\s+now|to\s+start|first\s+payment"
    r"|down\s+payment|the\s+rest|rest\s+of|remaining|remainder|another|something\s+now)\b",
    re.I,
)

_EN_FILLER = frozenset(
    _words(
        "yeah yes yep ok okay alright all right so um uh well hmm oh look listen the a on by before"
        " with via through my in and then done deal sure fine works for of at that's it it's like"
        " say sounds good full whole amount thing to me you is that be will same every each week"
        " month"
    )
)
_ZH_FILLER = re.compile(
    r"没问题|一分不少|一分都不少|就这样|这样吧|好吧|行吧|可以|那就|说好了|定了|之前|以前|左右|全部"
    r"|给你们?|[嗯啊吧呀呢哦噢好行就的前我用先在这那个吗]"
)

_CLAUSE_SPLIT = re.compile(
    # after punctuation (kept with its clause: "?" marks a question), not inside "1,500" / "2.5"
    r"(?<=[,.;!?，。；！？、…\n])(?<!\d[,.](?=\d))\s*(?![,.;!?，。；！？、…\n])"
    r"|\s+(?=(?:but|however|though)\b)"
    r"|\s+(?=and\b(?!\s+(?:a\s+half|" + _EN_NUMWORD + r")\b))"
    r"|(?=但是|(?<![转还挺])不过(?![来去])|可是|剩下|剩余|其余|余下)",
    re.I,
)


# "等货款回来我马上还", "as soon as it clears I'll pay right away": 马上 is after the event
_AFTER_EVENT = re.compile(r"等|一到|下来|到账|once|as\s+soon\s+as|soon\s+as|when|after", re.I)
_IMMEDIATE = re.compile(r"马上|立刻|立马|right\s+away|immediately|now|right\s+now", re.I)


@dataclass(slots=True)
class _Clause:
    start: int
    end: int
    text: str
    dates: list[_Date] = field(default_factory=list)
    amounts: list[_Amount] = field(default_factory=list)
    method: str | None = None
    intent: bool = False
    refusal: bool = False
    whole_refused: bool = False
    past: bool = False
    hedge: bool = False
    cond: bool = False
    whq: bool = False
    ynq: bool = False
    rest: bool = False
    fragment: bool = False

    @property
    def date(self) -> _Date | None:
        return next((d for d in self.dates if d.date is not None), None)

    @property
    def n_fields(self) -> int:
        return bool(self.amounts) + (self.date is not None) + (self.method is not None)


def _split(text: str, lang: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(text):
        spans.append((pos, len(text)))
    if lang.lower().startswith("zh"):  # ASR pauses between Chinese phrases come out as spaces
        out = []
        for a, b in spans:
            sub = a
            for m in re.finditer(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff\d])", text[a:b]):
                out.append((sub, a + m.start()))
                sub = a + m.end()
            out.append((sub, b))
        spans = out
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _is_fragment(c: _Clause, text: str) -> bool:
    """Nothing but amounts, dates, methods and filler words ("$200, Friday, done")."""
    chars = list(text[c.start : c.end])
    spans = [(d.start, d.end) for d in c.dates] + [(a.start, a.end) for a in c.amounts]
    for a, b in spans:
        for i in range(max(a, c.start), min(b, c.end)):
            chars[i - c.start] = " "
    rest = "".join(chars)
    for _, pattern in _METHOD_PATTERNS:
        rest = pattern.sub(lambda m: " " * len(m.group()), rest)
    rest = _ZH_FILLER.sub(" ", rest)
    words = re.findall(r"[a-z']+|[\u4e00-\u9fff]", rest.lower())
    return all(w in _EN_FILLER for w in words)


_EN_AND_PAY = re.compile(rf"\s*and\s+(?:then\s+)?(?:{_EN_PAY})", re.I)


def _analyse(c: _Clause, prev: _Clause | None) -> None:
    t = c.text
    tl = t.lower()
    has_field = bool(c.amounts) or c.date is not None
    zh_pay = (
        _ZH_PAY.search(t) is not None or (has_field and _ZH_PAY_WEAK.search(t) is not None)
    ) and not _ZH_OBLIGATION.search(t)
    en_pay = _EN_INTENT.search(tl) is not None
    c.intent = zh_pay or en_pay or (has_field and _EN_OFFER.search(tl) is not None)
    if not c.intent and prev is not None and _EN_AND_PAY.match(tl):
        # "I'll log in tomorrow | and pay it": the modal is in the clause before
        c.intent = re.search(_EN_MODAL, prev.text, re.I) is not None
    refusal = bool(_ZH_REFUSAL.search(t) or _EN_REFUSAL.search(tl))
    if refusal and (_ZH_WHOLE.search(t) or _EN_WHOLE.search(tl)):
        c.whole_refused, refusal = True, False
    c.refusal = refusal
    future_date = any(d.date is not None for d in c.dates)
    c.past = (
        bool(_ZH_PAST.search(t) or _EN_PAST.search(tl))
        or any(d.past for d in c.dates)
        or (bool(_ZH_PAST_LE.search(t)) and not future_date and not _ZH_FUTURE.search(t))
        or (bool(_ZH_PAST_DE.search(t)) and not _ZH_WILL.search(t))
    )
    c.hedge = bool(_ZH_HEDGE.search(t) or _EN_HEDGE.search(tl))
    cond_text = _EN_COND_OK.sub(" ", _ZH_COND_OK.sub(" ", tl))
    c.cond = bool(_ZH_COND.search(cond_text) or _EN_COND.search(cond_text))
    c.whq = bool(_ZH_WHQ.search(t) or _EN_WHQ.search(tl))
    c.ynq = bool(_ZH_YNQ.search(t) or _EN_YNQ.search(tl))
    c.rest = bool(_ZH_REST.search(t) or _EN_REST.search(tl))


def extract(text: str, lang: str, today: dt.date) -> Commitment | None:
    """The payment promise in one debtor utterance, or None (see the module docstring)."""
    if not text or not text.strip():
        return None
    norm = _normalise(text)
    dates = _find_dates(norm, today)
    blanked = list(norm)
    for d in dates:
        blanked[d.start : d.end] = " " * (d.end - d.start)
    amounts = _find_amounts("".join(blanked))

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
    return Commitment(
        amount=amount.value if amount else None,
        currency=amount.currency if amount else None,
        date=date.date.isoformat() if date and date.date else None,
        when_text=text[date.start : date.end] if date else None,
        method=method,
        partial=partial,
        text=text,
    )
