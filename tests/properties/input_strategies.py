"""What users might pass to the SDK's methods: plausible values, and anything at all.

``anything(rnd)`` is an arbitrary Python value - text with control characters,
separators, dot segments and lone surrogates, huge and negative integers, bools,
floats (NaN, infinities), None, bytes, file objects, enum members (the SDK's and a
user's own), lists, dicts, models. ``VALID[kind](rnd)`` is a value the API would
likely accept for one kind of argument (a duration, a playlist index, an id...),
sometimes just past a bound.

Values are made from a seeded ``random.Random`` whose seed hypothesis draws: one
draw per call instead of dozens keeps 800 examples a property inside the time
budget, and a failure still reproduces from its seed.
"""

from __future__ import annotations

import enum
import io
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mubert_async import (
    Format,
    GenerationStatus,
    Instrument,
    Intensity,
    Mode,
    Stem,
    Track,
    TrackRequest,
)
from mubert_async.models import KEYS, StreamingType

__all__ = [
    "PNG",
    "VALID",
    "Arg",
    "ForeignInt",
    "ForeignStr",
    "anything",
    "arguments",
    "image_files",
]

Make = Callable[[random.Random], Any]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)
"""The smallest image the API takes is 50 KB: a PNG signature and zeros."""


class ForeignStr(enum.Enum):
    """A user's own enum whose values happen to be valid API strings."""

    WAV = "wav"
    LOW = "low"
    LOOP = "loop"
    DRUMS = "DRUMS"
    WEBRTC = "webrtc"
    DESC = "desc"
    KEY = "C#m"


class ForeignInt(enum.IntEnum):
    """A user's own int enum with valid bitrates, durations and bpm."""

    KBPS = 128
    SECONDS = 60
    ONE = 1


class ForeignStrEnum(str, enum.Enum):
    """A str-mixin enum of the user's, like the SDK's own."""

    MP3 = "mp3"
    HIGH = "high"
    FX = "FX"


ENUM_MEMBERS: tuple[enum.Enum, ...] = (
    *Format,
    *Intensity,
    *Mode,
    *Stem,
    *Instrument,
    *GenerationStatus,
    *StreamingType,
    *ForeignStr,
    *ForeignInt,
    *ForeignStrEnum,
)

TRICKY_TEXT: tuple[str, ...] = (
    "",
    " ",
    ".",
    "..",
    "/",
    "a/b",
    "../etc/passwd",
    "..%2F",
    "%2F",
    "%",
    "a?b=c",
    "a#b",
    "a\\b",
    "\x00",
    "a\x00b",
    "\n",
    "line\nbreak",
    "\t",
    "\r\n",
    "\x7f",
    "\x85",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\ud800",
    "a\udfffb",
    "\U0001f4a5",
    "é",
    "\uff11",  # FULLWIDTH DIGIT ONE
    "\u0661.\u0660",  # Arabic-Indic digits: "1.0"
    "1.0.0",
    "1.0.0.0",
    "01.2",
    "1.0.0\n",
    "12345678901",
    "x" * 255,
    "x" * 256,
    "y" * 300,
    "true",
    "null",
    "None",
    "https://example.com/hook",
    "http://127.0.0.1/h",
    "http://[",
    "http://a\uff03b/",
    "ftp://example.com",
    "javascript:alert(1)",
    "http://",
    "id:with@odd+chars",
    "user.1@example-co",
    "user-1",
)
HUGE_INTS = (2**31, 2**63 - 1, 2**63, 2**64, 2**70, -(2**70), -(2**63), -1, 0)


def text(rnd: random.Random) -> str:
    """Text: tricky literals, printable ASCII, or any code points (surrogates included)."""
    pick = rnd.random()
    if pick < 0.4:
        return rnd.choice(TRICKY_TEXT)
    if pick < 0.7:
        return "".join(rnd.choices(string.printable, k=rnd.randint(0, 16)))
    if pick < 0.85:
        return "".join(
            rnd.choices(string.ascii_letters + string.digits + "._@-", k=rnd.randint(1, 12))
        )
    return "".join(chr(rnd.randint(0, 0x10FFFF)) for _ in range(rnd.randint(1, 8)))


