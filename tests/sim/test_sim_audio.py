"""The simulator's audio: music-like WAV of the exact duration, the same music as real MP3."""

from __future__ import annotations

import cmath
import io
import math
import time
import wave
from array import array
from itertools import pairwise

import pytest

from mubert_async.testing import _audio
from mubert_async.testing._audio import WAV_SAMPLE_RATE, audio, defaults

RATE = WAV_SAMPLE_RATE
INTENSITIES = ("low", "medium", "high")

# -- helpers ---------------------------------------------------------------------------


def pcm(data: bytes) -> tuple[tuple[int, int, int, int], array[int]]:
    """(channels, sample width, frame rate, frames) and the 16-bit samples of a WAV file."""
    with wave.open(io.BytesIO(data)) as reader:
        header = (
            reader.getnchannels(),
            reader.getsampwidth(),
            reader.getframerate(),
            reader.getnframes(),
        )
        samples = array("h", reader.readframes(reader.getnframes()))
    return header, samples


def samples_of(bpm: int, key: str, intensity: str, seconds: int = 8) -> array[int]:
    return pcm(audio("wav", seconds, bpm=bpm, key=key, intensity=intensity))[1]


def magnitude(samples: array[int], frequency: float) -> float:
    """How much of ``frequency`` the samples hold (one DFT bin, normalised)."""
    step = -2j * math.pi * frequency / RATE
    total = sum(x * cmath.exp(step * n) for n, x in enumerate(samples))
    return abs(total) / len(samples)


def energy(samples: array[int]) -> float:
    return sum(x * x for x in samples) / max(1, len(samples))


def brightness(samples: array[int]) -> float:
    """Mean size of sample-to-sample steps: high for hi-hats, low for pads and kicks."""
    return sum(abs(b - a) for a, b in pairwise(samples)) / len(samples)


def window(samples: array[int], start: float, end: float) -> array[int]:
    return samples[round(start * RATE) : round(end * RATE)]


# MPEG-1 Layer III tables
MP3_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MP3_RATES = (44100, 48000, 32000)


def mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """Walk the file frame by frame as a decoder would: (bitrate kbit/s, sample rate) each."""
    offset = 0
    if data[:3] == b"ID3":  # an optional ID3v2 tag: 10-byte header, synchsafe size
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        offset = 10 + size
    frames: list[tuple[int, int]] = []
    while offset < len(data):
        header = int.from_bytes(data[offset : offset + 4], "big")
        assert header >> 21 == 0x7FF, f"no frame sync at {offset}"
        assert (header >> 19) & 0b11 == 0b11, "MPEG-1"
        assert (header >> 17) & 0b11 == 0b01, "Layer III"
        bitrate_index, rate_index = (header >> 12) & 0xF, (header >> 10) & 0b11
        assert 0 < bitrate_index < 15 and rate_index < 3
        assert header & 0b11 != 0b10, "reserved emphasis"
        bitrate, rate = MP3_BITRATES[bitrate_index], MP3_RATES[rate_index]
        padding = (header >> 9) & 1
        length = 144 * bitrate * 1000 // rate + padding
        assert offset + length <= len(data), "the last frame is cut short"
        frames.append((bitrate, rate))
        offset += length
    return frames


# -- WAV ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [1, 5, 7, 10, 61, 300])
def test_wav_has_exactly_the_requested_duration(seconds: int) -> None:
    header, samples = pcm(audio("wav", seconds, bpm=123, key="D#m", intensity="high"))
    assert header == (1, 2, RATE, seconds * RATE)
    assert len(samples) == seconds * RATE
    assert max(samples) > 3000 and min(samples) < -3000  # music, not silence
    assert max(abs(x) for x in samples) < 32767  # and never clipped


def test_a_long_track_is_quick_to_make() -> None:
    _audio._wav.cache_clear()
    _audio._bar.cache_clear()
    started = time.perf_counter()
    for bpm in (1, 97, 500):
        data = audio("wav", 300, bpm=bpm, key="G", intensity="high")
        assert len(data) == 44 + 300 * RATE * 2
    assert time.perf_counter() - started < 2.0  # each well under a second


def test_the_file_fades_out_at_the_end() -> None:
    samples = samples_of(120, "A", "high", seconds=3)
    assert samples[-1] == 0 and max(abs(x) for x in samples[-20:]) < 200


@pytest.mark.parametrize("bpm", [90, 120, 150])
def test_a_kick_on_every_beat(bpm: int) -> None:
    samples = samples_of(bpm, "C", "low", seconds=6)
    beat = 60 / bpm
    for n in range(1, int(6 / beat)):
        onset = n * beat
        before = energy(window(samples, onset - 0.05, onset - 0.005))
        after = energy(window(samples, onset + 0.005, onset + 0.05))
        assert after > 4 * before, f"no kick at beat {n}"
    # and nothing kick-like half way between beats
    middle = energy(window(samples, 1.5 * beat + 0.005, 1.5 * beat + 0.05))
    assert energy(window(samples, beat + 0.005, beat + 0.05)) > 4 * middle


def test_bpm_changes_the_samples() -> None:
    assert samples_of(100, "A", "high") != samples_of(128, "A", "high")


