"""The phrasebank trainers own: excuse categories, the neutral set and delivery cues, from YAML.

Loading is strict and reports every problem as ``file:line: what — how to fix``, because trainers
edit these files by hand and the running coach must refuse a bad edit while it keeps serving the
last good phrasebank. Strings keep the line they came from (``Text.line``) for lint to point at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LANGS = ("zh", "en")
STAGES = ("M0", "M1", "M2", "M3")
MIN_EXAMPLES = 15

# The public contract (shared/excuse-taxonomy.md): these ids are never renamed or dropped.
TAXONOMY = (
    "cash_flow", "business_trouble", "job_loss", "illness_or_misfortune", "waiting_for_income",
    "need_more_time", "pay_tomorrow", "promise_to_pay", "check_in_mail", "already_paid",
    "auto_debit_assumed", "never_received_bill", "disputes_amount", "not_my_debt",
    "borrowed_for_friend", "away_on_trip", "too_busy", "service_complaint", "refuses_to_pay",
    "suspects_scam", "stop_calling", "angry_abusive", "wants_in_writing", "third_party",
    "service_cancelled", "lawyer_or_bankruptcy",
)  # fmt: skip

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class PhrasebankError(Exception):
    """The phrasebank cannot be used; ``problems`` lists each ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = (
            f" (and {len(problems) - 1} more — run: coach phrasebank lint)"
            if len(problems) > 1
            else ""
        )
        super().__init__(problems[0] + more)


class Text(str):
    """A string from a YAML file that remembers where it was written."""

    file: str = "?"
    line: int = 0

    def __new__(cls, value: str, file: str = "?", line: int = 0) -> Text:
        obj = super().__new__(cls, value)
        obj.file, obj.line = file, line
        return obj

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Cue:
    id: str
    text: dict[str, str]
    countdown_s: float | None = None


@dataclass(frozen=True)
class Category:
    id: str
    title: dict[str, str]
    examples: dict[str, list[Text]]
    rebuttal: dict[str, str]
    follow_up: dict[str, str]
    cue: str | None
    by_stage: dict[str, dict[str, str]] = field(default_factory=dict)
    file: str = "?"

    def rebuttal_for(self, lang: str, stage: str | None = None) -> str:
        staged = self.by_stage.get(stage or "", {})
        return staged.get(lang) or self.rebuttal.get(lang) or next(iter(self.rebuttal.values()))

    def in_lang(self, mapping: dict[str, str], lang: str) -> str:
        return mapping.get(lang) or next(iter(mapping.values()), "")


@dataclass(frozen=True)
class Phrasebank:
    categories: dict[str, Category]
    neutral: dict[str, list[Text]]
    cues: dict[str, Cue]
    root: str = ""

    def labelled_examples(self) -> list[tuple[Text, str | None, str]]:
        """Every example as (text, category id or None for neutral, language)."""
        rows: list[tuple[Text, str | None, str]] = []
        for cat in self.categories.values():
            rows += [(t, cat.id, lang) for lang, texts in cat.examples.items() for t in texts]
        rows += [(t, None, lang) for lang, texts in self.neutral.items() for t in texts]
        return rows


def normalise(text: str) -> str:
    """The form used to spot duplicates: NFKC, lower case, no punctuation or spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def yaml_item(text: str, indent: int = 4) -> str:
    """One list item for hand-kept YAML, quoted by PyYAML exactly as needed (``yes``, ``: ``,
    a leading ``-`` …), for tools that append examples without rewriting a file's layout."""
    item = yaml.safe_dump([text], allow_unicode=True, width=10**6).rstrip("\n")
    if "\n" in item or yaml.safe_load(item) != [text]:
        raise ValueError(f"cannot write {text!r} as a one-line YAML item")
    return " " * indent + item


