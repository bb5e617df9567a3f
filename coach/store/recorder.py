"""The store's sink: a call is recorded as it happens, redacted before anything is written.

- Text: every utterance, card, cue and alert is passed through :func:`coach.redact.redact` before
  its row is written; one committed row per event, so a killed coach loses no final utterance.
- Audio: each channel goes to an OGG Vorbis file. Audio inside speech is held back until that
  speech's final transcript is known, so the span of a spoken card or phone number is silenced
  before it reaches the disk; audio outside speech is written about a second after capture.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import logging
from pathlib import Path

import numpy as np
import platformdirs
import soundfile as sf
from sqlalchemy.exc import SQLAlchemyError

from coach.events import (
    SAMPLE_RATE,
    Alert,
    AudioChunk,
    CallEnded,
    CallStarted,
    Card,
    Commitment,
    Cue,
    Event,
    Metrics,
    Partial,
    SpeechDiscarded,
    SpeechEnded,
    SpeechStarted,
    Unmatched,
    Utterance,
)
from coach.redact import redact
from coach.store.config import StoreConfig
from coach.store.db import Store, now_iso
from coach.store.flags import FlagRules

log = logging.getLogger(__name__)


def scrub(event: Event) -> Event:
    """The event with every transcript text redacted (for anything written to disk)."""
    if isinstance(event, Partial):
        return dataclasses.replace(
            event, text=redact(event.text).text, stable=redact(event.stable).text
        )
    if isinstance(event, Utterance | SpeechDiscarded | Card | Unmatched):
        masked = redact(event.text)
        return dataclasses.replace(event, text=masked.text) if masked.found else event
    return event


def redacted_times(text: str, start: float, end: float, pad_s: float) -> list[tuple[float, float]]:
    """Where in ``[start, end]`` the PII of ``text`` was probably said.

    There are no word times (the decode runs without them, for speed), so a span's time is
    estimated from its position in the text, then widened by ``pad_s`` on both sides.
    """
    found = redact(text)
    if not found.found or not text:
        return []
    span_s = end - start
    out = []
    for pii in found.spans:
        a = start + span_s * pii.start / len(text) - pad_s
        b = start + span_s * pii.end / len(text) + pad_s
        out.append((max(start, a), min(end, b)))
    return out


class AudioKeeper:
    """One channel's audio into an OGG Vorbis file, PII spans silenced before they are written."""

    LOOKBEHIND_S = 1.0  # speech start is reported after it began; never write that audio early

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: sf.SoundFile | None = None
        self._pending: list[AudioChunk] = []
        self._open_from: float | None = None  # start of the earliest speech not yet final
        self._in_speech = False
        self._awaiting = 0  # ended speech whose final transcript has not come yet
        self.silenced: list[list[float]] = []
        self.seconds = 0.0

    def push(self, chunk: AudioChunk) -> None:
        self._pending.append(chunk)
        self._release(chunk.end - self.LOOKBEHIND_S)

    def speech_started(self, start: float) -> None:
        if self._open_from is None:
            self._open_from = start
        self._in_speech = True

    def speech_ended(self) -> None:
        self._in_speech = False
        self._awaiting += 1

    def resolved(self, silence: list[tuple[float, float]]) -> None:
        """The final transcript of an ended stretch of speech arrived (or it was discarded)."""
        self._awaiting = max(0, self._awaiting - 1)
        for a, b in silence:
            self._silence(a, b)
        if not self._in_speech and not self._awaiting:
            self._open_from = None

    def close(self) -> None:
        self._release(float("inf"), force=True)
        if self._file is not None:
            self._file.close()

    def discard(self) -> None:
        """Drop what is held back (never written unredacted) and close the file."""
        self._pending = []
        if self._file is not None:
            self._file.close()

    def _silence(self, a: float, b: float) -> None:
        self.silenced.append([round(a, 2), round(b, 2)])
        for chunk in self._pending:
            lo = max(0, int((a - chunk.start) * SAMPLE_RATE))
            hi = min(len(chunk.samples), int(np.ceil((b - chunk.start) * SAMPLE_RATE)))
            if hi > lo:
                chunk.samples[lo:hi] = 0

    def _release(self, until: float, force: bool = False) -> None:
        if not force and self._open_from is not None:
            until = min(until, self._open_from)
        keep: list[AudioChunk] = []
        for chunk in self._pending:
            if chunk.end <= until:
                self._write(chunk.samples)
            elif chunk.start < until:  # split at the boundary
                cut = int((until - chunk.start) * SAMPLE_RATE)
                self._write(chunk.samples[:cut])
                keep.append(AudioChunk(chunk.channel, until, chunk.samples[cut:]))
            else:
                keep.append(chunk)
        self._pending = keep

    def _write(self, samples: np.ndarray) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = sf.SoundFile(
                self.path, "w", SAMPLE_RATE, 1, format="OGG", subtype="VORBIS"
            )
        self._file.write(samples)
        self.seconds += len(samples) / SAMPLE_RATE


