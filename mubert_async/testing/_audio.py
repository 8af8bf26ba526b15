"""Audio files the fake serves: real, tiny, and exactly as long as asked.

WAV is 8 kHz mono 8-bit PCM written with the stdlib ``wave`` module: a quiet tone
at the track's key, pulsing on the track's beat. MP3 is a run of valid silent
MPEG-1 Layer III frames (32 kbit/s, 48 kHz, mono). Recently built files are cached.
"""

from __future__ import annotations

import io
import math
import wave
from functools import lru_cache

__all__ = ["CONTENT_TYPES", "audio"]

CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}

_RATE = 8000
_AMPLITUDE = 12  # of 127: quiet
_NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# MPEG-1 Layer III, 32 kbit/s, 48 kHz, no padding, no CRC, mono: 1152 samples in 96 bytes.
_MP3_HEADER = b"\xff\xfb\x14\xc0"
_MP3_FRAME = _MP3_HEADER + bytes(96 - len(_MP3_HEADER))  # zero side info: silence
_MP3_FRAME_SECONDS = 1152 / 48000


def audio(fmt: str, duration: int, *, bpm: int | None, key: str | None) -> bytes:
    """The file for a generation: ``fmt`` is ``mp3`` or ``wav``, ``duration`` in seconds."""
    if fmt == "wav":
        return _wav(duration, bpm or 120, key or "A")
    return _mp3(duration)


def _frequency(key: str) -> float:
    root = key.removesuffix("m")
    semitone = _NOTES.index(root) if root in _NOTES else 9
    return 220.0 * 2 ** ((semitone - 9) / 12)  # around A3


@lru_cache(maxsize=8)
def _wav(duration: int, bpm: int, key: str) -> bytes:
    beat = max(1, round(_RATE * 60 / bpm))
    step = 2 * math.pi * _frequency(key) / _RATE
    pulse = bytes(
        128 + round(_AMPLITUDE * math.exp(-4 * n / beat) * math.sin(step * n)) for n in range(beat)
    )
    frames = _RATE * duration
    pcm = pulse * (frames // beat) + pulse[: frames % beat]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _mp3(duration: int) -> bytes:
    return _MP3_FRAME * max(1, round(duration / _MP3_FRAME_SECONDS))
