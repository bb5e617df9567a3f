"""``coach match`` and ``coach phrasebank lint|eval``: the trainer's view of the matcher."""

from __future__ import annotations

import json
import logging
import os
import re
import select
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import platformdirs

from coach import phrasebank as pb
from coach.config import Config
from coach.embedders import Embedder
from coach.matcher import Decision, EmbeddingCache, Matcher, clean

log = logging.getLogger(__name__)

BATCH = 32  # lines encoded together by `coach match --jsonl`


def _user_error(message: str) -> click.ClickException:
    from coach.cli import UserError

    return UserError(message)


def phrasebank_root(cfg: Config) -> Path:
    if cfg.matcher.phrasebank:
        return Path(cfg.matcher.phrasebank).expanduser()
    return pb.default_root()


def load_phrasebank(cfg: Config) -> pb.Phrasebank:
    try:
        return pb.load(phrasebank_root(cfg))
    except pb.PhrasebankError as err:
        raise _user_error(str(err)) from None


def load_embedder(cfg: Config) -> Embedder:
    """The configured encoder in the configured runtime (coach/embedders.py), or a UserError."""
    from coach import int8_export, models
    from coach.cli import model_folder, model_load_error, models_dir
    from coach.embedders import RUNTIMES, OnnxEmbedder, TorchEmbedder

    runtime = cfg.models.embedding_runtime
    if runtime not in RUNTIMES:
        raise _user_error(
            f"models.embedding_runtime is '{runtime}' — use one of: {', '.join(RUNTIMES)}"
        )
    path = model_folder(cfg, "embedding")
    on_cpu = cfg.models.device == "cpu"
    export: Path | None = None
    problem: str | None = None
    if runtime != "torch":
        if cfg.models.embedding in models.load_manifest():
            export = int8_export.folder_for(models_dir(cfg), cfg.models.embedding)
            problem = int8_export.check(export, Path(path))
        else:  # a local folder or hub id: only provisioned models get an export
            problem = f"'{cfg.models.embedding}' has no int8 export"
    if runtime == "onnx" and problem:
        raise _user_error(
            f"models.embedding_runtime is onnx, but {problem} — run: coach models pull, "
            "or set models.embedding_runtime: torch"
        )
    if runtime == "auto" and on_cpu and export and problem:
        # it still works, three times slower per utterance: say so, and how to fix it
        log.warning("%s — using PyTorch, which is slower; run: coach models pull", problem)
    use_onnx = runtime == "onnx" or (runtime == "auto" and on_cpu and export and not problem)
    try:
        if use_onnx:
            return OnnxEmbedder(
                export,
                threads=cfg.models.threads,
                prompt=cfg.matcher.prompt,
                max_tokens=cfg.matcher.max_tokens,
            )
        return TorchEmbedder(
            path,
            device=cfg.models.device,
            threads=cfg.models.threads,
            prompt=cfg.matcher.prompt,
            max_tokens=cfg.matcher.max_tokens,
        )
    except Exception as err:  # noqa: BLE001 - torch/transformers/onnxruntime raise many kinds
        raise model_load_error("embedding model", "embedding", cfg.models.embedding, err) from None


def embedding_cache(embedder: Embedder) -> EmbeddingCache:
    folder = Path(platformdirs.user_cache_dir("coach"))
    return EmbeddingCache(folder / f"phrasebank-vectors-{embedder.fingerprint}.npz")


def build_matcher(cfg: Config, book: pb.Phrasebank, embedder: Embedder) -> Matcher:
    return Matcher(book, embedder, cfg.matcher, embedding_cache(embedder))


def load_matcher(cfg: Config) -> Matcher:
    book = load_phrasebank(cfg)
    return build_matcher(cfg, book, load_embedder(cfg))


# --- coach match ---------------------------------------------------------------------------------


def answer(matcher: Matcher, decision: Decision) -> dict:
    row: dict = {"text": decision.text, **decision.to_dict()}
    if decision.category:
        row.update(matcher.card_texts(decision))
    else:
        row.update(rebuttal=None, follow_up=None, cue=None)
    return row


