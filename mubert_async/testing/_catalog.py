"""Fixed content: the channel list (playlists) and a generated music library.

Both are deterministic and shared by every ``FakeMubert``: the library is built
once, from its own seed, so its ids and urls are the same in every run.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ._model import Generation, Track
from ._spec import INTENSITIES, KEYS

__all__ = ["LIBRARY_PARAMS", "Library", "LibraryEntry", "library", "playlists"]

# (playlist_index, category, group, channel, bpm greater-than, bpm less-than)
_CHANNELS = (
    ("0.0.0", "Moods", "Calm", "Peaceful", 45, 83),
    ("0.0.1", "Moods", "Calm", "Dreamy", 50, 90),
    ("0.6.0", "Moods", "Upbeat", "Happy", 100, 130),
    ("0.6.1", "Moods", "Upbeat", "Energizing", 110, 140),
    ("1.0.0", "Activities", "Focus", "Study", 60, 100),
    ("1.0.1", "Activities", "Focus", "Work", 70, 110),
    ("1.0.2", "Activities", "Focus", "Deep Focus", 50, 90),
    ("1.1.0", "Activities", "Sport", "Running", 140, 180),
    ("1.1.1", "Activities", "Sport", "Workout", 120, 160),
    ("2.0.0", "Genres", "Electronic", "Techno", 120, 150),
    ("2.0.1", "Genres", "Electronic", "House", 115, 130),
    ("2.0.2", "Genres", "Electronic", "Drum & Bass", 160, 180),
    ("2.1.0", "Genres", "Lo-Fi", "Lo-Fi Hip Hop", 65, 95),
    ("3.0.0", "Calm", "Ambient", "Meditation", 45, 83),
    ("3.0.1", "Calm", "Ambient", "Om", 40, 70),
    ("3.0.2", "Calm", "Ambient", "Zen", 45, 80),
    ("6.1.0", "Cinematic", "Trailer", "Epic", 80, 140),
    ("6.1.1", "Cinematic", "Trailer", "Action", 110, 160),
    ("6.1.2", "Cinematic", "Trailer", "Drama", 60, 100),
    ("6.1.3", "Cinematic", "Trailer", "Adventure", 90, 130),
    ("6.1.4", "Cinematic", "Trailer", "Suspense", 70, 120),
)


@cache
def playlists() -> list[dict[str, Any]]:
    """PlaylistPublicResource items for ``GET /public/playlists``."""
    return [
        {
            "playlist_index": index,
            "category": category,
            "group": group,
            "channel": channel,
            "params": [{"bpm": {"gt": gt, "lt": lt}, "keys": list(KEYS)}],
        }
        for index, category, group, channel, gt, lt in _CHANNELS
    ]


_TAGS: Mapping[str, tuple[str, ...]] = {
    "activities": ("Meditation", "Workout", "Study", "Minimal 170", "Lovely", "Gaming", "Travel"),
    "genres": (
        *("Ambient", "Lo-Fi", "House", "Techno", "Nu Disco"),
        *("Folk", "EDM", "Tropical House", "Cinematic", "Hip Hop"),
    ),
    "instruments": ("Piano", "Guitar", "Synth", "Strings", "Drums", "Bass", "Pads"),
    "moods": ("Calm", "Happy", "Energetic", "Dark", "Romantic", "Epic", "Dreamy"),
    "playlists": ("Chill Vibes", "Focus Flow", "Night Drive", "Morning Boost", "Deep Sleep"),
    "themes": ("Corporate", "Podcast", "Vlog", "Nature", "Technology", "Fashion"),
}
_BPMS = (60, 70, 80, 90, 100, 105, 108, 110, 120, 128, 140, 170)
_DURATIONS = (15, 30, 60, 60, 120, 165, 180, 180, 420, 1500)
_MODES = ("track", "track", "track", "loop", "jingle", "mix")
_SIZE = 150
_EPOCH = 1_735_689_600.0  # 2025-01-01T00:00:00Z

LIBRARY_PARAMS = (
    *("activities", "bpm", "duration", "genres", "instruments"),
    *("key", "mode", "moods", "playlists", "themes"),
)
"""The library's filters, in the order ``/music-library/params`` lists them."""


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """A library track and the tag values it can be filtered by (all as strings)."""

    track: Track
    tags: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Library:
    """The generated music library: entries in order, and tracks by id."""

    entries: tuple[LibraryEntry, ...]
    by_id: Mapping[str, Track]

    def filter(self, filters: Mapping[str, Any]) -> list[LibraryEntry]:
        """Entries matching every filter (logical AND; text compared case-insensitively)."""
        wanted = {name: str(value).casefold() for name, value in filters.items()}
        return [
            entry
            for entry in self.entries
            if all(
                value in (tag.casefold() for tag in entry.tags[name])
                for name, value in wanted.items()
            )
        ]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _entry(rng: random.Random, i: int) -> LibraryEntry:
    created = _EPOCH + i * 3600
    duration = rng.choice(_DURATIONS)
    track = Track(
        id=_uuid(rng),
        session_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        seq=i,
        source="library",
        playlist_index=rng.choice(_CHANNELS)[0],
        duration=duration,
        intensity=rng.choice(INTENSITIES),
        mode=rng.choice(_MODES),
        key=rng.choice(KEYS),
        bpm=rng.choice(_BPMS),
        created=created,
    )
    track.generations.append(
        Generation(
            session_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            format="mp3",
            bitrate=320,
            duration=duration,
            created=created,
            ready=created + 480,
        )
    )
    tags = {
        name: tuple(sorted(rng.sample(pool, rng.randint(1, 2)))) for name, pool in _TAGS.items()
    }
    tags.update(
        bpm=(str(track.bpm),), key=(str(track.key),), duration=(str(duration),), mode=(track.mode,)
    )
    return LibraryEntry(track=track, tags=tags)


@cache
def library() -> Library:
    """The music library (built once, deterministically)."""
    rng = random.Random(20250101)
    entries = tuple(_entry(rng, i) for i in range(_SIZE))
    return Library(entries=entries, by_id={e.track.id: e.track for e in entries})
