"""The guard's classifier: which rules one utterance breaks — the same answer live and in the CLI.

An utterance is checked against the rules of its own channel (collector or debtor):

1. ``patterns`` fire directly: exact phrases (profanity, "以贷还贷") need no model;
2. every pack has one light logistic head per channel over the sentence embeddings, trained on the
   rules' examples plus one *lawful* class (the packs' firm lawful statements, every rule's
   near-misses, the phrasebank's neutral lines and, for the debtor, its excuse examples). A rule is
   raised only when the head's best class is that rule with probability >= ``min_prob``, the
   utterance lies within ``min_similarity`` (cosine) of one of its examples, and that example is
   closer (by ``min_margin``) than the nearest lawful line — embeddings blur negation, so "nobody
   can touch your wages unless a court orders it" must lose to its lawful neighbours. The set is
   open: "the account may be referred to our legal department" has a place that is not a rule;
3. conditional rules (``when: third_party``) are checked only while that condition holds, by
   pattern or by closeness to their examples (``condition_similarity``);
4. deadline rules only learn here whether their required words were said (``said``), and debtor
   utterances whether the debtor confirmed their identity (``identity``);
5. a collector line that disclaims the act ("we will never call your employer", "没有人会抓你",
   ``negation.py``) vetoes the rules of step 1 and 2 — the model's hits, and the patterns' unless
   the rule says ``negation: keep_patterns`` — since embeddings cannot tell it from the threat.

Each pack has its own heads, so a line that breaks both jurisdictions' rules raises both alerts.
The embedder is the matcher's (same object, same vector cache); without one only patterns work.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from coach.compliance.config import ComplianceConfig, ComplianceError
from coach.compliance.negation import disclaims
from coach.compliance.packs import Pack, Phrases, Rule
from coach.embedders import Embedder
from coach.matcher import EmbeddingCache, clean, detect_lang
from coach.phrasebank import normalise

LAWFUL = "__lawful__"
_WORDISH = re.compile(r"[\w\u3400-\u9fff]")  # text with no letters is never checked
SEVERITY_ORDER = {"stop": 0, "warn": 1, "note": 2}


@dataclass(frozen=True)
class Hit:
    """One rule an utterance raised."""

    rule: str
    severity: str
    score: float  # head probability, or 1.0 for a pattern, or the cosine for a conditional rule
    source: str  # pattern / model / similarity
    alert: str  # the rule's alert text in the utterance's language
    basis: str


@dataclass(frozen=True)
class Decision:
    """The guard's answer for one text; ``hits`` are most important first (empty: no alert)."""

    text: str
    channel: str
    lang: str
    hits: tuple[Hit, ...] = ()
    said: tuple[str, ...] = ()  # deadline rules whose required words this text says
    identity: bool = False  # a debtor text that confirms who they are
    best: str | None = None  # the closest rule, even when rejected (for QA and tuning)
    score: float = 0.0
    # matched / lawful / low score / far from examples / closer to a lawful line / disclaimed /
    # no words
    reason: str = "lawful"

    @property
    def rule(self) -> str | None:
        return self.hits[0].rule if self.hits else None

    def to_dict(self) -> dict:
        top = self.hits[0] if self.hits else None
        return {
            "rule": top.rule if top else None,
            "severity": top.severity if top else None,
            "alert": top.alert if top else None,
            "basis": top.basis if top else None,
            "rules": [h.rule for h in self.hits],
            "channel": self.channel,
            "lang": self.lang,
            "score": round(top.score if top else self.score, 4),
            "best": self.best,
            "reason": self.reason,
            "said": list(self.said),
            "identity": self.identity,
        }


@dataclass
class _Head:
    """A pack's logistic head for one channel: its semantic rules plus the lawful class."""

    rules: list[Rule]
    model: object
    classes: list[str]
    example_vecs: dict[str, np.ndarray] = field(default_factory=dict)
    lawful_vecs: np.ndarray | None = None


