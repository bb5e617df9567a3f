"""Tune the matcher's decision thresholds on data that no reported figure comes from.

The tuning pool is ``eval/dev.jsonl`` plus the retired held-out sets that
``tools/matcher/fold_retired.py`` folded into the phrasebank (and ``long17``, ``long18`` and
``lines19``, training lines folded the same way: long replies, so the pool holds them in a real
call's share, and lines of the kinds a blind set got wrong). A retired set's lines are training
examples now, so each one is scored by a head trained *without* its lines (leave one set out);
dev, never trained on, is scored by the head trained on everything. The held-out set of the day
(the newest ``eval/test*.jsonl`` not folded in) is never read here.

For each regularisation strength C of the head and each share of the neighbour vote
(``MatcherConfig.neighbour_weight``), every (min_prob, min_similarity, sure_prob, clause_min_prob)
is scored on the pool; the pick maximises the worse language's top-1 on excuses while keeping false
alarms on non-excuses at or below --max-fa in both languages (set below the 3% target, to leave
room for sets we have not seen). Prints JSON; copy the winner into MatcherConfig's defaults.

The pick is scored on the blind-written sets only (dev and the retired ``test*`` sets; --score-on
all: the whole pool). The training-line sets (``long*``, ``lines*``) are written *at* the kinds a
blind set got wrong, contrasts included, so a head trained without them misreads them far more
than it misreads a blind set (left out, ``lines22``'s zh non-excuses drew 12.9 % false alarms,
the blind sets 0–5.3 %, most under 2 %): capping false alarms on them tuned the gate to sets
unlike any call. They still train every other fold, and their figures are reported (``*_all``,
and per set).

A pool line that an example of its fold's training data nearly repeats (cosine >= --max-cosine,
or the same text after normalising) is left out of the scores, as
``tools/matcher/decontaminate.py`` leaves such lines out of a new held-out set before its
scoring: otherwise the pool is easier than any blind set (its authors wrote many of the same
fillers and questions), and the thresholds it picks admit too much on the next blind set.

    .venv/bin/python tools/matcher/tune.py [--retired test test2 …] [--max-fa 0.015]
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace

import numpy as np

from coach import config as config_mod
from coach import phrasebank as pb
from coach.clauses import clauses, size
from coach.evaluation import read_set
from coach.match_cli import embedding_cache, load_embedder
from coach.matcher import NEUTRAL, MatcherConfig, clean, neighbour_vote

# the sets fold_retired.py has folded in
RETIRED = [
    "test",
    "test2",
    "test3",
    "test4",
    "test5",
    "test6",
    "test7",
    "test8",
    "test9",
    "test10",
    "test11",
    "test12",
    "test13",
    "test14",
    "test15",
    "test16",
    "test17",
    "test18",
    "long17",  # training lines, long replies: scored leave-one-out like a retired set
    "long18",
    "lines19",  # training lines of the kinds test18 got wrong, scored the same way
    "test19",
    "lines20",  # training lines of the kinds test19 got wrong
    "test20",
    "lines21",  # training lines of the kinds test20 got wrong
    "test21",
    "lines22",  # training lines of the kinds test21 got wrong
    "test22",
    "lines23",  # training lines of the kinds test22 got wrong
    "test23",
    "lines24",  # training lines of the kinds test23 got wrong
    "test24",
    "lines25",  # training lines of the kinds test24 got wrong
    "test25",
    "lines26",  # training lines of the kinds test25 got wrong
]
CLAUSE_MIN_PROB = [None, 0.8, 0.9, 0.95]


def head_scores(
    X: np.ndarray, y: np.ndarray, D: np.ndarray, C: float, weights: list[float]
) -> dict[float, dict[str, np.ndarray]]:
    """What the matcher computes for each row of D, with a head trained on (X, y), per
    neighbour weight (MatcherConfig.neighbour_weight; its k and temperature are the defaults)."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=C, max_iter=3000).fit(X, y)
    classes = np.array(head.classes_)
    P_head = head.predict_proba(D)
    mc = MatcherConfig()
    vote = neighbour_vote(D @ X.T, y, list(classes), mc.neighbours, mc.neighbour_temperature)
    return {w: _scores(X, y, D, classes, (1 - w) * P_head + w * vote) for w in weights}


def _scores(
    X: np.ndarray, y: np.ndarray, D: np.ndarray, classes: np.ndarray, P: np.ndarray
) -> dict[str, np.ndarray]:
    Pe = np.where(classes != NEUTRAL, P, -1)
    best = classes[Pe.argmax(1)]
    return {
        "neutral_top": classes[P.argmax(1)] == NEUTRAL,
        "best": best,
        "p_best": Pe.max(1),
        "sim": np.array([(X[y == b] @ d).max() for b, d in zip(best, D, strict=True)]),
    }


