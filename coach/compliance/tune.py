"""Tune the guard's thresholds on dev (phrasebank/compliance/eval/dev.jsonl) and retired sets.

The held-out set of the day is never read here. ``--sets`` adds retired test sets (scored once,
then used to guide fixes) to the tuning pool: dev alone is 150 lines, so one line moves a rate
by 2.6 points. A retired set folded into the packs (``tools/compliance/fold_retired.py``) is
scored by heads trained without its own lines (leave one set out), so the pool does not grade
the guard on its training data. A pool line that a sentence its heads train on nearly repeats
(cosine >= --max-cosine, or the same text after normalising) is left out of the scores, as a blind
set is cleaned before its scoring (``coach.compliance.overlap --drop``); otherwise the pool is
easier than every blind set.

For each regularisation C of the heads, every (min_prob, min_similarity, min_margin) triple is
scored on the pool; the pick maximises the worse language's recall while keeping false alerts at
or below --max-fa (1 %) in both languages, then prefers fewer false alerts and the middle of the
plateau (more margin for lines we have not seen). Prints JSON; copy the winner
into ComplianceConfig's defaults.

    .venv/bin/python -m coach.compliance.tune [--max-fa 0.01] [--sets dev test test2 ...]
        [--results rows.json]          # keep every row, to pick again later:
    .venv/bin/python -m coach.compliance.tune --from rows.json --max-fa 0.02
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from coach import config as config_mod
from coach.compliance import ComplianceConfig, Guard, load_packs, phrasebank_lawful
from coach.compliance.evaluate import read_lines, score
from coach.compliance.overlap import pack_sentences
from coach.compliance.packs import default_folder, trained_on
from coach.match_cli import embedding_cache, load_embedder
from coach.matcher import clean
from coach.phrasebank import normalise


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-fa", type=float, default=0.01)  # 0.02 until round 26
    ap.add_argument("--C", type=float, nargs="+", default=[4.0, 16.0, 64.0])
    ap.add_argument("--sets", nargs="+", default=["dev"], help="eval/NAME.jsonl to tune on")
    ap.add_argument(
        "--max-cosine", type=float, default=0.95, help="near copies left out (>1: none)"
    )
    ap.add_argument("--results", type=Path, help="also write every scored row here (JSON)")
    ap.add_argument(
        "--from",
        dest="saved",
        type=Path,
        help="pick from rows a --results file saved, without scoring (e.g. another --max-fa)",
    )
    args = ap.parse_args()
    if args.saved:
        try:
            saved = json.loads(args.saved.read_text(encoding="utf-8"))
            rows, scored = saved["rows"], saved["scored"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(
                f"error: {args.saved}: not a --results file ({e}); write one with --results"
            ) from None
        report(*pick(rows, args.max_fa, scored))
        return
    cfg = config_mod.load(None)
    base: ComplianceConfig = getattr(cfg, "compliance", None) or ComplianceConfig()
    embedder = load_embedder(cfg)
    cache = embedding_cache(embedder)
    packs = load_packs(base.folder, base.packs)
    lawful = phrasebank_lawful()
    known = trained_on(packs)
    pool: dict[str, tuple[list, frozenset[str]]] = {}
    for name in args.sets:
        rows = read_lines(default_folder() / "eval" / f"{name}.jsonl")
        keys = frozenset(normalise(clean(x.text)) for x in rows)
        folded = len(keys & known) > len(keys) // 2
        pool[name] = (rows, keys if folded else frozenset())
    seen = near_copies(pool, pack_sentences(base), embedder, cache, args.max_cosine)
    lines = [
        x
        for name, (rows, _) in pool.items()
        for x, s in zip(rows, seen[name], strict=True)
        if not s
    ]
    results = []
    for C in args.C:
        guards = {
            name: Guard(packs, embedder, replace(base, regularisation=C), cache, lawful, exclude)
            for name, (_, exclude) in pool.items()
        }
        grid = itertools.product(
            np.arange(0.3, 0.91, 0.05), np.arange(0.3, 0.71, 0.1), (-0.1, -0.05, 0.0, 0.02, 0.05)
        )
        for min_prob, min_sim, margin in grid:
            decisions = []
            for name, (rows, _) in pool.items():
                guard = guards[name]
                rows = [x for x, s in zip(rows, seen[name], strict=True) if not s]
                guard.cfg = replace(
                    guard.cfg,
                    min_prob=round(float(min_prob), 2),
                    min_similarity=round(float(min_sim), 2),
                    min_margin=margin,
                )
                decisions += guard.check(
                    [(x.text, x.channel) for x in rows],
                    [x.lang for x in rows],
                    [x.context for x in rows],
                    cache=cache,
                )
            by_lang = score(lines, decisions, set(guard.rules)).to_dict()["by_lang"]
            zh, en = by_lang["zh"], by_lang["en"]
            results.append(
                {
                    "C": C,
                    "min_prob": guard.cfg.min_prob,
                    "min_similarity": guard.cfg.min_similarity,
                    "min_margin": guard.cfg.min_margin,
                    "recall": {"zh": zh["recall"], "en": en["recall"]},
                    "false_alerts": {
                        "zh": zh["false_alert_rate"],
                        "en": en["false_alert_rate"],
                    },
                }
            )
    cache.save()
    if args.results:
        rows = {"sets": args.sets, "scored": len(lines), "rows": results}
        args.results.write_text(json.dumps(rows), encoding="utf-8")
    report(*pick(results, args.max_fa, len(lines)))


def pick(results: list[dict], max_fa: float, scored: int) -> tuple[dict, list[dict]]:
    """The winner among scored rows (module docstring), as a summary, and the runners-up."""
    ok = [r for r in results if max(r["false_alerts"].values()) <= max_fa]
    pool = ok or results

    def merit(r: dict) -> tuple:
        return (
            min(r["recall"].values()),
            -max(r["false_alerts"].values()),
            sum(r["recall"].values()),
        )

    top = max(map(merit, pool))
    tied = [r for r in pool if merit(r) == top]
    # Among equals, the middle of the plateau: the pick with the most tied grid neighbours, so a
    # small shift in unseen data does not fall off its edge; then the stricter thresholds.
    keys = {(r["C"], r["min_prob"], r["min_similarity"], r["min_margin"]) for r in tied}
    steps = (0.05, 0.1, 0.05)

    def neighbours(r: dict) -> int:
        here = (r["min_prob"], r["min_similarity"], r["min_margin"])
        near = itertools.product(*[(v - s, v, v + s) for v, s in zip(here, steps, strict=True)])
        return sum((r["C"], *(round(x, 2) for x in k)) in keys for k in near)

    best = max(
        tied,
        key=lambda r: (neighbours(r), r["min_prob"] + r["min_similarity"] + r["min_margin"]),
    )
    front = sorted(pool, key=lambda r: -min(r["recall"].values()))[:8]
    summary = {"best": best, "met_max_fa": bool(ok), "tried": len(results), "scored": scored}
    return summary, front


def report(summary: dict, front: list[dict]) -> None:
    print(json.dumps(summary, indent=1))
    for r in front:  # the runners-up, to see how sharp the optimum is
        print(json.dumps(r))


def near_copies(
    pool: dict[str, tuple[list, frozenset[str]]],
    sentences: list[str],
    embedder,
    cache,
    max_cosine: float,
) -> dict[str, np.ndarray]:
    """Per pool set, which lines a sentence its heads train on nearly repeats (module docstring).

    A folded set's own lines are pack sentences but not its heads' training data (``exclude``).
    """
    keys = np.array([normalise(t) for t in sentences])
    P = cache.embed(embedder, sentences)
    out = {}
    for name, (rows, exclude) in pool.items():
        texts = [clean(x.text) for x in rows]
        trained = np.array([k not in exclude for k in keys], dtype=bool)
        same = np.isin([normalise(t) for t in texts], keys[trained])
        sims = cache.embed(embedder, texts) @ P[trained].T
        out[name] = same | (sims.max(axis=1) >= max_cosine)
    return out


if __name__ == "__main__":
    main()
