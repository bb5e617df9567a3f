"""Delivery coaching settings (seeds: 000 #3–#5, 004 "urgent matters, speak slowly")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryConfig:
    enabled: bool = True
    # pace: English words per minute, Mandarin characters per second, and a margin over the
    # collector's own running median; "slow down" needs `pace_sustain` fast utterances in a row
    pace_max_wpm: float = 180.0
    pace_max_cps: float = 5.5
    pace_over_baseline: float = 1.2
    pace_sustain: int = 2
    pace_min_s: float = 1.5  # shorter utterances say nothing about pace
    silence_s: float = 5.0  # count to five after an excuse card or the collector's question
    talk_over_s: float = 1.0  # both sides speaking at once this long
    monologue_s: float = 40.0  # collector speech since the debtor last spoke, with no question
    talk_ratio_max: float = 0.65  # collector's share of the talk so far …
    talk_ratio_after_s: float = 60.0  # … judged once this much has been said
    louder_db: float = 6.0  # over the collector's own median level
    higher_pitch: float = 1.2  # × the collector's own median pitch (about +3 semitones)
    baseline_utterances: int = 3  # own utterances before level/pitch are judged
    debtor_name: str = ""  # the account's debtor, e.g. "王先生" / "Mr Smith": name-use cues
    name_after_s: float = 90.0  # remind if the name was not used by then
    name_overuse: float = 0.5  # more than this share of collector utterances naming them
    repeat_after_s: float = 30.0  # the same cue is not raised again sooner
