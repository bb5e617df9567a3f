"""Does the collector disclaim the act? ("we will never call your employer", "没有人会抓你去坐牢")

Sentence embeddings barely see negation: "no one from our office is going to call your job" lies
next to "we'll call your job" and far from most lawful lines. The guard therefore asks this module
whether a collector line *disclaims* a prohibited act, and a disclaimer vetoes the rules that allow
it (``negation: veto`` in the pack, the default).

A disclaimer is one of

- a negation whose subject is the collector's side or nobody at all: "we won't", "I'd never",
  "our office does not", "nobody is going to", "我们不会", "我们从来不", "没有人会", "谁也不能";
- advice against the act: "you don't need to", "there's no need", "I wouldn't recommend",
  "would only make things worse", "不用担心", "不需要", "不建议";

unless

- the negated verb is one of pressure ("we won't stop calling", "I'm not joking", "nobody can help
  you now", "我们不会放过你", "不会让你好过"), of reluctance ("I don't wanna worry her", "我不想让
  老人家操心", "不敢保证"), of doubt or habit ("I'm not sure you'd follow along", "we don't usually
  call twice"), of patience ("我不急") or of withholding who is calling ("I won't say which
  agency"), or
- the "advice" skips the law ("no need for any court, we'll pick up the car", "用不着走法律程序",
  "不需要法院判决"): a boast that the act needs no judge, not advice against it, or
- the line also makes a conditional threat or a warning ("if you don't pay…", "unless you…",
  "don't say I didn't warn you", "不还就…", "再不…", "别说我没提醒你"), holds back only for now
  ("I haven't told him anything yet", "下次就不好说了"), claims a legal role by contrast ("I'm not
  customer service, I handle cases") or denies one only to claim it ("I'm not technically a
  lawyer, but… same thing"), or denies a denial ("that doesn't mean we can't…",
  "不代表我们没办法…"), which asserts the act.

Deliberately word lists, not a model: every veto can be explained to QA in one line, and the lists
live here, next to the tests that pin them (``tests/test_compliance_negation.py``). An A-not-A
question (我是不是该…, 会不会) is a question, not a negation.
"""

from __future__ import annotations

import re

