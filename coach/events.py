"""The one event vocabulary of the coach.

Every stage consumes and produces these small frozen dataclasses; sinks serialise them as JSON
lines. Two fields are common to all events:

- ``channel``: ``collector`` or ``debtor`` for anything said on one side, ``call`` for events about
  the call as a whole (started, ended, status).
- ``t``: seconds of call audio that had been captured when the event was emitted. Utterance events
  also carry ``start``/``end`` (call seconds of the speech itself), so that the latency of anything
  that reacts to an utterance is ``t - end``, read straight off the log.

Audio itself travels as :class:`AudioChunk`, which is deliberately not an :class:`Event`: it is
never logged or sent to other UIs.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

Channel = Literal["collector", "debtor"]
CHANNELS: tuple[Channel, ...] = ("collector", "debtor")
CALL = "call"  # the channel of events about the whole call
SAMPLE_RATE = 16_000  # every stage after the source works on 16 kHz mono int16 per channel


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A run of 16 kHz mono int16 samples of one channel; ``start`` is in call seconds."""

    channel: Channel
    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / SAMPLE_RATE


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    channel: str
    t: float

    def to_dict(self) -> dict[str, Any]:
        data = {"type": self.type}
        data.update(dataclasses.asdict(self))
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


# --- call level -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted(Event):
    type: ClassVar[str] = "call_started"
    call_id: str
    source: str  # file path or "live"
    started_at: str  # ISO 8601 wall-clock time the call (or recording) started
    channels: tuple[str, ...] = CHANNELS


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(Event):
    type: ClassVar[str] = "call_ended"
    call_id: str
    reason: str = "end of audio"  # or "stopped by user", "source failed: ..."


@dataclass(frozen=True, slots=True, kw_only=True)
class Status(Event):
    """What the coach is doing, for the overlay's status line (loading, listening, lost, ...).

    ``channel`` is ``call`` for the whole coach, or the channel a capture state is about.
    """

    type: ClassVar[str] = "status"
    state: Literal[
        "loading", "ready", "listening", "silent", "lost", "recovered", "warning", "info"
    ]
    detail: str = ""


# --- voice activity ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechStarted(Event):
    type: ClassVar[str] = "speech_started"
    start: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechPaused(Event):
    """Speech on this channel may have ended at ``end``: the first part of the hangover has passed.

    The ASR starts decoding here, so that the final text is ready when :class:`SpeechEnded` comes.
    If speech resumes, a later pause or the end supersedes this one.
    """

    type: ClassVar[str] = "speech_paused"
    start: float
    end: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechResumed(Event):
    """Speech went on after a :class:`SpeechPaused`: the same utterance continues."""

    type: ClassVar[str] = "speech_resumed"
    start: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechEnded(Event):
    type: ClassVar[str] = "speech_ended"
    start: float
    end: float


# --- transcription ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Partial(Event):
    """Text of an utterance still being spoken.

    ``stable`` is the committed prefix: it only ever grows within one utterance. ``text`` is
    ``stable`` plus the newest, still tentative tail.
    """

    type: ClassVar[str] = "partial"
    utterance_id: str
    start: float
    end: float  # call seconds of audio the hypothesis covers
    lang: str
    text: str
    stable: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Utterance(Event):
    """The final text of one stretch of speech on one channel."""

    type: ClassVar[str] = "utterance"
    utterance_id: str
    start: float
    end: float
    lang: str
    text: str
    lang_prob: float = 1.0
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechDiscarded(Event):
    """Speech the VAD heard but the ASR guards rejected (noise, a phantom phrase, ...)."""

    type: ClassVar[str] = "speech_discarded"
    utterance_id: str
    start: float
    end: float
    reason: str
    text: str = ""


