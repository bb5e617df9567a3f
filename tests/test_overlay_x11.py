"""The overlay as a real X11 window on Xvfb, with screenshots saved to look at (artifacts/)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import soundfile as sf
from PySide6.QtGui import QImage

from tests.conftest import ROOT, SAMPLE


def _need_xdotool() -> None:
    if not shutil.which("xdotool"):
        if os.environ.get("CI"):
            pytest.fail("CI installs xdotool (scripts/setup.sh)")
        pytest.skip("xdotool is not installed")


@pytest.fixture(scope="module")
def xvfb(tmp_path_factory):
    if not shutil.which("Xvfb"):
        if os.environ.get("CI"):
            pytest.fail("CI installs xvfb (scripts/setup.sh)")
        pytest.skip("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    yield {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),  # no remembered position
    }
    server.terminate()
    server.wait(10)


@pytest.mark.parametrize(("lang", "words"), [("zh", "手头紧"), ("en", "Check is in the mail")])
def test_a_card_on_a_real_window(xvfb, lang, words):
    shot = ROOT / "artifacts" / f"overlay-x11-{lang}.png"
    shot.parent.mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "coach", "overlay", "--preview", lang, "--screenshot", str(shot)],
        env=xvfb,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)
    # the desktop is black; the overlay sits in the top right corner, the rest stays black
    assert image.pixelColor(1280 - 24 - 230, 24 + 8).value() > 20  # inside the window
    assert image.pixelColor(100, 700).value() == 0  # outside it
    # the text is drawn: many distinct grey levels (glyph edges), not a flat box
    tones = {image.pixelColor(x, y).value() for x in range(800, 1250, 3) for y in range(30, 200, 3)}
    assert len(tones) > 30, (words, len(tones))


def _geometry(env, window: str) -> tuple[int, int]:
    out = subprocess.run(
        ["xdotool", "getwindowgeometry", window], env=env, capture_output=True, text=True
    ).stdout
    size = out.split("Geometry:")[1].split()[0]
    w, h = size.split("x")
    return int(w), int(h)


def test_global_hotkeys_and_ctrl_c(xvfb):
    """Hotkeys reach the overlay although it never has the focus; Ctrl-C ends it cleanly."""
    _need_xdotool()
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "overlay", "--preview", "en"],
        env=xvfb,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        window = ""
        for _ in range(100):
            found = subprocess.run(
                ["xdotool", "search", "--name", "^coach$"], env=xvfb, capture_output=True, text=True
            )
            window = found.stdout.split()[0] if found.stdout.split() else ""
            if window and _geometry(xvfb, window)[1] > 150:
                break
            time.sleep(0.1)
        else:
            pytest.fail(
                f"no overlay window with a card: {proc.stderr.read() if proc.poll() else ''}"
            )
        _, with_card = _geometry(xvfb, window)
        time.sleep(0.5)  # the hotkey listener starts after the window
        subprocess.run(["xdotool", "key", "ctrl+alt+d"], env=xvfb, check=True)
        for _ in range(50):
            if _geometry(xvfb, window)[1] < with_card / 2:
                break
            time.sleep(0.1)
        assert _geometry(xvfb, window)[1] < with_card / 2, "dismiss hotkey did not clear the card"
        subprocess.run(["xdotool", "key", "ctrl+alt+r"], env=xvfb, check=True)
        for _ in range(50):
            if _geometry(xvfb, window)[1] == with_card:
                break
            time.sleep(0.1)
        assert _geometry(xvfb, window)[1] == with_card, "recall hotkey did not bring it back"
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr


@pytest.mark.models
def test_the_recap_hotkey_reaches_a_running_call(xvfb, whisper_path, embedding_path, tmp_path):
    """Ctrl+Alt+E on the overlay of a real replay (Whisper, the matcher, the delivery stages):
    the call takes the request in at its current time and answers with the recap checklist."""
    _need_xdotool()
    audio, rate = sf.read(SAMPLE, dtype="float32")
    clip = tmp_path / "first-turns.wav"
    sf.write(clip, audio[: rate * 9], rate)  # the first turns, paced by the clock
    events = tmp_path / "events.jsonl"
    config = tmp_path / "config.yaml"
    config.write_text("overlay: {linger_s: 0.2}\n")  # close soon after the call ends
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "replay", str(clip), "--realtime"]
        + ["--no-store", "--events", str(events)],
        env={**xvfb, "COACH_CONFIG": str(config)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,  # the terminal view
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # the models load, then the call's events start to flow
            if events.exists() and '"speech_started"' in events.read_text():
                break
            if proc.poll() is not None:
                pytest.fail(f"the replay ended before the hotkey: {proc.stderr.read()}")
            time.sleep(0.1)
        time.sleep(1.0)  # the hotkey listener has long started by now
        subprocess.run(["xdotool", "key", "ctrl+alt+e"], env=xvfb, check=True)
        _, stderr = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    logged = [json.loads(line) for line in events.read_text().splitlines()]
    (asked,) = [e for e in logged if e["type"] == "request"]
    assert asked["action"] == "recap" and 0 < asked["t"] < 9
    (recap,) = [e for e in logged if e["type"] == "cue" and e["cue"] == "recap"]
    assert recap["t"] == asked["t"]
    assert "✗" in recap["text"]  # no promise yet in the first turns: amount, date, method open
