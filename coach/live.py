"""Live capture: the collector's microphone and the softphone's output, as call channels.

Either two input devices (mic + a loopback/monitor of the softphone output) or one stereo device
(left collector, right debtor). Device names are matched case-insensitively on a substring, or
given as an index; ``pulse:SOURCE`` picks a PulseAudio/PipeWire source (e.g. the ``.monitor`` of
the sink the softphone plays into) through ALSA's ``pulse`` device.

The PortAudio callback only copies the block into a queue. A capture thread per device resamples
and hands chunks on; if the device disappears it reports the channel lost, keeps retrying, and on
return pads the gap with silence so both channels stay on one call clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from coach.audio import Resampler, to_int16
from coach.events import CALL, SAMPLE_RATE, AudioChunk, Channel, Event, Status

_OPEN_LOCK = threading.Lock()  # PULSE_SOURCE is process-wide: open one stream at a time


class DeviceError(Exception):
    """A capture device problem; ``str()`` is one line saying what to do."""


def _sounddevice():
    try:
        import sounddevice
    except OSError as err:  # the PortAudio library itself is missing
        raise DeviceError(
            f"audio capture is unavailable ({err}) — install PortAudio (Debian: libportaudio2)"
        ) from None
    return sounddevice


def input_devices() -> list[dict]:
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as err:
        raise DeviceError(f"cannot list audio devices ({err})") from None
    return [dict(d, index=i) for i, d in enumerate(devices) if d["max_input_channels"] > 0]


def pulse_sources() -> list[str]:
    """PulseAudio/PipeWire source names, if a server is reachable (empty list otherwise)."""
    if not shutil.which("pactl"):
        return []
    try:
        out = subprocess.run(
            ["pactl", "list", "short", "sources"],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split("\t")[1] for line in out.splitlines() if "\t" in line]


@dataclass(frozen=True)
class Device:
    spec: str  # what the user asked for, kept to find the device again after a loss
    index: int
    name: str
    channels: int
    rate: int
    pulse_source: str | None = None


def find_device(spec: str) -> Device:
    devices = input_devices()
    if not devices:
        raise DeviceError(
            "no audio input devices found — connect a microphone, "
            "or check the sound server (coach devices lists what is seen)"
        )
    pulse_source = None
    wanted = spec
    if spec.startswith("pulse:"):
        pulse_source, wanted = spec.split(":", 1)[1], "pulse"
        if pulse_source not in pulse_sources():
            raise DeviceError(f"no PulseAudio source named '{pulse_source}' — run: coach devices")
    if wanted.isdigit():
        matches = [d for d in devices if d["index"] == int(wanted)]
    else:
        exact = [d for d in devices if d["name"].lower() == wanted.lower()]
        matches = exact or [d for d in devices if wanted.lower() in d["name"].lower()]
    if not matches:
        raise DeviceError(f"no input device matches '{spec}' — run: coach devices")
    d = matches[0]
    return Device(
        spec,
        d["index"],
        d["name"],
        int(d["max_input_channels"]),
        int(d["default_samplerate"]),
        pulse_source,
    )


class SignalWatch:
    """Notices a channel with no signal at all (a muted microphone, the wrong monitor source):
    a peak under ``floor`` for ``after_s`` is ``silent``, and sound again is ``listening``.
    Speech pauses never get there: a live line carries noise far above -70 dBFS."""

    def __init__(self, floor: float = 10 ** (-70 / 20), after_s: float = 30.0) -> None:
        self.floor, self.after_s = floor, after_s
        self._since: dict[str, float] = {}  # channel -> when its signal was last above the floor
        self._silent: set[str] = set()

    def feed(self, channel: str, peak: float, now: float) -> str | None:
        """The channel's new state when it changes, else None."""
        if peak >= self.floor:
            self._since[channel] = now
            if channel in self._silent:
                self._silent.discard(channel)
                return "listening"
            return None
        since = self._since.setdefault(channel, now)
        if channel not in self._silent and now - since >= self.after_s:
            self._silent.add(channel)
            return "silent"
        return None


