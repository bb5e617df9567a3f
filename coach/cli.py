"""The ``coach`` command. Every failure a user can cause ends in one line on stderr and exit 2."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

import click
import platformdirs

from coach import config as config_mod
from coach.audio import AudioInputError, FileSource
from coach.config import Config, ConfigError
from coach.events import CALL, Status
from coach.sinks import Dismissals, JsonlSink, Requests, TerminalView, take_requests

log = logging.getLogger("coach")
T = TypeVar("T")


class UserError(click.ClickException):
    """Shown as ``coach: error: <message>``; exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"coach: error: {self.message}", err=True)


def sample_call() -> Path:
    return Path(str(resources.files("coach") / "data" / "sample_call.flac"))


def state_dir() -> Path:
    path = Path(platformdirs.user_state_dir("coach"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def calls_dir(cfg: Config) -> Path:
    path = Path(cfg.events_dir) if cfg.events_dir else Path(platformdirs.user_data_dir("coach"))
    path = path / "calls" if not cfg.events_dir else path
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir(cfg: Config) -> Path:
    from coach import models

    return Path(cfg.models.dir).expanduser() if cfg.models.dir else models.default_models_dir()


def model_folder(cfg: Config, kind: str) -> str:
    """The folder (or hub id) of the configured ``asr``/``embedding`` model, or a UserError."""
    from coach import models

    resolve = models.resolve_asr_model if kind == "asr" else models.resolve_embedding_model
    try:
        return resolve(getattr(cfg.models, kind), models_dir(cfg))
    except (models.ModelMissing, models.ModelError) as err:
        raise UserError(str(err)) from None


def model_load_error(label: str, kind: str, spec: str, err: Exception) -> UserError:
    """One line for a model that is there but will not load, saying how to repair it."""
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return UserError(
        f"cannot load {label} '{spec}' ({first}) — "
        f"run: coach models pull --verify, or fix models.{kind} in the config"
    )


def load_transcriber(cfg: Config):
    """The Whisper model named in the configuration, or a one-line error saying how to get it."""
    from coach.asr import Transcriber

    path = model_folder(cfg, "asr")
    try:
        return Transcriber(
            path,
            cfg.asr,
            device=cfg.models.device,
            compute_type=cfg.models.compute_type,
            cpu_threads=cfg.models.threads,
        )
    except Exception as err:  # noqa: BLE001 - ctranslate2/HF raise many kinds
        raise model_load_error("Whisper model", "asr", cfg.models.asr, err) from None


def coaching(cfg: Config, paced: bool) -> tuple[list, Callable[[], None]]:
    """The listeners that coach — rebuttal cards, the compliance guard, delivery cues — and a
    function that stops their watchers. Cards and the guard share one embedding model."""
    from coach.match_cli import load_embedder, load_phrasebank

    book = load_phrasebank(cfg)
    stages: list = []
    embedder = load_embedder(cfg) if cfg.matcher.enabled or cfg.compliance.enabled else None
    if cfg.compliance.enabled:
        from coach.compliance import ComplianceError, build_compliance

        try:
            stages.append(build_compliance(cfg.compliance, embedder, paced=paced))
        except ComplianceError as err:
            raise UserError(f"compliance: {err}") from None
    if cfg.delivery.enabled:
        from coach.delivery import delivery_stages

        stages += delivery_stages(cfg.delivery, book)
    if not cfg.matcher.enabled:
        return stages, lambda: None
    from coach.cards import CardStage, PhrasebankWatcher
    from coach.match_cli import build_matcher, phrasebank_root

    matcher = build_matcher(cfg, book, embedder)
    stage = CardStage(lambda: watcher.current, paced=paced)
    watcher = PhrasebankWatcher(
        phrasebank_root(cfg), lambda b: build_matcher(cfg, b, embedder), matcher, stage.notify
    ).start()
    return [stage, *stages], watcher.stop


def presenting(cfg: Config, view: bool, overlay: bool, feed: bool, work: Callable[[list], T]) -> T:
    """Run ``work(sinks)`` (a call) with its screens: the terminal view when ``view``, the
    overlay when wanted and a display exists, and the event feed other screens attach to."""
    sinks: list = [TerminalView(board=cfg.overlay.board)] if view else []
    if feed and cfg.overlay.feed_port:
        from coach.feed import EventFeed, FeedError

        try:
            o = cfg.overlay
            sinks.append(EventFeed(o.feed_host, o.feed_port, o.feed_token))
        except FeedError as err:  # a second coach, say: this one still coaches
            log.warning("%s", err)
            for sink in sinks:
                sink.emit(Status(channel=CALL, t=0.0, state="warning", detail=f"{err}"))
    try:
        if overlay and cfg.overlay.enabled:
            try:
                from coach import overlay as overlay_mod
            except ImportError as err:  # Qt's system libraries missing: the terminal still works
                log.warning("overlay unavailable (%s); terminal view only", err)
            else:
                if overlay_mod.display_available():
                    dismissals, requests = Dismissals(), Requests()
                    return overlay_mod.with_overlay(
                        cfg.overlay,
                        lambda extra: work([*sinks, dismissals, requests, *extra]),
                        on_dismiss=dismissals,
                        on_request=requests,
                    )
        return work(sinks)
    finally:  # the call closes them when it ran; an error before it must not leave them open
        for sink in sinks:
            sink.close()


def replay_call(
    cfg: Config,
    path: Path,
    realtime: bool,
    events: Path | None,
    sinks: list,
    partials: bool = True,
    store: bool = True,
) -> Path:
    """Run a recorded call through the pipeline; return the events log path."""
    from dataclasses import replace

    from coach.pipeline import Call
    from coach.store.recorder import scrub
    from coach.store_cli import recording

    stereo = tuple(cfg.audio.stereo)
    try:
        source = FileSource(path, stereo=stereo, realtime=realtime)  # type: ignore[arg-type]
    except AudioInputError as err:
        raise UserError(str(err)) from None
    for sink in sinks:
        sink.emit(Status(channel=CALL, t=0.0, state="loading", detail="loading Whisper"))
    transcriber = load_transcriber(cfg)
    for sink in sinks:
        sink.emit(Status(channel=CALL, t=0.0, state="loading", detail="loading the phrasebank"))
    listeners, stop_listeners = coaching(cfg, paced=realtime)
    call = Call(
        transcriber,
        listeners=listeners,
        vad=cfg.vad,
        streaming=replace(cfg.streaming, partials=partials),
        lanes=cfg.asr.decode_lanes,
    )
    take_requests(call, sinks)
    log_path = events or calls_dir(cfg) / f"{call.report.call_id}.jsonl"
    try:
        call.sinks = [*recording(cfg, sinks, store), *sinks, JsonlSink(log_path, scrub)]
    except OSError as err:
        raise UserError(f"{log_path}: cannot write the events log ({err.strerror})") from None
    try:
        report = call.run(source, lockstep=not realtime)
    finally:
        stop_listeners()
    utterances = report.utterances
    if utterances == 0:
        raise UserError(
            f"no speech found in {path} ({report.audio_s:.1f} s) — check it is the call "
            f"recording and that its channels are not silent; events: {log_path}"
        )
    click.echo(
        f"{report.audio_s:.1f} s of call audio in {report.wall_s:.1f} s; "
        f"{utterances} utterances; events: {log_path}",
        err=True,
    )
    return log_path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Configuration YAML (default: $COACH_CONFIG or the user config file).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Live call coach: both sides transcribed, excuses matched, cues on an overlay."""
    # Offline by design: the Hugging Face libraries must never reach for the network at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        ctx.obj = config_mod.load(config_path)
    except ConfigError as err:
        raise UserError(str(err)) from None


@cli.command()
@click.option("--fast", is_flag=True, help="As fast as the CPU allows, instead of call speed.")
@click.option("--no-overlay", is_flag=True, help="Terminal view only.")
@click.pass_obj
def demo(cfg: Config, fast: bool, no_overlay: bool) -> None:
    """Replay the bundled sample call through everything."""
    log_path = presenting(
        cfg,
        view=True,
        overlay=not no_overlay,
        feed=True,
        work=lambda sinks: replay_call(cfg, sample_call(), not fast, None, sinks),
    )
    review = (
        f"coach review, then http://127.0.0.1:47200/calls/{log_path.stem}"
        if cfg.store.enabled
        else "the store is off (store.enabled)"
    )
    click.echo(f"Events: {log_path}\nReview this call: {review}")


@cli.command()
@click.argument("call_file", metavar="CALL", type=click.Path(path_type=Path))
@click.option("--realtime", is_flag=True, help="Pace audio at wall-clock speed (honest latency).")
@click.option(
    "--events",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the events as JSON lines here.",
)
@click.option("--no-overlay", is_flag=True, help="Terminal view only.")
@click.option("--quiet", is_flag=True, help="No transcript view; just the events log.")
@click.option("--no-partials", is_flag=True, help="Final utterances only (faster replay).")
@click.option("--no-store", is_flag=True, help="Do not record this call in the call store.")
@click.pass_obj
def replay(
    cfg: Config,
    call_file: Path,
    realtime: bool,
    events: Path | None,
    no_overlay: bool,
    quiet: bool,
    no_partials: bool,
    no_store: bool,
) -> None:
    """Run a recorded call (WAV/FLAC/MP3; stereo: left collector, right debtor)."""
    presenting(
        cfg,
        view=not quiet,
        overlay=not (quiet or no_overlay),
        feed=not quiet,
        work=lambda sinks: replay_call(
            cfg, call_file, realtime, events, sinks, not no_partials, not no_store
        ),
    )


PREVIEW = {
    "zh": ("cash_flow", "我现在手头有点紧,这个月实在周转不开。"),
    "en": ("check_in_mail", "The check is in the mail."),
}


def preview_events(cfg: Config, lang: str) -> list:
    """What a call looks like on the overlay: both channels listening and one card (from the
    real phrasebank), to place and size the window before a call."""
    from coach.events import CallStarted, Card
    from coach.match_cli import load_phrasebank
    from coach.phrasebank import card_texts

    category, said = PREVIEW[lang]
    texts = card_texts(load_phrasebank(cfg), category, lang, cfg.matcher.stage)
    return [
        CallStarted(channel=CALL, t=0.0, call_id="preview", source="preview", started_at=""),
        Card(
            channel="debtor",
            t=1.0,
            utterance_id="preview",
            start=0.0,
            end=1.0,
            lang=lang,
            text=said,
            category=category,
            score=0.9,
            **texts,  # type: ignore[arg-type]
        ),
    ]


@cli.command("overlay")
@click.option("--connect", "url", help="Feed of a running coach (default: from the config).")
@click.option("--terminal", is_flag=True, help="Show the cues in this terminal, not a window.")
@click.option(
    "--preview", type=click.Choice(["zh", "en"]), help="Show a sample card; no coach needed."
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --preview: save a screenshot of the screen after a second, then exit.",
)
@click.pass_obj
def overlay_cmd(
    cfg: Config, url: str | None, terminal: bool, preview: str | None, screenshot: Path | None
) -> None:
    """Show a running coach's cues: on a second screen, or to place the overlay (--preview)."""
    import threading

    from coach.feed import follow

    if screenshot and not preview:
        raise UserError("--screenshot goes with --preview zh|en")
    if not terminal:
        from coach import overlay as overlay_mod

        if not overlay_mod.display_available():
            raise UserError("no display to show a window on — use --terminal, or run on a desktop")
    o = cfg.overlay
    url = url or f"ws://{o.feed_host}:{o.feed_port}" + (
        f"/?token={o.feed_token}" if o.feed_token else ""
    )
    stop = threading.Event()

    def show(sinks: list) -> None:
        def push(event) -> None:
            for sink in sinks:
                sink.emit(event)

        if preview:
            for event in preview_events(cfg, preview):
                push(event)
            stop.wait(1.5 if screenshot else None)
        else:
            follow(url, push, stop)

    if terminal:
        view = TerminalView(board=cfg.overlay.board)
        try:
            show([view])
        except KeyboardInterrupt:
            stop.set()
        finally:
            view.close()
        return
    from coach import overlay as overlay_mod

    try:
        overlay_mod.with_overlay(
            cfg.overlay,
            show,
            linger_s=0.0,
            on_done=(lambda app: overlay_mod.save_screenshot(app, screenshot))
            if screenshot
            else None,
        )
    finally:
        stop.set()
    if screenshot:
        click.echo(f"screenshot: {screenshot}", err=True)


def _register_subcommands() -> None:
    from coach.bench import bench
    from coach.compliance.cli import compliance_cli
    from coach.live import devices, run
    from coach.match_cli import match, phrasebank_cli
    from coach.models import models_cli
    from coach.store_cli import review, store_cli, suggest

    cli.add_command(models_cli, "models")
    cli.add_command(bench)
    cli.add_command(devices)
    cli.add_command(run)
    cli.add_command(match)
    cli.add_command(phrasebank_cli)
    cli.add_command(store_cli)
    cli.add_command(compliance_cli)
    cli.add_command(review)
    phrasebank_cli.add_command(suggest)


_register_subcommands()


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("coach: stopped", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # noqa: BLE001 - never a traceback on the user's screen
        crash = state_dir() / "crash.log"
        crash.write_text(traceback.format_exc(), encoding="utf-8")
        click.echo(f"coach: internal error: {err} (details in {crash})", err=True)
        sys.exit(70)
