"""The overlay: a small always-on-top window that draws the board's frame (see coach.board).

Window (design.md, "Overlay facts"): frameless, translucent, always on top, a tool window (not
in the taskbar) that never takes focus, so the softphone keeps the keyboard. Click-through is
``WindowTransparentForInput``, which Qt reads when the window is shown, so toggling re-shows it.
Because the window never has focus, its hotkeys are global (pynput); where they cannot be
registered (Wayland, no X) the status line says so and the window still works.

Threads: the pipeline calls :meth:`OverlaySink.emit` from its dispatch thread; that only emits a
queued Qt signal, so the pipeline never waits for painting. The window repaints when an event
arrives and otherwise sleeps until the board's next change (a countdown second, a fade step), so
an idle call costs no timer ticks at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QPoint, QSettings, QSocketNotifier, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from coach.board import Board, Frame
from coach.config import OverlayConfig
from coach.events import Event

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKGROUND = {
    None: QColor(32, 36, 44),
    "card": QColor(24, 48, 72),
    "cue": QColor(72, 56, 16),
    "alert": QColor(150, 20, 24),
}
STATUS_COLOUR = {"ok": "#8fd18f", "loading": "#c8c8c8", "warn": "#f0c050", "error": "#ff7070"}
# CJK-capable families first (Debian's fonts-noto-cjk; the usual Windows and macOS ones)
FONT_FAMILIES = ["Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Noto Sans", "Sans Serif"]


def display_available() -> bool:
    """Whether a window can be shown: a desktop session, not CI or SSH without X forwarding."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return False
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def application() -> QApplication:
    """The process's QApplication. Under Wayland, XWayland (xcb) when it is there: Wayland gives
    ordinary windows no always-on-top."""
    if (
        os.environ.get("WAYLAND_DISPLAY")
        and os.environ.get("DISPLAY")
        and "QT_QPA_PLATFORM" not in os.environ
    ):
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    return app  # type: ignore[return-value]


