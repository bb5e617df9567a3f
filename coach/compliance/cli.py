"""``coach compliance check|eval``: what the guard decides for a line, and how well it does."""

from __future__ import annotations

import json
import os
import re
import select
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from coach.compliance import build_guard
from coach.compliance.config import ComplianceConfig, ComplianceError
from coach.compliance.guard import Decision, Guard
from coach.compliance.packs import default_folder, load_packs, trained_on
from coach.phrasebank import normalise

BATCH = 32  # lines encoded together by `check --jsonl`


def _user_error(message: str) -> click.ClickException:
    from coach.cli import UserError

    return UserError(message)


def _settings(cfg) -> tuple[object, ComplianceConfig]:
    from coach.config import Config

    cfg = cfg or Config()
    return cfg, getattr(cfg, "compliance", None) or ComplianceConfig()


def load_guard(cfg) -> Guard:
    """The guard as the live coach builds it: configured packs, the matcher's embedder."""
    from coach.match_cli import load_embedder

    cfg, ccfg = _settings(cfg)
    try:
        load_packs(ccfg.folder, ccfg.packs)  # a bad pack fails before the model loads
        return build_guard(ccfg, load_embedder(cfg))
    except ComplianceError as err:
        raise _user_error(str(err)) from None


@click.group("compliance")
def compliance_cli() -> None:
    """The compliance guard: check what a collector or debtor says, measure the guard."""


# --- coach compliance check ----------------------------------------------------------------------


def _input_batches() -> Iterator[list[bytes]]:
    """Complete stdin lines in batches of what has arrived (up to BATCH), without waiting, so an
    interactive client gets each answer at once and a piped file is encoded in batches."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (click's test runner)
        lines = click.get_binary_stream("stdin").read().split(b"\n")
        for i in range(0, len(lines), BATCH):
            yield lines[i : i + BATCH]
        return
    buf, eof = b"", False
    while not eof:
        chunk = os.read(fd, 1 << 16)
        eof, buf = not chunk, buf + chunk
        while not eof and buf.count(b"\n") < BATCH and select.select([fd], [], [], 0)[0]:
            more = os.read(fd, 1 << 16)
            eof, buf = not more, buf + more
        *lines, buf = buf.split(b"\n")
        for i in range(0, len(lines), BATCH):
            yield lines[i : i + BATCH]
    if buf.strip():
        yield [buf]


def _parse(raw: bytes, n: int) -> tuple[str, str, str | None, frozenset[str]] | dict:
    """(text, channel, lang, context) of one input line, or the error answer for it."""
    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return {"line": n, "error": f"line {n}: not a JSON object ({err})"}
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        return {"line": n, "error": f'line {n}: expected {{"text": "...", "channel": ...}}'}
    channel = row.get("channel", "collector")
    if channel not in ("collector", "debtor"):
        return {"line": n, "error": f"line {n}: channel must be collector or debtor"}
    lang = row.get("lang") if row.get("lang") in ("zh", "en") else None
    context = frozenset(["third_party"] if row.get("third_party") else row.get("context") or [])
    return row["text"], channel, lang, context


def check_jsonl(guard: Guard, out=None) -> int:
    """Answer stdin's JSON lines in order, one JSON line each; a bad line gets an error line."""
    out = out if out is not None else sys.stdout  # looked up now: click's test runner swaps it
    n = 0
    for batch in _input_batches():
        parsed = []
        for raw in batch:
            if raw.strip():
                n += 1
                parsed.append((n, _parse(raw, n)))
        good = [p for _, p in parsed if isinstance(p, tuple)]
        decisions = iter(
            guard.check([(t, c) for t, c, _, _ in good], [g[2] for g in good], [g[3] for g in good])
        )
        for line, p in parsed:
            if isinstance(p, dict):
                row = {"rule": None, "severity": None, "alert": None, **p}
            else:
                row = {"line": line, "text": p[0], **next(decisions).to_dict()}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return n


def print_decision(decision: Decision) -> None:
    if not decision.hits:
        near = f"; nearest rule: {decision.best} {decision.score:.2f}" if decision.best else ""
        click.echo(f"no alert ({decision.reason}{near})")
    for i, hit in enumerate(decision.hits):
        color = {"stop": "red", "warn": "yellow"}.get(hit.severity)
        head = f"{hit.severity.upper():<5} {hit.rule}"
        click.secho(head, fg=color, bold=i == 0, nl=False)
        click.echo(f"  ({hit.source}, {hit.score:.2f})")
        click.echo(f"      {hit.alert}")
        click.echo(f"      basis: {hit.basis}")
    if decision.said:
        click.echo(f"says the required words of: {', '.join(decision.said)}")
    if decision.identity:
        click.echo("confirms the debtor's identity")


