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
    """A member's value is its name in lower case, the API's spelling (``LOOP`` is ``"loop"``)."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return name.lower()

    def __str__(self) -> str:
        return str(self.value)


class _UpperStrEnum(_StrEnum):
    """A member's value is its name as written: the API spells stems and instruments in capitals."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return name


class Intensity(_StrEnum):
    """How many instruments play at once."""

    LOW = enum.auto()
    MEDIUM = enum.auto()
    HIGH = enum.auto()


class Mode(_StrEnum):
    """Composition type of a track."""

    TRACK = enum.auto()
    JINGLE = enum.auto()
    LOOP = enum.auto()
    MIX = enum.auto()


class Format(_StrEnum):
    """Audio container of a generated file."""

    MP3 = "mp3"
    WAV = enum.auto()


class GenerationStatus(_StrEnum):
    """Where a generation is in its life."""

    PROCESSING = enum.auto()
    DONE = enum.auto()
    FAILED = enum.auto()


class Stem(_UpperStrEnum):
    """A group of instruments that can be replaced or deleted together."""

    DRUMS = enum.auto()
    BASS = enum.auto()
    LEADS = enum.auto()
    VOCALS = enum.auto()
    FX = enum.auto()


class Instrument(_UpperStrEnum):
    """A single instrument layer of a track."""

    DRUMS = enum.auto()
    PERCS = enum.auto()
    HATS = enum.auto()
    CLAPS = enum.auto()
    BASS = enum.auto()
    MIDS = enum.auto()
    LEADS = enum.auto()
    FX = enum.auto()
    VOCALS = enum.auto()
    PADS = enum.auto()
    RISER = enum.auto()
    IMPACT = enum.auto()


class StreamingType(_StrEnum):
    """Protocol of a streaming link."""

    HTTP = enum.auto()
    WEBRTC = enum.auto()


BITRATES: frozenset[int] = frozenset({32, 96, 128, 192, 256, 320})
"""Bitrates (kbps) the API accepts."""

KEYS: tuple[str, ...] = tuple(
    f"{note}{scale}"
    for scale in ("", "m")
    for note in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
)
"""Musical keys the API accepts for bpm/key generation ("C" ... "B", "Cm" ... "Bm")."""