def _scalar(rnd: random.Random) -> Any:
    pick = rnd.randint(0, 11)
    if pick == 0:
        return None
    if pick == 1:
        return rnd.random() < 0.5
    if pick == 2:
        return rnd.randint(-1000, 5000)
    if pick == 3:
        return rnd.choice(HUGE_INTS)
    if pick == 4:
        return rnd.choice(
            [0.0, -0.0, 30.0, 128.0, 0.5, float("nan"), float("inf"), -float("inf"), 1e308]
        )
    if pick == 5:
        return rnd.choice(ENUM_MEMBERS)
    if pick == 6:
        return rnd.choice([b"", b"x", b"1.0.0", bytearray(b"mp3"), memoryview(b"wav")])
    if pick == 7:
        return rnd.choice([object(), type, print, Ellipsis, NotImplemented, 1j, frozenset()])
    return text(rnd)


def anything(rnd: random.Random, depth: int = 0) -> Any:
    """Any Python value: scalars, containers of them, file objects, models."""
    pick = rnd.random()
    if depth >= 2 or pick < 0.75:
        return _scalar(rnd)
    if pick < 0.83:
        return [anything(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    if pick < 0.87:
        return tuple(anything(rnd, depth + 1) for _ in range(rnd.randint(0, 2)))
    if pick < 0.91:
        return {text(rnd): anything(rnd, depth + 1) for _ in range(rnd.randint(0, 2))}
    if pick < 0.95:
        return rnd.choice([io.BytesIO(b"tiny"), io.StringIO("text"), io.BytesIO(PNG)])
    return rnd.choice(
        [
            Track(id="123e4567-e89b-12d3-a456-426614174000"),
            Track(id="a/b"),
            TrackRequest(30, prompt="p"),
        ]
    )


def _one_of(*makers: Make) -> Make:
    return lambda rnd: rnd.choice(makers)(rnd)


def _choice(*options: Any) -> Make:
    return lambda rnd: rnd.choice(options)


def _int(low: int, high: int, *edges: int) -> Make:
    return lambda rnd: rnd.choice(edges) if edges and rnd.random() < 0.2 else rnd.randint(low, high)


def _playlist_index(rnd: random.Random) -> str:
    return ".".join(str(rnd.randint(0, 120)) for _ in range(rnd.randint(1, 3)))


def _uuid(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128)))


def _list_of(options: tuple[Any, ...]) -> Make:
    def make(rnd: random.Random) -> Any:
        items = rnd.sample(options, rnd.randint(1, 3))
        if rnd.random() < 0.2:
            items.append(items[0])  # a repeat
        return items if rnd.random() < 0.7 else tuple(items) if rnd.random() < 0.5 else set(items)

    return make


def _custom_id(rnd: random.Random) -> str:
    return "".join(rnd.choices(string.ascii_letters + string.digits + "._@-", k=rnd.randint(1, 20)))


def _url(rnd: random.Random) -> str:
    host = rnd.choice(["example.com", "127.0.0.1", "hooks.example.org:8443", "[::1]"])
    return f"{rnd.choice(['https', 'http'])}://{host}/{_custom_id(rnd)}"


def _track_id(rnd: random.Random) -> Any:
    track_id = _uuid(rnd)
    if rnd.random() < 0.2:
        status = rnd.choice(["done", "processing", "failed"])
        url = "https://files.mubert.com/x.mp3" if status == "done" else None
        return Track(id=track_id, duration=30, generations=(_generation(status, url),))
    return track_id


def _generation(status: str, url: str | None) -> Any:
    from mubert_async import Generation

    return Generation(status=status, url=url, format="mp3", bitrate=128)


