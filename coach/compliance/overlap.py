"""Near-duplicate check: no eval line may be a near copy of a pack sentence the guard trains on.

For every line of ``dev.jsonl`` and the held-out ``test*.jsonl`` sets it prints the closest pack
sentence (examples, near-misses, lawful lines, required/identity phrases) and its cosine, and for
test lines also the closest dev line. Test lines at or above ``--max`` (default 0.95) are
failures (exit 1); dev lines are only listed. Reads only the texts of the sets, never the guard's
decisions on them. ``--drop SET`` rewrites a fresh held-out set without its failing lines, before
its first scoring (what was done to ``test3.jsonl``); it names no text of that set.

    .venv/bin/python -m coach.compliance.overlap [--max 0.95] [--show 0.9] [--drop test3]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from coach import config as config_mod
from coach.compliance import ComplianceConfig, load_packs
from coach.compliance.evaluate import read_lines
from coach.compliance.packs import default_folder, trained_on
from coach.match_cli import embedding_cache, load_embedder
from coach.matcher import clean
from coach.phrasebank import normalise


def pack_sentences(cfg: ComplianceConfig) -> list[str]:
    out: list[str] = []
    for pack in load_packs(cfg.folder, cfg.packs):
        out += [t for texts in pack.lawful.values() for t in texts]
        for rule in pack.rules:
            out += [t for t, _ in rule.phrases.texts()]
            out += [t for texts in rule.near_misses.values() for t in texts]
            out += [t for t, _ in rule.identity.texts()] if rule.identity else []
    return sorted({clean(t) for t in out})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=float, default=0.95)
    ap.add_argument("--show", type=float, default=0.9, help="also list lines above this")
    ap.add_argument("--drop", help="rewrite this held-out set (e.g. test3) without its failures")
    args = ap.parse_args()
    cfg = config_mod.load(None)
    ccfg = getattr(cfg, "compliance", None) or ComplianceConfig()
    embedder = load_embedder(cfg)
    cache = embedding_cache(embedder)
    packs = pack_sentences(ccfg)
    P = cache.embed(embedder, packs)
    folder = default_folder() / "eval"
    names = ["dev", *sorted(p.stem for p in folder.glob("test*.jsonl"))]
    sets = {s: [clean(x.text) for x in read_lines(folder / f"{s}.jsonl")] for s in names}
    in_packs = trained_on(load_packs(ccfg.folder, ccfg.packs))
    for name in names[1:]:
        if sum(normalise(t) in in_packs for t in sets[name]) > len(sets[name]) // 2:
            # a retired set folded into the packs (tools/compliance/fold_retired.py): its lines
            # *are* pack sentences now, and --drop must never be pointed at it
            print(f"{name}: retired, its lines are pack sentences; skipped")
            del sets[name]
    vecs = {s: cache.embed(embedder, texts) for s, texts in sets.items()}
    cache.save()
    failures = 0
    dropped: set[int] = set()
    for name, texts in sets.items():
        against = [("pack", packs, P)] + (
            [("dev", sets["dev"], vecs["dev"])] if name != "dev" else []
        )
        worst = 0.0
        for i, text in enumerate(texts):
            for label, pool, M in against:
                sims = M @ vecs[name][i]
                j = int(np.argmax(sims))
                worst = max(worst, float(sims[j]))
                if sims[j] >= args.show:
                    fail = sims[j] >= args.max and name != "dev"  # dev is for tuning anyway
                    failures += fail
                    if fail and name == args.drop:
                        dropped.add(i)
                    flag = "FAIL" if fail else "near"
                    if name == args.drop:  # an unscored set: no text of it on screen
                        print(f"{flag} {name} line {i + 1} {sims[j]:.3f} ~ {label}")
                    else:
                        print(f"{flag} {name} {sims[j]:.3f} {text!r} ~ {label} {pool[j]!r}")
        print(f"{name}: {len(texts)} lines, highest cosine to training/dev text {worst:.3f}")
    if args.drop and args.drop not in sets:
        sys.exit(f"{args.drop}: not a held-out set here (retired or missing); nothing dropped")
    if args.drop and dropped:
        path = folder / f"{args.drop}.jsonl"
        rows = [r for r in path.read_text(encoding="utf-8").splitlines() if r.strip()]
        kept = [r for i, r in enumerate(rows) if i not in dropped]
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
        print(f"{path.name}: dropped {len(dropped)} near copies, {len(kept)} lines left")
        return
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
