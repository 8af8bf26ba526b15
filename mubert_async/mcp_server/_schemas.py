"""What the tools take and return: typed fields with short descriptions a model can act on.

The descriptions state the API's rules; the SDK enforces them (its
``InvalidRequestError`` comes back as the tool error), so there is one source of truth.
"""

from __future__ import annotations

import pathlib
from typing import Annotated, Any

from pydantic import BaseModel, Field

from ..models import Format, Intensity, LibraryParam, Mode, Playlist, Track, TrackRequest

__all__ = [
    "BatchItem",
    "BatchResult",
    "Bpm",
    "Duration",
    "Key",
    "LibraryValue",
    "OptFormat",
    "OptIntensity",
    "OptMode",
    "PlaylistIndex",
    "PlaylistInfo",
    "PlaylistList",
    "Prompt",
    "TrackId",
    "TrackInfo",
    "TrackList",
    "TrackSpec",
    "library_values",
    "playlist_info",
    "track_info",
]

Prompt = Annotated[
    str | None,
    Field(
        description="What the music should sound like, e.g. 'calm lo-fi piano with soft rain'. "
        "Give prompt or playlist_index, not both."
    ),
]
PlaylistIndex = Annotated[
    str | None,
    Field(
        description="A channel from list_playlists, 'category.group.channel' like '0.0.1'; "
        "'0.0' blends a group."
    ),
]
Duration = Annotated[int, Field(description="Length in seconds (5-3600).")]
OptFormat = Annotated[Format | None, Field(description="Audio format (default mp3).")]
OptIntensity = Annotated[
    Intensity | None,
    Field(description="How many instruments play at once (default high)."),
]
OptMode = Annotated[
    Mode | None,
    Field(
        description="track (default: intro, drops, outro), loop (loops seamlessly), "
        "jingle (a complete piece up to 40 s) or mix (DJ-style, one tune into the next)."
    ),
]
Bpm = Annotated[
    int | None, Field(description="Tempo in beats per minute; only with playlist_index.")
]
Key = Annotated[
    str | None,
    Field(description="Musical key such as 'C', 'F#', 'Am'; only with playlist_index."),
]
TrackId = Annotated[str, Field(description="A track id from generate_track or list_tracks.")]


class TrackSpec(BaseModel):
    """One track to generate."""

    prompt: Prompt = None
    playlist_index: PlaylistIndex = None
    duration: Duration
    format: OptFormat = None
    intensity: OptIntensity = None
    mode: OptMode = None
    bpm: Bpm = None
    key: Key = None

    def request(self) -> TrackRequest:
        """The SDK request (validated by the SDK when it is sent)."""
        return TrackRequest(**self.fields())

    def fields(self) -> dict[str, Any]:
        """The given fields, as the SDK's keyword arguments."""
        return self.model_dump(exclude_none=True)


class TrackInfo(BaseModel):
    """A track as the agent sees it."""

    id: str
    status: str | None = Field(description="processing, done or failed.")
    url: str | None = Field(description="Download URL of the finished audio, when done.")
    path: str | None = Field(
        default=None, description="Local file the audio was saved to (server run with --out)."
    )
    duration: int | None = None
    format: str | None = None
    bitrate: int | None = None
    prompt: str | None = None
    playlist_index: str | None = None
    intensity: str | None = None
    mode: str | None = None
    bpm: int | None = None
    key: str | None = None
    created_at: str | None = None


class BatchItem(BaseModel):
    """The outcome of one request of generate_tracks."""

    index: int = Field(description="Position of the request in the input list.")
    ok: bool
    track: TrackInfo | None = None
    error: str | None = Field(default=None, description="Why this one failed: 'ErrorClass: ...'.")


class BatchResult(BaseModel):
    """One item per request, in input order."""

    results: list[BatchItem]
    succeeded: int
    failed: int


class TrackList(BaseModel):
    """One page of the customer's tracks; ``total`` counts them all."""

    tracks: list[TrackInfo]
    total: int | None
    offset: int | None
    limit: int | None


class PlaylistInfo(BaseModel):
    """A channel to generate from (give its playlist_index)."""

    playlist_index: str
    category: str | None = None
    group: str | None = None
    channel: str | None = None
    bpm_min: int | None = None
    bpm_max: int | None = None
    keys: list[str] = Field(default_factory=list)


class PlaylistList(BaseModel):
    """The channels found."""

    playlists: list[PlaylistInfo]


class LibraryValue(BaseModel):
    """One value of a library parameter, with how many library tracks have it."""

    value: str
    tracks_count: int


def track_info(track: Track, path: pathlib.Path | None = None) -> TrackInfo:
    """``track`` (and the local file it was saved to) as a ``TrackInfo``.

    ``format`` and ``bitrate`` fall back to the newest generation's.
    """
    newest = track.generation
    return TrackInfo(
        id=track.id,
        status=track.status,
        url=track.url,
        path=str(path) if path is not None else None,
        duration=track.duration,
        format=track.format or (newest.format if newest is not None else None),
        bitrate=track.bitrate or (newest.bitrate if newest is not None else None),
        prompt=track.prompt,
        playlist_index=track.playlist_index,
        intensity=None if track.intensity is None else str(track.intensity),
        mode=track.mode,
        bpm=track.bpm,
        key=track.key,
        created_at=track.created_at.isoformat() if track.created_at is not None else None,
    )


def playlist_info(playlist: Playlist) -> PlaylistInfo:
    """``playlist`` flattened: bpm range and keys from its parameters."""
    low = [p.bpm.gt for p in playlist.params or () if p.bpm is not None and p.bpm.gt is not None]
    high = [p.bpm.lt for p in playlist.params or () if p.bpm is not None and p.bpm.lt is not None]
    keys = sorted({key for p in playlist.params or () for key in p.keys})
    return PlaylistInfo(
        playlist_index=playlist.playlist_index,
        category=playlist.category,
        group=playlist.group,
        channel=playlist.channel,
        bpm_min=min(low) if low else None,
        bpm_max=max(high) if high else None,
        keys=keys,
    )


def library_values(params: list[LibraryParam]) -> dict[str, list[LibraryValue]]:
    """Library parameters as ``{param: [values with track counts]}``."""
    return {
        param.param: [
            LibraryValue(value=v.value, tracks_count=v.tracks_count) for v in param.values
        ]
        for param in params
    }
