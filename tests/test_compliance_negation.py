"""The collector's disclaimers (coach/compliance/negation.py) and what they do to the guard."""

import pytest

from coach.compliance import ComplianceConfig, Guard, load_packs
from coach.compliance.negation import disclaims

DISCLAIMERS = [
    "We won't be contacting your employer about this.",
    "There's no need to worry about court, this is a simple balance question.",
    "用不着害怕,我们只是核实一下信息。",
    "i would never call your mother about this account",
    "Nobody from our office is going to show up at your house.",
    "no one is gonna arrest you over a credit card bill",
    "No one's ever going to arrest you over this.",
    "That's fine, but we will never call your employer.",  # the concession comes first
    "We're not a law firm and we are not the police.",
    "I'm with the collections team, not an attorney.",
    "You don't need to borrow money from anyone to pay this.",
    "There's no need to take out another loan, we can split it up.",
    "A cash advance would only make this harder, let's look at a plan.",
    "Our office does not report anything to your family.",
    "我们不会联系您的家人和单位",
    "我们从来不会冒充公安打电话",
    "没有人会因为这个去抓您",
    "不还款不会坐牢,这是民事纠纷",
    "我们不建议您去借网贷来还",
    "您不用担心,这跟派出所没关系",
    "ok i wont call you at work anymore",  # the recogniser dropped the apostrophe
    "we dont talk to your neighbors about accounts",
    "不用找朋友借钱来还,咱们按您的收入定个计划",
    "请不要去借网贷还这个,我们可以分期",
    "You don't have to take a loan out for this, we can do three payments.",
    "I'd recommend against borrowing from a payday lender to cover this.",
    "不用以贷还贷,按月分期就行",
    "千万别去套现,我们先把分期方案定下来",
    "欠款是民事纠纷,不会因为这个抓你坐牢。",  # no subject: a reassurance
    "你不会因为这个做牢的这是民事的事情",  # addressed to the debtor, asr 做牢
    "We won't say a word to your employer.",
    "既然已经过了诉讼时效,我们就不会拿起诉来吓唬您。",  # 就 between subject and negation
    "没人会过来抓你,这是民事的事",
    "请您别用信用卡套现来还我们,这样风险很大。",
    "I'm not saying you're a bad person, plenty of people fall behind.",
    "我们不会打给你家人,而是直接跟你本人沟通。",  # a lawful redirect stays a disclaimer
    "不用去拿信用卡套现还这个,咱们可以分期。",
    "no ones going to put you in jail over a phone bill",  # asr "no one's"
    "We're not a law firm, we're a collection agency working for the lender.",
    "千万别为了还我们的钱去套现,先按您能承受的金额来。",  # a purpose between warning and act
    "您不用为了凑这笔钱去找网贷平台借,我们可以先谈分期。",  # ninth session
]

