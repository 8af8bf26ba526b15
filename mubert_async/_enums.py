"""String enums and constants for the values the API knows (a leaf: imports nothing of ours).

Each member is also a ``str`` (``Mode.LOOP == "loop"``), so the plain strings in
decoded models compare equal to them, and a value a newer server adds decodes as a
plain string instead of failing.
"""

from __future__ import annotations

import enum

__all__ = [
    "BITRATES",
    "KEYS",
    "Format",
    "GenerationStatus",
    "Instrument",
    "Intensity",
    "Mode",
    "Stem",
    "StreamingType",
]


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)


class Intensity(_StrEnum):
    """How many instruments play at once."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Mode(_StrEnum):
    """Composition type of a track."""

    TRACK = "track"
    JINGLE = "jingle"
    LOOP = "loop"
    MIX = "mix"


class Format(_StrEnum):
    """Audio container of a generated file."""

    MP3 = "mp3"
    WAV = "wav"


class GenerationStatus(_StrEnum):
    """Where a generation is in its life."""

    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class Stem(_StrEnum):
    """A group of instruments that can be replaced or deleted together."""

    DRUMS = "DRUMS"
    BASS = "BASS"
    LEADS = "LEADS"
    VOCALS = "VOCALS"
    FX = "FX"


class Instrument(_StrEnum):
    """A single instrument layer of a track."""

    DRUMS = "DRUMS"
    PERCS = "PERCS"
    HATS = "HATS"
    CLAPS = "CLAPS"
    BASS = "BASS"
    MIDS = "MIDS"
    LEADS = "LEADS"
    FX = "FX"
    VOCALS = "VOCALS"
    PADS = "PADS"
    RISER = "RISER"
    IMPACT = "IMPACT"


class StreamingType(_StrEnum):
    """Protocol of a streaming link."""

    HTTP = "http"
    WEBRTC = "webrtc"


BITRATES: frozenset[int] = frozenset({32, 96, 128, 192, 256, 320})
"""Bitrates (kbps) the API accepts."""

KEYS: tuple[str, ...] = tuple(
    f"{note}{scale}"
    for scale in ("", "m")
    for note in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
)
"""Musical keys the API accepts for bpm/key generation ("C" ... "B", "Cm" ... "Bm")."""
