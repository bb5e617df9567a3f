"""Text handling: length-preserving normalisation (full-width digits, recogniser homophones),
splitting an utterance into clauses, the per-clause record :class:`_Clause`, and telling a
verbless fragment ("$200, Friday, done") from other words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .amounts import _EN_NUMWORD, _Amount, _words
from .dates import _Date
from .methods import _METHOD_PATTERNS

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


# --- clauses -----------------------------------------------------------------------------------

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
