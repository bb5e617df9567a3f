"""PII redaction of call transcripts before they are stored.

Transcripts are Whisper output of phone calls (Mandarin and English), so one number shows up as
digits ("4111-1111-1111-1111"), English words ("four one one one", "oh", "double one",
"twenty six"), Mandarin digits ("四一一一", 幺 = 1, 两 = 2, 零/〇 = 0) or a mix of them, with
spaces, hyphens, dots, commas or nothing between groups.

Detected and masked (one mask token per span, the text around it kept as it was):

* ``cn_id``: 18-character Chinese resident ID with a valid ISO 7064 MOD 11-2 check character
  (X may be "X", "x", 叉 or 艾克斯). 15-digit first-generation IDs are not checked (void since
  2013); read out, they are still masked, as an account.
* ``card``: 13-19 digits, Luhn-valid, starting 2-6 (Visa, Mastercard, Amex, UnionPay, JCB...).
* ``phone``: Chinese mobile (1[3-9] + 9 digits) and landline (0 + area code + 7-8 digits), each
  with an optional 86 / 0086 prefix; NANP (US/CA) 10 digits, optionally after a 1.
* ``account``: any other run of 8 or more digits. Deliberately greedy: a card read with one wrong
  digit fails Luhn and must still not be stored; over-masking a long digit string is cheap.
* ``email``: written addresses, and spoken ones ("john dot smith at gmail dot com",
  "zhangsan艾特qq点com", "张三 at 163 dot com"): a known top-level domain after the "at", and
  before it one word, spelled initials ("j smith") or words joined by dot/underscore; a Chinese
  name runs back to 是/为/叫 or the start of the Han text (else its last two characters).

Deliberately NOT masked, because the coach needs amounts and dates for payment promises:

* anything under 8 digits, so a 7-digit local number ("555-2671") stays;
* amounts and dates: a Mandarin digit followed by a unit (五百, 两千, 三月十五号), an English number
  followed by hundred/thousand/dollars..., runs after a currency sign or before a currency word
  ("$123,456.78", "12345678元"), thousands-grouped numbers ("12,345,678"), and numeric dates
  ("2026-03-15"). A checksum-valid ID or card is masked even then.

Runs are never split: two numbers read back to back, or an amount glued to a card number by a
comma, come out as one run, which is classified as a whole (usually ``account``, masked whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PII_KINDS = ("card", "cn_id", "phone", "account", "email")
_MASKS = {
    "card": "[card]",
    "cn_id": "[ID number]",
    "phone": "[phone]",
    "account": "[account]",
    "email": "[e-mail]",
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    kind: str  # one of PII_KINDS
    start: int  # char offsets into the ORIGINAL text, [start, end)
    end: int

    def __post_init__(self) -> None:
        if self.kind not in PII_KINDS or not 0 <= self.start <= self.end:
            raise ValueError(f"bad PII span: {self.kind!r} [{self.start}, {self.end})")


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str  # the masked text
    spans: tuple[PiiSpan, ...]  # what was masked, in order, offsets into the original

    @property
    def found(self) -> bool:
        return bool(self.spans)


def mask_for(kind: str) -> str:
    """The token that replaces a span of ``kind`` (words, not asterisks: the coach reads them)."""
    try:
        return _MASKS[kind]
    except KeyError:
        raise ValueError(f"unknown PII kind {kind!r}; expected one of {PII_KINDS}") from None


# --- digit tokens ------------------------------------------------------------------------------

_EN = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4"}
_EN |= {"five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
_EN |= {"eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15"}
_EN |= {"sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19"}
# numbers are often read in pairs: "nineteen forty nine", "twenty six seventy one"
_TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6"}
_TENS |= {"seventy": "7", "eighty": "8", "ninety": "9"}
_ZH = dict(zip("零〇一二三四五六七八九幺两兩", "00123456789122", strict=True))
# a Mandarin digit before one of these is part of an amount, date or count (五百, 三月, 一个)
_ZH_UNITS = "十拾百佰千仟万萬亿億块塊元圆號号月日点點年个個位次期分角毛岁歲天倍"
_EN_UNIT = r"\s*(?:hundred|thousand|million|billion|grand|dollars?|bucks|cents?|percent|yuan)\b"
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))  # longest first: "seventy" > "seven"


_ONE_DIGIT = _alt(w for w, d in _EN.items() if len(d) == 1)
_ONE_TO_NINE = _alt(w for w, d in _EN.items() if len(d) == 1 and d != "0")
_TOKEN = re.compile(
    r"(?P<arabic>[0-9０-９]+)"
    rf"|(?P<zh>[{''.join(_ZH)}])(?![{_ZH_UNITS}])"
    r"|(?<![A-Za-z])(?i:"
    rf"(?P<times>double|triple)[\s-]+(?P<rep>{_ONE_DIGIT}|[0-9](?![0-9]))"
    rf"|(?P<tens>{_alt(_TENS)})(?:[\s-]+(?P<ones>{_ONE_TO_NINE}))?"
    rf"|(?P<word>{_alt(_EN)})"
    rf")(?![A-Za-z])(?!(?i:{_EN_UNIT}))"
    r"|(?P<x>(?<![A-Za-z])[Xx](?![A-Za-z])|叉|艾克斯)"  # the ID's check character
)
# what may stand between two tokens of one run: "4111 1111", "138-0013", "4111, 1111", "(415) 555"
_GAP = re.compile(r"[\s\-‐–—.,，、。·()（）]{0,3}")


def _token_digits(m: re.Match[str]) -> str:
    if m["arabic"]:
        return m["arabic"].translate(_FULLWIDTH)
    if m["zh"]:
        return _ZH[m["zh"]]
    if m["times"]:
        digit = _EN.get(m["rep"].lower(), m["rep"])
        return digit * (2 if m["times"].lower() == "double" else 3)
    if m["tens"]:
        return _TENS[m["tens"].lower()] + (_EN[m["ones"].lower()] if m["ones"] else "0")
    if m["word"]:
        return _EN[m["word"].lower()]
    return "X"


def _digit_runs(text: str) -> list[tuple[int, int, str]]:
    """Maximal runs of digit tokens joined only by separators: (start, end, digit string)."""
    runs: list[list] = []  # [start, end, digits]
    for m in _TOKEN.finditer(text):
        digits = _token_digits(m)
        last = runs[-1] if runs else None
        joins = (
            last is not None
            and not last[2].endswith("X")
            and _GAP.fullmatch(text, last[1], m.start()) is not None
        )
        if digits == "X":  # only ever the 18th character of an ID; anywhere else it is a letter
            if joins and len(last[2]) == 17:
                last[1:] = [m.end(), last[2] + "X"]
        elif joins:
            last[1:] = [m.end(), last[2] + digits]
        else:
            runs.append([m.start(), m.end(), digits])
    return [(start, end, digits) for start, end, digits in runs]


# --- classification ----------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_AREA = r"(?:10|2\d|[3-9]\d\d)"  # Chinese area codes without the trunk 0: 10, 2x, 3-9xx
_PHONE = re.compile(
    r"(?:(?:00)?86)?1[3-9]\d{9}"  # Chinese mobile
    rf"|(?:(?:00)?86)?0{_AREA}[1-9]\d{{6,7}}|(?:00)?86{_AREA}[1-9]\d{{6,7}}"  # Chinese landline
    r"|1?[2-9]\d\d[2-9]\d{6}"  # NANP: area code and exchange start 2-9
)
_DATE = re.compile(r"(?:19|20)\d\d([-./])\d\d?\1\d\d?|\d\d?([-./])\d\d?\2(?:19|20)\d\d")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d\d?)?")
_CURRENCY_BEFORE = re.compile(r"[$¥￥€£]\s?$")
_CURRENCY_AFTER = re.compile(
    r"\s*(?:dollars?\b|bucks\b|yuan\b|rmb\b|usd\b|块|塊|元|美元|万|萬)", re.I
)


def _cn_id_ok(s: str) -> bool:
    if len(s) != 18 or not s[:17].isdigit():
        return False
    return (
        "10X98765432"[sum(int(c) * w for c, w in zip(s, _ID_WEIGHTS, strict=False)) % 11] == s[17]
    )


def _luhn_ok(s: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(s)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _is_amount_or_date(text: str, start: int, end: int) -> bool:
    raw = text[start:end]
    return bool(
        _DATE.fullmatch(raw)
        or _THOUSANDS.fullmatch(raw)
        or _CURRENCY_BEFORE.search(text, max(0, start - 2), start)
        or _CURRENCY_AFTER.match(text, end)
    )


def _classify(digits: str, text: str, start: int, end: int) -> str | None:
    """The kind of one run, checksummed kinds first; None: leave it in the transcript."""
    if _cn_id_ok(digits):
        return "cn_id"
    if digits.isdigit() and 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn_ok(digits):
        return "card"
    if _is_amount_or_date(text, start, end):
        return None
    if _PHONE.fullmatch(digits):
        return "phone"
    return "account" if len(digits) >= 8 else None


def _widen(text: str, start: int, end: int) -> int:
    """Take a leading "+" (+86) or "(" ("(415) 555-2671") into the span: no stray mark left."""
    if start and text[start - 1] == "+":
        return start - 1
    if start and text[start - 1] in "(（" and any(c in text[start:end] for c in ")）"):
        return start - 1
    return start


# --- e-mail ------------------------------------------------------------------------------------

_WRITTEN_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z])"
)
_HAN = r"[\u4e00-\u9fff]"
_AT = r"@|＠|艾特|(?<![A-Za-z])(?i:at)(?![A-Za-z])"
_DOT = r"\s*(?:\.|点|點|(?<![A-Za-z])(?i:dot)(?![A-Za-z]))\s*"
_JOIN = r"\s*(?:\.|点|點|下划线|(?<![A-Za-z])(?i:dot|underscore|dash|hyphen)(?![A-Za-z]))\s*"
_PIECE = r"[A-Za-z0-9][A-Za-z0-9_%+-]*"
_LOCAL = (
    # ASCII, spelled initials first ("j smith"), pieces joined by spoken dots ("john dot smith")
    rf"(?<![A-Za-z0-9'’])(?:[A-Za-z0-9]\s+)*{_PIECE}(?:{_JOIN}{_PIECE})*"
    # a Chinese name: after 是/为/叫/colon or a non-Han character, else its last two characters
    rf"|(?:(?<=[是为叫：:])|(?<!{_HAN})){_HAN}{{1,4}}|{_HAN}{{2}}"
)
_TLD = r"(?i:info|biz|com|net|org|edu|gov|cn|uk|hk|tw|jp|io|co|us|ca|au|de|me)"
# Spoken addresses are found from their "at": the domain is matched forward from it and the local
# part backward, in a bounded window, so a long transcript costs linear time (a single regex over
# the whole text backtracks quadratically on long runs of words).
_SPOKEN_AT = re.compile(_AT)
_DOMAIN = re.compile(
    rf"\s*[A-Za-z0-9][A-Za-z0-9-]*(?:{_DOT}[A-Za-z0-9][A-Za-z0-9-]*)*{_DOT}{_TLD}(?![A-Za-z])"
)
_LOCAL_BEFORE_AT = re.compile(rf"(?:{_LOCAL})\s*\Z")
_WINDOW = 80  # characters an address part may take on either side of its "at"


def _email_spans(text: str) -> list[PiiSpan]:
    found = [m.span() for m in _WRITTEN_EMAIL.finditer(text)]
    for at in _SPOKEN_AT.finditer(text):
        domain = _DOMAIN.match(text, at.end(), at.end() + _WINDOW)
        local = domain and _LOCAL_BEFORE_AT.search(text, max(0, at.start() - _WINDOW), at.start())
        if local:
            found.append((local.start(), domain.end()))
    spans: list[PiiSpan] = []
    for start, end in sorted(found, key=lambda s: (s[0], -s[1])):  # earliest, then longest
        if not spans or start >= spans[-1].end:
            spans.append(PiiSpan("email", start, end))
    return spans


# --- the entry point ---------------------------------------------------------------------------


def redact(text: str) -> Redaction:
    """Mask the PII in one transcript; ``.spans`` say what was masked, in the original's offsets."""
    spans = _email_spans(text)
    work = text  # e-mails blanked out, so their digits ("163", "13800138000@...") are not runs
    for s in spans:
        work = work[: s.start] + "\ufffc" * (s.end - s.start) + work[s.end :]
    for start, end, digits in _digit_runs(work):
        kind = _classify(digits, work, start, end)
        if kind is not None:
            spans.append(PiiSpan(kind, _widen(work, start, end), end))
    spans.sort(key=lambda s: s.start)
    parts, pos = [], 0
    for s in spans:
        parts += [text[pos : s.start], mask_for(s.kind)]
        pos = s.end
    parts.append(text[pos:])
    return Redaction("".join(parts), tuple(spans))
