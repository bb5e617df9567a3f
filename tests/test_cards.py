"""The card stage, pushed events in with a scripted matcher: no flicker, no retraction, reload."""

from __future__ import annotations

from coach import phrasebank as pb
from coach.cards import CardStage, PhrasebankWatcher
from coach.events import Card, Partial, Status, Unmatched, Utterance
from coach.matcher import Decision, MatcherConfig
from tests.test_phrasebank import make_book


class ScriptedMatcher:
    """Answers from a table: text -> (category or None, score)."""

    def __init__(self, table: dict[str, tuple[str | None, float]]) -> None:
        self.table = table
        self.cfg = MatcherConfig()
        self.calls: list[str] = []

    def decide(self, texts, langs=None):
        out = []
        for text, lang in zip(texts, langs or [None] * len(texts), strict=True):
            self.calls.append(text)
            cid, score = self.table.get(text, (None, 0.1))
            out.append(
                Decision(text, lang or "en", cid, score, cid, 0.8, "matched" if cid else "neutral")
            )
        return out

    def card_texts(self, decision):
        return {
            "title": decision.category,
            "rebuttal": f"answer {decision.category}",
            "follow_up": "when?",
            "cue": "pause",
            "cue_text": "Pause",
            "countdown_s": 5.0,
        }


def partial(stable: str, t: float, uid: str = "debtor-1", channel: str = "debtor") -> Partial:
    return Partial(
        channel=channel,
        t=t,
        utterance_id=uid,
        start=1.0,
        end=t,
        lang="en",
        text=stable + " …",
        stable=stable,
    )


def final(text: str, t: float, uid: str = "debtor-1", channel: str = "debtor") -> Utterance:
    return Utterance(
        channel=channel, t=t, utterance_id=uid, start=1.0, end=t - 0.5, lang="en", text=text
    )


def cards(stage: CardStage, events) -> list[Card]:
    return [out for ev in events for out in stage.handle(ev) if isinstance(out, Card)]


def test_a_final_excuse_raises_one_card_with_the_utterance_times():
    m = ScriptedMatcher({"the check is in the mail": ("check_in_mail", 0.9)})
    [card] = cards(CardStage(lambda: m), [final("the check is in the mail", 5.0)])
    assert (card.category, card.final, card.start, card.end, card.t) == (
        "check_in_mail",
        True,
        1.0,
        4.5,
        5.0,
    )
    assert card.rebuttal == "answer check_in_mail" and card.countdown_s == 5.0


def test_partials_need_two_agreeing_decisions_and_the_final_does_not_repeat_the_card():
    m = ScriptedMatcher(
        {
            "I lost": ("job_loss", 0.6),
            "I lost my job": ("job_loss", 0.8),
            "I lost my job last week": ("job_loss", 0.9),
        }
    )
    stage = CardStage(lambda: m)
    assert cards(stage, [partial("I lost", 2.0)]) == []
    [card] = cards(stage, [partial("I lost my job", 2.5)])
    assert card.final is False and card.category == "job_loss"
    assert cards(stage, [partial("I lost my job last week", 3.0)]) == []
    assert cards(stage, [final("I lost my job last week", 4.0)]) == []


def test_a_flickering_partial_raises_nothing():
    m = ScriptedMatcher(
        {"a": ("cash_flow", 0.7), "a b": ("job_loss", 0.7), "a b c": ("cash_flow", 0.7)}
    )
    m.cfg = MatcherConfig(partial_min_chars=1)
    stage = CardStage(lambda: m)
    assert cards(stage, [partial("a", 1.5), partial("a b", 2.0), partial("a b c", 2.5)]) == []


