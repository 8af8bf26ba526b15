"""Time for the simulator: a manual clock for tests and the API's timestamp format."""

from __future__ import annotations

import functools
import time
from datetime import datetime, timezone
from email.utils import formatdate

__all__ = ["ManualClock", "day_start", "http_date", "month_start", "rfc3339"]


class ManualClock:
    """A clock that only moves when told to: pass it as ``FakeMubert(clock=...)``.

    Calling it returns the current time in epoch seconds. It starts at ``start``
    (by default the whole second it was made in, so that timestamps and link expiry
    times look current to code that compares them with the wall clock) and moves
    forward only with ``advance``.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time()) if start is None else start)

    def __call__(self) -> float:
        """The current time in epoch seconds."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (never back) and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock never goes back")
        self._now += seconds
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({rfc3339(self._now)})"


@functools.lru_cache(maxsize=4096)  # the same timestamps render on every poll of a track
def rfc3339(ts: float) -> str:
    """Epoch seconds as the API writes them: ``2025-01-01T00:00:00.000000Z``."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=64)
def http_date(second: int) -> str:
    """An HTTP ``Date`` header value for the whole second ``second``."""
    return formatdate(second, usegmt=True)


def day_start(ts: float) -> float:
    """The start of the UTC day containing ``ts``."""
    return ts - ts % 86400


def month_start(ts: float) -> float:
    """The start of the UTC month containing ``ts``."""
    tm = time.gmtime(ts)
    return datetime(tm.tm_year, tm.tm_mon, 1, tzinfo=timezone.utc).timestamp()
