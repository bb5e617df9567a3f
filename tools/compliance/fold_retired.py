"""Fold a retired compliance test set into the rule packs: its labelled lines become examples.

A held-out set is scored once; after its errors have been read it no longer measures anything
honestly, but its lines are still hand-labelled collector and debtor lines written by someone who
never saw the packs — good training data, as the matcher's retired sets were
(``tools/matcher/fold_retired.py``). Where each line goes:

- a prohibited line: the ``examples`` of every rule in its label (both packs' rules);
- a legitimate collector line: the ``lawful`` list of the pack written for its language
  (``lang: en`` → us_fdcpa, ``zh`` → cn_guideline); a pack loaded alone keeps only its own;
- a legitimate line said to a third party: the ``near_misses`` of the third-party rule of that
  pack; a legitimate debtor line: the ``near_misses`` of the first debtor rule (all debtor
  near-misses are the debtor head's lawful class alike).

Each block goes after the last item of its list under a comment naming the set. Lines whose
normalised text is already in a pack are skipped. The packs are reloaded afterwards and every
file is restored if they no longer load or a folded line is not where it was put. The set stays
in ``eval/`` for the record; do not report figures on it afterwards.

    .venv/bin/python tools/compliance/fold_retired.py test test2 [...] [--dry-run]

New training lines written for the purpose (never a held-out set) go in the same way, from a
file in the eval format, with a comment saying where they came from:

    .venv/bin/python tools/compliance/fold_retired.py /tmp/lines.jsonl --comment "why, by whom"
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from coach import phrasebank as pb
from coach.compliance import ComplianceError, load_packs
from coach.compliance.config import ComplianceConfig
from coach.compliance.evaluate import Line, read_lines
from coach.compliance.packs import Pack, default_folder, trained_on

PACKS = ComplianceConfig().packs  # both shipped packs
TOOL = "tools/compliance/fold_retired.py"
Slot = tuple[str, int]  # (file, line of the last item of the list to extend)


def target(line: Line, packs: list[Pack], folder: Path) -> list[Slot]:
    """Where one labelled line goes (see the module docstring), as the file and line of the
    last item of each list it joins."""

    def after_last(items: list) -> Slot:
        last = items[-1]  # its file is named relative to the packs' parent folder
        return (str(folder.parent / last.file), last.line)

    rules = {r.id: r for p in packs for r in p.rules}
    if line.labels:
        return [after_last(rules[r].phrases.examples[line.lang]) for r in sorted(line.labels)]
    home = next((p for p in packs if p.lang == line.lang), packs[0])
    if line.channel == "debtor":
        rule = next(r for p in packs for r in p.rules if r.channel == "debtor")
        return [after_last(rule.near_misses[line.lang])]
    if "third_party" in line.context:
        rule = next(r for r in home.rules if r.when == "third_party")
        return [after_last(rule.near_misses[line.lang])]
    return [after_last(home.lawful[line.lang])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", metavar="NAME", help="eval/NAME.jsonl or a .jsonl path")
    ap.add_argument("--comment", help="the comment above the folded block (default: retired set)")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    folder = default_folder()
    for name in args.sets:
        packs = load_packs(folder, PACKS)
        known = trained_on(packs)
        rules = {r.id for p in packs for r in p.rules}
        source = Path(name) if name.endswith(".jsonl") else folder / "eval" / f"{name}.jsonl"
        lines = read_lines(source, rules)
        additions: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        placed: list[str] = []
        skipped = 0
        for line in lines:
            key = pb.normalise(line.text)
            if key in known:
                skipped += 1
                continue
            known.add(key)
            for file, after in target(line, packs, folder):
                additions[file][after].append(line.text)
            placed.append(line.text)
        print(f"{name}: {len(placed)} lines folded in, {skipped} already in a pack")
        if args.dry_run:
            continue
        saved = {file: Path(file).read_text(encoding="utf-8") for file in additions}
        comment = args.comment or f"from eval/{name}.jsonl, a retired held-out set ({TOOL})"
        for file, blocks in additions.items():
            pb.insert_items(Path(file), blocks, comment)
        try:
            missing = set(map(pb.normalise, placed)) - trained_on(load_packs(folder, PACKS))
            if missing:
                raise ComplianceError(f"{len(missing)} folded lines did not load back")
        except ComplianceError as err:
            for file, text in saved.items():
                Path(file).write_text(text, encoding="utf-8")
            raise SystemExit(f"{name}: not folded, packs restored — {err}") from None
    print("packs load; re-tune: python -m coach.compliance.tune --sets dev <retired sets>")


if __name__ == "__main__":
    main()