# --- coaching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Card(Event):
    """A rebuttal card for what the debtor said (``channel`` is the debtor's).

    ``final`` is false for a card raised on the stable part of a partial transcript. ``replaces``
    names the category of an earlier card for the same utterance that this one supersedes (only a
    stronger match replaces a card; a card is never retracted).
    """

    type: ClassVar[str] = "card"
    utterance_id: str
    start: float
    end: float
    lang: str
    text: str  # what the debtor said (the text that was matched)
    category: str
    title: str
    score: float
    rebuttal: str
    follow_up: str
    cue: str | None = None  # delivery cue id (phrasebank/cues.yaml)
    cue_text: str = ""
    countdown_s: float | None = None
    final: bool = True
    replaces: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cue(Event):
    """A delivery prompt for the collector: slow down, pause and count to five, pin down the
    promise (``channel`` is the side whose speech raised it; ids from phrasebank/cues.yaml)."""

    type: ClassVar[str] = "cue"
    cue: str
    text: str  # what the overlay shows, in the call's language
    lang: str = ""
    countdown_s: float | None = None  # a visible countdown, e.g. five seconds of silence
    detail: str = ""  # the measurement behind it, e.g. "212 wpm"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert(Event):
    """A compliance alert: the collector must stop or correct something now. The overlay shows
    it above everything else (``channel`` is the side whose words raised it)."""

    type: ClassVar[str] = "alert"
    rule: str
    severity: Literal["stop", "warn", "note"]
    text: str  # the rule's short alert text, in the call's language
    lang: str = ""
    basis: str = ""  # the legal basis the rule cites
    utterance_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unmatched(Event):
    """Debtor words that looked like an excuse but fitted no category well enough for a card.

    Shown nowhere; the store flags the moment for QA, whose verdict may teach the phrasebank.
    """

    type: ClassVar[str] = "unmatched"
    utterance_id: str
    start: float
    end: float
    lang: str
    text: str
    best: str  # the closest excuse category
    score: float  # the matcher's probability of ``best``
    reason: str  # why no card: low score / far from examples


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment(Event):
    """A promise to pay heard in the debtor's words (``channel`` is the debtor's), as far as it
    is known: the overlay asks the collector to confirm it back, the store keeps the last one."""

    type: ClassVar[str] = "commitment"
    utterance_id: str
    text: str
    amount: float | None = None
    currency: str | None = None
    date: str | None = None  # ISO date
    when_text: str | None = None  # the words that gave the date
    method: str | None = None
    partial: bool = False
    missing: tuple[str, ...] = ()  # of amount / date / method


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics(Event):
    """The call's delivery figures so far (talk ratio, pace, cues raised …), for the store."""

    type: ClassVar[str] = "metrics"
    values: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(Event):
    """Something the collector asked of the coach mid-call (an overlay hotkey), such as the recap
    checklist before hanging up; ``t`` is the call time at which the call took it in."""

    type: ClassVar[str] = "request"
    action: Literal["recap"]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        CallStarted,
        CallEnded,
        Status,
        SpeechStarted,
        SpeechPaused,
        SpeechResumed,
        SpeechEnded,
        Partial,
        Utterance,
        SpeechDiscarded,
        Card,
        Cue,
        Alert,
        Unmatched,
        Commitment,
        Metrics,
        Request,
    )
}


def register(cls: type[Event]) -> type[Event]:
    """Add an event class defined by a later stage (card, cue, alert) to the vocabulary."""
    EVENT_TYPES[cls.type] = cls
    return cls


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form (the inverse of :meth:`Event.to_dict`)."""
    fields = dict(data)
    kind = fields.pop("type", None)
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in fields.items() if k in names}
    return cls(**kwargs)


def from_json(line: str) -> Event:
    return from_dict(json.loads(line))


__all__ = [
    "CALL",
    "Alert",
    "CHANNELS",
    "EVENT_TYPES",
    "SAMPLE_RATE",
    "AudioChunk",
    "CallEnded",
    "CallStarted",
    "Card",
    "Commitment",
    "Channel",
    "Cue",
    "Event",
    "Metrics",
    "Partial",
    "Request",
    "SpeechDiscarded",
    "SpeechEnded",
    "SpeechPaused",
    "SpeechResumed",
    "SpeechStarted",
    "Status",
    "Unmatched",
    "Utterance",
    "from_dict",
    "from_json",
    "register",
]
