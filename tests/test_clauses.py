"""Which clauses of a long reply the matcher reads alone (coach.clauses), without models."""

from coach.clauses import MAX_CLAUSES, after_last_contrast, clauses, size


def test_size_counts_chinese_characters_and_english_words():
    assert size("我上个月被裁员了, ok", "zh") == 8
    assert size("I got laid off in March", "en") == 6


def test_a_reply_is_cut_at_its_punctuation_and_pieces_pair_up():
    text = "喂你好，是我本人，我上个月被公司裁员了，一直没找到工作，你们能不能等等"
    found = clauses(text, "zh")
    assert "我上个月被公司裁员了" in found
    assert "我上个月被公司裁员了，一直没找到工作" in found  # an excuse often spans two pieces
    assert "是我本人" not in found  # too short to carry an excuse alone
    assert text not in found  # the whole reply is matched already


def test_only_what_follows_the_last_contrast_is_read():
    text = "I got laid off in January and it was rough, but I'm working again, what's the total"
    assert after_last_contrast(text) == " I'm working again, what's the total"
    assert not [c for c in clauses(text, "en") if "laid off" in c]
    zh = "我去年确实失业过一段时间,不过已经在新公司上班半年了,收入也稳定了"
    assert not [c for c in clauses(zh, "zh") if "失业" in c]


def test_not_only_and_if_only_are_no_contrast():
    text = "我不但丢了工作,老婆也住院了,这个月真的拿不出钱"
    assert after_last_contrast(text) == text
    assert after_last_contrast("但愿下个月能好点") == "但愿下个月能好点"
    assert after_last_contrast("我失业过,但已经上班了") == "已经上班了"


def test_an_unpunctuated_transcript_is_read_in_short_windows():
    text = "yeah hi so basically the thing is i got laid off last month and money is really tight"
    found = clauses(text, "en")
    assert found and all(size(c, "en") <= 10 for c in found)
    assert any("laid off" in c for c in found)


def test_a_rambling_reply_costs_at_most_max_clauses():
    text = "，".join(f"第{i}件事情我要说一下" for i in range(40))
    found = clauses(text, "zh")
    assert len(found) == MAX_CLAUSES
    assert found[0].startswith("第39件")  # the latest first: a reply tends to end on its point