class OverlayWindow(QWidget):
    """Draws one frame: status line, title, the rebuttal (large), follow-up, cue and countdown."""

    painted = Signal(float)  # perf_counter() when a paint finished (the overlay benchmark)

    def __init__(
        self,
        config: OverlayConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self.config = config or OverlayConfig()
        self.board = Board(self.config.board)
        self.clock = clock
        self.frame = Frame()
        self.click_through = self.config.click_through
        self.on_dismiss: Callable[[object], None] | None = None  # told what the collector took down
        self.on_request: Callable[[str], None] | None = None  # the call, asked for e.g. the recap
        self._settings = settings or QSettings("coach", "overlay")
        self._drag: QPoint | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)

        self.setWindowTitle("coach")
        self._apply_flags()
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFixedWidth(self.config.width)

        scale = self.config.font_scale
        self.status = self._label(9 * scale)
        self.title = self._label(11 * scale, bold=True)
        self.body = self._label(17 * scale, bold=True)
        self.follow_up = self._label(12 * scale)
        self.cue = self._label(12 * scale)
        self.countdown = self._label(30 * scale, bold=True)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (self.cue, self.countdown):
            label.setStyleSheet("color: #f0c050;")  # delivery prompts in amber
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 12)
        layout.setSpacing(4)
        for label in (self.status, self.title, self.body, self.follow_up, self.cue, self.countdown):
            layout.addWidget(label)
        self.refresh()
        self._place()

    # --- what is shown -------------------------------------------------------------------------

    def push(self, event: Event) -> None:
        if self.board.push(event, self.clock()):
            self.refresh()

    def dismiss(self) -> None:
        gone = self.board.dismiss(self.clock())
        self.refresh()
        if gone is not None and self.on_dismiss is not None:
            try:
                self.on_dismiss(gone)
            except Exception:  # noqa: BLE001 - a failed note must not break the window
                log.exception("dismissal not recorded")

    def request(self, action: str) -> None:
        """Ask the call for something (``"recap"``: the checklist before hanging up)."""
        if self.on_request is None:  # a preview or a screen attached to the feed: no call here
            return
        try:
            self.on_request(action)
        except Exception:  # noqa: BLE001 - a failed request must not break the window
            log.exception("request %r not passed on", action)

    def pin(self) -> None:
        self.board.pin(self.clock())
        self.refresh()

    def recall(self) -> None:
        self.board.recall(self.clock())
        self.refresh()

    def refresh(self) -> None:
        now = self.clock()
        frame = self.board.frame(now)
        if frame != self.frame:
            self._show_frame(frame)
        wake = self.board.next_change(now)
        if wake is None:
            self._timer.stop()
        else:
            self._timer.start(max(1, round((wake - now) * 1000)))

    def _show_frame(self, frame: Frame) -> None:
        self.frame = frame
        colour = STATUS_COLOUR.get(frame.status_level, "#c8c8c8")
        self.status.setText(f"● {frame.status}" + (" · pinned" if frame.pinned else ""))
        self.status.setStyleSheet(f"color: {colour};")
        title = frame.title
        if frame.kind == "alert":
            title = ("STOP" if frame.severity == "stop" else "CAREFUL") + f" · {frame.title}"
        for label, text in (
            (self.title, title),
            (self.body, frame.body),
            (self.follow_up, frame.follow_up),
            (self.cue, frame.cue_text),
            (self.countdown, str(frame.countdown) if frame.countdown else ""),
        ):
            label.setText(text)
            label.setVisible(bool(text))
        self.setWindowOpacity(self.config.opacity * (frame.opacity if frame.kind else 1.0))
        # wrapped labels need their height for the fixed width (adjustSize() clips them)
        layout = self.layout()
        layout.activate()
        self.setFixedHeight(layout.totalHeightForWidth(self.width()))
        self.update()

    # --- window --------------------------------------------------------------------------------

    def set_click_through(self, on: bool) -> None:
        self.click_through = on
        self._apply_flags()
        self.show()  # the flag is read when the window is shown

    def toggle_click_through(self) -> None:
        self.set_click_through(not self.click_through)

    def _apply_flags(self) -> None:
        flags = (
            Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.Tool
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        if self.click_through:
            flags |= Qt.WindowType.WindowTransparentForInput
        self.setWindowFlags(flags)

    def _place(self) -> None:
        """Where the user last dragged it, or the top right corner of the primary screen."""
        saved = self._settings.value("pos")
        screen = QGuiApplication.primaryScreen()
        if isinstance(saved, QPoint):
            self.move(saved)
        elif screen is not None:
            area = screen.availableGeometry()
            self.move(area.right() - self.width() - 24, area.top() + 24)

    def _label(self, points: float, bold: bool = False) -> QLabel:
        label = QLabel(self)
        font = QFont()
        font.setFamilies(FONT_FAMILIES)
        font.setPointSizeF(points)
        font.setBold(bold)
        label.setFont(font)
        label.setWordWrap(True)
        label.setStyleSheet("color: white;")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        return label

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BACKGROUND.get(self.frame.kind, BACKGROUND[None]))
        painter.drawRoundedRect(self.rect(), 12, 12)
        painter.end()
        self.painted.emit(time.perf_counter())

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.globalPosition().toPoint() - self.frameGeometry().topLeft()

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._drag is not None:
            self.move(event.globalPosition().toPoint() - self._drag)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if self._drag is not None:
            self._drag = None
            self._settings.setValue("pos", self.pos())

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802
        self.dismiss()


class OverlaySink(QObject):
    """The pipeline's side of the overlay: ``emit`` from any thread, drawn on the GUI thread."""

    arrived = Signal(object)

    def __init__(self, window: OverlayWindow) -> None:
        super().__init__()
        self.arrived.connect(window.push, Qt.ConnectionType.QueuedConnection)

    def emit(self, event: Event) -> None:  # type: ignore[override]
        self.arrived.emit(event)

    def close(self) -> None:
        pass


class _Actions(QObject):
    """Hotkey presses (on pynput's thread) handed to the GUI thread."""

    fired = Signal(str)