@pytest.mark.parametrize(
    ("key", "root", "third", "wrong_third"),
    [
        ("A", 220.0, 275.0, 264.0),  # major third 5/4, not minor 6/5
        ("Am", 220.0, 264.0, 275.0),
        ("C", 130.81, 163.5, 157.0),
        ("F#m", 185.0, 222.0, 231.25),
    ],
)
def test_the_pad_is_the_chord_of_the_key(
    key: str, root: float, third: float, wrong_third: float
) -> None:
    # 30 bpm, low intensity: between kicks (2 s apart) only the chord sounds
    pad = window(samples_of(30, key, "low", seconds=4), 0.5, 1.5)
    strong = min(magnitude(pad, root), magnitude(pad, third), magnitude(pad, root * 1.5))
    assert strong > 500
    assert magnitude(pad, wrong_third) < strong / 10
    assert magnitude(pad, root * 2 ** (1 / 12)) < strong / 10  # a semitone off: nothing


def test_key_changes_the_samples() -> None:
    assert samples_of(120, "C", "medium") != samples_of(120, "Cm", "medium")
    assert samples_of(120, "C", "medium") != samples_of(120, "D", "medium")


def test_intensity_adds_layers() -> None:
    # 60 bpm in A: the off-beat (0.5 s into each beat) has a bass note from medium up
    low, medium, high = (samples_of(60, "A", level, seconds=4) for level in INTENSITIES)
    offbeat = (1.5, 1.7)
    bass = [magnitude(window(s, *offbeat), 110.0) for s in (low, medium, high)]
    assert bass[0] < 50 < 500 < bass[1]
    assert bass[2] > 500
    hats = [brightness(window(s, 1.5, 1.52)) for s in (low, medium, high)]
    assert hats[2] > 3 * max(hats[0], hats[1])  # hi-hats only at high intensity


def test_tracks_without_bpm_or_key_get_defaults_from_their_id() -> None:
    bpm, key = defaults("track-42")
    assert 80 <= bpm <= 140 and key in _audio._KEYS
    assert defaults("track-42") == (bpm, key)
    implied = audio("wav", 3, bpm=None, key=None, intensity="high", seed="track-42")
    assert implied == audio("wav", 3, bpm=bpm, key=key, intensity="high")
    others = {defaults(f"track-{n}") for n in range(20)}
    assert len(others) > 10  # ids spread over tempos and keys


def test_unknown_values_fall_back_to_safe_ones() -> None:
    header, _ = pcm(audio("wav", 2, bpm=0, key="H", intensity="extreme", seed="x"))
    assert header == (1, 2, RATE, 2 * RATE)
    assert audio("wav", 0, bpm=120, key="A", intensity="low")[:4] == b"RIFF"


# -- MP3 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bitrate", [32, 96, 128, 192, 256, 320])
@pytest.mark.parametrize("seconds", [1, 7, 60, 300])
def test_mp3_frames_parse_and_last_as_long_as_asked(bitrate: int, seconds: int) -> None:
    data = audio("mp3", seconds, bitrate=bitrate)
    frames = mp3_frames(data)
    assert set(frames) == {(bitrate, 48000)}
    assert abs(len(frames) * 1152 / 48000 - seconds) <= 1152 / 48000  # within one frame
    assert len(data) == len(frames) * 3 * bitrate  # 144 * bitrate / 48 kHz, no padding


def decoded(data: bytes) -> array[int]:
    """The MP3 decoded by miniaudio (a real decoder) as 48 kHz mono 16-bit samples."""
    miniaudio = pytest.importorskip("miniaudio")
    sound = miniaudio.decode(
        data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=48000
    )
    return array("h", sound.samples)


@pytest.mark.parametrize("seconds", [5, 61])
def test_mp3_decodes_to_the_music_not_silence(seconds: int) -> None:
    pytest.importorskip("lameenc")
    assert _audio.mp3_is_music()
    data = audio("mp3", seconds, bitrate=128, bpm=120, key="Am", intensity="high")
    samples = decoded(data)
    assert abs(len(samples) / 48000 - seconds) < 0.1
    wav = pcm(audio("wav", seconds, bpm=120, key="Am", intensity="high"))[1]
    assert max(samples) > 3000 and min(samples) < -3000  # music, not silence
    assert 0.5 < energy(samples) / energy(wav) < 2  # the same music, as loud
    header = int.from_bytes(data[:4], "big")
    assert (header >> 6) & 0b11 == 0b11  # single channel
    # Past the first chunk (repeated frames) it is music too, to the end.
    late = samples[round((seconds - 2) * 48000) : round((seconds - 1) * 48000)]
    assert energy(late) > 0.25 * energy(wav)


def test_mp3_without_lameenc_is_silent_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_audio, "_lameenc", lambda: None)
    assert not _audio.mp3_is_music()
    data = audio("mp3", 1, bitrate=128)
    header = int.from_bytes(data[:4], "big")
    assert (header >> 16) & 1 == 1  # protection bit set: no CRC follows
    assert (header >> 6) & 0b11 == 0b11  # single channel
    assert not any(data[4 : 4 + 17])  # side information all zero: part2_3_length 0, silence
    assert set(mp3_frames(data)) == {(128, 48000)}


def test_mp3_of_an_unknown_bitrate_is_128() -> None:
    assert mp3_frames(audio("mp3", 1, bitrate=100))[0] == (128, 48000)
