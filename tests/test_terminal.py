"""The terminal fallback shows the same cues as the overlay (a captured console)."""

from __future__ import annotations

from rich.console import Console

from coach.events import CALL, Alert, CallStarted, Cue, Status
from coach.sinks import TerminalView
from tests.test_overlay import ZH_CARD


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


SLOW_DOWN = Cue(
    channel="collector",
    t=1,
    cue="slow_down",
    text="放慢语速,一字一句说清楚",
    lang="zh",
    detail="6.3 字/秒",
)
ARREST = Alert(
    channel="collector",
    t=3,
    rule="cn.impersonation",
    severity="stop",
    text="不得冒充法院、公安或律师",
    lang="zh",
    basis="催收工作指引",
)


def test_log_mode_prints_what_the_overlay_shows_by_priority():
    console = Console(record=True, width=120, force_terminal=False)
    clock = Clock()
    view = TerminalView(console, clock=clock)
    view.emit(CallStarted(channel=CALL, t=0, call_id="c1", source="live", started_at=""))
    view.emit(SLOW_DOWN)
    clock.now = 1.0
    view.emit(ZH_CARD)
    clock.now = 2.0
    view.emit(SLOW_DOWN)  # lower priority than the card on screen: not shown
    clock.now = 3.0
    view.emit(ARREST)
    view.emit(Status(channel="debtor", t=4, state="lost", detail="unplugged"))
    out = console.export_text()
    assert "◆ 放慢语速,一字一句说清楚  (6.3 字/秒)" in out
    assert out.count("放慢语速") == 1
    assert "▶ 手头紧 [cash_flow 0.93]" in out
    assert "say: " + ZH_CARD.rebuttal in out
    assert "ask: 您每个月什么时候发工资?" in out
    assert "⏸ 停顿——心里数到五,让对方先开口  5" in out
    assert "■ STOP · cn.impersonation  催收工作指引" in out
    assert "不得冒充法院、公安或律师" in out
    assert "! debtor: lost unplugged" in out


def test_live_mode_draws_the_current_cue_and_status_line():
    console = Console(record=True, width=120, force_terminal=True)
    clock = Clock()
    view = TerminalView(console, clock=clock)
    try:
        view.emit(Status(channel="collector", t=0, state="listening"))
        view.emit(Status(channel="debtor", t=0, state="silent"))
        view.emit(ZH_CARD)
        clock.now = 2.5
        probe = Console(record=True, width=120)
        probe.print(view)
        screen = probe.export_text()
        assert ZH_CARD.rebuttal[:10] in screen
        assert "停顿——心里数到五,让对方先开口  3" in screen  # the countdown moved on
        assert "● collector listening · debtor silent" in screen
    finally:
        view.close()