@compliance_cli.command()
@click.argument("text", required=False)
@click.option("--jsonl", is_flag=True, help='Read {"text", "channel"} lines on stdin, answer JSON.')
@click.option(
    "--channel", type=click.Choice(["collector", "debtor"]), default="collector", show_default=True
)
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of TEXT (default: guess).")
@click.option("--third-party", is_flag=True, help="As if a third party were on the line.")
@click.pass_obj
def check(
    cfg, text: str | None, jsonl: bool, channel: str, lang: str | None, third_party: bool
) -> None:
    """What the guard decides for TEXT (default: the collector's words), or for JSON lines."""
    if text is None and not jsonl:
        raise _user_error('give the words: coach compliance check "TEXT", or check --jsonl')
    if text is not None and not text.strip():
        raise _user_error("the text is empty — give what was said")
    guard = load_guard(cfg)
    if jsonl:
        check_jsonl(guard)
        return
    context = frozenset(["third_party"] if third_party else [])
    print_decision(guard.check([(text or "", channel)], [lang], [context])[0])


# --- coach compliance eval -----------------------------------------------------------------------


@compliance_cli.command("eval")
@click.option(
    "--set",
    "which",
    default="test26",
    show_default=True,
    help="test26 (the freshest blind set), test25 … test (retired: folded into the packs), dev"
    " (for tuning) or a path to a labelled .jsonl file.",
)
@click.option("--json", "as_json", is_flag=True, help="The full report as JSON on stdout.")
@click.option("--errors", is_flag=True, help="List every missed line and false alert.")
@click.pass_obj
def eval_(cfg, which: str, as_json: bool, errors: bool) -> None:
    """Recall on prohibited lines and false alerts on legitimate ones, per language."""
    from coach.compliance.evaluate import read_lines, score
    from coach.match_cli import embedding_cache

    cfg, ccfg = _settings(cfg)
    folder = Path(ccfg.folder).expanduser() if ccfg.folder else default_folder()
    named = re.fullmatch(r"dev|test\d*", which) is not None  # a set in eval/, else a path
    path = folder / "eval" / f"{which}.jsonl" if named else Path(which)
    guard = load_guard(cfg)
    try:
        every_pack = tuple(sorted(p.stem for p in folder.glob("*.yaml")))
        known = {r.id for p in load_packs(folder, every_pack) for r in p.rules}
        lines = read_lines(path, known)
    except ComplianceError as err:
        raise _user_error(str(err)) from None
    cache = embedding_cache(guard.embedder) if guard.embedder is not None else None
    decisions = []
    for i in range(0, len(lines), 64):
        batch = lines[i : i + 64]
        decisions += guard.check(
            [(x.text, x.channel) for x in batch],
            [x.lang for x in batch],
            [x.context for x in batch],
            cache=cache,
        )
    if cache is not None:
        cache.save()
    data = score(lines, decisions, set(guard.rules)).to_dict()
    data["set"], data["packs"] = str(path), list(ccfg.packs)
    trained = trained_on(guard.packs)
    data["lines_in_packs"] = sum(normalise(x.text) in trained for x in lines)
    if data["lines_in_packs"] > len(lines) // 2:
        click.echo(
            f"note: {data['lines_in_packs']} of {len(lines)} lines of {path} are pack sentences "
            "(a retired set folded in): these figures are not held-out",
            err=True,
        )
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"{path} — {len(lines)} lines; packs: {', '.join(ccfg.packs)}")
    for lang, r in data["by_lang"].items():
        click.echo(
            f"  {lang:>3}: recall {_pct(r['recall'])} ({r['caught']}/{r['prohibited']} prohibited"
            f", {r['exact_rule']} with exactly the right rules); false alerts "
            f"{_pct(r['false_alert_rate'])} ({r['false_alerts']}/{r['legitimate']} legitimate); "
            f"precision {_pct(r['precision'])}"
        )
    weak = {k: v for k, v in data["per_rule"].items() if (v["recall"] or 1) < 0.9}
    for rule, v in weak.items():
        click.echo(f"  weak: {rule}: recall {v['recall']} of {v['support']}")
    if errors:
        for e in data["errors"]:
            want = ",".join(e["expected"]) or "none"
            got = ",".join(e["fired"]) or "none"
            click.echo(f"  {want:>34} -> {got:<34} {e['text']}")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
