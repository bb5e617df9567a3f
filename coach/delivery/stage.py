"""The delivery stage: how the collector speaks, from both channels' timing and the collector's
audio, as ``Cue`` events (shown below cards and alerts on the overlay).

Every rule is a small method fed by ``handle``; all state is per call. Cue texts come from
phrasebank/cues.yaml (trainers own them) in the language the collector last spoke.
"""

from __future__ import annotations

import contextlib
import re
import statistics
from collections.abc import Callable, Iterable

from coach.delivery.config import DeliveryConfig
from coach.delivery.voice import VoiceTrack
from coach.events import (
    AudioChunk,
    CallStarted,
    Card,
    Cue,
    Event,
    Metrics,
    Partial,
    SpeechEnded,
    SpeechStarted,
    Utterance,
)

HAN = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z0-9']+")
QUESTION = re.compile(r"[?？]\s*$|[吗呢吧]\s*[。.]?\s*$")

CueText = Callable[[str, str], str]  # (cue id, lang) -> text


def units(text: str, lang: str) -> int:
    """Syllable-like units: Han characters for Mandarin, words for English."""
    return len(HAN.findall(text)) if lang == "zh" else len(WORD.findall(text))


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text.strip()))


class DeliveryStage:
    def __init__(self, cue_text: CueText, cfg: DeliveryConfig | None = None) -> None:
        self.cfg = cfg or DeliveryConfig()
        self._cue_text = cue_text
        self._voice = VoiceTrack()
        self._lang = "en"
        self._raised: dict[str, float] = {}  # cue id -> when last raised
        self._speaking: dict[str, float] = {}  # channel -> start of its speech in progress
        self._overlap_cued = False
        self._paces: dict[str, list[float]] = {}  # the collector's own paces per language
        self._fast = 0  # fast utterances in a row
        self._levels: list[float] = []
        self._pitches: list[float] = []
        self._high = 0
        self._silence_from: float | None = None  # a countdown is running since …
        self._debtor_spoke = False  # … and the debtor has answered in it
        self._monologue_s = 0.0
        self._talk = {"collector": 0.0, "debtor": 0.0}
        self._said = 0  # collector utterances
        self._questions = 0
        self._named = 0  # … that used the debtor's name
        self.metrics: dict = {}

    # --- inputs -------------------------------------------------------------------------------

    def audio(self, chunk: AudioChunk) -> None:
        if chunk.channel == "collector":
            self._voice.push(chunk)

    def handle(self, event: Event) -> Iterable[Event]:
        out: list[Cue | None] = []
        if isinstance(event, CallStarted):
            self.__init__(self._cue_text, self.cfg)  # type: ignore[misc]  # a fresh call
        elif isinstance(event, SpeechStarted):
            self._speaking[event.channel] = event.start
            out.append(self._broke_silence(event))
        elif isinstance(event, SpeechEnded):
            self._speaking.pop(event.channel, None)
            if len(self._speaking) < 2:
                self._overlap_cued = False
        elif isinstance(event, Card) and event.final:
            self._start_silence(event.end)  # the card carries its own countdown cue
        elif isinstance(event, Utterance):
            out += self._utterance(event)
        elif isinstance(event, Partial) and event.channel == "collector":
            self._lang = event.lang or self._lang
        out.append(self._talk_over(event.t))
        out.append(self._name_missing(event.t))
        cues: list[Event] = [cue for cue in out if cue is not None]
        if isinstance(event, Utterance):  # the store keeps the figures as they grow
            cues.append(Metrics(channel="call", t=event.t, values=self.summary()))
        return cues

    def summary(self) -> dict:
        talk = {k: round(v, 1) for k, v in self._talk.items()}
        return {**self.metrics, "talk_s": talk, "questions_asked": self._questions}

    # --- rules --------------------------------------------------------------------------------

    def _utterance(self, u: Utterance) -> list[Cue | None]:
        seconds = max(0.0, u.end - u.start)
        self._talk[u.channel] = self._talk.get(u.channel, 0.0) + seconds
        if u.channel == "debtor":
            self._debtor_spoke = True
            self._monologue_s = 0.0
            return [self._talk_ratio(u.t)]
        self._lang = u.lang or self._lang
        self._said += 1
        asked = is_question(u.text)
        self._questions += asked
        self._monologue_s = 0.0 if asked else self._monologue_s + seconds
        cues = [
            self._pace(u, seconds),
            *self._voice_level(u),
            self._monologue(u.t),
            self._talk_ratio(u.t),
            self._name_overused(u),
        ]
        if asked:  # seed 000 #4: ask, then let the silence work
            self._start_silence(u.end)
            cues.append(self._cue("pause_count_five", u.t, countdown_s=self.cfg.silence_s))
        return cues

    def _pace(self, u: Utterance, seconds: float) -> Cue | None:
        if seconds < self.cfg.pace_min_s:
            return None
        rate = units(u.text, u.lang) / seconds
        if u.lang != "zh":
            rate *= 60
        limit = self.cfg.pace_max_cps if u.lang == "zh" else self.cfg.pace_max_wpm
        own = self._paces.setdefault(u.lang, [])  # words/min and chars/s do not mix
        baseline = statistics.median(own) if len(own) >= 3 else None
        own.append(rate)
        self.metrics[f"pace_median_{u.lang}"] = round(statistics.median(own), 2)
        fast = rate > limit and (baseline is None or rate > baseline * self.cfg.pace_over_baseline)
        self._fast = self._fast + 1 if fast else 0  # hysteresis: needs a run of fast ones
        if self._fast < self.cfg.pace_sustain:
            return None
        unit = "字/秒" if u.lang == "zh" else "wpm"
        return self._cue(
            "slow_down",
            u.t,
            detail=f"{rate:.1f} {unit}" if u.lang == "zh" else f"{rate:.0f} {unit}",
        )

    def _voice_level(self, u: Utterance) -> list[Cue | None]:
        level, pitch = self._voice.summary(u.start, u.end)
        cfg, out = self.cfg, []
        if level is not None:
            if len(self._levels) >= cfg.baseline_utterances:
                base = statistics.median(self._levels)
                if level > base + cfg.louder_db:
                    out.append(self._cue("stay_calm", u.t, detail=f"+{level - base:.0f} dB"))
            self._levels.append(level)
        if pitch is not None:
            if len(self._pitches) >= cfg.baseline_utterances:
                base = statistics.median(self._pitches)
                self._high = self._high + 1 if pitch > base * cfg.higher_pitch else 0
                if self._high >= 2:
                    out.append(self._cue("lower_pitch", u.t, detail=f"{pitch:.0f} Hz"))
            self._pitches.append(pitch)
        return out

    def _start_silence(self, t: float) -> None:
        self._silence_from, self._debtor_spoke = t, False

    def _broke_silence(self, event: SpeechStarted) -> Cue | None:
        """The collector spoke again within the countdown, before the debtor said anything."""
        began, self_started = self._silence_from, event.channel == "collector"
        if began is None or not self_started:
            return None
        if self._debtor_spoke or event.start - began >= self.cfg.silence_s:
            self._silence_from = None
            return None
        self._silence_from = None
        return self._cue("let_silence_work", event.t, detail=f"{event.start - began:.1f} s")

    def _talk_over(self, now: float) -> Cue | None:
        if len(self._speaking) < 2 or self._overlap_cued:
            return None
        second = max(self._speaking, key=self._speaking.__getitem__)
        if now - self._speaking[second] < self.cfg.talk_over_s:
            return None
        self._overlap_cued = True
        return self._cue(f"talk_over_{second}", now)

    def _monologue(self, t: float) -> Cue | None:
        if self._monologue_s < self.cfg.monologue_s:
            return None
        return self._cue("monologue", t, detail=f"{self._monologue_s:.0f} s")

    def _talk_ratio(self, t: float) -> Cue | None:
        total = sum(self._talk.values())
        if total == 0:
            return None
        share = self._talk.get("collector", 0.0) / total
        self.metrics["talk_ratio"] = round(share, 3)
        if total < self.cfg.talk_ratio_after_s or share <= self.cfg.talk_ratio_max:
            return None
        return self._cue("talk_ratio", t, detail=f"{share:.0%}", every_s=120.0)

    def _names(self) -> list[str]:
        """The ways the collector may address the debtor: full name, and surname + title."""
        name = self.cfg.debtor_name.strip()
        if not name:
            return []
        if HAN.match(name):
            surname = name[0]
            return [name, *(surname + title for title in ("先生", "女士", "小姐", "总"))]
        return [name, name.split()[-1]]

    def _name_overused(self, u: Utterance) -> Cue | None:
        names = self._names()
        if not names:
            return None
        if any(n.lower() in u.text.lower() for n in names):
            self._named += 1
        self.metrics["name_uses"] = self._named
        if self._said >= 6 and self._named / self._said > self.cfg.name_overuse:
            return self._cue(
                "name_overuse", u.t, detail=f"{self._named}/{self._said}", every_s=180.0
            )
        return None

    def _name_missing(self, now: float) -> Cue | None:
        if not self._names() or self._named or now < self.cfg.name_after_s or not self._said:
            return None
        return self._cue("use_name", now, every_s=float("inf"), name=self.cfg.debtor_name)

    # --- output -------------------------------------------------------------------------------

    def _cue(
        self,
        cue: str,
        t: float,
        detail: str = "",
        countdown_s: float | None = None,
        every_s: float | None = None,
        **fields: str,
    ) -> Cue | None:
        last = self._raised.get(cue)
        if last is not None and t - last < (every_s or self.cfg.repeat_after_s):
            return None
        self._raised[cue] = t
        self.metrics.setdefault("cues", {})
        self.metrics["cues"][cue] = self.metrics["cues"].get(cue, 0) + 1
        text = self._cue_text(cue, self._lang)
        with contextlib.suppress(KeyError, IndexError, ValueError):  # a trainer's typo
            text = text.format(**fields)
        return Cue(
            channel="collector",
            t=round(t, 3),
            cue=cue,
            text=text,
            lang=self._lang,
            countdown_s=countdown_s,
            detail=detail,
        )
