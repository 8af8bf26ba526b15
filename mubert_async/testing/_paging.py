"""Pagination (offset/limit) and ordering shared by every listing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ._model import Track
from ._spec import ORDERS
from ._validation import Errors, enum, integer, string, validate

__all__ = ["PAGE_FIELDS", "SORT_FIELDS", "listing_input", "page", "sort_tracks"]

T = TypeVar("T")

PAGE_FIELDS = (integer("offset", minimum=0), integer("limit", minimum=1))
SORT_FIELDS = (enum("order", ORDERS), string("order_by"))
_DEFAULT_LIMIT = 25

_TRACK_KEYS: Mapping[str, Callable[[Track], Any]] = {
    "created_at": lambda t: t.created,
    "id": lambda t: t.id,
    "session_id": lambda t: t.session_id,
    "duration": lambda t: t.duration,
    "bpm": lambda t: t.bpm,
    "key": lambda t: t.key,
    "mode": lambda t: t.mode,
    "intensity": lambda t: t.intensity,
    "playlist_index": lambda t: t.playlist_index,
}


def page(items: Sequence[T], data: Mapping[str, Any]) -> tuple[Sequence[T], dict[str, int]]:
    """The slice of ``items`` that offset/limit in ``data`` select, and the ``meta`` object."""
    offset = data.get("offset", 0)
    limit = data.get("limit", _DEFAULT_LIMIT)
    return items[offset : offset + limit], {"total": len(items), "limit": limit, "offset": offset}


def sort_tracks(tracks: Sequence[Track], data: Mapping[str, Any]) -> Sequence[Track]:
    """``tracks`` (in creation order) ordered by ``order_by``/``order`` (default: newest first)."""
    order_by = data.get("order_by", "created_at")
    descending = data.get("order", "desc") == "desc"
    if order_by not in _TRACK_KEYS:
        errors = Errors()
        errors.add("order_by", "The selected order by is invalid.")
        errors.raise_if_any()
    if order_by == "created_at":  # creation order already; no sort for big listings
        return tracks[::-1] if descending else tracks
    key = _TRACK_KEYS[order_by]

    def sort_key(track: Track) -> tuple[bool, Any, int]:
        value = key(track)
        return (value is None, "" if value is None else value, track.seq)

    return sorted(tracks, key=sort_key, reverse=descending)


def listing_input(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated pagination and ordering parameters."""
    return validate(data, (*PAGE_FIELDS, *SORT_FIELDS))
