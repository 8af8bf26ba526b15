"""When to ask whether a generation is done: learned from what this client has seen."""

from __future__ import annotations

import random
import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from ..coordination._base import TIMINGS_WINDOW

__all__ = ["GenerationTimes", "PollPolicy"]


@dataclass(frozen=True)
class PollPolicy:
    """When ``tracks.wait`` polls a generation.

    The first poll comes when the track is expected to be ready (plus ``margin``, a
    fraction), expected from the generation times this client has seen (measured with
    the server's own timestamps); before anything is known it comes after
    ``initial_delay``. Later polls back off by ``backoff`` from a tenth of the
    expected time (or ``initial_delay``). No delay, the first included, is ever longer
    than ``max_interval``. Every delay gets up to ``jitter`` (a fraction) added at
    random, never taken off, so many concurrent waits spread out instead of polling
    in step, and none polls before its track can be ready.
    """

    initial_delay: float = 0.25
    min_interval: float = 0.05
    max_interval: float = 10.0
    backoff: float = 1.6
    jitter: float = 0.03
    margin: float = 0.0

    def first_delay(self, expected: float | None) -> float:
        """Seconds from the create to the first poll."""
        base = self.initial_delay if expected is None else expected * (1 + self.margin)
        return self._jittered(min(self.max_interval, base))

    def next_delay(self, polls: int, expected: float | None, spread: float | None = None) -> float:
        """Seconds to the next poll after ``polls`` polls found the track still processing.

        ``spread`` (seconds) is how far generations usually land from the expected
        time: the first retry waits that long, so a noisy service costs one more poll.
        """
        step = spread or (self.initial_delay if expected is None else expected / 10)
        base = max(self.min_interval, step) * self.backoff ** max(0, polls - 1)
        return self._jittered(min(self.max_interval, base))

    def _jittered(self, seconds: float) -> float:
        return seconds * (1 + self.jitter * random.random())


_WINDOW = TIMINGS_WINDOW
"""Recent generations the fit is made from: it follows the service as its load changes."""
_PLAUSIBLE = 3600.0
"""No generation takes longer: a sample beyond it comes from a skewed timestamp."""
_OUTLIER = 4.0
"""A sample this many times off the current prediction (either way) is not used."""
_SETTLED = 5
"""Samples after which outliers are judged against the prediction."""
_SPREAD = 1.15
"""Durations closer than this ratio cannot tell a per-second cost from a fixed one."""
_SPREAD_QUANTILE = 0.75
"""How late (relative to the fit) the generations that are late usually are."""


class GenerationTimes:
    """What generations take for this customer, as a fixed part plus a part per second.

    ``expected(duration)`` is ``base + rate * duration``, fitted robustly (Theil-Sen:
    medians of pairwise slopes) over the last generations seen, so it fits a constant
    time, a time proportional to the requested duration, or a mix with noise.
    Implausible samples (negative, over an hour, or far off the prediction once it
    has settled) are ignored, so one skewed timestamp cannot poison later waits.
    """

    __slots__ = ("_fit", "_samples", "samples")

    def __init__(self) -> None:
        self._samples: deque[tuple[int, float]] = deque(maxlen=_WINDOW)
        self._fit: tuple[float, float, float] | None = None
        self.samples = 0

    def observe(self, seconds: float, duration: int | None) -> bool:
        """A generation of ``duration`` requested seconds took ``seconds``; True if kept."""
        if not duration or not 0 <= seconds <= _PLAUSIBLE:
            return False
        if self.samples >= _SETTLED:
            predicted = self.expected(duration)
            if predicted and not predicted / _OUTLIER <= seconds <= predicted * _OUTLIER:
                return False
        self._samples.append((duration, seconds))
        self.samples += 1
        self._fit = None
        return True

    def load(self, samples: Iterable[tuple[int, float]]) -> None:
        """Replace the window with ``samples`` (shared ones, already judged plausible)."""
        window = [(d, s) for d, s in samples if d > 0 and 0 <= s <= _PLAUSIBLE]
        if not window or window == list(self._samples):
            return
        self._samples = deque(window[-_WINDOW:], maxlen=_WINDOW)
        self.samples = max(self.samples, len(self._samples))
        self._fit = None

    def expected(self, duration: int | None) -> float | None:
        """Seconds a generation of ``duration`` seconds is expected to take (None: unknown)."""
        if not self._samples or not duration:
            return None
        base, rate, _ = self._fitted()
        return max(0.0, base + rate * duration)

    def spread(self, duration: int | None) -> float | None:
        """Seconds after ``expected`` by which the late ones are usually done (None: unknown)."""
        expected = self.expected(duration)
        if expected is None or self.samples < _SETTLED:
            return None
        return expected * self._fitted()[2]

    def _fitted(self) -> tuple[float, float, float]:
        if self._fit is None:
            base, rate = _fit(self._samples)
            late = sorted(
                max(0.0, s / predicted - 1)
                for d, s in self._samples
                if (predicted := base + rate * d) > 0
            )
            relative = late[int(_SPREAD_QUANTILE * (len(late) - 1))] if late else 0.0
            self._fit = (base, rate, relative)
        return self._fit


def _fit(samples: deque[tuple[int, float]]) -> tuple[float, float]:
    """``(base, rate)`` with ``seconds ~ base + rate * duration``, robust to outliers."""
    durations = [d for d, _ in samples]
    shortest, longest = min(durations), max(durations)
    if longest < shortest * _SPREAD:
        # One duration (or nearly): the time per second and the fixed time look alike.
        # Scale by duration, which keeps the fixed-time case exact at that duration.
        rate = statistics.median(s / d for d, s in samples)
        return 0.0, rate
    points = list(samples)
    slopes = [
        (s2 - s1) / (d2 - d1)
        for i, (d1, s1) in enumerate(points)
        for d2, s2 in points[i + 1 :]
        if d2 != d1
    ]
    rate = max(0.0, statistics.median(slopes))
    base = statistics.median(s - rate * d for d, s in points)
    if base < 0:  # time cannot be negative for short tracks: a pure per-second cost
        return 0.0, statistics.median(s / d for d, s in points)
    return base, rate
