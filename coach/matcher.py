"""The excuse matcher: what did the debtor say — one category of the phrasebank, or none.

Sentence embeddings (EmbeddingGemma by default) put Mandarin and English in one space, so an
utterance can match through examples in either language. Nearest-neighbour similarity alone is
high for almost any sentence, so the decision is open-set by design:

1. a light multinomial logistic head over the embeddings, trained on every phrasebank example with
   the neutral set as one more class — "not an excuse" is learned, not assumed — blended with a
   vote of the nearest examples (``neighbour_weight``): a linear head alone can outvote an
   utterance's clear neighbours;
2. that probability for the best excuse must clear ``min_prob``;
3. the utterance must also sit near a real example of that category (``min_similarity``), which
   rejects text far from everything the trainers wrote (noise, off-topic chatter) — unless the
   head is sure (``sure_prob``): a long, rambling reply is never very near a short example;
4. optionally (``clause_min_prob``; off as tuned since the eighth session), a long reply that
   fails 1–3 as a whole is read clause by clause (``coach/clauses.py``), and a clause that passes
   them with a probability of at least ``clause_min_prob`` gives the card.
5. a reply of any length that passes 2 but fails 3 (a likely excuse, but far from every example
   of it) is near enough when one of its clauses is (``clause_near``): "I don't remember the
   number. Look, I will pay 500 on Friday." is a likely promise whose whole sits far from the
   short promises the trainers wrote, while its last sentence sits close to them.

The thresholds are tuned by ``tools/matcher/tune.py`` on ``phrasebank/eval/dev.jsonl`` and the
retired held-out sets; the newest ``phrasebank/eval/test*.jsonl`` is held out for reporting.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from coach.clauses import clauses, size
from coach.embedders import Embedder
from coach.phrasebank import Category, Phrasebank, card_texts

log = logging.getLogger(__name__)

NEUTRAL = "__neutral__"
MAX_CHARS = 300  # a 2,000-character paste is cut: excuses are short, and cost grows with length
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDISH = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)


@dataclass(frozen=True)
class MatcherConfig:
    enabled: bool = True
    phrasebank: str | None = None  # folder; default: the phrasebank shipped with the coach
    prompt: str | None = "Classification"  # EmbeddingGemma's named prompt; None for plain models
    # a long reply is read whole: at 64 tokens (prompt included) a 45-word reply lost its end,
    # where the excuse often sits; one text per run, so short texts pay nothing for it
    max_tokens: int = 128
    # Tuned with tools/matcher/tune.py (int8 ONNX runtime, 128 tokens, 2026-11-25, thirteenth
    # session, round 26) on dev.jsonl plus the retired held-out sets folded into the phrasebank
    # (test…test25), each scored by a head trained without its own lines and without the pool
    # lines an example nearly repeats (as a blind set is cleaned): the best worse-language top-1
    # with false alarms <= 1.5% per language on that pool (zh 96.53% / 1.49%, en 96.78% / 1.06%);
    # ties go to fewer false alarms, stricter thresholds. The training lines (long17, long18,
    # lines19…lines26) train every fold but are not scored since the eleventh session (tune.py's
    # docstring): scoring them too would pick min_prob 0.55. C was gridded 16…128 over the rounds;
    # the optimum is flat (round 26 went back to round 23's C 128 / 0.45 / 0.7 / 0.8).
    # A card needs a likely excuse with a real example of it close by, unless the head is at
    # least sure_prob sure (1.0: always; 0.8 in the tenth, eleventh and thirteenth sessions; 1.0
    # in the twelfth, where 0.8–1.0 tied on the pool and ties went to the stricter value).
    regularisation: float = 128.0  # the head's C (inverse L2 strength)
    min_prob: float = 0.45
    min_similarity: float = 0.7
    sure_prob: float = 0.8  # a head this sure needs no example nearby (1.0: always needs one)
    # The share of the decision given to the nearest examples' vote (0: the head alone). A linear
    # head can outvote clear neighbours: "我正开着车呢,前面就是收费站" sits among too_busy examples
    # but next to many "I'm driving, but go ahead" non-excuses in the head's view.
    neighbour_weight: float = 0.5
    neighbours: int = 10  # how many nearest examples vote
    neighbour_temperature: float = 0.05  # softmax temperature over their cosines
    # Clause by clause for long replies (at least this many zh characters / en words) that the
    # whole-reply decision turned down; None: never. On from the sixth session to the seventh (at
    # 0.95 the long18 lines gained 9 points top-1 zh / 8 en); off since the eighth session's
    # tuning, by its rule: at the picked thresholds 0.95 adds 0.8 points top-1 zh but takes the
    # pool's zh false alarms to 1.95%, over the 1.5% cap, and no setting with it on beat the pick
    # under the cap (ninth and tenth sessions: +0.8 points, zh 1.95% and 2.01%). Off, a long reply
    # costs one embedding, not one per clause.
    clause_min_prob: float | None = None
    clause_min_size: dict[str, int] = field(default_factory=lambda: {"zh": 25, "en": 15})
    # Step 5: the category and its probability stay the whole reply's; only the nearness to an
    # example may come from a clause (after the last contrast marker, as in step 4).
    clause_near: bool = True
    stage: str | None = None  # account stage M0..M3 for stage-specific rebuttals
    partial_min_chars: int = 4  # stable partial text shorter than this is not matched
    # a rejected utterance whose best excuse still scores this much is flagged for QA (Unmatched)
    near_miss: float = 0.35


@dataclass(frozen=True)
class Decision:
    """The matcher's answer for one text. ``category`` None means: show no card."""

    text: str
    lang: str
    category: str | None
    score: float  # the probability of ``category`` (of the best excuse when None): head + vote
    best: str | None  # the best excuse category even when rejected, for QA and tuning
    similarity: float  # cosine to the nearest example of ``best``
    # matched / matched a clause / near by a clause / neutral / low score / far from examples /
    # no words
    reason: str
    clause: str | None = None  # the clause that gave the card or its nearness (steps 4, 5), for QA

    def to_dict(self) -> dict:
        out = {
            "category": self.category,
            "score": round(self.score, 4),
            "best": self.best,
            "similarity": round(self.similarity, 4),
            "lang": self.lang,
            "reason": self.reason,
        }
        if self.clause is not None:
            out["clause"] = self.clause
        return out


