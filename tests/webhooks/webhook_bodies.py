"""Track bodies as Mubert delivers them, at chosen moments of their generation."""

from __future__ import annotations

import json
from typing import Any

T0 = "2025-01-01T00:00:00.000000Z"
T1 = "2025-01-01T00:00:20.000000Z"
T2 = "2025-01-01T00:01:00.000000Z"
T3 = "2025-01-01T00:01:30.000000Z"


def generation(
    status: str, *, created: str = T0, generated: str | None = None, session: str = "g1"
) -> dict[str, Any]:
    """One generation as the API writes it."""
    done = status == "done"
    return {
        "session_id": session,
        "format": "mp3",
        "bitrate": 128,
        "status": status,
        "generated_at": generated if generated is not None else (T1 if done else None),
        "expired_at": None,
        "created_at": created,
        "url": f"https://files.example/{session}.mp3" if done else None,
    }


def track(track_id: str = "track-1", *generations: dict[str, Any]) -> dict[str, Any]:
    """The track model the guide shows in its "Webhooks" section."""
    return {
        "id": track_id,
        "session_id": f"session-{track_id}",
        "parent_session_id": None,
        "playlist_index": "1.0.0",
        "prompt": None,
        "duration": 61,
        "intensity": "high",
        "mode": "track",
        "key": "A#",
        "bpm": 120,
        "generations": list(generations) or [generation("done")],
    }


def body(value: Any) -> bytes:
    """``value`` as a JSON body."""
    return json.dumps(value).encode()