def insert_items(
    path: Path, blocks: dict[int, list[str]], comment: str, indent: int | None = None
) -> None:
    """Put each block of list items after its 1-based line under ``# comment``, indented like
    that line (or by ``indent``), leaving the rest of a hand-kept file as it was."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for after in sorted(blocks, reverse=True):  # bottom up: earlier line numbers stay valid
        anchor = lines[after - 1]
        pad = indent if indent is not None else len(anchor) - len(anchor.lstrip(" "))
        items = [yaml_item(t, pad) + "\n" for t in blocks[after]]
        lines[after:after] = [" " * pad + f"# {comment}\n", *items]
    path.write_text("".join(lines), encoding="utf-8")


# --- YAML with line numbers ----------------------------------------------------------------------


def _located(node: yaml.Node, file: str) -> object:
    """A composed YAML node -> plain Python, with every string as a ``Text`` knowing its line."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        return _Map({str(_located(k, file)): _located(v, file) for k, v in node.value}, file, line)
    if isinstance(node, yaml.SequenceNode):
        return _Seq([_located(v, file) for v in node.value], file, line)
    # Scalars stay text as written: an example "yes" or "no" must not turn into a YAML boolean.
    if node.style is None and node.value in ("", "~", "null", "Null", "NULL"):
        return None
    return Text(str(node.value), file, line)


class _Map(dict):
    def __init__(self, data: dict, file: str, line: int) -> None:
        super().__init__(data)
        self.where = f"{file}:{line}"


class _Seq(list):
    def __init__(self, data: list, file: str, line: int) -> None:
        super().__init__(data)
        self.where = f"{file}:{line}"


