"""The compliance tuner's pick rule (coach.compliance.tune.pick) on hand-made rows: no model."""

import json

import pytest

from coach.compliance.tune import main, pick


def row(p: float, recall: tuple[float, float], fa: tuple[float, float]) -> dict:
    return {
        "C": 16.0,
        "min_prob": p,
        "min_similarity": 0.6,
        "min_margin": -0.05,
        "recall": {"zh": recall[0], "en": recall[1]},
        "false_alerts": {"zh": fa[0], "en": fa[1]},
    }


def best(rows: list[dict], max_fa: float) -> dict:
    summary, _ = pick(rows, max_fa, scored=100)
    return summary


ROWS = [
    row(0.3, (0.99, 0.99), (0.02, 0.015)),  # best recall, but too many false alerts for 0.01
    row(0.4, (0.97, 0.98), (0.008, 0.01)),
    row(0.5, (0.95, 0.99), (0.005, 0.004)),  # fewer false alerts, worse weaker language
]


def test_the_cap_on_false_alerts_decides_the_pick():
    assert best(ROWS, 0.02)["best"]["min_prob"] == 0.3
    tight = best(ROWS, 0.01)
    assert tight["best"]["min_prob"] == 0.4  # the worse language's recall comes first
    assert tight["met_max_fa"] is True


def test_no_row_under_the_cap_falls_back_to_all_rows_and_says_so():
    summary = best(ROWS, 0.001)
    assert summary["met_max_fa"] is False
    assert summary["best"]["min_prob"] == 0.3
    assert summary["tried"] == 3 and summary["scored"] == 100


def test_from_a_saved_run_picks_again_without_scoring(tmp_path, monkeypatch, capsys):
    saved = tmp_path / "rows.json"
    saved.write_text(json.dumps({"sets": ["dev"], "scored": 100, "rows": ROWS}), encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["tune", "--from", str(saved), "--max-fa", "0.01"])
    main()  # loads no model: --from skips the scoring
    out = capsys.readouterr().out  # the summary first, then one runner-up per line
    assert json.loads(out[: out.index("\n}") + 2])["best"]["min_prob"] == 0.4


def test_a_bad_saved_file_is_one_clear_line(tmp_path, monkeypatch):
    bad = tmp_path / "rows.json"
    bad.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["tune", "--from", str(bad)])
    with pytest.raises(SystemExit) as e:
        main()
    assert str(e.value).startswith(f"error: {bad}: not a --results file")
