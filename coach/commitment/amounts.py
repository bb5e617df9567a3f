"""Numbers and amounts: Chinese numerals (三千五, 两万五, 1.5万), English number words ("two
fifty", "twelve hundred", ASR's "for hundred"), counts and day numbers for the date patterns,
and the amounts said in an utterance with their currency (:func:`_find_amounts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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


# --- counts and day numbers (for dates) ---------------------------------------------------------


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