def grid(
    s: dict[str, np.ndarray],
    c: dict[str, np.ndarray],
    fresh: np.ndarray,
    C: float,
    w: float,
    labels: np.ndarray,
    langs: np.ndarray,
    origin: np.ndarray,
    parts: list,
    blind: np.ndarray,
) -> list[dict]:
    """Every threshold combination scored on the fresh pool lines, per language and per set.
    ``c`` holds the same scores for the clauses of long lines (``line``: the pool line of each,
    rows sorted by line, then by falling p_best), as the matcher's step 4 reads them."""
    rows = []
    for min_prob, min_sim, sure, clause_p in itertools.product(
        np.arange(0.3, 0.91, 0.05), np.arange(0.0, 0.81, 0.1), [0.8, 0.9, 0.95, 1.0],
        CLAUSE_MIN_PROB,
    ):  # fmt: skip
        if sure <= min_prob:
            continue
        near = (s["sim"] >= min_sim) | (s["p_best"] >= sure)
        accept = ~s["neutral_top"] & (s["p_best"] >= min_prob) & near
        pred = np.where(accept, s["best"], "")
        if clause_p is not None and len(c["line"]):
            c_near = (c["sim"] >= min_sim) | (c["p_best"] >= sure)
            c_ok = ~c["neutral_top"] & (c["p_best"] >= max(min_prob, clause_p)) & c_near
            lines, first = np.unique(c["line"][c_ok], return_index=True)  # the surest clause
            rescue = ~accept[lines]
            pred[lines[rescue]] = c["best"][c_ok][first][rescue]
        row = {"C": C, "neighbour_weight": w, "min_prob": round(float(min_prob), 2),
               "min_similarity": round(float(min_sim), 2), "sure_prob": sure,
               "clause_min_prob": clause_p}  # fmt: skip
        for lang in ("zh", "en"):
            exc = (langs == lang) & (labels != "") & fresh
            neu = (langs == lang) & (labels == "") & fresh
            row[f"top1_{lang}"] = round(float((pred[exc & blind] == labels[exc & blind]).mean()), 4)
            row[f"fa_{lang}"] = round(float((pred[neu & blind] != "").mean()), 4)
            row[f"top1_{lang}_all"] = round(float((pred[exc] == labels[exc]).mean()), 4)
            row[f"fa_{lang}_all"] = round(float((pred[neu] != "").mean()), 4)
            for name, _, _ in parts:  # per set, to see that no one set drives the pick
                e, n = exc & (origin == name), neu & (origin == name)
                row[f"{name}_{lang}"] = (
                    round(float((pred[e] == labels[e]).mean()), 3),
                    round(float((pred[n] != "").mean()), 3),
                )
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt", default="Classification")
    # 1.5%, not the 3% target: over six blind sets, false alarms ran about half a point above the
    # pool's (one line of ~80 is 1.25 points)
    ap.add_argument("--max-fa", type=float, default=0.015)
    ap.add_argument("--C", type=float, nargs="+", default=[32.0, 64.0, 128.0, 256.0, 512.0])
    ap.add_argument("--retired", nargs="*", default=RETIRED)
    ap.add_argument(
        "--neighbour-weight",
        type=float,
        nargs="+",
        default=[0.0, 0.25, 0.5, 0.75],
        help="shares of the neighbour vote to try",
    )
    ap.add_argument(
        "--score-on",
        choices=["blind", "all"],
        default="blind",
        help="pool lines the pick is scored on: blind-written sets only, or all (module docstring)",
    )
    ap.add_argument(
        "--max-cosine", type=float, default=0.95, help="near copies left out (>1: none)"
    )
    args = ap.parse_args()

    cfg = config_mod.load(None)
    cfg = replace(cfg, matcher=replace(cfg.matcher, prompt=args.prompt or None))
    embedder = load_embedder(cfg)
    root = pb.default_root()
    book = pb.load(root)
    rows = book.labelled_examples()
    cache = embedding_cache(embedder)
    X = cache.embed(embedder, [clean(t) for t, _, _ in rows])
    y = np.array([c or NEUTRAL for _, c, _ in rows])
    keys = np.array([pb.normalise(t) for t, _, _ in rows])
    parts = []  # (set name, its lines, their vectors)
    clause_of: list[list[str]] = []  # per pool line, the clauses step 4 would read
    min_size = MatcherConfig().clause_min_size
    for name in ["dev", *args.retired]:
        lines = read_set(root / "eval" / f"{name}.jsonl", set(book.categories))
        parts.append((name, lines, cache.embed(embedder, [clean(e.text) for e in lines])))
        for e in lines:
            text = clean(e.text)
            long = size(text, e.lang) >= min_size.get(e.lang, 10**6)
            clause_of.append(clauses(text, e.lang) if long else [])
    clause_texts = sorted({t for ts in clause_of for t in ts})
    clause_vec = dict(zip(clause_texts, cache.embed(embedder, clause_texts), strict=True))
    cache.save()
    labels = np.array([e.label or "" for _, lines, _ in parts for e in lines])
    langs = np.array([e.lang for _, lines, _ in parts for e in lines])
    origin = np.array([name for name, lines, _ in parts for _ in lines])
    # blind-written: dev and the retired held-out sets; the rest are training lines
    blind_sets = [
        n for n, _, _ in parts if args.score_on == "all" or n == "dev" or n.startswith("test")
    ]
    blind = np.isin(origin, blind_sets)

    # each fold's training rows (its own lines left out), and the pool lines that are near copies
    # of that training data, left out of the scores (module docstring); neither depends on C
    folds, fresh_parts = [], []
    for name, lines, D in parts:
        texts = [pb.normalise(e.text) for e in lines]
        train = ~(np.isin(keys, texts) & (name != "dev"))
        folds.append(train)
        copied = (D @ X[train].T).max(1) >= args.max_cosine
        fresh_parts.append(~np.isin(texts, keys[train]) & ~copied)
    fresh = np.concatenate(fresh_parts)

    # each part's clause rows: their pool line and their vector
    starts = np.cumsum([0] + [len(lines) for _, lines, _ in parts])
    part_clauses = []
    for k in range(len(parts)):
        rows_k = [(i, t) for i in range(starts[k], starts[k + 1]) for t in clause_of[i]]
        part_clauses.append((
            np.array([i for i, _ in rows_k], dtype=int),
            np.array([clause_vec[t] for _, t in rows_k]).reshape(len(rows_k), X.shape[1]),
        ))  # fmt: skip

    results = []
    for C in args.C:
        scored: dict[float, dict[str, list[np.ndarray]]] = {w: {} for w in args.neighbour_weight}
        c_scored: dict[float, dict[str, list[np.ndarray]]] = {w: {} for w in args.neighbour_weight}
        for (_, _, D), train, (c_line, S) in zip(parts, folds, part_clauses, strict=True):
            both = head_scores(X[train], y[train], np.vstack([D, S]), C, args.neighbour_weight)
            for w, columns in both.items():
                for k, v in columns.items():
                    scored[w].setdefault(k, []).append(v[: len(D)])
                    c_scored[w].setdefault(k, []).append(v[len(D) :])
                c_scored[w].setdefault("line", []).append(c_line)
        for w, s_lists in scored.items():
            s = {k: np.concatenate(v) for k, v in s_lists.items()}
            c = {k: np.concatenate(v) for k, v in c_scored[w].items()}
            order = np.lexsort((-c["p_best"], c["line"]))
            c = {k: v[order] for k, v in c.items()}
            results += grid(s, c, fresh, C, w, labels, langs, origin, parts, blind)
    ok = [r for r in results if r["fa_zh"] <= args.max_fa and r["fa_en"] <= args.max_fa]

    def key(r: dict) -> tuple:
        # Ties on top-1 go to fewer false alarms, then to the stricter thresholds: with equal
        # scores on the pool, the margin is what protects sets we have not seen.
        return (
            min(r["top1_zh"], r["top1_en"]),
            r["top1_zh"] + r["top1_en"],
            -(r["fa_zh"] + r["fa_en"]),
            r["min_prob"],
            r["min_similarity"],
            r["sure_prob"],
            r["clause_min_prob"] or 2.0,  # off is the strictest
        )

    ranked = sorted(ok, key=key, reverse=True)
    # for comparison, the pick that scoring the whole pool (training-line sets too) would make
    ok_all = [r for r in results if r["fa_zh_all"] <= args.max_fa and r["fa_en_all"] <= args.max_fa]
    whole = [{**r, **{k: r[f"{k}_all"] for k in ("top1_zh", "top1_en", "fa_zh", "fa_en")}}
             for r in ok_all]  # fmt: skip
    best_all = max(whole, key=key, default=None)
    # The trade-off along min_prob at the picked C and similarity, to see the pick is not a cliff.
    pick = ranked[0] if ranked else {"C": args.C[0], "min_similarity": 0.6, "sure_prob": 1.0}
    curve = [
        {k: r[k] for k in ("min_prob", "top1_zh", "fa_zh", "top1_en", "fa_en")}
        for r in results
        if (
            r["C"],
            r["neighbour_weight"],
            r["min_similarity"],
            r["sure_prob"],
            r["clause_min_prob"],
        )
        == (
            pick["C"],
            pick.get("neighbour_weight", 0.0),
            pick["min_similarity"],
            pick["sure_prob"],
            pick.get("clause_min_prob"),
        )
    ]
    # What reading long replies clause by clause would change at the pick's thresholds.
    clause_curve = [
        {k: r[k] for k in ("clause_min_prob", "top1_zh", "fa_zh", "top1_en", "fa_en")}
        | {k: v for k, v in r.items() if k.startswith("long")}  # the long-reply training sets
        for r in results
        if all(r[k] == pick.get(k) for k in
               ("C", "neighbour_weight", "min_prob", "min_similarity", "sure_prob"))
    ]  # fmt: skip
    print(json.dumps({"prompt": args.prompt, "max_fa": args.max_fa, "score_on": blind_sets,
                      "pool": {name: len(lines) for name, lines, _ in parts},
                      "scored": {name: int((fresh & (origin == name)).sum())
                                 for name, _, _ in parts},
                      "best": ranked[0] if ranked else None, "runners_up": ranked[1:6],
                      "best_scored_on_all": best_all,
                      "curve": curve, "clause_curve": clause_curve},
                     indent=1, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
