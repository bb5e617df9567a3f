"""Commands over the call store: `coach store info|purge|export`, `coach review`, and
`coach phrasebank suggest` (QA's verdicts as candidate phrasebank examples)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from collections import defaultdict
from pathlib import Path

import click

from coach.config import Config


def _user_error(message: str) -> click.ClickException:
    from coach.cli import UserError

    return UserError(message)


def open_store(cfg: Config):
    from coach.store.db import Store, StoreError

    try:
        return Store.open(cfg.store.url)
    except StoreError as err:
        raise _user_error(str(err)) from None


def recording(cfg: Config, sinks: list, enabled: bool = True) -> list:
    """The sink that records the call into the store, unless the store is turned off; it hears
    of the cards the collector dismisses on the call's overlay (``Dismissals`` in ``sinks``)."""
    if not (enabled and cfg.store.enabled):
        return []
    from coach.sinks import Dismissals
    from coach.store.recorder import CallRecorder

    recorder = CallRecorder(open_store(cfg), cfg.store)
    for sink in sinks:
        if isinstance(sink, Dismissals):
            sink.subscribe(recorder.dismissed)
    return [recorder]


def _filters(f):
    for name, kind in (
        ("flag", str),
        ("since", str),
        ("until", str),
        ("collector", str),
        ("category", str),
    ):
        f = click.option(f"--{name}", type=kind, help=f"Only calls with this {name}.")(f)
    return f


@click.group("store")
def store_cli() -> None:
    """The call store: what is kept, purging old calls, exporting."""


@store_cli.command()
@click.pass_obj
def info(cfg: Config) -> None:
    """Where the store is, its schema version and how many calls it holds."""
    store = open_store(cfg)
    _, total = store.list_calls(limit=1)
    click.echo(f"store:     {store.url.split('@')[-1]}")
    click.echo(f"schema:    version {store.version}")
    click.echo(f"calls:     {total}")
    click.echo(f"retention: {cfg.store.retention_days} days; audio kept: {cfg.store.keep_audio}")


@store_cli.command()
@click.option("--days", type=int, help="Keep this many days (default: store.retention_days).")
@click.option("--yes", is_flag=True, help="Do not ask.")
@click.pass_obj
def purge(cfg: Config, days: int | None, yes: bool) -> None:
    """Delete calls older than the retention period, with their audio, for real."""
    days = cfg.store.retention_days if days is None else days
    if days < 0:
        raise _user_error("--days must be 0 or more")
    before = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")
    if not yes:
        click.confirm(f"delete every call that started before {before}?", abort=True)
    n, paths = open_store(cfg).purge(before)
    for path in paths:
        Path(path).unlink(missing_ok=True)
        folder = Path(path).parent
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    click.echo(f"purged {n} calls started before {before} ({len(paths)} audio files)")


@store_cli.command()
@click.option("--call", "call_id", help="One call by id.")
@_filters
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
@click.pass_obj
def export(cfg: Config, call_id, flag, since, until, collector, category, fmt, output) -> None:
    """Export calls (JSONL: one call per line; CSV: one utterance per row)."""
    from coach.review.app import csv_lines
    from coach.store.db import CallFilter

    store = open_store(cfg)
    if call_id:
        one = store.call(call_id)
        if one is None:
            raise _user_error(f"no call '{call_id}' in the store — see: coach review")
        calls = iter([one])
    else:
        calls = store.iter_calls(CallFilter(flag, since, until, collector, category))
    chunks = (
        csv_lines(calls)
        if fmt == "csv"
        else (json.dumps(c, ensure_ascii=False, default=str) + "\n" for c in calls)
    )
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
    try:
        for chunk in chunks:
            out.write(chunk)
    finally:
        if output:
            out.close()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=47200, show_default=True, type=int)
@click.option(
    "--token",
    help="Required from browsers (default: a new random one when the host is not loopback).",
)
@click.pass_obj
def review(cfg: Config, host: str, port: int, token: str | None) -> None:
    """Serve the QA review pages: flagged calls, transcripts, audio, verdicts."""
    import uvicorn

    from coach.feed import is_loopback
    from coach.match_cli import load_phrasebank
    from coach.review.app import create_app

    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(18)
    book = load_phrasebank(cfg)
    categories = {
        c.id: f"{c.title.get('en', c.id)} · {c.title.get('zh', '')}"
        for c in book.categories.values()
    }
    app = create_app(open_store(cfg), categories, token, reviewer=cfg.store.collector)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"review: http://{shown}:{port}/" + (f"?token={token}" if token else ""), err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except OSError as err:
        raise _user_error(f"cannot serve on {host}:{port} ({err.strerror}) — try --port") from None


WHY = {
    "wrong_category": "card was wrong",
    "missed_excuse": "no card was shown",
    "should_be_none": "a card was shown",
}
MASKS = ("[card]", "[ID number]", "[phone]", "[account]", "[e-mail]")


@click.command()
@click.option("--all", "include_used", is_flag=True, help="Include verdicts already accepted.")
@click.option("--jsonl", is_flag=True, help="One JSON line per suggestion.")
@click.option("--mark-used", is_flag=True, help="Mark these verdicts as taken into the YAML.")
@click.pass_obj
def suggest(cfg: Config, include_used: bool, jsonl: bool, mark_used: bool) -> None:
    """QA's corrections as candidate examples, grouped by the category they belong to."""
    from coach.match_cli import load_phrasebank

    store = open_store(cfg)
    book = load_phrasebank(cfg)
    rows = store.verdict_rows(include_used)
    groups: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for v in rows:
        if "[" in v["text"] and any(m in v["text"] for m in MASKS):
            continue  # redacted words make a poor example
        target = "neutral" if v["verdict"] == "should_be_none" else v["category"]
        groups[(target, v["lang"])].setdefault(v["text"], v)  # one line per distinct text
    if not groups and not jsonl:
        click.echo("no suggestions: QA has not marked any wrong or missed cards", err=True)
    for (target, lang), items in sorted(groups.items()):
        if jsonl:
            for v in items.values():
                click.echo(
                    json.dumps(
                        {
                            "category": target,
                            "lang": lang,
                            "text": v["text"],
                            "verdict": v["verdict"],
                            "call_id": v["call_id"],
                            "utterance_id": v["utterance_id"],
                        },
                        ensure_ascii=False,
                    )
                )
            continue
        where = (
            book.categories[target].file
            if target in book.categories
            else str(Path(book.root) / "neutral.yaml")
        )
        click.echo(f"# {where} — examples.{lang}")
        for v in items.values():
            click.echo(f"    - {v['text']}    # {WHY[v['verdict']]}; call {v['call_id']}")
    if mark_used:
        store.mark_used([v["id"] for v in rows])