def _stdin_batches() -> Iterator[list[bytes]]:
    """Complete input lines, in batches: whatever has arrived (up to BATCH), without waiting."""
    fd = sys.stdin.fileno()
    buf = b""
    eof = False
    while not eof:
        chunk = os.read(fd, 1 << 16)
        eof = not chunk
        buf += chunk
        while not eof and buf.count(b"\n") < BATCH and select.select([fd], [], [], 0)[0]:
            more = os.read(fd, 1 << 16)
            eof = not more
            buf += more
        *lines, buf = buf.split(b"\n")
        while lines:
            yield lines[:BATCH]
            lines = lines[BATCH:]
    if buf.strip():
        yield [buf]


def _parse(raw: bytes, n: int) -> str | dict:
    """The text of one input line, or an error answer for it."""
    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return {"line": n, "error": f"line {n}: not a JSON object ({err})"}
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        return {"line": n, "error": f'line {n}: expected {{"text": "..."}}'}
    return row["text"]


def match_jsonl(matcher: Matcher, out=sys.stdout) -> int:
    """Answer stdin's ``{"text": ...}`` lines in order; a bad line gets an error line. -> count"""
    n = 0
    for batch in _stdin_batches():
        parsed = []
        for raw in batch:
            if not raw.strip():
                continue
            n += 1
            parsed.append(_parse(raw, n))
        texts = [p for p in parsed if isinstance(p, str)]
        decisions = iter(matcher.decide(texts))
        for p in parsed:
            if isinstance(p, dict):
                row = {"category": None, "score": 0.0, "rebuttal": None, **p}
            else:
                row = answer(matcher, next(decisions))
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return n


def print_decision(matcher: Matcher, decision: Decision) -> None:
    if decision.category is None:
        best = f"; nearest: {decision.best} {decision.score:.2f}" if decision.best else ""
        click.echo(f"no card ({decision.reason}{best})")
        return
    texts = matcher.card_texts(decision)
    click.secho(f"{decision.category}  {texts['title']}", bold=True)
    click.echo(f"  score {decision.score:.2f}, similarity {decision.similarity:.2f}")
    if decision.clause:
        click.echo(f"  from:      {decision.clause}")
    click.echo(f"  say:       {texts['rebuttal']}")
    click.echo(f"  then ask:  {texts['follow_up']}")
    if texts["cue_text"]:
        click.echo(f"  delivery:  {texts['cue_text']}")


@click.command()
@click.argument("text", required=False)
@click.option("--jsonl", is_flag=True, help='Read {"text": ...} lines on stdin, answer JSON lines.')
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of TEXT (default: guess).")
@click.option("--stage", type=click.Choice(pb.STAGES), help="Account stage for the rebuttal.")
@click.pass_obj
def match(cfg: Config, text: str | None, jsonl: bool, lang: str | None, stage: str | None) -> None:
    """What the matcher decides for TEXT (a debtor's words), or for JSON lines on stdin."""
    if text is None and not jsonl:
        raise _user_error('give the debtor\'s words: coach match "TEXT", or coach match --jsonl')
    if stage:
        from dataclasses import replace

        cfg = replace(cfg, matcher=replace(cfg.matcher, stage=stage))
    matcher = load_matcher(cfg)
    if jsonl:
        match_jsonl(matcher)
        return
    assert text is not None
    if not clean(text):
        raise _user_error("the text is empty — give the debtor's words")
    print_decision(matcher, matcher.decide([text], [lang])[0])


# --- coach phrasebank lint | eval ----------------------------------------------------------------


@click.group("phrasebank")
def phrasebank_cli() -> None:
    """Check and measure the phrasebank (trainers)."""


