"""Audio files the fake serves: real, playable, and exactly as long as asked.

WAV is 22,050 Hz 16-bit mono PCM, synthesised from the track's tempo, key and
intensity: a sustained chord of the key (major, or minor for keys ending in
``m``) and a kick drum on every beat; ``medium`` intensity adds a bass note on
each off-beat, ``high`` also adds hi-hats on every eighth note. One bar (four
beats) is rendered and tiled, so even a 300 s track takes milliseconds to build.
The chord is tuned in just intonation, which makes it periodic in a whole number
of samples; it is struck anew on every downbeat, so bars join without clicks.

MP3 is the same music encoded as MPEG-1 Layer III (48 kHz, mono, constant
bitrate: the generation's) by LAME through the ``lameenc`` package, an optional
dependency (extras ``sim`` and ``cli``). At most ``MP3_CHUNK`` seconds are
encoded; a longer file repeats those frames (each chunk starts with an empty bit
reservoir, so the frames join cleanly), which keeps even a 300 s track quick to
build. Without ``lameenc`` the MP3 is a run of valid *silent* frames instead
(``mp3_is_music()`` says which): every frame has the sync word, a valid header,
the exact length that header implies and zeroed side information
(``part2_3_length`` 0), so parsers and players still accept the file and compute
its duration. Either way the file lasts the requested duration to within a frame.

Tracks without a tempo or key (prompt and image tracks) get defaults derived
from the track id, so the same track always sounds the same. Recently built
files are kept in small caches.
"""

from __future__ import annotations

import io
import math
import random
import sys
import wave
import zlib
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

__all__ = [
    "CONTENT_TYPES",
    "MP3_CHUNK",
    "MP3_SAMPLE_RATE",
    "WAV_SAMPLE_RATE",
    "audio",
    "defaults",
    "mp3_is_music",
]

CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}

WAV_SAMPLE_RATE = 22_050
MP3_SAMPLE_RATE = 48_000

_NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_KEYS = (*_NOTES, *(f"{note}m" for note in _NOTES))
_C3 = 130.8128  # Hz: chord roots lie between C3 and B3
_MAJOR = (4, 5, 6, 8)  # root, major third, fifth, octave in just intonation
_MINOR = (10, 12, 15, 20)  # root, minor third, fifth, octave
_INTENSITIES = ("low", "medium", "high")

# Peak levels (fractions of full scale). They add up to less than 1: no clipping.
_PAD = 0.16
_KICK = 0.38
_BASS = 0.16
_HATS = 0.07
_FULL_SCALE = 32_767

_EDGE = 0.02  # seconds of fade at the ends of a bar's chord and of the file
_KICK_LENGTH = 0.25
_BASS_LENGTH = 0.3
_HAT_LENGTH = 0.04

# MPEG-1 Layer III bitrate indices (kbit/s) and the fixed part of each frame header.
_MP3_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_SAMPLES_PER_FRAME = 1152
MP3_CHUNK = 30
"""Seconds of music encoded at most; a longer MP3 repeats them."""
_LAME_QUALITY = 7  # 0 best ... 9 fastest; 7 is LAME's "fast" preset, plenty for a simulator


def audio(
    fmt: str,
    duration: int,
    *,
    bitrate: int = 128,
    bpm: int | None = None,
    key: str | None = None,
    intensity: str | None = None,
    seed: str = "",
) -> bytes:
    """The file for a generation: ``fmt`` is ``mp3`` or ``wav``, ``duration`` in seconds.

    ``bitrate`` (kbit/s) is the MP3's; ``bpm``, ``key`` and ``intensity`` shape the
    music. A missing or unknown ``bpm``/``key`` falls back to ``defaults(seed)``
    (pass the track id).
    """
    default_bpm, default_key = defaults(seed)
    tempo = bpm if bpm is not None and bpm > 0 else default_bpm
    scale = key if key in _KEYS else default_key
    level = intensity if intensity in _INTENSITIES else "medium"
    if fmt == "wav":
        return _wav(max(0, duration), tempo, scale, level)
    rate = bitrate if bitrate in _MP3_BITRATES[1:] else 128
    if mp3_is_music():
        return _mp3_music(max(0, duration), rate, tempo, scale, level)
    return _mp3(max(0, duration), rate)


