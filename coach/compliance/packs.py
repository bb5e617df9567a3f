"""Rule packs: the YAML in ``phrasebank/compliance/`` that compliance officers and trainers own.

One file per jurisdiction (``us_fdcpa.yaml``, ``cn_guideline.yaml``). Loading is strict and reports
every problem as ``file:line: what — how to fix`` (the phrasebank's YAML reader keeps the lines),
because these files are edited by hand and a bad edit must never silently weaken the guard.

Three kinds of rule:

- ``phrase`` (default): raised by what one side says — semantic ``examples`` (zh and en, for the
  classifier) and/or regex ``patterns`` that fire directly. ``when: third_party`` makes it count
  only while the debtor's side is a third party (the matcher showed a ``third_party`` card).
- ``deadline``: something the collector must say (``required``) before ``deadline`` seconds have
  passed since the ``anchor`` (the debtor confirmed their identity, or the collector first spoke).
- ``quiet_hours``: the call started inside the configured night window.

``negation`` says what a collector's disclaimer ("we will never call your employer", see
``negation.py``) does to a phrase rule: ``veto`` (default) drops its hits, ``keep_patterns`` drops
only the classifier's and lets its patterns (profanity) stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from coach.compliance.config import ComplianceError
from coach.phrasebank import LANGS, PhrasebankError, Text, read_yaml

KINDS = ("phrase", "deadline", "quiet_hours")
CHANNELS = ("collector", "debtor")
SEVERITIES = ("stop", "warn", "note")
CONDITIONS = ("third_party",)
ANCHORS = ("identity", "collector_speech")
NEGATIONS = ("veto", "keep_patterns")  # what a collector's disclaimer does (compliance/negation.py)
DEADLINES = ("disclosure_deadline_s", "self_id_deadline_s")  # ComplianceConfig fields
MIN_EXAMPLES = 8  # per language, for a rule the classifier learns from examples
_ID = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
_PACK_KEYS = {"pack", "jurisdiction", "lang", "note", "lawful", "rules"}
_RULE_KEYS = {
    "id", "kind", "basis", "channel", "severity", "alert", "examples", "patterns",
    "near_misses", "when", "anchor", "deadline", "required", "identity", "negation", "unless",
}  # fmt: skip


@dataclass(frozen=True)
class Phrases:
    """What says a thing: example sentences per language and regexes (case-insensitive)."""

    examples: dict[str, list[Text]] = field(default_factory=dict)
    patterns: tuple[re.Pattern[str], ...] = ()

    def texts(self) -> list[tuple[Text, str]]:
        return [(t, lang) for lang, texts in self.examples.items() for t in texts]

    def matches(self, text: str) -> bool:
        form = pattern_form(text)
        return any(p.search(form) for p in self.patterns)


@dataclass(frozen=True)
class Rule:
    id: str
    pack: str
    kind: str
    basis: str
    channel: str
    severity: str
    alert: dict[str, str]
    phrases: Phrases  # phrase rules: what raises it; deadline rules: what satisfies it
    near_misses: dict[str, list[Text]] = field(default_factory=dict)
    when: str | None = None
    anchor: str | None = None
    deadline: str | None = None
    identity: Phrases | None = None  # deadline rules anchored on identity: how the debtor says it
    # a collector's disclaimer ("we will never…") vetoes the rule's model and pattern hits (veto),
    # or only its model hits (keep_patterns: profanity is profanity, whatever the polarity)
    negation: str = "veto"
    # regexes that rule the act out for this rule alone: "还在诉讼时效内" is no time-barred suit,
    # "I'm thinking about getting a lawyer" no representation; a match vetoes pattern and model
    unless: tuple[re.Pattern[str], ...] = ()
    file: str = "?"

    def alert_text(self, lang: str) -> str:
        return self.alert.get(lang) or self.alert.get("en") or next(iter(self.alert.values()))

    def excepted(self, text: str) -> bool:
        form = pattern_form(text)
        return any(p.search(form) for p in self.unless)

    @property
    def semantic(self) -> bool:
        """Decided by a classifier head (not conditional, has examples)."""
        return self.kind == "phrase" and self.when is None and bool(self.phrases.examples)


@dataclass(frozen=True)
class Pack:
    name: str
    jurisdiction: str
    lang: str  # language of call-level alerts before anyone has spoken
    note: str
    lawful: dict[str, list[Text]]  # firm, lawful collector statements: negatives for every rule
    rules: list[Rule]
    file: str


def trained_on(packs: list[Pack]) -> set[str]:
    """Every sentence the guard learns from in these packs, in ``phrasebank.normalise`` form
    (to tell a retired eval set folded into the packs from a held-out one)."""
    from coach.phrasebank import normalise

    out = {normalise(t) for p in packs for texts in p.lawful.values() for t in texts}
    for rule in (r for p in packs for r in p.rules):
        out |= {normalise(t) for t, _ in rule.phrases.texts()}
        out |= {normalise(t) for texts in rule.near_misses.values() for t in texts}
    return out


def pattern_form(text: str) -> str:
    """Lower case, one space between words: what patterns are matched against."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def default_folder() -> Path:
    return Path(__file__).resolve().parents[2] / "phrasebank" / "compliance"


