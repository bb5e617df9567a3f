"""The overlay window, offscreen (QT_QPA_PLATFORM=offscreen): events in, what it shows out."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QFontMetrics  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from coach import overlay  # noqa: E402
from coach.config import OverlayConfig  # noqa: E402
from coach.events import CALL, Alert, Card, Cue, Status  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

ZH_CARD = Card(
    channel="debtor",
    t=20.0,
    utterance_id="d0002",
    start=18.0,
    end=19.5,
    lang="zh",
    text="我现在手头有点紧",
    category="cash_flow",
    title="手头紧",
    score=0.93,
    rebuttal="理解您的难处。今天先还一部分,剩下的我们帮您做分期,您看今天能先还多少?",
    follow_up="您每个月什么时候发工资?",
    cue="pause_count_five",
    cue_text="停顿——心里数到五,让对方先开口",
    countdown_s=5.0,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def app():
    return overlay.application()


@pytest.fixture
def window(app, tmp_path):
    clock = Clock()
    settings = QSettings(str(tmp_path / "overlay.ini"), QSettings.Format.IniFormat)
    w = overlay.OverlayWindow(OverlayConfig(), clock=clock, settings=settings)
    w.clock_ = clock
    w.show()
    yield w
    w.close()


def wait_until(app, check, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if check():
            return True
        time.sleep(0.01)
    return False


def shown(w) -> dict:
    labels = ("status", "title", "body", "follow_up", "cue", "countdown")
    return {n: getattr(w, n).text() for n in labels if getattr(w, n).isVisibleTo(w)}


def test_window_flags_never_take_focus_and_click_through_toggles(window):
    flags = window.windowFlags()
    for flag in (
        Qt.WindowType.FramelessWindowHint,
        Qt.WindowType.WindowStaysOnTopHint,
        Qt.WindowType.Tool,
        Qt.WindowType.WindowDoesNotAcceptFocus,
    ):
        assert flags & flag
    assert not flags & Qt.WindowType.WindowTransparentForInput
    assert window.testAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    window.toggle_click_through()
    assert window.windowFlags() & Qt.WindowType.WindowTransparentForInput
    assert window.isVisible()
    window.toggle_click_through()
    assert not window.windowFlags() & Qt.WindowType.WindowTransparentForInput


def test_a_card_from_the_pipeline_thread_shows_with_its_countdown(app, window):
    sink = overlay.OverlaySink(window)
    threading.Thread(target=sink.emit, args=(ZH_CARD,)).start()
    assert wait_until(app, lambda: window.body.text() == ZH_CARD.rebuttal)
    assert shown(window) == {
        "status": "● starting…",
        "title": "手头紧",
        "body": ZH_CARD.rebuttal,
        "follow_up": "您每个月什么时候发工资?",
        "cue": "停顿——心里数到五,让对方先开口",
        "countdown": "5",
    }
    window.clock_.now += 2.2
    window.refresh()
    assert window.countdown.text() == "3"
    window.clock_.now += 3.0
    window.refresh()
    assert "countdown" not in shown(window)
    window.clock_.now += 30
    window.refresh()
    assert set(shown(window)) == {"status"}  # timed out: only the status line


def test_priority_and_hotkey_actions(window):
    window.push(Status(channel="collector", t=0, state="listening"))
    window.push(Status(channel="debtor", t=0, state="lost", detail="unplugged"))
    assert window.status.text() == "● collector listening · debtor lost"
    window.push(Cue(channel="collector", t=1, cue="slow_down", text="Slow down", lang="en"))
    assert window.body.text() == "Slow down"
    window.push(ZH_CARD)
    assert window.title.text() == "手头紧"
    window.push(
        Alert(
            channel="collector",
            t=2,
            rule="cn.impersonation",
            severity="stop",
            text="不得冒充法院、公安或律师",
            lang="zh",
        )
    )
    assert shown(window)["title"] == "STOP · cn.impersonation"
    assert window.frame.kind == "alert"
    dismissed: list = []
    window.on_dismiss = dismissed.append  # the call's recorder flags a dismissed card
    window.dismiss()
    assert set(shown(window)) == {"status"}
    assert [type(d).__name__ for d in dismissed] == ["Alert"]
    window.recall()
    assert window.body.text() == ZH_CARD.rebuttal
    window.pin()
    window.clock_.now += 120
    window.refresh()
    assert window.body.text() == ZH_CARD.rebuttal and window.status.text().endswith("· pinned")
    window.dismiss()
    assert dismissed[-1] is ZH_CARD


def test_the_real_timer_runs_the_countdown_and_idles_when_nothing_moves(app, tmp_path):
    settings = QSettings(str(tmp_path / "o.ini"), QSettings.Format.IniFormat)
    w = overlay.OverlayWindow(OverlayConfig(), settings=settings)  # the real clock
    w.show()
    assert not w._timer.isActive()  # nothing shown: no timer at all
    w.push(ZH_CARD)
    assert w.countdown.text() == "5"
    assert wait_until(app, lambda: w.countdown.text() == "4", timeout=2.0)
    w.close()


def test_position_is_remembered(app, tmp_path):
    settings = QSettings(str(tmp_path / "pos.ini"), QSettings.Format.IniFormat)
    w = overlay.OverlayWindow(OverlayConfig(), settings=settings)
    w.show()
    start = w.pos()
    QTest.mousePress(w, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    QTest.mouseMove(w, QPoint(-90, 50))
    QTest.mouseRelease(w, Qt.MouseButton.LeftButton, pos=QPoint(-90, 50))
    moved = w.pos()
    assert moved != start
    w.close()
    settings.sync()
    again = overlay.OverlayWindow(OverlayConfig(), settings=settings)
    assert again.pos() == moved
    again.close()


def test_chinese_text_has_glyphs_in_the_chosen_font(window):
    window.push(ZH_CARD)
    for label in (window.status, window.title, window.body, window.follow_up, window.cue):
        metrics = QFontMetrics(label.font())
        missing = [ch for ch in label.text() if not metrics.inFontUcs4(ord(ch))]
        assert missing == [], (label.font().family(), missing)
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    assert window.grab().save(str(artifacts / "overlay-offscreen-zh.png"))


def test_display_detection(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert overlay.display_available() is (sys.platform in ("win32", "darwin"))
    monkeypatch.setenv("DISPLAY", ":0")
    assert overlay.display_available()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not overlay.display_available()


def test_status_events_on_the_call_channel(window):
    window.push(Status(channel=CALL, t=0, state="loading", detail="loading Whisper"))
    assert window.status.text() == "● loading Whisper…"