def defaults(seed: str) -> tuple[int, str]:
    """A deterministic (bpm, key) for a track that has none, from its id."""
    digest = zlib.crc32(seed.encode())
    return 80 + digest % 61, _KEYS[(digest >> 8) % len(_KEYS)]


# -- WAV ---------------------------------------------------------------------------


def _pcm(duration: int, bpm: int, key: str, intensity: str) -> bytearray:
    """``duration`` seconds of the music as little-endian 16-bit samples, faded out at the end."""
    bar = _bar(bpm, key, intensity)
    frames = WAV_SAMPLE_RATE * duration
    repeats, rest = divmod(frames * 2, len(bar))
    pcm = bytearray(bar * repeats + bar[:rest])
    _fade_out(pcm, round(_EDGE * WAV_SAMPLE_RATE))
    return pcm


@lru_cache(maxsize=4)
def _wav(duration: int, bpm: int, key: str, intensity: str) -> bytes:
    pcm = _pcm(duration, bpm, key, intensity)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


@lru_cache(maxsize=16)
def _bar(bpm: int, key: str, intensity: str) -> bytes:
    """One bar of four beats as little-endian 16-bit samples."""
    length = max(4, round(WAV_SAMPLE_RATE * 240 / bpm))
    onsets = [round(beat * length / 4) for beat in range(5)]
    root, samples = _chord(key, length)
    beat = onsets[1]
    kick = _kick(min(beat, _samples(_KICK_LENGTH)))
    bass = _bass(root / 2, min(beat // 2, _samples(_BASS_LENGTH)))
    hat = _hat(min(beat // 2, _samples(_HAT_LENGTH)))
    for start, end in pairwise(onsets):
        middle = (start + end) // 2
        _mix(samples, kick, start)
        if intensity != "low":
            _mix(samples, bass, middle)
        if intensity == "high":
            _mix(samples, hat, start, 0.6)
            _mix(samples, hat, middle)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _samples(seconds: float) -> int:
    return round(seconds * WAV_SAMPLE_RATE)


def _chord(key: str, length: int) -> tuple[float, array[int]]:
    """The root frequency and a bar of the key's chord (faded in and out at the bar's ends)."""
    minor = key.endswith("m")
    ratios = _MINOR if minor else _MAJOR
    target = _C3 * 2 ** (_NOTES.index(key.removesuffix("m")) / 12)
    period = round(WAV_SAMPLE_RATE * ratios[0] / target)  # samples: every voice fits whole
    level = _PAD * _FULL_SCALE / len(ratios)
    cycle = array(
        "h",
        (
            round(level * sum(math.sin(2 * math.pi * r * n / period) for r in ratios))
            for n in range(period)
        ),
    )
    samples = (cycle * (length // period + 1))[:length]
    edge = min(_samples(_EDGE), length // 4)
    for n in range(edge):
        gain = n / edge
        samples[n] = round(samples[n] * gain)
        samples[length - 1 - n] = round(samples[length - 1 - n] * gain)
    return WAV_SAMPLE_RATE * ratios[0] / period, samples


def _kick(length: int) -> list[int]:
    """A sine whose pitch falls from about 155 Hz to 45 Hz, decaying fast."""
    wave_: list[int] = []
    for n in range(length):
        t = n / WAV_SAMPLE_RATE
        phase = 2 * math.pi * (45 * t + 110 * 0.035 * (1 - math.exp(-t / 0.035)))
        wave_.append(round(_KICK * _FULL_SCALE * math.exp(-t / 0.09) * math.sin(phase)))
    return _tail_faded(wave_)


def _bass(frequency: float, length: int) -> list[int]:
    """A plucked sine at ``frequency``: 5 ms attack, then an exponential decay."""
    attack = _samples(0.005)
    wave_: list[int] = []
    for n in range(length):
        t = n / WAV_SAMPLE_RATE
        envelope = min(1.0, n / attack) * math.exp(-t / 0.12)
        wave_.append(round(_BASS * _FULL_SCALE * envelope * math.sin(2 * math.pi * frequency * t)))
    return _tail_faded(wave_)


def _hat(length: int) -> list[int]:
    """A closed hi-hat: differentiated (bright) noise with a 10 ms decay, the same every time."""
    noise = random.Random(0)
    previous = 0.0
    wave_: list[int] = []
    for n in range(length):
        sample = noise.uniform(-1.0, 1.0)
        envelope = math.exp(-n / WAV_SAMPLE_RATE / 0.01)
        wave_.append(round(_HATS * _FULL_SCALE * envelope * (sample - previous) / 2))
        previous = sample
    return wave_


def _tail_faded(wave_: list[int]) -> list[int]:
    """``wave_`` with its last 5 ms faded out, so a cut-short sound ends without a click."""
    edge = min(_samples(0.005), len(wave_))
    for n in range(1, edge + 1):
        wave_[-n] = round(wave_[-n] * (n - 1) / edge)
    return wave_


def _mix(samples: array[int], sound: Sequence[int], start: int, gain: float = 1.0) -> None:
    """Add ``sound`` (times ``gain``) into ``samples`` from ``start``, clipped to the bar."""
    end = min(len(samples), start + len(sound))
    for n in range(start, end):
        samples[n] += round(sound[n - start] * gain)


def _fade_out(pcm: bytearray, frames: int) -> None:
    """Fade the last ``frames`` samples of little-endian 16-bit ``pcm`` to silence."""
    frames = min(frames, len(pcm) // 2)
    if frames == 0:
        return
    tail = array("h", pcm[-2 * frames :])
    if sys.byteorder == "big":
        tail.byteswap()
    for n in range(frames):
        tail[n] = round(tail[n] * (frames - 1 - n) / frames)
    if sys.byteorder == "big":
        tail.byteswap()
    pcm[-2 * frames :] = tail.tobytes()


# -- MP3 ---------------------------------------------------------------------------


def mp3_is_music() -> bool:
    """True when ``lameenc`` is installed and MP3s carry the music (else silent frames)."""
    return _lameenc() is not None


@lru_cache(maxsize=1)
def _lameenc() -> Any:
    try:
        import lameenc
    except ImportError:
        return None
    return lameenc


def _frame_count(duration: int) -> int:
    return max(1, round(duration * MP3_SAMPLE_RATE / _MP3_SAMPLES_PER_FRAME))


def _split_frames(data: bytes, bitrate: int) -> list[bytes]:
    """The frames of LAME's constant-bitrate 48 kHz output (each 3 bytes per kbit/s)."""
    length = 144 * bitrate * 1000 // MP3_SAMPLE_RATE
    return [data[n : n + length] for n in range(0, len(data) - length + 1, length)]


@lru_cache(maxsize=4)
def _mp3_music(duration: int, bitrate: int, bpm: int, key: str, intensity: str) -> bytes:
    """The music as MP3: at most ``MP3_CHUNK`` s encoded, repeated to ``duration``."""
    encoder = _lameenc().Encoder()
    encoder.set_bit_rate(bitrate)
    # LAME refuses 320 kbit/s from 22,050 Hz: every sample is given twice (44,100 Hz).
    encoder.set_in_sample_rate(2 * WAV_SAMPLE_RATE)
    encoder.set_out_sample_rate(MP3_SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(_LAME_QUALITY)
    samples = array("h", _pcm(max(1, min(duration, MP3_CHUNK)), bpm, key, intensity))
    doubled = array("h", bytes(4 * len(samples)))
    doubled[0::2] = samples
    doubled[1::2] = samples
    encoded = bytes(encoder.encode(doubled.tobytes()) + encoder.flush())
    frames = _split_frames(encoded, bitrate)
    wanted = _frame_count(duration)
    repeats, rest = divmod(wanted, len(frames))
    return b"".join(frames) * repeats + b"".join(frames[:rest])


def _mp3_frame(bitrate: int) -> bytes:
    """One silent frame: MPEG-1 Layer III, no CRC, 48 kHz, no padding, mono."""
    header = bytes((0xFF, 0xFB, _MP3_BITRATES.index(bitrate) << 4 | 0b01 << 2, 0b11 << 6))
    length = 144 * bitrate * 1000 // MP3_SAMPLE_RATE  # 3 bytes per kbit/s at 48 kHz
    return header + bytes(length - len(header))


@lru_cache(maxsize=4)
def _mp3(duration: int, bitrate: int) -> bytes:
    """Silent frames: the fallback without ``lameenc``."""
    return _mp3_frame(bitrate) * _frame_count(duration)