VALID: dict[str, Make] = {
    "duration": _int(5, 3600, 4, 5, 3600, 3601, 0, -5),
    "playlist_index": _one_of(
        _playlist_index,
        _playlist_index,
        _choice("1.0.0.0", "1..0", ".1", "1.", "1.0.0\n", "12345678901", "1.a", "+1", "-1"),
        _choice("\u0661.\u0660", "\uff11.0", "\u0967", "1.\u00b2", "\U0001d7ce"),  # not ASCII
    ),
    "prompt": _one_of(text, _choice("calm piano", "rain on a tin roof", "x" * 255)),
    "text": _one_of(text, _choice("Nu Disco", "Happy", "created_at")),
    "bitrate": _choice(32, 96, 128, 192, 256, 320, ForeignInt.KBPS, 64, 0),
    "format": _choice(*Format, "mp3", "wav", ForeignStr.WAV, ForeignStrEnum.MP3, "MP3", "ogg"),
    "intensity": _choice(*Intensity, "low", "high", ForeignStrEnum.HIGH, 3, "Low"),
    "mode": _choice(*Mode, "track", "loop", ForeignStr.LOOP, "song"),
    "key": _choice(*KEYS, ForeignStr.KEY, "H", "ALL", "c"),
    "bpm": _int(1, 500, 0, 1, 500, 501, ForeignInt.ONE),
    "stream_id": _int(1, 10_000, 0, 1, 2**70),
    "offset": _int(0, 500, 0, -1, 2**70),
    "limit": _int(1, 100, 1, 0, -1, 2**70),
    "page_size": _int(1, 100, 1, 0),
    "order": _choice("asc", "desc", ForeignStr.DESC, "ASC", "up"),
    "order_by": _choice("created_at", "duration", "", "x" * 64, "x" * 65),
    "type": _choice(*StreamingType, "http", "webrtc", ForeignStr.WEBRTC, "rtmp"),
    "on": _choice(True, False),
    "time": _int(0, 100_000, 0, -1, 2**70),
    "track_id": _track_id,
    "id": _one_of(_uuid, _custom_id),
    "custom_id": _custom_id,
    "stems": _list_of((*Stem, "DRUMS", "FX", ForeignStrEnum.FX, "drums")),
    "instruments": _list_of((*Instrument, "PADS", "HATS", ForeignStr.DRUMS, "GUITAR")),
    "webhook_url": _one_of(
        _url,
        _choice(None, "https://example.com/hook", "http://[", "http://[::1", "https://a]b/"),
        _choice("http://a\uff03b/", "http://a\u2100/", "ftp://example.com/h", "https://", "//x"),
    ),
    "webhook_enabled": _choice(True, False),
    "timeout": _choice(None, 0.5, 1, 30.0, 900, float("inf"), 0, -1, float("nan")),
    "concurrency": _int(1, 8, 1, 0, -1, 2**70),
    "ordered": _choice(True, False),
    "progress": _choice(None, False, lambda progress: None),
}
"""Makers of plausible values per kind of argument (valid ones, and some just past a bound)."""


def image_files(directory: Path) -> Make:
    """Images: PNG bytes or file objects, a real file, or broken ones of every kind."""
    good = directory / "image.png"
    good.write_bytes(PNG)
    small = directory / "small.png"
    small.write_bytes(PNG[:100])
    options: list[Make] = [
        lambda rnd: PNG,
        lambda rnd: bytearray(PNG),
        lambda rnd: memoryview(PNG),
        lambda rnd: io.BytesIO(PNG),
        lambda rnd: str(good),
        lambda rnd: good,
        lambda rnd: str(small),
        lambda rnd: PNG[:1000],
        lambda rnd: b"GIF89a" + bytes(60 * 1024),
        lambda rnd: io.StringIO("not binary"),
        lambda rnd: str(directory),
        lambda rnd: str(directory / "missing.png"),
        lambda rnd: str(directory / "a\x00b"),
        lambda rnd: str(directory / "a\ud800b"),
        lambda rnd: "",
    ]
    return lambda rnd: rnd.choice(options)(rnd)


@dataclass(frozen=True)
class Arg:
    """One declared parameter: its name, kind, and whether it must be given."""

    name: str
    kind: str
    required: bool = False
    positional: bool = False
    presence: float = 0.55  # how often an optional argument is given


def arguments(
    rnd: random.Random, args: tuple[Arg, ...], makers: dict[str, Make]
) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments for ``args``: mostly plausible, sometimes anything.

    An optional argument is often left out (or passed as None); a few are replaced by
    ``anything`` in most examples, so that every argument meets junk often enough.
    """
    junk_rate = rnd.choice([0.0, 0.0, 0.0, 0.1, 0.3])
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for arg in args:
        if not arg.required and rnd.random() >= arg.presence:
            if rnd.random() < 0.1:
                keywords[arg.name] = None
            continue
        value = anything(rnd) if rnd.random() < junk_rate else makers[arg.kind](rnd)
        if arg.positional:
            positional.append(value)
        else:
            keywords[arg.name] = value
    return positional, keywords
