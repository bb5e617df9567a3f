"""Date expressions (Mandarin and English) found in an utterance and resolved against ``today``:
the patterns, the calendar arithmetic and :func:`_find_dates` (see the package docstring for the
rules: weeks start on Monday, a bare weekday is the next one after today, vague times give None).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .amounts import _EN_ORDINALS, _ZH_NUM, _alt, _count, _en_day, _words, _zh_number

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