# --- validation helpers --------------------------------------------------------------------------


class _Problems(list):
    def add(self, where: object, fallback: str, message: str) -> None:
        self.append(f"{getattr(where, 'where', fallback)}: {message}")


def _lang_texts(value: object, top: str, key: str, problems: _Problems, minimum: int) -> dict:
    """``{zh: [...], en: [...]}`` of sentences; each language needs ``minimum`` of them."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(value, top, f"'{key}' must map zh and en to lists of sentences")
        return {}
    out: dict[str, list[Text]] = {}
    for lang in LANGS:
        items = value.get(lang) or []
        if not isinstance(items, list):
            problems.add(items, getattr(value, "where", top), f"'{key}.{lang}' must be a list")
            continue
        texts = [Text(str(t).strip(), t.file, t.line) for t in items if isinstance(t, Text)]
        if len(texts) != len(items) or any(not t for t in texts):
            problems.add(items, top, f"'{key}.{lang}': every item must be a sentence")
        if len(texts) < minimum:
            problems.add(
                value, top, f"'{key}' has {len(texts)} {lang} sentences — add at least {minimum}"
            )
        out[lang] = [t for t in texts if t]
    for extra in set(value) - set(LANGS):
        problems.add(value, top, f"'{key}.{extra}': unknown language (use zh, en)")
    return out


def _patterns(
    value: object, top: str, problems: _Problems, key: str = "patterns"
) -> tuple[re.Pattern[str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(value, top, f"'{key}' must be a list of regular expressions")
        return ()
    out = []
    for item in value:
        try:
            out.append(re.compile(str(item), re.IGNORECASE))
        except re.error as err:
            problems.add(item, top, f"pattern {str(item)!r} is not a valid regex ({err})")
    return tuple(out)


def _phrases(value: object, top: str, key: str, problems: _Problems) -> Phrases:
    """A ``required:`` / ``identity:`` block: ``{patterns: [...], examples: {zh, en}}``."""
    if not isinstance(value, dict) or not (value.get("patterns") or value.get("examples")):
        problems.add(value, top, f"'{key}' must have patterns and/or examples")
        return Phrases()
    where = getattr(value, "where", top)
    return Phrases(
        _lang_texts(value.get("examples"), where, f"{key}.examples", problems, 1),
        _patterns(value.get("patterns"), where, problems),
    )


def _choice(data: dict, key: str, options: tuple, top: str, problems: _Problems, default=None):
    value = data.get(key, default)
    if value not in options:
        problems.add(value, top, f"'{key}' must be one of {', '.join(options)} (got {value!r})")
        return None
    return str(value)


def _rule(data: object, pack: str, label: str, problems: _Problems) -> Rule | None:
    if not isinstance(data, dict):
        problems.add(data, f"{label}:1", "a rule must be a mapping (id, basis, channel, …)")
        return None
    top = data.where
    for key in set(data) - _RULE_KEYS:
        problems.add(top, top, f"unknown key '{key}' (known: {', '.join(sorted(_RULE_KEYS))})")
    rid = data.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        problems.add(rid, top, "'id' must look like us.threat_arrest (jurisdiction.snake_case)")
        return None
    kind = _choice(data, "kind", KINDS, top, problems, "phrase")
    for key in ("basis",):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.add(top, top, f"rule {rid}: '{key}' (the legal citation) is missing")
    alert = data.get("alert")
    if not isinstance(alert, dict) or any(not str(alert.get(lang) or "").strip() for lang in LANGS):
        problems.add(alert, top, f"rule {rid}: 'alert' needs zh and en text")
        alert = {}
    when = data.get("when")
    if when is not None and when not in CONDITIONS:
        problems.add(when, top, f"rule {rid}: 'when' must be one of {', '.join(CONDITIONS)}")
    minimum = MIN_EXAMPLES if kind == "phrase" and when is None else 1
    examples = data.get("examples")
    phrases = Phrases(
        _lang_texts(examples, top, "examples", problems, minimum) if examples is not None else {},
        _patterns(data.get("patterns"), top, problems),
    )
    anchor = deadline = identity = None
    if kind == "phrase" and not (phrases.examples or phrases.patterns):
        problems.add(top, top, f"rule {rid}: add 'examples' (zh and en) and/or 'patterns'")
    if kind == "deadline":
        phrases = _phrases(data.get("required"), top, "required", problems)
        anchor = _choice(data, "anchor", ANCHORS, top, problems)
        deadline = _choice(data, "deadline", DEADLINES, top, problems)
        if anchor == "identity":
            identity = _phrases(data.get("identity"), top, "identity", problems)
    return Rule(
        id=rid,
        pack=pack,
        kind=kind or "phrase",
        basis=str(data.get("basis") or "").strip(),
        channel=_choice(data, "channel", CHANNELS, top, problems) or "collector",
        severity=_choice(data, "severity", SEVERITIES, top, problems) or "warn",
        alert={lang: str(alert[lang]).strip() for lang in LANGS if lang in alert},
        phrases=phrases,
        near_misses=_lang_texts(data.get("near_misses"), top, "near_misses", problems, 0),
        when=str(when) if when in CONDITIONS else None,
        anchor=anchor,
        deadline=deadline,
        identity=identity,
        negation=_choice(data, "negation", NEGATIONS, top, problems, "veto") or "veto",
        unless=_patterns(data.get("unless"), top, problems, "unless"),
        file=label,
    )


# --- loading -------------------------------------------------------------------------------------


def _pack(data: object, stem: str, label: str, problems: _Problems) -> Pack | None:
    if not isinstance(data, dict):
        problems.add(data, f"{label}:1", "a rule pack must be a mapping (pack, note, rules, …)")
        return None
    top = data.where
    for key in set(data) - _PACK_KEYS:
        problems.add(top, top, f"unknown key '{key}' (known: {', '.join(sorted(_PACK_KEYS))})")
    if data.get("pack") != stem:
        problems.add(data.get("pack"), top, f"'pack' must be the file name's stem, {stem!r}")
    note = str(data.get("note") or "").strip()
    if "not legal advice" not in note.lower():
        problems.add(top, top, "'note' must say the rules are summaries and not legal advice")
    lang = _choice(data, "lang", LANGS, top, problems, "en") or "en"
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        problems.add(rules, top, "'rules' must be a non-empty list of rules")
        rules = []
    parsed = [_rule(r, stem, label, problems) for r in rules]
    return Pack(
        name=stem,
        jurisdiction=str(data.get("jurisdiction") or stem),
        lang=lang,
        note=note,
        lawful=_lang_texts(data.get("lawful"), top, "lawful", problems, 0),
        rules=[r for r in parsed if r is not None],
        file=label,
    )


def load_packs(folder: str | Path | None, names: tuple[str, ...] | list[str]) -> list[Pack]:
    """Read and validate the named packs; raise ``ComplianceError`` listing every problem."""
    root = Path(folder).expanduser() if folder else default_folder()
    problems = _Problems()
    packs: list[Pack] = []
    if not names:
        raise ComplianceError("compliance.packs is empty — name at least one pack, or disable")
    for name in names:
        path = root / f"{name}.yaml"
        label = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in root.glob("*.yaml"))) or "none"
            problems.append(f"{label}: rule pack '{name}' not found (packs here: {known})")
            continue
        try:
            data = read_yaml(path, label)
        except PhrasebankError as err:
            problems += err.problems
            continue
        pack = _pack(data, name, label, problems)
        if pack:
            packs.append(pack)
    seen: dict[str, str] = {}
    for rule in (r for p in packs for r in p.rules):
        if rule.id in seen:
            problems.append(f"{rule.file}:1: rule '{rule.id}' is also defined in {seen[rule.id]}")
        seen[rule.id] = rule.file
    if problems:
        raise ComplianceError(list(problems))
    return packs