def neighbour_vote(
    sims: np.ndarray, labels: np.ndarray, classes: list[str], k: int, temperature: float
) -> np.ndarray:
    """Per row of ``sims`` (texts × examples): a distribution over ``classes`` from the ``k``
    nearest examples, each weighted by a softmax of its cosine (closer examples count more).
    ``labels`` are the examples' class names, or already their column numbers in ``classes``
    (the matcher keeps those: mapping 13,000 names costs more than the vote itself)."""
    k = min(k, sims.shape[1])
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(sims, idx, 1)
    w = np.exp((top - top.max(1, keepdims=True)) / temperature)
    w /= w.sum(1, keepdims=True)
    if labels.dtype.kind in "iu":
        label_col = labels
    else:
        column = {c: i for i, c in enumerate(classes)}
        label_col = np.array([column[label] for label in labels])
    out = np.zeros((len(sims), len(classes)))
    rows = np.repeat(np.arange(len(sims)), k)
    np.add.at(out, (rows, label_col[idx].ravel()), w.ravel())
    return out


def detect_lang(text: str) -> str:
    """zh when a fair share of the letters are Chinese characters, else en (for typed text)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for ch in letters if _CJK.match(ch))
    return "zh" if cjk >= max(1, 0.2 * len(letters)) else "en"


def clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = " ".join(text.split())
    return text[:MAX_CHARS]


class EmbeddingCache:
    """Phrasebank example vectors kept on disk, so a restart or a reload embeds only new text."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        self.dirty = False
        if path and path.exists():
            try:
                with np.load(path) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except Exception:  # noqa: BLE001 - a broken cache is rebuilt, never fatal
                log.warning("embedding cache %s unreadable; rebuilding it", path)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items()
        )
        if missing:
            vecs = embedder.encode([t for _, t in missing])
            self.vectors.update({k: v for (k, _), v in zip(missing, vecs, strict=True)})
            self.dirty = True
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, embedder.dim))

    def save(self) -> None:
        if not (self.path and self.dirty):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        keys = list(self.vectors)
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
        tmp.replace(self.path)
        self.dirty = False


