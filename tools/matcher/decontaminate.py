"""Keep the tuning and test sets honest: find phrasebank examples that (nearly) repeat an eval line.

A phrasebank example that says the same as a line of ``eval/dev.jsonl`` makes tuning on dev look
better than it is; one that repeats a held-out ``eval/test*.jsonl`` inflates the reported
figures. This lists every example within ``--max-cosine`` of an eval line (or equal after
normalisation) and, with ``--apply``, deletes those examples from the YAML (they are one-line
list items); with ``--drop-eval NAME`` it drops the eval lines instead, naming no text of that
set (it has not been scored yet). Retired sets, folded into
the phrasebank by ``fold_retired.py``, are skipped: their lines are examples now.

    .venv/bin/python tools/matcher/decontaminate.py [--apply] [--max-cosine 0.9]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from coach import config as config_mod
from coach import phrasebank as pb
from coach.evaluation import read_set
from coach.match_cli import embedding_cache, load_embedder
from coach.matcher import clean


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apply", action="store_true")
    ap.add_argument("--max-cosine", type=float, default=0.9)
    ap.add_argument(
        "--drop-eval",
        metavar="NAME",
        help="instead of editing the phrasebank, drop the near-copied lines from eval/NAME.jsonl "
        "(for a new held-out set, before it is first scored)",
    )
    args = ap.parse_args()
    root = pb.default_root()
    book = pb.load(root)
    rows = book.labelled_examples()
    embedder = load_embedder(config_mod.load(None))
    cache = embedding_cache(embedder)
    X = cache.embed(embedder, [clean(t) for t, _, _ in rows])
    doomed: dict[Path, set[int]] = defaultdict(set)
    held_out = sorted(p.stem for p in (root / "eval").glob("test*.jsonl"))
    examples = {pb.normalise(t) for t, _, _ in rows}
    for name in ["dev", *held_out]:
        lines = read_set(root / "eval" / f"{name}.jsonl")
        if sum(pb.normalise(e.text) in examples for e in lines) > len(lines) // 2:
            # a retired set folded into the phrasebank (fold_retired.py): its lines *are*
            # examples now, and --apply must not delete them
            print(f"{name}: retired, its lines are phrasebank examples; skipped")
            continue
        E = cache.embed(embedder, [clean(e.text) for e in lines])
        sims = X @ E.T
        keys = {pb.normalise(e.text): i for i, e in enumerate(lines)}
        hits = 0
        for i, (text, cid, _) in enumerate(rows):
            j = keys.get(pb.normalise(text), int(sims[i].argmax()))
            if pb.normalise(text) in keys or sims[i, j] >= args.max_cosine:
                hits += 1
                if name == args.drop_eval:  # an unscored set: no text of it on screen
                    print(f"{text.where}: {name}: near copy, cosine {sims[i, j]:.2f}")
                else:
                    near = lines[j]
                    print(f"{text.where}: {name}: '{text}' ({cid or 'neutral'}) ~ '{near.text}' "
                          f"({near.label or 'none'}) cosine {sims[i, j]:.2f}")  # fmt: skip
                doomed[root.parent / text.file].add(text.line)
        print(f"{name}: {hits} phrasebank examples within {args.max_cosine} of a {name} line")
        if name == args.drop_eval:
            near = (sims.max(0) >= args.max_cosine) | np.array(
                [pb.normalise(e.text) in examples for e in lines]
            )
            path = root / "eval" / f"{name}.jsonl"
            raw = path.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [ln for ln, drop in zip(raw, near, strict=True) if not drop]
            path.write_text("".join(kept), encoding="utf-8")
            print(f"{name}: dropped {int(near.sum())} of {len(lines)} lines, {len(kept)} kept")
    cache.save()
    if args.apply and not args.drop_eval:
        for path, numbers in doomed.items():
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [ln for n, ln in enumerate(lines, 1) if n not in numbers]
            path.write_text("".join(kept), encoding="utf-8")
        print(f"removed {sum(map(len, doomed.values()))} examples")


if __name__ == "__main__":
    main()
