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
        ("matcher:\n  min_prob: high\n", "'matcher.min_prob' must be a number, not 'high'"),
        ("overlay:\n  enabled: 'on'\n", "'overlay.enabled' must be true or false"),
        ("vad:\n  aggressiveness: 2.5\n", "'vad.aggressiveness' must be a whole number"),
        ("audio:\n  stereo: [debtor]\n", "'audio.stereo' must be a list of 2: text, text"),
        ("models:\n  dir: [a]\n", "'models.dir' must be text or null, not ['a']"),
        ("matcher:\n  clause_min_size: {zh: many}\n", "mapping of text to a whole number"),
    ],
)
def test_bad_config_is_one_line_with_the_file(tmp_path, text, expected):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_values_of_the_right_type_pass_and_numbers_written_as_text_become_numbers():
    cfg = from_dict(
        {
            "matcher": {"min_prob": "1e-3", "min_similarity": 1, "clause_min_prob": None},
            "asr": {"languages": ["zh", "en"], "prompts": {"zh": "工资"}},
            "models": {"dir": "/tmp/models"},
            "audio": {"collector_device": 3},  # an index, as `coach devices` lists them
        }
    )
    assert cfg.audio.collector_device == "3"
    assert cfg.matcher.min_prob == 0.001 and cfg.matcher.clause_min_prob is None
    assert cfg.asr.languages == ("zh", "en") and cfg.asr.prompts["zh"] == "工资"


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