class CallRecorder:
    """Sink that writes one call into the store as it happens (see the module docstring)."""

    def __init__(self, store: Store, cfg: StoreConfig | None = None) -> None:
        self.store = store
        self.cfg = cfg or StoreConfig()
        self.rules = FlagRules(self.cfg.flags)
        self.call_id: str | None = None
        self.failed = False
        self._delivery: dict = {}
        self._keepers: dict[str, AudioKeeper] = {}
        self._card_rows: dict[str, int] = {}  # utterance id -> row of its card
        self._langs: set[str] = set()
        self._categories: set[str] = set()

    # --- the sink interface -------------------------------------------------------------------

    def audio(self, chunk: AudioChunk) -> None:
        # a copy: the pipeline's chunk is shared with the ASR, and silencing writes into it
        keeper = self._keepers.get(chunk.channel)
        if keeper is not None:
            keeper.push(AudioChunk(chunk.channel, chunk.start, chunk.samples.copy()))

    def emit(self, event: Event) -> None:
        if self.failed:
            return
        try:
            self._record(event)
        except SQLAlchemyError as err:  # a database gone mid-call: stop trying, coach on
            self.failed = True
            for keeper in self._keepers.values():  # held-back audio can no longer be redacted
                keeper.discard()
            self._keepers = {}
            first = str(getattr(err, "orig", err)).strip().splitlines()[0]
            log.error(
                "call store failed (%s); the call goes on and its events log keeps everything",
                first,
            )

    def _record(self, event: Event) -> None:
        if isinstance(event, CallStarted):
            self._begin(event)
            return
        if self.call_id is None:
            return
        keeper = self._keepers.get(event.channel)
        if isinstance(event, SpeechStarted) and keeper:
            keeper.speech_started(event.start)
        elif isinstance(event, SpeechEnded) and keeper:
            keeper.speech_ended()
        elif isinstance(event, SpeechDiscarded) and keeper:
            keeper.resolved([])
        elif isinstance(event, Utterance):
            self._utterance(event, keeper)
        elif isinstance(event, Card | Cue | Alert):
            self._shown(event)
        elif isinstance(event, Metrics):
            self._delivery = event.values
            self.store.update_call(self.call_id, metrics=self._metrics())
        elif isinstance(event, Commitment):
            self.store.update_call(self.call_id, commitment=_commitment_row(event))
        elif isinstance(event, CallEnded):
            self._end(event)
            return
        for flag in self.rules.on_event(event):
            shown_id = self._card_rows.get(flag.utterance_id or "")
            self.store.add_flag(
                self.call_id, flag.kind, flag.t, flag.detail, shown_id, flag.utterance_id
            )

    def dismissed(self, item: Event) -> None:
        """The collector took a card down before its time (called from the overlay's thread)."""
        if self.failed or self.call_id is None or not isinstance(item, Card):
            return
        try:
            self.store.add_flag(
                self.call_id,
                "dismissed_card",
                item.start,
                f"{item.category} card dismissed",
                self._card_rows.get(item.utterance_id),
                item.utterance_id,
            )
        except SQLAlchemyError as err:
            log.error("dismissal not stored (%s)", str(getattr(err, "orig", err)).splitlines()[0])

    def close(self) -> None:
        for keeper in self._keepers.values():
            keeper.close()

    # --- what each event writes ---------------------------------------------------------------

    def _begin(self, event: CallStarted) -> None:
        self.call_id = event.call_id
        started = _utc(event.started_at) if event.started_at else now_iso()
        self.store.begin_call(
            event.call_id, started, event.source, self.cfg.collector or _login(), self.cfg.account
        )
        if self.cfg.keep_audio:
            folder = Path(self.cfg.audio_dir or Path(platformdirs.user_data_dir("coach")) / "audio")
            for channel in event.channels:
                self._keepers[channel] = AudioKeeper(folder / event.call_id / f"{channel}.ogg")

    def _utterance(self, event: Utterance, keeper: AudioKeeper | None) -> None:
        masked = redact(event.text)
        self.store.add_utterance(
            call_id=self.call_id,
            utterance_id=event.utterance_id,
            channel=event.channel,
            start=event.start,
            end=event.end,
            t=event.t,
            lang=event.lang,
            text=masked.text,
            pii=",".join(sorted({s.kind for s in masked.spans})),
            avg_logprob=event.avg_logprob,
        )
        if keeper:
            keeper.resolved(
                redacted_times(event.text, event.start, event.end, self.cfg.redact_pad_s)
            )
        if event.lang and event.lang not in self._langs:
            self._langs.add(event.lang)
            self.store.update_call(self.call_id, langs=",".join(sorted(self._langs)))

    def _shown(self, event: Card | Cue | Alert) -> None:
        if isinstance(event, Card):
            row = dict(
                kind="card",
                key=event.category,
                title=event.title,
                text=event.rebuttal,
                said=redact(event.text).text,
                score=event.score,
                final=event.final,
                utterance_id=event.utterance_id,
                detail={
                    "follow_up": event.follow_up,
                    "cue": event.cue_text,
                    "replaces": event.replaces,
                },
            )
        elif isinstance(event, Cue):
            row = dict(
                kind="cue",
                key=event.cue,
                text=event.text,
                detail={"detail": event.detail, "countdown_s": event.countdown_s},
            )
        else:
            row = dict(
                kind="alert",
                key=event.rule,
                text=event.text,
                utterance_id=event.utterance_id,
                detail={"severity": event.severity, "basis": event.basis},
            )
        shown_id = self.store.add_shown(
            call_id=self.call_id, t=event.t, channel=event.channel, lang=event.lang, **row
        )
        if isinstance(event, Card):
            self._card_rows[event.utterance_id] = shown_id
            if event.category not in self._categories:
                self._categories.add(event.category)
                self.store.update_call(
                    self.call_id, categories="," + ",".join(sorted(self._categories)) + ","
                )

    def _metrics(self) -> dict:
        return {**self.rules.conversation.metrics(), "delivery": self._delivery}

    def _end(self, event: CallEnded) -> None:
        for flag in self.rules.at_end():
            self.store.add_flag(self.call_id, flag.kind, flag.t, flag.detail)  # type: ignore[arg-type]
        self.close()
        for channel, keeper in self._keepers.items():
            if keeper.seconds:
                self.store.set_audio(
                    self.call_id,
                    channel,
                    str(keeper.path),  # type: ignore[arg-type]
                    round(keeper.seconds, 2),
                    keeper.silenced,
                )
        self.store.update_call(
            self.call_id,
            ended_at=now_iso(),
            end_reason=event.reason,
            duration_s=event.t,
            metrics=self._metrics(),
        )
        self._keepers = {}


def _commitment_row(c: Commitment) -> dict:
    return {
        "t": c.t,
        "utterance_id": c.utterance_id,
        "text": redact(c.text).text,
        "amount": c.amount,
        "currency": c.currency,
        "date": c.date,
        "when": c.when_text,
        "method": c.method,
        "partial": c.partial,
        "missing": list(c.missing),
    }


def _utc(stamp: str) -> str:
    """ISO 8601 in UTC, so that calls sort and purge by plain text comparison."""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return now_iso()
    if when.tzinfo is None:
        when = when.astimezone()  # a naive stamp is local time
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
