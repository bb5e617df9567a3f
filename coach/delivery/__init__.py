"""Delivery and commitment coaching: how the collector speaks, and pinning down the promise."""

from __future__ import annotations

from coach.delivery.config import DeliveryConfig


def delivery_stages(cfg: DeliveryConfig, book) -> list:
    """The delivery and commitment stages, with cue texts from the phrasebank's cues.yaml."""
    from coach.delivery.promise import CommitmentStage
    from coach.delivery.stage import DeliveryStage

    def cue_text(cue: str, lang: str) -> str:
        spec = book.cues.get(cue)
        if spec is None:
            return cue.replace("_", " ")
        return spec.text.get(lang) or spec.text.get("en") or next(iter(spec.text.values()), cue)

    return [DeliveryStage(cue_text, cfg), CommitmentStage(cue_text)]
