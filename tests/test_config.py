import pytest

from coach.config import ConfigError, from_dict, load


def test_defaults_and_overrides(tmp_path):
    cfg = from_dict(
        {
            "models": {"asr": "large-v3", "device": "cuda"},
            "audio": {"stereo": ["debtor", "collector"]},
            "vad": {"hangover_ms": 600},
        }
    )
    assert cfg.models.asr == "large-v3" and cfg.models.embedding == "embeddinggemma-300m"
    assert cfg.audio.stereo == ("debtor", "collector")
    assert cfg.vad.hangover_ms == 600 and cfg.vad.aggressiveness == 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("vad:\n  hangover: 3\n", "unknown setting 'vad.hangover'"),
        ("vad: [1, 2]\n", "'vad' must be a mapping"),
        ("vad:\n  frame_ms: 25\n", "frame_ms must be 10, 20 or 30"),
        ("models: {asr: [\n", "config.yaml:"),
        ("models:\n  cpu_threads: -1\n", "cpu_threads must be 0 (auto) or a positive"),
        ("asr:\n  lanes: 3\n", "lanes must be 0 (auto), 1 or 2"),
    ],
)
def test_bad_config_is_one_line_with_the_file(tmp_path, text, expected):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_missing_explicit_config(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.yaml")


def test_cpu_threads_auto_is_half_the_cores(monkeypatch):
    # intra-op threads beyond the physical cores made decodes slower (README, Benchmark)
    for cores, expected in [(1, 1), (2, 1), (8, 4), (32, 4)]:
        monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
        assert from_dict({}).models.threads == expected
    assert from_dict({"models": {"cpu_threads": 3}}).models.threads == 3


def test_decode_lanes_auto_is_two_on_two_cores(monkeypatch):
    # a partial lane of its own keeps finals from waiting (README, Benchmark)
    for cores, expected in [(1, 1), (2, 2), (16, 2)]:
        monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
        assert from_dict({"asr": {"lanes": 0}}).asr.decode_lanes == expected
    assert from_dict({}).asr.decode_lanes == 1  # the default, for now (AsrConfig.lanes)
