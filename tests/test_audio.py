import numpy as np
import pytest
import soundfile as sf

from coach.audio import AudioInputError, FileSource
from coach.events import SAMPLE_RATE


def tone(freq, seconds, rate):
    t = np.arange(round(seconds * rate)) / rate
    return 0.3 * np.sin(2 * np.pi * freq * t)


def collect(source):
    chunks = [c for block in source.blocks() for c in block]
    return {
        ch: np.concatenate([c.samples for c in chunks if c.channel == ch])
        for ch in {c.channel for c in chunks}
    }, chunks


def peak_hz(x):
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64)))
    return np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)[spectrum.argmax()]


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_stereo_is_resampled_and_mapped(tmp_path, rate):
    path = tmp_path / "call.wav"
    sf.write(path, np.stack([tone(440, 2.0, rate), tone(1000, 2.0, rate)], axis=1), rate)
    channels, chunks = collect(FileSource(path))
    assert set(channels) == {"collector", "debtor"}
    assert abs(len(channels["collector"]) - 2 * SAMPLE_RATE) <= 2
    assert abs(peak_hz(channels["collector"]) - 440) < 2  # left is the collector
    assert abs(peak_hz(channels["debtor"]) - 1000) < 2
    starts = [c.start for c in chunks if c.channel == "debtor"]
    assert starts == sorted(starts) and starts[0] == 0.0


def test_channel_map_can_be_swapped(tmp_path):
    path = tmp_path / "call.flac"
    sf.write(path, np.stack([tone(440, 1.0, 16000), tone(1000, 1.0, 16000)], axis=1), 16000)
    channels, _ = collect(FileSource(path, stereo=("debtor", "collector")))
    assert abs(peak_hz(channels["debtor"]) - 440) < 2


def test_mono_is_the_debtor_with_a_warning(tmp_path):
    path = tmp_path / "mono.wav"
    sf.write(path, tone(300, 1.0, 44100), 44100)
    source = FileSource(path)
    channels, _ = collect(source)
    assert list(channels) == ["debtor"]
    assert "mono" in source.warnings[0] and "debtor" in source.warnings[0]


def test_mp3_decodes(tmp_path):
    path = tmp_path / "call.mp3"
    sf.write(path, np.stack([tone(440, 1.0, 44100)] * 2, axis=1), 44100, format="MP3")
    channels, _ = collect(FileSource(path))
    assert abs(len(channels["debtor"]) / SAMPLE_RATE - 1.0) < 0.1


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("not audio"), "not a readable audio file"),
        (lambda p: p.write_bytes(b""), "not a readable audio file"),
        (lambda p: sf.write(p, np.zeros((100, 3)), 16000, format="WAV"), "has 3 channels"),
    ],
)
def test_bad_files_give_one_line(tmp_path, make, expected):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioInputError) as err:
        FileSource(path)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert str(path) in str(err.value)


def test_truncated_file_keeps_what_was_readable(tmp_path):
    path = tmp_path / "cut.flac"
    sf.write(path, np.stack([tone(440, 5.0, 16000)] * 2, axis=1), 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    items = [i for block in FileSource(path).blocks() for i in block]
    audio = [i for i in items if hasattr(i, "samples")]
    assert len(audio) > 0  # the first half was delivered, whatever libsndfile says of the rest