@phrasebank_cli.command()
@click.option("--no-model", is_flag=True, help="Schema and duplicates only (no embedding model).")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.pass_obj
def lint(cfg: Config, no_model: bool, strict: bool) -> None:
    """Schema errors, duplicates and categories too close to tell apart, as file:line lines."""
    from coach.lint import closeness_findings, static_findings

    try:
        book = pb.load(phrasebank_root(cfg))
    except pb.PhrasebankError as err:
        for problem in err.problems:
            click.echo(f"{problem.replace(': ', ': error: ', 1)}")
        click.echo(f"{len(err.problems)} errors", err=True)
        sys.exit(1)
    findings = static_findings(book)
    if not no_model:
        embedder = load_embedder(cfg)
        rows = book.labelled_examples()
        cache = embedding_cache(embedder)
        vectors = cache.embed(embedder, [clean(text) for text, _, _ in rows])
        cache.save()
        findings += closeness_findings(book, vectors, [cid for _, cid, _ in rows])
    for finding in findings:
        click.echo(str(finding))
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    n = len(book.labelled_examples())
    click.echo(
        f"{len(book.categories)} categories, {n} examples: {errors} errors, {warnings} warnings",
        err=True,
    )
    if errors or (strict and warnings):
        sys.exit(1)


@phrasebank_cli.command("eval")
@click.option(
    "--set",
    "which",
    default="test26",
    show_default=True,
    help="test26 (the held-out set, scored once), test25 … test (retired: folded into the"
    " phrasebank), dev (for tuning) or a path to a labelled .jsonl file.",
)
@click.option("--json", "as_json", is_flag=True, help="The full report as JSON on stdout.")
@click.option("--errors", is_flag=True, help="List every wrong decision.")
@click.pass_obj
def eval_(cfg: Config, which: str, as_json: bool, errors: bool) -> None:
    """Accuracy on a labelled set: top-1 on excuses, false alarms on non-excuses, per language."""
    from coach.evaluation import EvalSetError, read_set, score

    named = phrasebank_root(cfg) / "eval" / f"{which}.jsonl"
    path = named if re.fullmatch(r"dev|test\d*", which) else Path(which)  # a set, else a path
    matcher = load_matcher(cfg)
    try:
        examples = read_set(path, set(matcher.phrasebank.categories))
    except EvalSetError as err:
        raise _user_error(str(err)) from None
    decisions = []
    for i in range(0, len(examples), 64):
        batch = examples[i : i + 64]
        decisions += matcher.decide([e.text for e in batch], [e.lang for e in batch])
    report = score(examples, [(d.category, d.score) for d in decisions])
    data = report.to_dict()
    data["set"] = str(path)
    known = {pb.normalise(t) for t, _, _ in matcher.phrasebank.labelled_examples()}
    data["lines_that_are_examples"] = sum(pb.normalise(e.text) in known for e in examples)
    if data["lines_that_are_examples"] > len(examples) // 2:
        click.echo(
            f"note: {data['lines_that_are_examples']} of {len(examples)} lines of {path} are "
            "phrasebank examples (a retired set folded in): these figures are not held-out",
            err=True,
        )
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"{path} — {len(examples)} lines")
    for lang, r in data["by_lang"].items():
        click.echo(
            f"  {lang:>3}: top-1 {r['top1']:.1%} of {r['excuses']} excuses "
            f"({r['missed']} missed, {r['wrong_category']} wrong); "
            f"false alarms {r['false_alarm_rate']:.1%} of {r['non_excuses']} non-excuses"
        )
    click.echo(
        "  per tag: "
        + ", ".join(
            f"{tag} {r['top1']:.0%}/{r['false_alarm_rate']:.0%}"
            for tag, r in data["by_tag"].items()
        )
        + "  (top-1 / false alarms)"
    )
    weak = {
        c: m
        for c, m in data["per_category"].items()
        if (m["recall"] or 0) < 0.8 or (m["precision"] or 1) < 0.8
    }
    for cid, m in weak.items():
        click.echo(f"  weak: {cid}: precision {m['precision']}, recall {m['recall']}")
    for c in data["confusions"][:10]:
        click.echo(
            f"  confused: {c['label'] or 'none'} -> {c['predicted'] or 'none'} ×{c['count']}"
        )
    if errors:
        for e in data["errors"]:
            click.echo(
                f"  {e['label'] or 'none':>22} -> {e['predicted'] or 'none':<22} {e['text']}"
            )
