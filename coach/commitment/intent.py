"""What a clause says about paying: a pay intent or an offer, or a refusal, a past payment, a
hedge, a condition, a question, a later instalment ("the rest"), a part payment. The word lists
(Mandarin and English) and :func:`_analyse`, which sets those flags on a :class:`_Clause`.
"""

from __future__ import annotations

import re

from .clauses import _Clause
from .methods import _ZH_TRANSFER

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