def test_a_card_is_not_retracted_and_only_a_clearly_stronger_one_replaces_it():
    m = ScriptedMatcher(
        {
            "busy now": ("too_busy", 0.7),
            "busy now ok": ("too_busy", 0.7),
            "busy now ok fine": (None, 0.2),
            "busy now ok, call my lawyer": ("lawyer_or_bankruptcy", 0.95),
            "weak": ("cash_flow", 0.75),
        }
    )
    stage = CardStage(lambda: m)
    [shown] = cards(stage, [partial("busy now", 1.5), partial("busy now ok", 2.0)])
    assert cards(stage, [partial("busy now ok fine", 2.5)]) == []  # "none" does not retract
    [replacing] = cards(stage, [final("busy now ok, call my lawyer", 4.0)])
    assert replacing.replaces == "too_busy" and replacing.category == "lawyer_or_bankruptcy"
    # a weaker different category does not replace
    stage = CardStage(lambda: m)
    cards(stage, [partial("busy now", 1.5), partial("busy now ok", 2.0)])
    assert cards(stage, [final("weak", 3.0)]) == []


def test_collector_speech_and_short_partials_are_not_matched():
    m = ScriptedMatcher({"I'm broke": ("cash_flow", 0.9)})
    stage = CardStage(lambda: m)
    assert cards(stage, [final("I'm broke", 3.0, uid="collector-1", channel="collector")]) == []
    assert cards(stage, [partial("I'm", 1.2)]) == [] and m.calls == []


def test_paced_cards_count_matching_time(monkeypatch):
    m = ScriptedMatcher({"no money": ("cash_flow", 0.9)})
    clock = iter([10.0, 10.25])
    monkeypatch.setattr("coach.cards.time.perf_counter", lambda: next(clock))
    [card] = cards(CardStage(lambda: m, paced=True), [final("no money", 5.0)])
    assert card.t == 5.25


def test_watcher_swaps_on_a_valid_edit_and_keeps_the_last_good_one_on_a_bad_one(tmp_path):
    root = make_book(tmp_path)
    built: list[pb.Phrasebank] = []
    notes: list[tuple[str, str]] = []

    def build(book):
        built.append(book)
        return f"matcher-{len(built)}"

    watcher = PhrasebankWatcher(root, build, "matcher-0", lambda s, d: notes.append((s, d)))  # type: ignore[arg-type]
    assert watcher.check() is False  # nothing changed
    path = root / "excuses" / "job_loss.yaml"
    path.write_text(path.read_text().replace("english example", "english sentence"))
    assert watcher.check() is True and watcher.current == "matcher-1"
    path.write_text("id: job_loss\nexamples: [oops\n")
    assert watcher.check() is False and watcher.current == "matcher-1"
    state, detail = notes[-1]
    assert state == "warning" and "job_loss.yaml:3" in detail and "last good" in detail
    # labelled eval sets are not part of the phrasebank: adding one does not reload
    (root / "eval").mkdir()
    (root / "eval" / "extra.yaml").write_text("a: 1\n")
    assert watcher.check() is False and len(built) == 1


def test_reloader_notices_become_status_events():
    m = ScriptedMatcher({})
    stage = CardStage(lambda: m)
    stage.notify("warning", "phrasebank edit refused")
    [status] = stage.handle(partial("x", 3.0, channel="collector"))
    assert isinstance(status, Status) and status.t == 3.0 and status.state == "warning"


class NearMissMatcher(ScriptedMatcher):
    """Rejects everything; its best excuse scores as the table says."""

    def decide(self, texts, langs=None):
        return [
            Decision(t, "en", None, self.table[t][1], "already_paid", 0.7, "low score")
            for t in texts
        ]


def test_a_rejected_excuse_like_utterance_is_reported_unmatched():
    matcher = NearMissMatcher({"I sent something": (None, 0.5), "okay": (None, 0.2)})
    stage = CardStage(lambda: matcher)
    (miss,) = stage.handle(final("I sent something", 3.0))
    assert isinstance(miss, Unmatched)
    assert (miss.best, miss.score, miss.reason) == ("already_paid", 0.5, "low score")
    assert list(stage.handle(final("okay", 5.0, uid="debtor-2"))) == []  # under near_miss
