"""The compliance guard: stop the collector before a threat, an impersonation or a disclosure, and
react to debtor statements with legal effect (issue 7).

- ``packs``: the YAML rule packs (``phrasebank/compliance/``), validated with file:line errors;
- ``guard``: the classifier — patterns, one logistic head per pack and channel over the matcher's
  embeddings with a lawful class, and ``Guard.check``, the batch decision the CLI and stage share;
- ``stage``: ``ComplianceStage``, the listener that turns the call's events into ``Alert`` events
  (partials, finals, third-party state, deadlines, quiet hours);
- ``evaluate`` / ``cli``: ``coach compliance check|eval`` on the labelled sets in
  ``phrasebank/compliance/eval/``.

Wiring (coach/cli.py): ``build_compliance(cfg.compliance, embedder)`` gives the stage, with the
matcher's embedder; ``compliance_cli`` is the ``coach compliance`` command group.
"""

from __future__ import annotations

import logging

from coach.compliance.config import ComplianceConfig, ComplianceError
from coach.compliance.guard import Decision, Guard, Hit
from coach.compliance.packs import Pack, Rule, load_packs
from coach.compliance.stage import ComplianceStage

log = logging.getLogger(__name__)

# Debtor excuse categories too close to a debtor rule to serve as its lawful negatives: "talk to
# my lawyer" is the lawyer rule itself, "I'm at work, call later" names an inconvenient time.
_NOT_LAWFUL_FOR_DEBTOR = {"lawyer_or_bankruptcy", "too_busy", "stop_calling"}


def phrasebank_lawful() -> dict[str, list[str]]:
    """Lawful negatives from the excuse phrasebank: its neutral lines for both channels, and the
    excuse examples for the debtor's (an excuse is not a statement with legal effect)."""
    from coach import phrasebank as pb

    try:
        book = pb.load(pb.default_root())
    except pb.PhrasebankError as err:  # the matcher reports it; the guard keeps its own negatives
        log.warning("phrasebank unreadable, compliance negatives without it: %s", err)
        return {}
    neutral = [str(t) for texts in book.neutral.values() for t in texts]
    excuses = [
        str(t)
        for cat in book.categories.values()
        if cat.id not in _NOT_LAWFUL_FOR_DEBTOR
        for texts in cat.examples.values()
        for t in texts
    ]
    return {"collector": neutral, "debtor": neutral + excuses}


def build_guard(cfg: ComplianceConfig, embedder) -> Guard:
    """The guard over the configured packs; ``embedder`` None gives a patterns-only guard."""
    packs = load_packs(cfg.folder, cfg.packs)
    if embedder is None:
        return Guard(packs, None, cfg)
    from coach.match_cli import embedding_cache

    return Guard(packs, embedder, cfg, embedding_cache(embedder), phrasebank_lawful())


def build_compliance(
    cfg_compliance: ComplianceConfig, embedder, paced: bool = False
) -> ComplianceStage:
    """The live stage (raises a one-line ``ComplianceError`` on a bad pack or setting).
    ``paced`` (live, --realtime) adds the checking time to the alerts' ``t``, as cards do."""
    guard = build_guard(cfg_compliance, embedder)
    return ComplianceStage(guard, cfg_compliance, paced=paced)


__all__ = [
    "ComplianceConfig",
    "ComplianceError",
    "ComplianceStage",
    "Decision",
    "Guard",
    "Hit",
    "Pack",
    "Rule",
    "build_compliance",
    "build_guard",
    "load_packs",
    "phrasebank_lawful",
]
