from hypothesis import given
from hypothesis import strategies as st

from coach.stability import HypothesisBuffer, join, tokenize


def test_tokenize_mixed_scripts():
    assert tokenize("我现在OK, really.") == ["我", "现", "在", "OK,", "really."]
    assert join(tokenize("我现在OK, really.")) == "我现在OK, really."
    assert join(["对", "，", "我", "是", "。"]) == "对，我是。"


def test_agreement_commits_and_commits_only_grow():
    buf = HypothesisBuffer()
    assert buf.update("the check") == ("", "the check")
    assert buf.update("the check is in") == ("the check", "the check is in")
    stable, text = buf.update("the cheque is in the mail")  # disagrees with what is committed
    assert stable == "the check" and text == "the check"
    stable, _ = buf.update("the check is in the mail")
    assert stable == "the check"  # no two consecutive hypotheses agree beyond it yet
    stable, text = buf.update("the check is in the mail.")
    assert stable == "the check is in the mail."  # "mail" and "mail." agree: punctuation aside
    assert text.startswith(stable)


def test_committed_punctuation_is_not_rewritten():
    buf = HypothesisBuffer()
    buf.update("我理解您。你")
    assert buf.update("我理解您。你今天")[0] == "我理解您。你"
    stable, text = buf.update("我理解您,你今天能不能")  # same words, other punctuation
    assert stable == "我理解您。你今天" and text == "我理解您。你今天能不能"


def test_chinese_characters_commit_one_by_one():
    buf = HypothesisBuffer()
    buf.update("我现在手头")
    stable, text = buf.update("我现在手头有点紧")
    assert stable == "我现在手头"
    assert text == "我现在手头有点紧"


@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b", "b.", "我", "是", "。", "，"]), max_size=8), max_size=12
    )
)
def test_committed_text_never_changes(hypotheses):
    buf = HypothesisBuffer()
    committed: list[str] = []
    for hyp in hypotheses:
        buf.update(" ".join(hyp))
        assert buf.committed[: len(committed)] == committed
        committed = list(buf.committed)
