"""Fold a retired held-out set into the phrasebank: its labelled lines become training examples.

A held-out set is scored once; after its errors have been read it no longer measures anything
honestly, but its lines are still hand-labelled debtor replies written by someone who never saw
the phrasebank — good training data. This appends each line to the examples of its category
file (``label: null`` lines to ``neutral.yaml``) under a comment naming the set, so trainers see
where they came from and lint checks them like any other example. Lines whose normalised text
is already an example are skipped (reported when the labels disagree). The set stays in
``eval/`` for the record; do not report figures on it afterwards.

    .venv/bin/python tools/matcher/fold_retired.py test2 [test3 ...] [--dry-run]

New training lines written for the purpose (never a held-out set) go in the same way, from a
file in the eval format, with a comment saying where they came from:

    .venv/bin/python tools/matcher/fold_retired.py /tmp/lines.jsonl --comment "why, by whom"
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from coach import phrasebank as pb
from coach.evaluation import read_set


def insert_examples(path: Path, additions: dict[str, list[str]], comment: str) -> None:
    """Append items to ``examples: {zh: [...], en: [...]}`` of one file, keeping its layout."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.rstrip() == "examples:")
    blocks = {}
    for lang in additions:
        head = next(i for i in range(start, len(lines)) if lines[i].rstrip() == f"  {lang}:")
        end = head + 1
        while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
            end += 1
        while not lines[end - 1].strip():  # keep blank lines after the list where they were
            end -= 1
        blocks[end] = additions[lang]  # after line `end` (1-based): the list's last item
    pb.insert_items(path, blocks, comment, indent=4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", metavar="NAME", help="eval/NAME.jsonl or a .jsonl path")
    ap.add_argument("--comment", help="the comment above the folded block (default: retired set)")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    root = pb.default_root()
    book = pb.load(root)
    known = {pb.normalise(t): cid for t, cid, _ in book.labelled_examples()}
    for name in args.sets:
        source = Path(name) if name.endswith(".jsonl") else root / "eval" / f"{name}.jsonl"
        lines = read_set(source, set(book.categories))
        additions: dict[Path, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        skipped = conflicts = 0
        for e in lines:
            key = pb.normalise(e.text)
            if key in known:
                skipped += 1
                if known[key] != e.label:
                    conflicts += 1
                    was = known[key] or "neutral"
                    print(f"{name}: '{e.text}' is {e.label or 'neutral'} here but {was} in the "
                          "phrasebank; kept the phrasebank's")  # fmt: skip
                continue
            known[key] = e.label
            path = root / ("neutral.yaml" if e.label is None else f"excuses/{e.label}.yaml")
            additions[path][e.lang].append(e.text)
        added = sum(len(t) for by_lang in additions.values() for t in by_lang.values())
        print(f"{name}: {added} lines folded in, {skipped} already examples ({conflicts} disagree)")
        if not args.dry_run:
            tool = "tools/matcher/fold_retired.py"
            comment = args.comment or f"from eval/{name}.jsonl, a retired held-out set ({tool})"
            for path, by_lang in additions.items():
                insert_examples(path, by_lang, comment)
    if not args.dry_run:
        pb.load(root)  # refuse to leave a phrasebank that no longer loads
        print("phrasebank loads; run: coach phrasebank lint")


if __name__ == "__main__":
    main()
