"""Completions heard from webhook deliveries, with a slow fallback poll per track."""

from __future__ import annotations

import math

from ..generation._completion import finished, sleep
from ..generation._polling import PollPolicy
from ..models import Track
from ._receiver import WebhookReceiver

__all__ = ["FALLBACK_FIRST", "FALLBACK_INTERVAL", "WebhookCompletion"]

FALLBACK_FIRST = 1.0
"""Seconds past 1.5 times the expected generation time before a track is polled at all."""
FALLBACK_INTERVAL = 30.0
"""Seconds between the fallback polls after that (never longer than the policy's cap)."""


class WebhookCompletion:
    """A ``CompletionSource`` that waits on a ``WebhookReceiver`` and polls only as a fallback.

    A track is first polled ``1.5 * expected + spread + FALLBACK_FIRST`` seconds after
    it was created (``FALLBACK_INTERVAL`` when its expected time is not known yet),
    then every ``FALLBACK_INTERVAL`` seconds: a lost delivery costs latency (about half
    a generation), never a track. A ``PollPolicy`` with a ``max_interval`` shorter than
    those (tests) scales them down: at most ``max_interval`` past the expected time
    first, then ``4 * max_interval``.
    """

    def __init__(self, receiver: WebhookReceiver, policy: PollPolicy | None = None) -> None:
        self.receiver = receiver
        self.policy = policy if policy is not None else PollPolicy()

    def delay(self, polls: int, expected: float | None, spread: float | None) -> float:
        """The fallback schedule: late first, then slow."""
        interval = min(FALLBACK_INTERVAL, self.policy.max_interval * 4)
        if polls == 0:
            if expected is None:
                return interval
            return 1.5 * expected + (spread or 0.0) + min(FALLBACK_FIRST, self.policy.max_interval)
        return interval

    async def wait(self, track_id: str, seconds: float) -> Track | None:
        """The track as a delivery reports it finished, or None after ``seconds``."""
        if not math.isfinite(seconds):
            await sleep(seconds)
            return None
        try:
            return await self.receiver.wait_for(track_id, timeout=seconds, until=finished)
        except TimeoutError:
            return None

    def __repr__(self) -> str:
        return f"WebhookCompletion({self.receiver!r})"
