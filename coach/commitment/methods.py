"""The payment-method lexicon: the words for each of ``METHODS``, most specific first, and
:func:`_find_method`.
"""

from __future__ import annotations

import re

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