def start_hotkeys(window: OverlayWindow) -> Callable[[], None]:
    """Global hotkeys for dismiss / pin / recall / click-through / recap; returns their stop
    function.

    A failure to register them is a status-line warning, never fatal."""
    from coach.events import CALL, Status

    actions = _Actions(window)
    handlers = {
        "dismiss": window.dismiss,
        "pin": window.pin,
        "recall": window.recall,
        "click_through": window.toggle_click_through,
        "recap": lambda: window.request("recap"),
    }
    actions.fired.connect(lambda name: handlers[name](), Qt.ConnectionType.QueuedConnection)
    try:
        from pynput import keyboard

        listener = keyboard.GlobalHotKeys(
            {
                combo: (lambda name=name: actions.fired.emit(name))
                for name, combo in window.config.hotkeys.items()
                if name in handlers and combo
            }
        )
        listener.daemon = True
        listener.start()
    except Exception as err:  # noqa: BLE001 - pynput raises backend-specific errors
        detail = f"hotkeys unavailable ({str(err).splitlines()[0] if str(err) else err!r})"
        window.push(Status(channel=CALL, t=0.0, state="warning", detail=detail))
        return lambda: None
    return listener.stop


def _quit_on_sigint(app: QApplication) -> Callable[[], bool]:
    """Ctrl-C quits the Qt loop. Python runs signal handlers only between bytecodes, never inside
    Qt's C loop, so the signal is routed through a socket Qt watches (no polling timer)."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    hit: list[bool] = []

    def on_signal(*_: Any) -> None:
        hit.append(True)
        app.quit()

    signal.signal(signal.SIGINT, on_signal)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(lambda *_: reader.recv(64))
    app._coach_wakeup = (reader, writer, notifier)  # type: ignore[attr-defined]  # keep alive
    return lambda: bool(hit)


def save_screenshot(app: QApplication, path: Any) -> None:
    """The whole primary screen as PNG: what the user sees, the overlay on top of it."""
    screen = app.primaryScreen()
    if screen is None or not screen.grabWindow(0).save(str(path)):
        raise OSError(f"{path}: could not save the screenshot")


def with_overlay(
    config: OverlayConfig,
    work: Callable[[list], T],
    linger_s: float | None = None,
    on_done: Callable[[QApplication], None] | None = None,
    on_dismiss: Callable[[object], None] | None = None,
    on_request: Callable[[str], None] | None = None,
) -> T:
    """Run ``work(sinks)`` (a call) on a worker thread while the overlay runs on this one.

    Qt must own the main thread; the call's result or error is handed back here once the
    window has closed (``linger_s`` after the call, so the last card can still be read)."""
    app = application()
    window = OverlayWindow(config)
    window.on_dismiss = on_dismiss
    window.on_request = on_request
    sink = OverlaySink(window)
    window.show()
    stop_hotkeys = start_hotkeys(window)
    outcome: dict[str, Any] = {}

    class _Done(QObject):
        finished = Signal()

    def finish() -> None:
        try:
            if on_done is not None:
                on_done(app)
        except Exception as err:  # noqa: BLE001 - reported after the loop
            outcome.setdefault("error", err)
        app.quit()

    linger = config.linger_s if linger_s is None else linger_s
    done = _Done()
    done.finished.connect(
        lambda: QTimer.singleShot(round(linger * 1000), finish),
        Qt.ConnectionType.QueuedConnection,
    )

    def run() -> None:
        try:
            outcome["result"] = work([sink])
        except BaseException as err:  # noqa: BLE001 - re-raised on the main thread
            outcome["error"] = err
        # after Ctrl-C the loop and its objects may be gone before the call thread ends
        with contextlib.suppress(RuntimeError):
            done.finished.emit()

    threading.Thread(target=run, name="call", daemon=True).start()
    interrupted = _quit_on_sigint(app)
    try:
        app.exec()
    finally:
        stop_hotkeys()
        window.close()
    if interrupted():
        raise KeyboardInterrupt
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