class Matcher:
    """Decides category-or-none for texts, against one phrasebank."""

    def __init__(
        self,
        phrasebank: Phrasebank,
        embedder: Embedder,
        cfg: MatcherConfig | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        from sklearn.linear_model import LogisticRegression

        self.phrasebank = phrasebank
        self.embedder = embedder
        self.cfg = cfg or MatcherConfig()
        rows = phrasebank.labelled_examples()
        texts = [clean(text) for text, _, _ in rows]
        cache = cache or EmbeddingCache(None)
        self.example_vectors = cache.embed(embedder, texts)
        cache.save()
        self.example_labels = np.array([label or NEUTRAL for _, label, _ in rows])
        self.example_texts = [str(text) for text, _, _ in rows]
        self.head = LogisticRegression(C=self.cfg.regularisation, max_iter=3000)
        self.head.fit(self.example_vectors, self.example_labels)
        self.classes = list(self.head.classes_)
        # Kept ready for the per-utterance path, where a long reply's clauses are decided one
        # after another: sklearn's input checks and per-call label lookups cost more than the
        # arithmetic (5.6 ms a clause before, most of a long final's time besides embedding).
        column = {c: i for i, c in enumerate(self.classes)}
        self._label_col = np.array([column[label] for label in self.example_labels])
        self._rows_of = {c: np.flatnonzero(self.example_labels == c) for c in self.classes}
        self._coef_t = np.ascontiguousarray(self.head.coef_.T)
        self._intercept = self.head.intercept_

    def category(self, cid: str) -> Category:
        return self.phrasebank.categories[cid]

    def decide(self, texts: list[str], langs: list[str | None] | None = None) -> list[Decision]:
        """One decision per text, in order; the texts that have words are embedded in one batch."""
        langs = langs or [None] * len(texts)
        cleaned = [clean(t) for t in texts]
        scored = [i for i, t in enumerate(cleaned) if _WORDISH.search(t)]
        out: list[Decision | None] = [None] * len(texts)
        for i, t in enumerate(cleaned):
            if i not in scored:
                out[i] = Decision(t, langs[i] or detect_lang(t), None, 0.0, None, 0.0, "no words")
        if scored:
            vecs = self.embedder.encode([cleaned[i] for i in scored])
            found = self._decide_rows(
                [cleaned[i] for i in scored],
                [langs[i] or detect_lang(cleaned[i]) for i in scored],
                vecs,
            )
            for i, d in zip(scored, found, strict=True):
                out[i] = d
        decided = [d for d in out if d is not None]
        if self.cfg.clause_near:
            decided = self._near_by_clause(decided)
        return self._by_clause(decided) if self.cfg.clause_min_prob is not None else decided

    def _clause_vectors(self, asked: dict[int, list[str]]) -> dict[str, np.ndarray]:
        """One vector per distinct clause, in one call; a growing partial's earlier clauses come
        from the embedder's recent texts."""
        todo = list(dict.fromkeys(c for cs in asked.values() for c in cs))
        return dict(zip(todo, self.embedder.encode(todo), strict=True)) if todo else {}

    def _near_by_clause(self, decisions: list[Decision]) -> list[Decision]:
        """Step 5 of the module docstring."""
        asked = {
            i: clauses(d.text, d.lang)
            for i, d in enumerate(decisions)
            if d.reason == "far from examples"
        }
        vectors = self._clause_vectors(asked)
        out = list(decisions)
        for i, texts in asked.items():
            d = decisions[i]
            mine = self.example_vectors[self._rows_of[d.best]]  # one copy per reply
            near = [(float((mine @ vectors[c]).max()), c) for c in texts]
            similarity, clause = max(near, default=(0.0, ""))
            if similarity >= self.cfg.min_similarity:
                out[i] = replace(
                    d, category=d.best, similarity=similarity, reason="near by a clause",
                    clause=clause,
                )  # fmt: skip
        return out

    def _by_clause(self, decisions: list[Decision]) -> list[Decision]:
        """Step 4 of the module docstring, for the long replies turned down as a whole."""
        cfg = self.cfg
        asked = {
            i: clauses(d.text, d.lang)
            for i, d in enumerate(decisions)
            if d.category is None and d.reason != "no words"
            and size(d.text, d.lang) >= cfg.clause_min_size.get(d.lang, 10**6)
        }  # fmt: skip
        vectors = self._clause_vectors(asked)
        out = list(decisions)
        for i, texts in asked.items():
            whole = decisions[i]
            if not texts:
                continue
            found = self._decide_rows(
                texts, [whole.lang] * len(texts), np.stack([vectors[c] for c in texts])
            )
            sure = [
                d for d in found if d.category is not None and d.score >= (cfg.clause_min_prob or 0)
            ]
            if sure:
                d = max(sure, key=lambda d: d.score)
                out[i] = replace(d, text=whole.text, reason="matched a clause", clause=d.text)
        return out

    def head_probs(self, vecs: np.ndarray) -> np.ndarray:
        """The head's class probabilities, as ``head.predict_proba`` gives them (a softmax of
        the multinomial logits) without its per-call input checks."""
        logits = vecs @ self._coef_t + self._intercept
        if logits.shape[1] == 1:  # two classes (one category and the neutral set): a sigmoid
            positive = 1 / (1 + np.exp(-logits))
            return np.hstack([1 - positive, positive])
        logits -= logits.max(1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(1, keepdims=True)

    def _decide_rows(self, texts: list[str], langs: list[str], vecs: np.ndarray) -> list[Decision]:
        """Steps 1–3 for each text, from its vector; one matrix product for them all."""
        probs = self.head_probs(vecs)
        sims = vecs @ self.example_vectors.T  # one product serves the vote and the nearest example
        w = self.cfg.neighbour_weight
        if w > 0:
            vote = neighbour_vote(
                sims,
                self._label_col,
                self.classes,
                self.cfg.neighbours,
                self.cfg.neighbour_temperature,
            )
            probs = (1 - w) * probs + w * vote
        return [
            self._decide_one(text, lang, p, s)
            for text, lang, p, s in zip(texts, langs, probs, sims, strict=True)
        ]

    def _decide_one(self, text: str, lang: str, probs: np.ndarray, sims: np.ndarray) -> Decision:
        order = np.argsort(probs)[::-1]
        top = self.classes[order[0]]
        best_i = next(i for i in order if self.classes[i] != NEUTRAL)
        best, p_best = self.classes[best_i], float(probs[best_i])
        own = sims[self._rows_of[best]]
        similarity = float(own.max()) if len(own) else 0.0
        if top == NEUTRAL:
            return Decision(text, lang, None, p_best, best, similarity, "neutral")
        if p_best < self.cfg.min_prob:
            return Decision(text, lang, None, p_best, best, similarity, "low score")
        if similarity < self.cfg.min_similarity and p_best < self.cfg.sure_prob:
            return Decision(text, lang, None, p_best, best, similarity, "far from examples")
        return Decision(text, lang, best, p_best, best, similarity, "matched")

    def card_texts(self, decision: Decision) -> dict[str, object]:
        """The card's words for a matched decision, in the utterance's language."""
        return card_texts(self.phrasebank, decision.category or "", decision.lang, self.cfg.stage)
