"""Channels (playlists) and the music library's filter values."""

from __future__ import annotations

import msgspec

__all__ = ["BpmRange", "LibraryParam", "LibraryParamValue", "Playlist", "PlaylistParams"]


class BpmRange(msgspec.Struct, kw_only=True, frozen=True):
    """An open bpm interval: greater than ``gt`` and less than ``lt``."""

    gt: int | None = None
    lt: int | None = None


class PlaylistParams(msgspec.Struct, kw_only=True, frozen=True):
    """A bpm range and the keys available in it for a channel."""

    bpm: BpmRange | None = None
    keys: tuple[str, ...] = ()


class Playlist(msgspec.Struct, kw_only=True, frozen=True):
    """A music channel: its ``playlist_index`` and where it sits in the catalogue."""

    playlist_index: str
    category: str | None = None
    group: str | None = None
    channel: str | None = None
    params: tuple[PlaylistParams, ...] | None = ()


class LibraryParamValue(msgspec.Struct, kw_only=True, frozen=True):
    """One value of a library filter and how many tracks have it."""

    value: str
    tracks_count: int = 0


class LibraryParam(msgspec.Struct, kw_only=True, frozen=True):
    """A music library filter (``genres``, ``bpm``...) with its values."""

    param: str
    values: tuple[LibraryParamValue, ...] = ()