THREATS = [
    # a denial that only "says": "not saying …, just saying …" (eighth session)
    "I'm not saying we're sending anybody. I'm only saying we know which car in the lot is yours.",
    "我没说要找你家里人,我只是提醒一下,你妈住哪我们是清楚的。",
    # doubt about the debtor is a jibe, a habit hints at the exception (ninth session)
    "I could walk you through the plan, but I'm not certain you'd keep up, so small words.",
    "This is the county's revenue office, and we don't normally call anyone twice.",
    "your a useless bum you know that nobody ever raised you right",  # "ever" is no modal
    "We'll be coming by tonight, and we won't be alone.",  # company announced
    "People say nobody can sue on a debt that old. Our attorneys disagree.",  # someone else's claim
    "Nobody can take you to court on something this old, sure, but a judge may see it otherwise.",
    "千万别为了面子不去借,赶紧找你哥借点还上。",  # "don't NOT borrow": a push
    "We won't stop calling until this is paid.",
    "I'm not joking, the sheriff will be at your door.",
    "If you don't pay today we'll tell your boss.",
    "If I don't hear back by five, your sister gets a call from me.",
    "You'd better hope nobody at your job finds out about this.",
    "nobody can help you now, we're taking the car",
    "I don't care how old the debt is, we'll sue.",
    "We will not hesitate to garnish your wages.",
    "我们不会放过你的",
    "再不还钱,我们就去你单位找你",
    "不会让你好过的,你等着",
    "你去借个网贷还我们不就行了",
    "诉讼时效对我们不适用,照样告你",
    "如果今天还不上,就通知你家里人",
    "I can't guarantee the police won't come knocking if this stays open.",
    "被抓走那天,别怪我没跟你说过",
    "Your card has room on it, so there's no reason this can't be paid today.",  # double negative
    "The card still has room, so there's no reason this isn't settled by tonight.",
    "Nice truck out front. I wouldn't get too attached to it.",  # the property is going
    # restraint for now, reluctance, less restraint: veiled threats, not denials
    "我这里有你老公的电话,我也不想让他跟着着急。",
    "你们领导那边会不会知道,我就不敢保证了。",
    "上次你同事接的电话,我没多说,下次就难说了。",
    "Your brother picked up yesterday. I haven't told him anything yet.",
    "Next time I might not be so polite with your boss.",
    "i really dont wanna have to call your wife about this",
    "Our investigator carries a badge, so please don't be alarmed when he knocks.",
    "I'm not in customer service, I handle the litigation files on accounts like yours.",
    "你不用找借口了,明天我们就去你单位",
    "晚上回家路上小心点,到时候别说我们没打过招呼",
    "Don't say I didn't warn you when the tow truck shows up.",
    "Grab a payday loan this afternoon so you don't have to deal with us again.",
    "Bad luck tends to find people who ignore the calls they don't like.",
    "进去以后可没人给你送饭",
    "I wouldn't bet on the age of this account keeping a judge away.",
    "Being old doesn't mean we can't get a judgment on it.",
    "时效过了并不等于我们没法起诉你",
    "你不会想去坐牢吧",
    "十几年前的老账了,这么多年一直没人催过你,但这次我们要打官司要回来。",  # a past, not a denial
    "这账在我们系统里躺了十多年了,一直没人碰,不过这回公司决定走诉讼。",
    "明天我们就去申请冻结你的工资卡,根本不需要什么判决。",
    # the law skipped is a threat, not advice
    "明天外访组就去把你那辆车开走,用不着走什么法律程序。",
    "我们没必要经过法院,直接上门拉货。",
    "你家的电动车和家电我们下午就去拉,不需要法院判决。",
    "您慢慢找,我不急,我们有的是人手,能在您家附近一直等下去。",
    "No need for any court, we'll come pick up the car ourselves.",
    "There's no need to go through a lawsuit; we'll simply take the equipment.",
    "I can have your paycheck garnished starting Monday, I don't need anybody's permission.",
    "We have your entire contact list, you know, every single number, and we're not shy.",
    "我们是有官方背景的,跟一般的催收公司不一样,你别不当回事。",
    "我们是区里牵头成立的清收专班,跟社会上那些讨债公司不是一回事。",
    "Your card still has a few thousand open on it. I'm not telling you what to do, of course.",
    "Your brother-in-law owes us for a car loan and we can't reach him, so tell him to call.",
    "Your pension plan lets you borrow against it. I didn't say do it; I'm just pointing it out.",
    "你那个信用卡额度还空着吧,我没让你刷啊,只是提个醒。",
    "我可不是让你去借,可你姐夫开着厂子,张个嘴的事。",
    "我不是说你是骗子,但是你说的话没一句能信",
    "I'm not saying you're a deadbeat, but you're doing a great impression of one.",
    "Maybe if you were a little smarter with money, we wouldn't be having this conversation, hmm?",
    "consider this your official court notice over the phone their is no need to wait for the mail",
    "You'll be served by our department directly. There's no need to wait for the court.",
    "I have your sister's number right here, but I'm hoping I won't need to use it for this.",
    "I'm not really hearing a reason you can't pay today.",
    "This is a federal office, I can't tell you which one on an open line.",
    "你公司那个群里的同事,我是不是该一个个加一下?",
    "No wonder your husband moved out, I'm not surprised at all.",  # a sneer
    "Your mom answers the house phone, right? Next time I won't ask for you.",
    "下回我不打你手机了,直接打到你们单位去问问。",  # not the debtor, someone else instead
    "有的平台不查征信也能放款,你自己琢磨琢磨。",  # other lenders, not the collector's side
    "我去你们小区业主群里问问,有没有人认识你。",  # an A-not-A question, not 没有人
    "I haven't spoken to your landlord. Yet.",  # restraint for now, the "yet" on its own
    # the role denied, then claimed
    "I'm not an attorney myself, but for all practical purposes this is the law firm calling.",
    "I wouldn't bet on the statute of limitations saving you.",  # doubt, not restraint
    "sure its old but i wouldnt get to comfortable",  # the recogniser's "to"
    "you still have a credit line open so i dont see the problem",
    "你拿法律条文来吓唬我们没用。",  # "no use": a boast
]


