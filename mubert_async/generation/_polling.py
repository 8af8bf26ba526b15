"""When to ask whether a generation is done: learned from what this client has seen."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["GenerationTimes", "PollPolicy"]


@dataclass(frozen=True)
class PollPolicy:
    """When ``tracks.wait`` polls a generation.

    The first poll comes when the track is expected to be ready (plus ``margin``, a
    fraction), expected from the generation times this client has seen per second of
    requested duration (measured with the server's own timestamps); before anything
    is known it comes after ``initial_delay``. Later polls back off by ``backoff``
    from a tenth of the expected time (or ``initial_delay``) up to ``max_interval``.
    Every delay gets up to ``jitter`` (a fraction) added at random, never taken off,
    so many concurrent waits spread out instead of polling in step, and none polls
    before its track can be ready.
    """

    initial_delay: float = 0.25
    min_interval: float = 0.2
    max_interval: float = 10.0
    backoff: float = 1.6
    jitter: float = 0.03
    margin: float = 0.0

    def first_delay(self, expected: float | None) -> float:
        """Seconds from the create to the first poll."""
        base = self.initial_delay if expected is None else expected * (1 + self.margin)
        return self._jittered(base)

    def next_delay(self, polls: int, expected: float | None) -> float:
        """Seconds to the next poll after ``polls`` polls found the track still processing."""
        step = self.initial_delay if expected is None else expected / 10
        base = max(self.min_interval, step) * self.backoff ** max(0, polls - 1)
        return self._jittered(min(self.max_interval, base))

    def _jittered(self, seconds: float) -> float:
        return seconds * (1 + self.jitter * random.random())


class GenerationTimes:
    """What generations have taken for this customer, per second of requested duration.

    An exponentially weighted average, so it follows the service as its load changes.
    """

    __slots__ = ("_rate", "_weight", "samples")

    def __init__(self, weight: float = 0.3) -> None:
        self._rate: float | None = None
        self._weight = weight
        self.samples = 0

    def observe(self, seconds: float, duration: int | None) -> None:
        """A generation of ``duration`` requested seconds took ``seconds``."""
        if seconds < 0 or not duration:
            return
        rate = seconds / duration
        self._rate = rate if self._rate is None else self._rate + self._weight * (rate - self._rate)
        self.samples += 1

    def expected(self, duration: int | None) -> float | None:
        """Seconds a generation of ``duration`` seconds is expected to take (None: unknown)."""
        if self._rate is None or not duration:
            return None
        return self._rate * duration
