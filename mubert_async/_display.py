"""HTML renderings of models for Jupyter."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Track

__all__ = ["track_html"]


def track_html(track: Track) -> str:
    """A small card with the track's key facts and, once done, an audio player."""
    facts = [
        ("status", track.status),
        ("duration", f"{track.duration} s" if track.duration is not None else None),
        ("playlist", track.playlist_index),
        ("prompt", track.prompt),
        ("mode", track.mode),
        ("intensity", track.intensity),
        ("bpm", track.bpm),
        ("key", track.key),
    ]
    rows = "".join(
        f"<tr><th style='text-align:left'>{name}</th><td>{escape(str(value))}</td></tr>"
        for name, value in facts
        if value is not None
    )
    player = (
        f"<audio controls preload='none' src='{escape(track.url, quote=True)}'></audio>"
        if track.url
        else ""
    )
    return (
        f"<div class='mubert-track'><strong>Track {escape(track.id)}</strong>"
        f"<table>{rows}</table>{player}</div>"
    )
