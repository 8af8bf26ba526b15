"""What the engine needs from the API: the small protocol ``client.tracks`` satisfies."""

from __future__ import annotations

from typing import Protocol

from .._retry import RetryPolicy
from ..models import Page, Track, TrackRequest

__all__ = ["TrackAPI"]


class TrackAPI(Protocol):
    """The calls the engine makes; ``resources.tracks.Tracks`` is the implementation.

    The engine depends on this, never on the resource, so it can be driven by anything
    that speaks these few calls (and the two never import each other in a cycle).
    """

    @property
    def retry_policy(self) -> RetryPolicy:
        """The client's backoff policy, for the engine's own retries."""

    @property
    def request_timeout(self) -> float | None:
        """Seconds one HTTP request may take (None: no limit)."""

    async def submit(
        self, request: TrackRequest, *, endpoint: str = ..., retries: bool = ...
    ) -> Track:
        """Send a create; ``retries=False`` sends it once."""

    async def get(self, track_id: Track | str) -> Track:
        """The track with its generations' current status."""

    async def recent_page(self, *, offset: int, limit: int) -> tuple[Page[Track], str | None]:
        """A page of the customer's tracks, newest first, and the server's ``Date`` header."""