class _Capture(threading.Thread):
    """Reads one device and maps its input channels to call channels."""

    def __init__(
        self,
        device: Device,
        mapping: dict[int, Channel],
        out: queue.Queue,
        began: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"capture-{device.name}", daemon=True)
        self.device, self.mapping, self.out = device, mapping, out
        self.began, self.stopped = began, stop
        self.emitted = 0  # 16 kHz samples handed on per channel
        self.blocks: queue.Queue = queue.Queue(maxsize=500)
        self.watch = SignalWatch()

    def _callback(self, indata, frames, time_info, status) -> None:
        with contextlib.suppress(queue.Full):  # nothing else on PortAudio's thread
            self.blocks.put_nowait(indata.copy())

    def _now_s(self) -> float:
        return time.monotonic() - self.began

    def _pad_to_now(self) -> None:
        """Silence for the time this device gave nothing (before it opened, or while lost)."""
        missing = int(self._now_s() * SAMPLE_RATE) - self.emitted
        if missing > SAMPLE_RATE // 5:
            self._hand_on(np.zeros((missing, len(self.mapping)), np.float32))

    def _hand_on(self, block: np.ndarray) -> None:
        start = self.emitted / SAMPLE_RATE
        self.emitted += len(block)
        for i, channel in enumerate(self.mapping.values()):
            self.out.put(AudioChunk(channel, start, to_int16(block[:, i])))

    def _watch_signal(self, block: np.ndarray) -> None:
        now = self._now_s()
        for i, channel in enumerate(self.mapping.values()):
            state = self.watch.feed(channel, float(np.abs(block[:, i]).max()), now)
            if state is not None:
                detail = "no signal — is it muted?" if state == "silent" else self.device.name
                self.out.put(Status(channel=channel, t=round(now, 3), state=state, detail=detail))

    def _status(self, state: str, detail: str) -> None:
        for channel in self.mapping.values():
            self.out.put(
                Status(channel=channel, t=round(self._now_s(), 3), state=state, detail=detail)
            )

    def run(self) -> None:
        sd = _sounddevice()
        self.lost = False
        while not self.stopped.is_set():
            try:
                self._capture(sd)
                return
            except (sd.PortAudioError, DeviceError, OSError) as err:
                if not self.lost:
                    self._status("lost", f"{self.device.spec}: {err}; retrying")
                self.lost = True
                self.stopped.wait(1.0)
                try:  # the device may come back under another index
                    self.device = find_device(self.device.spec)
                except DeviceError:
                    continue

    def _capture(self, sd) -> None:
        columns = list(self.mapping)
        with _OPEN_LOCK:
            saved = os.environ.get("PULSE_SOURCE")
            if self.device.pulse_source:
                os.environ["PULSE_SOURCE"] = self.device.pulse_source
            try:
                stream = sd.InputStream(
                    device=self.device.index,
                    channels=max(columns) + 1,
                    samplerate=self.device.rate,
                    dtype="float32",
                    blocksize=self.device.rate // 50,
                    callback=self._callback,
                )
                stream.start()
            finally:
                if saved is None:
                    os.environ.pop("PULSE_SOURCE", None)
                else:
                    os.environ["PULSE_SOURCE"] = saved
        resample = Resampler(self.device.rate, len(columns))
        self._status("recovered" if self.lost else "listening", self.device.name)
        self.lost = False
        self._pad_to_now()
        with stream:
            while not self.stopped.is_set():
                try:
                    block = self.blocks.get(timeout=2.0)
                except queue.Empty:
                    raise DeviceError("no audio for 2 s") from None
                out = resample(block[:, columns])
                if len(out):
                    self._hand_on(out)
                    self._watch_signal(out)


