"""``coach bench delivery``: what the delivery and commitment stages cost per event, as JSON.

The sample call's real audio (60 ms chunks per channel, as the pipeline sends them) and the
events its reference script implies (speech start/end, partials every 0.5 s, final utterances,
cards on the debtor's excuses) go through the stages as in a call, on one thread. Timed: each
``handle(event)`` and each ``audio(chunk)`` (the level/pitch analysis).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time

import click
import yaml

from coach.audio import FileSource
from coach.bench_store import ms_summary
from coach.delivery import delivery_stages
from coach.delivery.config import DeliveryConfig
from coach.events import (
    AudioChunk,
    CallEnded,
    CallStarted,
    Card,
    Event,
    Partial,
    SpeechEnded,
    SpeechStarted,
    Utterance,
)


def scripted_events(ref: dict) -> list[Event]:
    """The events a call with these turns produces, in time order."""
    out: list[Event] = [
        CallStarted(
            channel="call",
            t=0.0,
            call_id="bench",
            source="bench",
            started_at=dt.datetime.now(dt.UTC).isoformat(),
        )
    ]
    for i, turn in enumerate(ref["turns"]):
        ch, start, end, text, lang = (
            turn["channel"],
            turn["start"],
            turn["end"],
            turn["text"],
            turn["lang"],
        )
        uid = f"{ch}-{i}"
        out.append(SpeechStarted(channel=ch, t=start + 0.15, start=start))
        step = 0.5
        at = start + step
        while at < end:
            cut = text[: max(1, int(len(text) * (at - start) / (end - start)))]
            out.append(
                Partial(
                    channel=ch,
                    t=at + 0.3,
                    utterance_id=uid,
                    start=start,
                    end=at,
                    lang=lang,
                    text=cut,
                    stable=cut[:-2],
                )
            )
            at += step
        out.append(SpeechEnded(channel=ch, t=end + 0.5, start=start, end=end))
        out.append(
            Utterance(
                channel=ch,
                t=end + 0.8,
                utterance_id=uid,
                start=start,
                end=end,
                lang=lang,
                text=text,
            )
        )
        if ch == "debtor" and i in (3, 5, 7):
            out.append(
                Card(
                    channel=ch,
                    t=end + 0.9,
                    utterance_id=uid,
                    start=start,
                    end=end,
                    lang=lang,
                    text=text,
                    category="cash_flow",
                    title="",
                    score=0.9,
                    rebuttal="",
                    follow_up="",
                )
            )
    out.append(CallEnded(channel="call", t=ref["audio"]["duration"], call_id="bench"))
    return sorted(out, key=lambda e: e.t)


def one_run(cfg) -> dict:
    from coach.cli import sample_call
    from coach.match_cli import load_phrasebank

    stages = delivery_stages(DeliveryConfig(debtor_name="王先生"), load_phrasebank(cfg))
    ref = yaml.safe_load(sample_call().with_suffix(".yaml").read_text(encoding="utf-8"))
    events = scripted_events(ref)
    chunks = [
        c
        for block in FileSource(sample_call()).blocks()
        for c in block
        if isinstance(c, AudioChunk)
    ]
    items = sorted([*events, *chunks], key=lambda x: x.t if isinstance(x, Event) else x.end)
    per_event, per_chunk, cues = [], [], 0
    for item in items:
        began = time.perf_counter()
        if isinstance(item, AudioChunk):
            for stage in stages:
                if hasattr(stage, "audio"):
                    stage.audio(item)
            per_chunk.append(time.perf_counter() - began)
        else:
            for stage in stages:
                cues += sum(1 for e in stage.handle(item) if e.type == "cue")
            per_event.append(time.perf_counter() - began)
    return {
        "events": len(per_event),
        "chunks": len(per_chunk),
        "cues": cues,
        "event": ms_summary(per_event, 4),
        "audio_chunk": ms_summary(per_chunk, 4),
    }


@click.command("delivery")
@click.option("--runs", default=5, show_default=True)
@click.pass_obj
def bench_delivery(cfg, runs: int) -> None:
    """Delivery + commitment cost per event and per audio chunk, JSON on stdout."""
    results = [one_run(cfg) for _ in range(runs)]
    med = {
        f"{kind}_{stat}": round(statistics.median(r[kind][stat] for r in results), 4)
        for kind in ("event", "audio_chunk")
        for stat in ("median_ms", "p95_ms", "max_ms")
    }
    click.echo(
        json.dumps(
            {
                "benchmark": "delivery",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "target": "< 5 ms per event",
                "medians_of_runs": med,
                "runs": results,
            },
            indent=2,
        )
    )
