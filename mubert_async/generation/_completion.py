"""Where ``wait`` learns that a generation finished: the protocol, and polling (the default).

The engine's wait loop asks its ``CompletionSource`` how long to wait before the next
poll, then waits that long through it. Polling only sleeps; a source that hears of
completions another way (``mubert_async.webhooks``) returns the finished track as soon
as it hears, and stretches the polls to a slow fallback.
"""

from __future__ import annotations

from typing import Protocol

import anyio

from ..models import GenerationStatus, Track
from ._polling import PollPolicy

__all__ = ["CompletionSource", "Polling", "finished", "sleep"]


class CompletionSource(Protocol):
    """How a wait learns of a track's completion between (or instead of) polls."""

    def delay(self, polls: int, expected: float | None, spread: float | None) -> float:
        """Seconds to wait before poll number ``polls + 1`` (``polls`` made so far)."""
        ...

    async def wait(self, track_id: str, seconds: float) -> Track | None:
        """Wait up to ``seconds``; the track, finished, if that was heard of meanwhile."""
        ...


class Polling:
    """The default source: sleep between polls as ``PollPolicy`` schedules them."""

    def __init__(self, policy: PollPolicy) -> None:
        self.policy = policy

    def delay(self, polls: int, expected: float | None, spread: float | None) -> float:
        """The policy's first delay, then its growing ones."""
        if polls == 0:
            return self.policy.first_delay(expected)
        return self.policy.next_delay(polls, expected, spread)

    async def wait(self, track_id: str, seconds: float) -> None:
        """Sleep: polling hears of nothing between polls."""
        await sleep(seconds)

    def __repr__(self) -> str:
        return f"Polling({self.policy!r})"


async def sleep(seconds: float) -> None:
    """Wait between polls and re-queues (tests replace it to run without waiting)."""
    await anyio.sleep(seconds)


def finished(track: Track) -> bool:
    """Failed, or done with its download URL: nothing more to wait for."""
    status = track.status
    return status == GenerationStatus.FAILED or (
        status == GenerationStatus.DONE and track.url is not None
    )