@pytest.mark.parametrize("text", DISCLAIMERS)
def test_a_disclaimer_is_recognised(text):
    assert disclaims(text), text


@pytest.mark.parametrize("text", THREATS)
def test_a_threat_with_a_negation_in_it_is_not_a_disclaimer(text):
    assert not disclaims(text), text


def test_shipped_pack_examples_are_never_disclaimers():
    """Every prohibited example the packs teach must stay a threat for this module."""
    packs = load_packs(None, ComplianceConfig().packs)
    examples = [
        str(t) for p in packs for r in p.rules if r.channel == "collector" and r.semantic
        for t, _ in r.phrases.texts()
    ]  # fmt: skip
    assert len(examples) > 300
    assert [t for t in examples if disclaims(t)] == []


def test_a_disclaimer_vetoes_patterns_but_profanity_stands():
    cfg = ComplianceConfig()
    guard = Guard(load_packs(None, cfg.packs), None, cfg)  # patterns only
    arrest, loan, swear, threat, debtor = guard.check(
        [("we are not going to have you arrested, that's not how this works", "collector"),
         ("以贷还贷只会越滚越大,我们不建议", "collector"),
         ("I'm not going to fucking wait all day", "collector"),
         ("if you don't pay we'll have you arrested", "collector"),
         ("we're not going to have you arrested", "debtor")]
    )  # fmt: skip
    assert arrest.hits == () and arrest.reason == "disclaimed"
    assert loan.hits == () and loan.reason == "disclaimed"
    assert swear.rule == "us.abusive_language"  # negation: keep_patterns
    assert threat.rule == "us.threat_arrest"
    assert debtor.reason != "disclaimed"  # only the collector's words are judged this way


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("negation: sometimes", "mine.yaml:8: 'negation' must be one of"),
        ("unless: ['(unclosed']", r"mine.yaml:\d+: pattern '\(unclosed' is not a valid"),
    ],
)
def test_negation_and_unless_keys_are_validated(tmp_path, line, error):
    from coach.compliance.config import ComplianceError

    body = (
        "pack: mine\nnote: Not legal advice.\nrules:\n  - id: xx.swear\n    basis: R1\n"
        f"    channel: collector\n    severity: stop\n    {line}\n"
        "    alert: {zh: 停, en: Stop}\n    patterns: ['darn']\n"
    )
    (tmp_path / "mine.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ComplianceError, match=error):
        load_packs(tmp_path, ("mine",))


def test_a_rules_unless_patterns_spare_its_own_examples():
    """``unless:`` rules an act out for one rule; it must never excuse what the rule teaches."""
    rules = [r for p in load_packs(None, ComplianceConfig().packs) for r in p.rules if r.unless]
    assert {r.id for r in rules} >= {"us.time_barred_suit", "us.debtor_has_lawyer"}
    assert [str(t) for r in rules for t, _ in r.phrases.texts() if r.excepted(str(t))] == []


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("us.time_barred_suit", "这笔还在诉讼时效内平台法务部门可能会依法起诉"),
        ("us.time_barred_suit", "This account is well within the statute of limitations."),
        ("us.debtor_has_lawyer", "我打算下周去法律援助中心咨询一下,今天先听听你们的方案。"),
        ("us.debtor_has_lawyer", "我表哥是律师,不过这事我没找他,我自己跟你们谈。"),
        ("us.debtor_has_lawyer", "I'm thinking about calling a lawyer about all this."),
        ("us.false_attorney_or_government", "Your account was referred to an outside law firm."),
        ("cn.impersonation", "您的案件已经委托给外部的律师事务所,他们会以书面形式联系您。"),
    ],
)
def test_unless_rules_the_act_out_for_that_rule(rule_id, text):
    packs = load_packs(None, ComplianceConfig().packs)
    rule = next(r for p in packs for r in p.rules if r.id == rule_id)
    assert rule.excepted(text)
    assert not rule.excepted("过没过时效不重要,我们照样起诉你")


def test_an_excepted_rule_does_not_fire_on_its_pattern():
    cfg = ComplianceConfig()
    guard = Guard(load_packs(None, cfg.packs), None, cfg)  # patterns only
    plain, referred = guard.check(
        [
            ("This is Detective Brown calling about your account.", "collector"),
            ("i am detective brown and your file was referred to an outside law firm", "collector"),
        ]
    )
    assert "us.false_attorney_or_government" in {h.rule for h in plain.hits}
    assert "us.false_attorney_or_government" not in {h.rule for h in referred.hits}