class LiveSource:
    """Both sides of a live call from one stereo device or two devices."""

    def __init__(
        self,
        collector: str | None = None,
        debtor: str | None = None,
        stereo: str | None = None,
        stereo_map: tuple[Channel, Channel] = ("collector", "debtor"),
        duration: float | None = None,
    ) -> None:
        if stereo and (collector or debtor):
            raise DeviceError("give either --stereo or --collector/--debtor, not both")
        if stereo:
            dev = find_device(stereo)
            if dev.channels < 2:
                raise DeviceError(
                    f"'{dev.name}' has {dev.channels} input channel — "
                    "a stereo device is needed for --stereo"
                )
            self._plan = [(dev, dict(enumerate(stereo_map)))]
        elif collector or debtor:
            self._plan = [
                (find_device(spec), {0: channel})
                for channel, spec in (("collector", collector), ("debtor", debtor))
                if spec
            ]
        else:
            raise DeviceError(
                "no capture device configured — pass --stereo DEVICE, or "
                "--collector MIC --debtor SOFTPHONE_OUTPUT (see: coach devices)"
            )
        self.name = "live"
        self.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.duration = duration
        self.warnings: list[str] = []
        self.end_reason = "stopped"
        if len(self._plan) == 1 and len(self._plan[0][1]) == 1:
            self.warnings.append("only one side is captured")
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def blocks(self) -> Iterator[list[AudioChunk | Event]]:
        out: queue.Queue = queue.Queue()
        began = time.monotonic()
        threads = [_Capture(dev, mapping, out, began, self._stop) for dev, mapping in self._plan]
        for thread in threads:
            thread.start()
        while not self._stop.is_set():
            if self.duration is not None and time.monotonic() - began >= self.duration:
                self.end_reason = f"stopped after {self.duration:g} s (--duration)"
                break
            try:
                yield [out.get(timeout=0.2)]
            except queue.Empty:
                continue
        self._stop.set()
        for thread in threads:
            thread.join(timeout=3)


# --- commands ---------------------------------------------------------------------------------


@click.command()
def devices() -> None:
    """List audio inputs (and PulseAudio sources usable as pulse:NAME)."""
    from coach.cli import UserError

    try:
        found = input_devices()
    except DeviceError as err:
        raise UserError(str(err)) from None
    if not found:
        raise UserError(
            "no audio input devices found — connect a microphone, or check "
            "that the sound server (PulseAudio/PipeWire) is running"
        )
    for d in found:
        click.echo(
            f"{d['index']:3}  {d['name']}  ({d['max_input_channels']} ch, "
            f"{int(d['default_samplerate'])} Hz)"
        )
    for name in pulse_sources():
        click.echo(f"     pulse:{name}")


@click.command()
@click.option("--collector", help="Collector microphone (name substring, index or pulse:SRC).")
@click.option("--debtor", help="Softphone output: a loopback/monitor input.")
@click.option("--stereo", help="One stereo input: left collector, right debtor.")
@click.option(
    "--events",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the events as JSON lines here.",
)
@click.option("--duration", type=float, help="Stop after this many seconds.")
@click.option("--quiet", is_flag=True, help="No transcript view.")
@click.option("--no-overlay", is_flag=True, help="Terminal view only.")
@click.pass_obj
def run(cfg, collector, debtor, stereo, events, duration, quiet, no_overlay) -> None:
    """Coach a live call: capture both sides until Ctrl-C."""
    from coach.cli import UserError, calls_dir, coaching, load_transcriber, presenting
    from coach.pipeline import Call
    from coach.sinks import JsonlSink, take_requests
    from coach.store.recorder import scrub
    from coach.store_cli import recording

    audio = cfg.audio
    try:
        source = LiveSource(
            collector or audio.collector_device,
            debtor or audio.debtor_device,
            stereo or audio.stereo_device,
            tuple(audio.stereo),
            duration,
        )
    except DeviceError as err:
        raise UserError(str(err)) from None

    def coach_call(sinks: list) -> None:
        for sink in sinks:
            sink.emit(Status(channel=CALL, t=0.0, state="loading", detail="loading the models"))
        transcriber = load_transcriber(cfg)
        listeners, stop_listeners = coaching(cfg, paced=True)
        call = Call(
            transcriber,
            listeners=listeners,
            vad=cfg.vad,
            streaming=cfg.streaming,
            lanes=cfg.asr.decode_lanes,
        )
        take_requests(call, sinks)
        log_path = events or calls_dir(cfg) / f"{call.report.call_id}.jsonl"
        call.sinks = [*recording(cfg, sinks), *sinks, JsonlSink(log_path, scrub)]
        try:
            report = call.run(source, lockstep=False)
        finally:
            stop_listeners()
        click.echo(
            f"{report.audio_s:.1f} s captured ({report.reason}); events: {log_path}", err=True
        )

    presenting(cfg, view=not quiet, overlay=not (quiet or no_overlay), feed=True, work=coach_call)