_EN_SPELLING = (
    (re.compile(r"[’‘`]"), "'"),
    # a recogniser often drops the apostrophe: "i wont call", "we dont"
    (re.compile(r"\b(?:won't|wont)\b"), "will not"),
    (re.compile(r"\b(do|does|did|is|are|was|were|would|could|should|have|has)nt\b"), r"\1 not"),
    (re.compile(r"\b(?:can'?t|cannot)\b"), "can not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"\bgonna\b"), "going to"),
    (re.compile(r"\bwanna\b"), "want to"),
    # "no ones going to arrest you": the recogniser's dropped apostrophe in "no one's"
    (re.compile(r"\b(?:no ?body|no-?one|no one)s\b"), "no one is"),
    (re.compile(r"\bno ?body\b|\bno-one\b|\bnoone\b"), "no one"),
)

# the collector's side, or no one
_EN_WHO = (
    r"we|i|our (?:office|company|firm|team|agents?|staff|collectors?|bank|department)"
    r"|this (?:office|company|call)|the (?:bank|creditor|company|office)|none of us|no one"
)
_EN_AUX = (
    r"(?:(?:are|am|is|was|will|would|do|does|did|can|could|should|shall|may|might|must|have|has"
    r"|ever|be|been|going|to|definitely|certainly|really|absolutely|usually|also)\s+)*"
)
_EN_NEGATED = re.compile(
    rf"\b(?:{_EN_WHO})(?:'(?:re|m|ll|d|s|ve))?\s+{_EN_AUX}(?:never|not|no longer)\s+"
    r"(?P<verb>(?:\w+\s*){1,3})"
)
# "no one (from our office) is going to / will / can …": a modal is required, since "you'd better
# hope nobody runs into you" is a threat; "ever" counts only before one ("no one's ever going to";
# "nobody ever raised you right" is an insult about the past)
_EN_NO_ONE = re.compile(
    r"\bno one(?:'s|'ll)?(?: (?:from|at|in) (?:our|this|the) \w+)?\s+"
    r"(?:'s|'ll|is|will|would|can|could|should|shall|may|might|must"
    r"|ever(?= (?:going|be|been|will|would|can|could)\b))\s+"
    rf"{_EN_AUX}(?P<verb>(?:\w+\s*){{1,3}})"
)
# "no need for any court, we'll come pick up the car" brags that the law can be skipped
_EN_NO_COURT = (
    r"(?! (?:to )?(?:worry|panic|fear|stress|be (?:scared|afraid|worried|alarmed))\b)"
    r"(?: \w+){0,4} (?:court|courts|judge|lawsuit|legal|judgment|judgement|sue|suing|warrant"
    r"|paperwork)\b"
)
_EN_ADVICE = re.compile(
    # "…so you don't have to pay" gives the purpose of the act, not advice against it
    r"(?<!so )(?<!so that )\byou (?:do|will|would|should) not (?:need|have) to\b"
    # "there's no need to wait for the mail" hurries the debtor; it rules nothing out
    rf"|\bno need (?:to|for)\b(?! wait)(?!{_EN_NO_COURT})"
    # "there's no reason this can't be paid today" is a double negative: it asserts the act
    # (and "there's no need to wait for the court" hurries too)
    rf"|\bthere(?: i|')s no (?:need|reason)\b(?! to wait)(?!{_EN_NO_COURT})"
    r"(?!(?: \w+){0,4} (?:can|could|should|would|will|is|are|was|were|has|have|does|do) not\b)"
    r"|\byou should not\b"
    # "please don't be alarmed when he comes by" announces the act
    r"|\bplease do not\b(?! hang| interrupt| be (?:alarmed|surprised|scared|shocked|startled))"
    r"|\b(?:would|will|does|do)? ?not (?:recommend|suggest|advise)\b"
    r"|\b(?:advise|recommend|suggest|warn you) against\b"
    r"|\b(?:would|will|'d|'ll) (?:only|just) (?:make|dig)\b|\b(?:is|would be|'s) a bad idea\b"
    r"|\bnothing to do with\b|\bnot (?:a|an|the) (?:police|cops?|lawyer|attorney|law firm|court"
    r"|government|officer|sheriff)\b"
)
# verbs that keep a negation a threat: "we won't stop", "not joking", "no one can help you"
_EN_PRESSURE = re.compile(
    # an adverb or "going to" may sit between the negation and the verb: "not really hearing"
    r"^(?:(?:really|actually|even|just|going to|be going to)\s+)*"
    r"(?:stop|quit|hesitate|let|go easy|forget|forgive|be (?:nice|pretty|patient|responsible)"
    r"|play|kid|joke|joking|mess|care|back|give up|rest|wait|think|know|want|like|help|save"
    r"|hire|believe|tolerate|put up|promise|guarantee|(?:ask|tell|warn) (?:you )?again"
    # "I wouldn't count on that keeping you out of court", "I wouldn't bet my paycheck on a judge"
    r"|count on|bet\b|rely on"
    # "I wouldn't get too attached to that truck": the property is about to go, a seizure hint
    r"|get (?:too |very |real |all that )?(?:attached|used to|comfortable)"
    # a hint, not a denial: "I'm not hearing a reason you can't pay", "I'm hoping I won't need to
    # use it (your sister's number)"
    r"|hear|(?:see|sea) (?:why|a|any|how|the problem)|seeing|need to|have to"
    # a sneer, not a denial: "I'm not surprised your wife left"
    r"|surprised|shocked"
    # doubt about the debtor is a jibe: "I'm not sure you'd follow along, so I'll go real slow"
    r"|sure|certain|convinced"
    # a habit hints at the exception: "we don't usually make a second call"
    r"|usually|normally|typically|generally|always|often"
    # not asking for the debtor means asking for someone else: "next time I won't ask for you"
    r"|ask for you\b"
    # "I don't need anybody's permission", "we're not shy": licence and boldness, not restraint
    r"|need (?:any|a court|a judge|a judgment|a warrant|permission|your permission)"
    r"|shy|afraid|scared|going (?:anywhere|away)"
    # a self-portrait or impatience, not a denial: "I'm not the kind of person you want to meet",
    # "I don't have all day", "I wouldn't get too comfortable"
    r"|(?:the|a|an) (?:kind|type|sort) of|someone|somebody|have (?:all day|time|forever|patience)"
    r"|get (?:too |to |so )?comfortable|relax|sleep"  # "to": the recogniser's spelling
    # "next time I might not be so vague with him": less restraint, not none
    r"|be (?:so|as|this|that)\b"
    # "we'll be stopping by, and we won't be alone": company announced, not denied
    r"|(?:be|come) alone\b|be by (?:myself|ourselves)\b"
    # withholding who is calling is no disclaimer: "I can't say which agency" (impersonation)
    r"|(?:say|tell you|disclose|reveal) (?:which|who|where|what)"
    # a hedge after a push, not a denial: "…apps approve you in minutes. I'm not telling you what
    # to do, of course."
    r"|telling you (?:what|how)\b"
    # a fact about the debtor, not a promise: "he owes us and we can't reach him"
    r"|(?:reach|find|locate|get hold of)\b(?! out))"
)
# the negation belongs to a condition ("if I don't hear back…", "unless…") or the line warns
_EN_CONDITIONAL = re.compile(
    r"\bif\b[^.?!]{0,60}\b(?:not|never)\b|\bunless\b|\bor else\b|\botherwise\b"
    r"|\buntil (?:you|this|it)\b|\bkeep ignoring\b|\bthe longer you\b|\bbetter (?:hope|pray)\b"
    r"|\bdo not say (?:i|we) did not\b"
    # a hedge that turns on "but" asserts: "I'm not saying you're a deadbeat, but…"
    r"|\bnot saying\b[^.?!]{0,60}\bbut\b"
    # ... or on "just saying", in the next sentence too: "I'm not saying anyone's coming over.
    # I'm just saying we know exactly which apartment is 4B."
    r"|\b(?:not saying|did not say|not telling you)\b.{0,80}\b(?:just|only) (?:saying|mentioning"
    r"|pointing (?:out|it out)|telling you)\b"
    # a denied denial is an assertion: "that does not mean we can not take you to court"
    r"|\bnot (?:mean|mean that)\b[^.?!]{0,20}\b(?:not|never)\b"
    # "I don't do customer service, I handle cases": the contrast claims a legal role
    r"|\bnot\b[^.?!]{0,40}[,;] (?:i|we) (?:only |just )?(?:handle|deal with|work (?:on|with|for)"
    r"|represent)\b[^.?!]{0,20}\b(?:cases?|legal|court|law|lawsuits?|litigation|judgments?)\b"
    # "I'm not technically a lawyer, but treat this call as from our attorney's desk": the role
    # denied, then claimed
    r"|\bnot\b[^.?!,]{0,30}\b(?:lawyer|attorney|bar card|bar license)\b[^.?!]{0,20}\bbut\b"
    r"[^.?!]{0,60}\b(?:lawyer|attorney|law office|law firm|legal|same thing|for your purposes)\b"
    # "I didn't tell him anything yet": restraint for now is a threat for later
    r"|\b(?:not|never) (?:\w+ ){0,2}(?:told|tell|said|say|called|call|contacted|contact"
    r"|mentioned|mention|reached|reach|talked|talk|spoken|speak|notified|notify|informed|inform)"
    r"\b[^.?!]{0,30}(?:\b|[.…]+\s*)(?:yet|for now)\b"  # "…your boss. Yet."
    # a denial conceded, then turned: "nobody can sue on it anymore, sure, but don't be surprised…"
    r"|\b(?:not|never|no one)\b[^.?!]{0,80}\b(?:sure|true|granted|technically|fine|okay),? but\b"
    # someone else's claim, not the collector's word: "they say once the limitation period is up
    # nobody can touch you. Our legal team doesn't see it that way"
    r"|\b(?:they|people|folks|everyone|some people|your lawyer) (?:say|says|think|thinks|tell you"
    r"|told you|may tell you|might tell you)\b[^.?!]{0,80}\b(?:no one|not|never)\b"
)

_ZH_NEGATED = re.compile(
    # "有些平台不看征信" speaks of other lenders, not the collector's side
    r"(?<![对给跟和把让向还找叫])(?<!有些|有的|其他|别的|很多|一些|那些)"
    r"(?:我们|我|咱们|本公司|公司|银行|平台)"
    r"(?:这边|这里|公司|方面|也|都|是|就|当然|绝对|肯定|一定|从来|永远|根本)*"
    r"(?:不会|不可能|不能|绝不|决不|从不|从来不|不|没有|没)(?P<verb>.{0,4})"
)
_ZH_NO_ONE = re.compile(
    r"(?:没有人|没人|不会有人|谁也不|谁都不|任何人都不|(?:不还款|不还钱|欠款|欠钱|逾期)(?:本身)?不(?:会|是|算))"
    r"(?P<verb>.{0,4})"
)
# 用不着走什么法律程序, 没必要经过法院: the law skipped is a threat, not advice
_ZH_NO_COURT = (
    r"(?!(?:走|经过|通过|打|等)?(?:什么|任何)?"
    r"(?:判决|法院|法律|起诉|诉讼|官司|批准|你的?同意|手续))"
)
_ZH_ADVICE = re.compile(
    r"不用(?:担心|害怕|怕|着急|紧张|去?借(?!口)|找[^,。,]{0,6}借(?!口)|以贷还贷|拆东墙"
    r"|(?:拿|用|去)[^,。,!?]{0,8}(?:套现|借(?!口)|贷))"  # 不用拿别的卡套现来还
    # "根本不需要什么判决" brags that no court is needed; it advises nothing
    rf"|别担心|不需要(?!什么|任何){_ZH_NO_COURT}|(?:不必|没必要|用不着){_ZH_NO_COURT}"
    r"|不建议|不推荐"
    r"|只会越滚越|越借越多|请您?不要|请您?别|千万(?:不要|别)(?:去)?(?:借|套现|这么做|这样做)"
    # 千万别为了还我们的钱去套现, 不用为了还这笔钱去刷信用卡套现: a purpose may sit between the
    # advice and the act
    r"|(?:千万(?:不要|别)|不用|不必)为了[^,。,!?不没]{0,10}(?:借|套现|贷)"
)
_ZH_PRESSURE = re.compile(
    r"^(?:会|能|可以|敢)?(?:放过|饶|客气|善罢甘休|罢休|手软|留情|让你好|好过|好受|停|管|在乎|怕"
    r"|跟你废话|跟你客气|想听|信|帮你|帮得了|救你|救得了|轻饶|算完|完|好下场|小事|闹着玩|开玩笑|就"
    # 出点什么事也没人看见: a veiled threat; ...跟一般的催收公司不一样 (不是一回事): "different",
    # no act negated
    r"|看见|看到|注意|发现|一样|同于|是一[回码]事"
    # reluctance is a veiled threat: 我不想让她老人家操心, 不太想打扰她; 不敢保证 warns
    r"|太?想|(?:敢)?保证"
    r"|给你送"
    r"|着?急"  # 我不急,我们有的是人手…一直等下去: patience is no act ruled out
    r"|必要(?:经过|通过)|必要走?(?:法|什)"  # 我们没必要经过法院: the law skipped (_ZH_NO_COURT)
    r"|用(?=[,，。!！?？]|$)"  # 你拿时效来压我们没用: "no use", a boast
    r")"
)
_ZH_CONDITIONAL = re.compile(
    r"(?:如果|要是|假如|万一)[^,。,!?]{0,10}(?:不|没)|再不|不然|否则|不还就|不还的话|除非|等着瞧|看着办"
    r"|难道|别怪|别说(?:我|我们)?没"  # 别说我没提醒你: a warning, not a denial
    r"|下次(?:就|可)?(?:不好说|难说|不一定)"  # 我没细说,下次就不好说了: restraint for now
    r"|(?:不代表|不等于|不意味着|不是说)[^,。,!?]{0,8}(?:不|没)"  # 不代表我们没办法: an assertion
    # 我不是说你是骗子,但是…; 我不是劝你借钱啊,可你老丈人家…: a hedge
    r"|(?:不是说|不是劝你|没劝你|不是让你|没让你)[^。!?]{0,16}(?:但是?|可是?|不过)(?![以能])"
    # 我没说要去你家啊,我就是提一句,你家楼下那个小卖部我们挺熟的: a denial that only says it
    r"|(?:没说|没有说|不是说|没让你|不是让你)[^。!?]{0,16}(?:就是|只是)"
    r"(?:提一句|提一下|说说|随便说|说一下|讲一下|提醒|提个醒)"
    # not calling the debtor but someone else instead: "不打你电话了,直接打给你们村委会"
    r"|不[^。!?]{0,8}[,，]?(?:直接|改|而是)(?:去|打给|打到|找|联系|通知|告诉)[^,。,!?]{0,4}"
    r"(?:村委会|居委会|单位|公司|领导|家里|家人|父母|老婆|老公|亲戚|同事|邻居|通讯录)"
)
# reassurance with no subject, or addressed to the debtor, about arrest or jail:
# "欠款是民事纠纷,不会因为这个抓你坐牢", "你不会因为这个做牢的" (not "你不会想去坐牢吧")
_ZH_REASSURE = re.compile(
    r"(?:^|[,。，!?！？;；\s]|你|您)(?:也|都|绝对|肯定|根本|并|是)?(?:不会|不至于|不可能)"
    r"(?:因为[^,。，!?]{0,8}?)?(?:被|去|把你|把您)?(?:抓|坐牢|做牢|拘留|判刑|进去|关起来)"
)


# an A-not-A question (是不是, 会不会, 有没有) asks; it negates nothing: "我是不是该挨个问候一下?",
# "群里有没有人愿意替你说道说道" (not 没有人)
_ZH_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


def _en_form(text: str) -> str:
    form = text.lower()
    for pattern, repl in _EN_SPELLING:
        form = pattern.sub(repl, form)
    return form


# "这么多年一直没人催过你": a past with no one in it tells the debt's history, it rules nothing out
_ZH_NO_ONE_PAST = re.compile(r"过(?![来去])|碰")


def disclaims(text: str) -> bool:
    """True when ``text`` (a collector line, any language) disclaims an act (module docstring)."""
    en = _en_form(text)
    text = _ZH_A_NOT_A.sub(r"\1", text)
    if _EN_CONDITIONAL.search(en) or _ZH_CONDITIONAL.search(text):
        return False
    for m in (*_EN_NEGATED.finditer(en), *_EN_NO_ONE.finditer(en)):
        if not _EN_PRESSURE.match(m["verb"].strip()):
            return True
    if _EN_ADVICE.search(en) or _ZH_ADVICE.search(text) or _ZH_REASSURE.search(text):
        return True
    no_one = [
        m  # the past may sit just past the verb: 超过三年没人追、时效早过了
        for m in _ZH_NO_ONE.finditer(text)
        if not _ZH_NO_ONE_PAST.search(text, m.start("verb"), m.end() + 6)
    ]
    zh = (*_ZH_NEGATED.finditer(text), *no_one)
    return any(not _ZH_PRESSURE.match(m["verb"]) for m in zh)