class Guard:
    """Decides rule-or-none for texts against the loaded packs (see the module docstring)."""

    def __init__(
        self,
        packs: list[Pack],
        embedder: Embedder | None,
        cfg: ComplianceConfig | None = None,
        cache: EmbeddingCache | None = None,
        extra_lawful: dict[str, list[str]] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> None:
        """``exclude``: texts (``phrasebank.normalise`` form) left out of training wherever they
        appear — tuning scores a retired set folded into the packs without its own lines."""
        self.packs = packs
        self.cfg = cfg or ComplianceConfig()
        self.embedder = embedder
        self.rules: dict[str, Rule] = {r.id: r for p in packs for r in p.rules}
        self.heads: dict[str, list[_Head]] = {"collector": [], "debtor": []}
        self._vecs: dict[str, np.ndarray] = {}  # cleaned example text -> vector
        self._stacked: dict[int, np.ndarray] = {}  # id(Phrases) -> its example vectors
        if embedder is None:
            return
        lawful = self._lawful_texts(extra_lawful or {})
        wanted = {clean(t) for texts in lawful.values() for t in texts}
        for rule in self.rules.values():
            wanted |= {clean(t) for t, _ in rule.phrases.texts()}
            if rule.identity:
                wanted |= {clean(t) for t, _ in rule.identity.texts()}
        ordered = sorted(t for t in wanted if normalise(t) not in exclude)
        cache = cache or EmbeddingCache(None)
        self._vecs = dict(zip(ordered, cache.embed(embedder, ordered), strict=True))
        cache.save()
        for pack in packs:
            for channel in ("collector", "debtor"):
                rules = [r for r in pack.rules if r.channel == channel and r.semantic]
                if rules:
                    self.heads[channel].append(self._train(rules, lawful[channel]))

    def _lawful_texts(self, extra: dict[str, list[str]]) -> dict[str, list[str]]:
        """Negatives per channel: what a rule of that channel must never be raised by."""
        out: dict[str, list[str]] = {c: list(extra.get(c, [])) for c in ("collector", "debtor")}
        for pack in self.packs:
            out["collector"] += [t for texts in pack.lawful.values() for t in texts]
        for rule in self.rules.values():
            out[rule.channel] += [t for texts in rule.near_misses.values() for t in texts]
            if rule.kind == "deadline" or rule.when:  # lawful words when said to the debtor
                out[rule.channel] += [t for t, _ in rule.phrases.texts()]
            if rule.identity:
                out["debtor"] += [t for t, _ in rule.identity.texts()]
        return out

    def _train(self, rules: list[Rule], lawful: list[str]) -> _Head:
        from sklearn.linear_model import LogisticRegression

        if not lawful:  # a head needs something to say "lawful" to
            raise ComplianceError(
                f"{rules[0].file}:1: the {rules[0].channel} rules have no lawful lines to learn "
                "from — add near_misses"
            )
        X, y = [], []
        head = _Head(rules, None, [])
        for rule in rules:
            texts = [clean(t) for t, _ in rule.phrases.texts()]
            vecs = np.stack([self._vecs[t] for t in texts if t in self._vecs])
            head.example_vecs[rule.id] = vecs
            X.append(vecs)
            y += [rule.id] * len(vecs)
        kept = [self._vecs[t] for t in map(clean, lawful) if t in self._vecs]
        head.lawful_vecs = np.stack(kept)
        X.append(head.lawful_vecs)
        y += [LAWFUL] * len(kept)
        model = LogisticRegression(
            C=self.cfg.regularisation, max_iter=3000, class_weight="balanced"
        )
        model.fit(np.concatenate(X), np.array(y))
        head.model, head.classes = model, list(model.classes_)
        return head

    # --- deciding --------------------------------------------------------------------------------

    def check(
        self,
        texts_with_channels: Sequence[tuple[str, str]],
        langs: Sequence[str | None] | None = None,
        contexts: Sequence[frozenset[str] | set[str]] | None = None,
        cache: EmbeddingCache | None = None,
    ) -> list[Decision]:
        """One decision per (text, channel), in order; texts with words are embedded in one batch.

        ``contexts`` holds the conditions active for each text (``{"third_party"}``); ``cache``
        reuses stored vectors for repeated texts (the eval set), giving the same decisions."""
        n = len(texts_with_channels)
        langs = list(langs or [None] * n)
        contexts = list(contexts or [frozenset()] * n)
        cleaned = [clean(t) for t, _ in texts_with_channels]
        scored = [i for i, t in enumerate(cleaned) if _WORDISH.search(t)]
        vecs: dict[int, np.ndarray] = {}
        if self.embedder is not None and scored:
            batch = [cleaned[i] for i in scored]
            if cache is not None:
                encoded = cache.embed(self.embedder, batch)
            else:
                encoded = self.embedder.encode(batch)
            vecs = dict(zip(scored, encoded, strict=True))
        verdicts = self._heads_decide(vecs, [c for _, c in texts_with_channels])
        out = []
        for i, ((_, channel), text) in enumerate(zip(texts_with_channels, cleaned, strict=True)):
            lang = langs[i] if langs[i] in ("zh", "en") else detect_lang(text)
            if i not in scored:
                out.append(Decision(text, channel, lang, reason="no words"))
                continue
            out.append(
                self._decide(text, channel, lang, set(contexts[i]), vecs.get(i), verdicts[i])
            )
        return out

    def _heads_decide(
        self, vecs: dict[int, np.ndarray], channels: list[str]
    ) -> dict[int, list[tuple[str, float, str]]]:
        """Every head's verdict on every embedded text of its channel, one batch per head."""
        out: dict[int, list[tuple[str, float, str]]] = defaultdict(list)
        for channel, heads in self.heads.items():
            rows = [i for i in vecs if channels[i] == channel]
            if not rows:
                continue
            V = np.stack([vecs[i] for i in rows])
            for head in heads:
                probs = head.model.predict_proba(V)  # type: ignore[attr-defined]
                lawful = (V @ head.lawful_vecs.T).max(1)  # type: ignore[union-attr]
                for r, i in enumerate(rows):
                    out[i].append(self._verdict(head, V[r], probs[r], float(lawful[r])))
        return out

    def _decide(
        self,
        text: str,
        channel: str,
        lang: str,
        context: set[str],
        vec: np.ndarray | None,
        verdicts: list[tuple[str, float, str]],
    ) -> Decision:
        cfg = self.cfg
        hits: dict[str, Hit] = {}
        said: list[str] = []
        identity = False
        disclaimed = channel == "collector" and disclaims(text)
        vetoed = False
        for rule in self.rules.values():
            if rule.kind == "deadline":
                if channel == rule.channel and self._says(rule.phrases, text, vec):
                    said.append(rule.id)
                if channel == "debtor" and rule.identity and self._says(rule.identity, text, vec):
                    identity = True
                continue
            if rule.channel != channel or rule.kind != "phrase":
                continue
            if rule.when and rule.when not in context:
                continue
            if rule.phrases.matches(text):
                if rule.excepted(text) or (
                    disclaimed and not rule.when and rule.negation == "veto"
                ):
                    vetoed = True
                    continue
                hits[rule.id] = self._hit(rule, lang, 1.0, "pattern")
            elif rule.when and vec is not None:
                sim = self._closest(rule.phrases, vec)
                if sim >= cfg.condition_similarity:
                    hits[rule.id] = self._hit(rule, lang, sim, "similarity")
        best, best_p, reason = None, 0.0, "lawful"
        for rule_id, p, why in verdicts:
            if p > best_p:
                best, best_p, reason = rule_id, p, why
            if why == "matched" and rule_id not in hits:
                if disclaimed or self.rules[rule_id].excepted(text):
                    vetoed = True
                    continue
                hits[rule_id] = self._hit(self.rules[rule_id], lang, p, "model")
        ordered = sorted(hits.values(), key=lambda h: (SEVERITY_ORDER[h.severity], -h.score))
        if ordered:
            reason = "matched"
        elif vetoed:
            reason = "disclaimed"
        return Decision(
            text, channel, lang, tuple(ordered), tuple(said), identity, best, best_p, reason
        )

    def _verdict(
        self, head: _Head, vec: np.ndarray, probs: np.ndarray, lawful_sim: float
    ) -> tuple[str, float, str]:
        """(best rule, its probability, matched / why not) — see the module docstring."""
        order = np.argsort(probs)[::-1]
        top = head.classes[order[0]]
        best_i = next(i for i in order if head.classes[i] != LAWFUL)
        best, p_best = head.classes[best_i], float(probs[best_i])
        if top == LAWFUL:
            return best, p_best, "lawful"
        if p_best < self.cfg.min_prob:
            return best, p_best, "low score"
        nearest = float((head.example_vecs[best] @ vec).max())
        if nearest < self.cfg.min_similarity:
            return best, p_best, "far from examples"
        if nearest < lawful_sim + self.cfg.min_margin:
            return best, p_best, "closer to a lawful line"
        return best, p_best, "matched"

    def _says(self, phrases: Phrases, text: str, vec: np.ndarray | None) -> bool:
        if phrases.matches(text):
            return True
        return vec is not None and self._closest(phrases, vec) >= self.cfg.said_similarity

    def _closest(self, phrases: Phrases, vec: np.ndarray) -> float:
        key = id(phrases)
        if key not in self._stacked:
            texts = [clean(t) for t, _ in phrases.texts()]
            vecs = [self._vecs[t] for t in texts if t in self._vecs]
            self._stacked[key] = np.stack(vecs) if vecs else np.zeros((0, len(vec)), np.float32)
        sims = self._stacked[key] @ vec
        return float(sims.max()) if len(sims) else 0.0

    @staticmethod
    def _hit(rule: Rule, lang: str, score: float, source: str) -> Hit:
        return Hit(
            rule.id, rule.severity, round(score, 4), source, rule.alert_text(lang), rule.basis
        )
