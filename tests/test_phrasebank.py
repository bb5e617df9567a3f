"""The phrasebank loader and lint's static checks, on small phrasebanks written by the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from coach import phrasebank as pb
from coach.lint import static_findings

ROOT = pb.default_root()


def _category(cid: str, zh: list[str], en: list[str], extra: str = "") -> str:
    lines = [
        f"id: {cid}",
        "title: {zh: 标题, en: Title}",
        "examples:",
        "  zh:",
        *[f"    - {t}" for t in zh],
        "  en:",
        *[f"    - {t}" for t in en],
        "rebuttal: {zh: 回应, en: Answer}",
        "follow_up: {zh: 追问, en: When}",
        "cue: pause",
    ]
    return "\n".join(lines) + "\n" + extra


def make_book(tmp: Path, only: tuple[str, ...] = pb.TAXONOMY) -> Path:
    root = tmp / "phrasebank"
    (root / "excuses").mkdir(parents=True)
    for n, cid in enumerate(only):
        zh = [f"中文例句{n}号{i}" for i in range(pb.MIN_EXAMPLES)]
        en = [f"english example {n} number {i}" for i in range(pb.MIN_EXAMPLES)]
        (root / "excuses" / f"{cid}.yaml").write_text(_category(cid, zh, en), encoding="utf-8")
    (root / "neutral.yaml").write_text(
        "examples:\n  zh: [好的, 嗯]\n  en: [yes, no, okay]\n", encoding="utf-8"
    )
    (root / "cues.yaml").write_text(
        "cues:\n  pause: {zh: 停顿, en: Pause, countdown_s: 5}\n", encoding="utf-8"
    )
    return root


def test_the_shipped_phrasebank_loads_with_every_taxonomy_id():
    book = pb.load(ROOT)
    assert set(pb.TAXONOMY) <= set(book.categories)
    for cat in book.categories.values():
        for lang in pb.LANGS:
            assert len(cat.examples[lang]) >= pb.MIN_EXAMPLES, (cat.id, lang)
            assert cat.rebuttal[lang] and cat.follow_up[lang] and cat.title[lang]
        assert cat.cue in book.cues
    assert all(len(book.neutral[lang]) >= 40 for lang in pb.LANGS)


def test_the_shipped_phrasebank_has_no_lint_errors():
    errors = [f for f in static_findings(pb.load(ROOT)) if f.level == "error"]
    assert errors == []


def test_a_small_valid_book_loads_and_keeps_lines(tmp_path):
    book = pb.load(make_book(tmp_path))
    example = book.categories["cash_flow"].examples["zh"][2]
    assert example.where == "phrasebank/excuses/cash_flow.yaml:7"
    assert book.cues["pause"].countdown_s == 5.0
    # YAML would read "yes"/"no" as booleans; the phrasebank keeps them as the words they are
    assert book.neutral["en"] == ["yes", "no", "okay"]


def test_every_problem_is_reported_with_file_and_line(tmp_path):
    root = make_book(tmp_path)
    (root / "excuses" / "job_loss.yaml").write_text(
        "id: job_loss\ntitle: {zh: 失业}\nexamples:\n  zh: [失业了]\nrebuttal: {zh: 好, en: ok}\n"
        "follow_up: {zh: 嗯, en: ok}\ncue: shout\n",
        encoding="utf-8",
    )
    (root / "excuses" / "already_paid.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    (root / "excuses" / "cash_flow.yaml").unlink()
    with pytest.raises(pb.PhrasebankError) as err:
        pb.load(root)
    problems = "\n".join(err.value.problems)
    assert "phrasebank/excuses/job_loss.yaml:2: 'title' has no en text" in problems
    assert "phrasebank/excuses/job_loss.yaml:4: no en examples" in problems
    assert "job_loss.yaml:1: cue 'shout' is not in cues.yaml" in problems
    assert "phrasebank/excuses/already_paid.yaml:2: not valid YAML" in problems
    assert "taxonomy category 'cash_flow' is missing" in problems
    assert "run: coach phrasebank lint" in str(err.value)  # one line that says what to do


def test_id_must_match_the_file_and_unknown_keys_are_refused(tmp_path):
    root = make_book(tmp_path)
    path = root / "excuses" / "job_loss.yaml"
    path.write_text(path.read_text().replace("id: job_loss", "id: jobloss") + "colour: red\n")
    with pytest.raises(pb.PhrasebankError) as err:
        pb.load(root)
    text = "\n".join(err.value.problems)
    assert "id 'jobloss' does not match the file name job_loss.yaml" in text
    assert "unknown key 'colour'" in text


def test_lint_finds_duplicates_across_categories_and_thin_categories(tmp_path):
    root = make_book(tmp_path)
    path = root / "excuses" / "job_loss.yaml"
    lines = path.read_text().splitlines()
    lines[4] = "    - 中文例句0号1!"  # cash_flow's example, punctuation aside
    path.write_text("\n".join(lines[:-3] + lines[-3:]) + "\n")
    book = pb.load(root)
    found = [str(f) for f in static_findings(book)]
    assert any(
        "job_loss.yaml:5: error: conflicting duplicate" in f and "cash_flow.yaml:6" in f
        for f in found
    )
    short = root / "excuses" / "too_busy.yaml"
    short.write_text(_category("too_busy", ["在忙"] * 1, ["busy"] * 1))
    found = [str(f) for f in static_findings(pb.load(root))]
    assert any("too_busy has 1 zh examples; at least 15" in f for f in found)


def test_a_copy_of_the_shipped_book_is_valid(tmp_path):
    shutil.copytree(ROOT, tmp_path / "pb")
    assert pb.load(tmp_path / "pb").categories.keys() == pb.load(ROOT).categories.keys()


def _fold_tool():
    import importlib.util

    path = Path(__file__).parents[1] / "tools" / "matcher" / "fold_retired.py"
    spec = importlib.util.spec_from_file_location("fold_retired", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_folding_a_retired_set_appends_examples_the_loader_reads_back(tmp_path):
    fold = _fold_tool()
    path = tmp_path / "cash_flow.yaml"
    path.write_text(
        "id: cash_flow\nexamples:\n  zh:\n    - 手头紧\n\n  en:\n    - I'm broke\nrebuttal: x\n",
        encoding="utf-8",
    )
    # Items YAML would otherwise read as booleans, mappings, comments or lists must round-trip.
    tricky = ["yes", "no: really", "# not a comment", "- dash", "it's 'quoted'", '"money"']
    fold.insert_examples(path, {"zh": ["没钱了"], "en": tricky}, "from eval/testX.jsonl")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["examples"] == {"zh": ["手头紧", "没钱了"], "en": ["I'm broke", *tricky]}
    assert data["rebuttal"] == "x"
    assert "# from eval/testX.jsonl" in path.read_text(encoding="utf-8")