def read_yaml(path: Path, label: str) -> object:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        raise PhrasebankError([f"{label}:1: not UTF-8 text — save the file as UTF-8"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise PhrasebankError(
            [f"{label}:{line}: not valid YAML ({getattr(err, 'problem', None) or err})"]
        ) from None
    return None if node is None else _located(node, label)


# --- loading -------------------------------------------------------------------------------------


class _Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _where(obj: object, fallback: str) -> str:
    return getattr(obj, "where", fallback)


def _lang_map(value: object, where: str, key: str, problems: _Problems) -> dict[str, str]:
    """``{zh: ..., en: ...}`` with both languages as non-empty strings."""
    if not isinstance(value, dict):
        problems.add(_where(value, where), f"'{key}' must be a mapping with zh and en")
        return {}
    out: dict[str, str] = {}
    for lang in LANGS:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.add(_where(value, where), f"'{key}' has no {lang} text — add {key}.{lang}")
        else:
            out[lang] = str(text).strip()
    for extra in set(value) - set(LANGS):
        problems.add(_where(value, where), f"'{key}.{extra}': unknown language (use zh, en)")
    return out


def _examples(value: object, where: str, problems: _Problems) -> dict[str, list[Text]]:
    if not isinstance(value, dict):
        problems.add(_where(value, where), "'examples' must map zh and en to lists of sentences")
        return {}
    out: dict[str, list[Text]] = {}
    for lang in LANGS:
        items = value.get(lang)
        if not isinstance(items, list) or not items:
            problems.add(_where(value, where), f"no {lang} examples — add examples.{lang}")
            continue
        texts = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                problems.add(_where(item, _where(items, where)), "an example must be a sentence")
            else:
                texts.append(Text(item.strip(), item.file, item.line))
        out[lang] = texts
    for extra in set(value) - set(LANGS):
        problems.add(_where(value, where), f"'examples.{extra}': unknown language (use zh, en)")
    return out


def _category(data: object, label: str, stem: str, problems: _Problems) -> Category | None:
    if not isinstance(data, dict):
        problems.add(f"{label}:1", "a category file must be a mapping (id, title, examples, …)")
        return None
    top = data.where
    known = {"id", "title", "examples", "rebuttal", "by_stage", "follow_up", "cue"}
    for key in set(data) - known:
        problems.add(top, f"unknown key '{key}' (known: {', '.join(sorted(known))})")
    cid = data.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        problems.add(_where(cid, top), "'id' must be lower_snake_case, e.g. cash_flow")
        return None
    if cid != stem:
        problems.add(_where(cid, top), f"id '{cid}' does not match the file name {stem}.yaml")
    by_stage: dict[str, dict[str, str]] = {}
    stages = data.get("by_stage") or {}
    if not isinstance(stages, dict):
        problems.add(_where(stages, top), "'by_stage' must map M0..M3 to {zh, en}")
    else:
        for stage, texts in stages.items():
            if stage not in STAGES:
                problems.add(_where(stages, top), f"by_stage '{stage}': use one of {STAGES}")
            else:
                by_stage[stage] = _lang_map(
                    texts, _where(stages, top), f"by_stage.{stage}", problems
                )
    cue = data.get("cue")
    return Category(
        id=str(cid),
        title=_lang_map(data.get("title"), top, "title", problems),
        examples=_examples(data.get("examples"), top, problems),
        rebuttal=_lang_map(data.get("rebuttal"), top, "rebuttal", problems),
        follow_up=_lang_map(data.get("follow_up"), top, "follow_up", problems),
        cue=str(cue) if cue else None,
        by_stage=by_stage,
        file=label,
    )


def _cues(data: object, label: str, problems: _Problems) -> dict[str, Cue]:
    cues = data.get("cues") if isinstance(data, dict) else None
    if not isinstance(cues, dict):
        problems.add(f"{label}:1", "expected 'cues:' mapping cue ids to {zh, en, countdown_s}")
        return {}
    out = {}
    for cid, spec in cues.items():
        if not isinstance(spec, dict):
            problems.add(_where(spec, cues.where), f"cue '{cid}' must be a mapping")
            continue
        countdown = spec.get("countdown_s")
        try:
            seconds = float(countdown) if countdown is not None else None
        except ValueError:
            problems.add(_where(countdown, spec.where), f"cue '{cid}': countdown_s is not a number")
            seconds = None
        texts = {k: v for k, v in spec.items() if k in LANGS}
        out[cid] = Cue(cid, _lang_map(texts, spec.where, f"cues.{cid}", problems), seconds)
    return out


def load(root: str | Path) -> Phrasebank:
    """Read and validate a phrasebank folder; raise ``PhrasebankError`` listing every problem."""
    root = Path(root)
    if not root.is_dir():
        raise PhrasebankError([f"{root}: phrasebank folder not found — set matcher.phrasebank"])
    problems = _Problems()

    def label(path: Path) -> str:
        return str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)

    categories: dict[str, Category] = {}
    for path in sorted((root / "excuses").glob("*.yaml")):
        try:
            cat = _category(read_yaml(path, label(path)), label(path), path.stem, problems)
        except PhrasebankError as err:
            problems += err.problems
            continue
        if cat is None:
            continue
        if cat.id in categories:
            problems.add(f"{label(path)}:1", f"category '{cat.id}' is defined twice")
        categories[cat.id] = cat
    for cid in TAXONOMY:
        if cid not in categories:
            problems.add(
                str(root / "excuses"), f"taxonomy category '{cid}' is missing — add {cid}.yaml"
            )

    neutral: dict[str, list[Text]] = {}
    cues: dict[str, Cue] = {}
    for name in ("neutral.yaml", "cues.yaml"):
        path = root / name
        if not path.exists():
            problems.add(label(path), f"missing — every phrasebank needs {name}")
            continue
        try:
            data = read_yaml(path, label(path))
        except PhrasebankError as err:
            problems += err.problems
            continue
        if name == "neutral.yaml":
            where = _where(data, f"{label(path)}:1")
            neutral = _examples(
                data.get("examples") if isinstance(data, dict) else None, where, problems
            )
        else:
            cues = _cues(data, label(path), problems)

    for cat in categories.values():
        if cat.cue and cues and cat.cue not in cues:
            problems.add(f"{cat.file}:1", f"cue '{cat.cue}' is not in cues.yaml")
    if problems:
        raise PhrasebankError(list(problems))
    return Phrasebank(categories, neutral, cues, str(root))


def default_root() -> Path:
    """The phrasebank shipped with the coach (the repository's ``phrasebank/``)."""
    return Path(__file__).resolve().parent.parent / "phrasebank"


def card_texts(book: Phrasebank, category: str, lang: str, stage: str | None) -> dict[str, object]:
    """A card's words for ``category`` in ``lang``: title, rebuttal, follow-up and paired cue."""
    cat = book.categories[category]
    cue = book.cues.get(cat.cue or "")
    return {
        "title": cat.in_lang(cat.title, lang),
        "rebuttal": cat.rebuttal_for(lang, stage),
        "follow_up": cat.in_lang(cat.follow_up, lang),
        "cue": cat.cue,
        "cue_text": cue.text.get(lang, "") if cue else "",
        "countdown_s": cue.countdown_s if cue else None,
    }
