"""Phrasebank checks for trainers: what ``coach phrasebank lint`` reports, as file:line findings.

Schema problems come from :func:`coach.phrasebank.load`. On a loadable phrasebank this adds:
duplicates (within a category, across categories, against the neutral set), thin categories, and —
with the embedding model — examples and category pairs that sit too close to tell apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from coach import phrasebank as pb

CLOSE_EXAMPLE = 0.92  # cosine at which two examples of different categories say the same thing
CONFUSED_SHARE = 0.2  # share of a category's examples nearer another category -> a pair warning


@dataclass(frozen=True)
class Finding:
    where: str
    level: str  # error | warning
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


def _label(cid: str | None) -> str:
    return cid or "neutral"


def static_findings(book: pb.Phrasebank) -> list[Finding]:
    found: list[Finding] = []
    seen: dict[str, tuple[pb.Text, str | None]] = {}
    for text, cid, _lang in book.labelled_examples():
        key = pb.normalise(text)
        if not key:
            found.append(Finding(text.where, "error", f"example '{text}' has no words"))
            continue
        if key in seen:
            first, first_cid = seen[key]
            kind = "duplicate" if first_cid == cid else "conflicting duplicate"
            level = "warning" if first_cid == cid else "error"
            found.append(
                Finding(
                    text.where,
                    level,
                    f"{kind}: '{text}' ({_label(cid)}) repeats {first.where} ({_label(first_cid)})",
                )
            )
        else:
            seen[key] = (text, cid)
    for cat in book.categories.values():
        for lang in pb.LANGS:
            n = len(cat.examples.get(lang, []))
            if n < pb.MIN_EXAMPLES:
                found.append(
                    Finding(
                        f"{cat.file}:1",
                        "error",
                        f"{cat.id} has {n} {lang} examples; at least {pb.MIN_EXAMPLES} are needed",
                    )
                )
    return found


def closeness_findings(
    book: pb.Phrasebank, vectors: np.ndarray, labels: list[str | None]
) -> list[Finding]:
    """Leave-one-out nearest neighbours: examples that another category claims, and close pairs."""
    rows = book.labelled_examples()
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    found: list[Finding] = []
    confused: Counter = Counter()
    sizes = Counter(labels)
    for i, (text, cid, _lang) in enumerate(rows):
        j = int(np.argmax(sims[i]))
        other = labels[j]
        if other == cid:
            continue
        confused[(cid, other)] += 1
        if sims[i, j] >= CLOSE_EXAMPLE and cid is not None:
            found.append(
                Finding(
                    text.where,
                    "warning",
                    f"'{text}' ({_label(cid)}) says the same as {rows[j][0].where} "
                    f"'{rows[j][0]}' ({_label(other)}), cosine {sims[i, j]:.2f}",
                )
            )
    for (a, b), n in sorted(confused.items(), key=lambda kv: -kv[1]):
        if a is None or n / sizes[a] < CONFUSED_SHARE:
            continue
        cat = book.categories[a]
        found.append(
            Finding(
                f"{cat.file}:1",
                "warning",
                f"{a} and {_label(b)} are hard to tell apart: {n} of {sizes[a]} {a} examples "
                f"are nearest to a {_label(b)} example",
            )
        )
    return found
