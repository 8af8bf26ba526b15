"""Random faults on every request: the simulator's ``--error-rate`` and friends.

``FaultRates`` says what share of all requests fails, and how; the shares are
exclusive (a request suffers at most one fault), so they may add up to at most 1.
``add_fault_rates(fake, rates)`` turns them into ``Fault`` objects on ``fake.faults``
that act on any request, without limit, drawn from the fake's seeded generator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields

from ..testing import FakeMubert, Fault

__all__ = ["FaultRates", "add_fault_rates"]

_SERVER_ERRORS = (500, 502, 503)
CREATE_PATH = r"/public/tracks(/record)?$"
"""The track creates a late commit can hit."""


@dataclass(frozen=True, kw_only=True)
class FaultRates:
    """Shares of requests that fail, each between 0 and 1, together at most 1.

    ``error``: 500, 502 or 503 in equal parts; ``rate_limit``: 429 with
    ``Retry-After: retry_after`` (None: no header); ``reset``: the connection is
    reset, half the time before the request is processed and half after;
    ``slow``: answered after ``slow_delay`` seconds; ``malformed``: processed, then
    answered 200 with a body that is not JSON; ``late_commit``: a share of track
    creates (``POST /public/tracks``), not of all requests, stored
    ``late_commit_delay`` seconds after they arrive and answered after that.
    """

    error: float = 0.0
    rate_limit: float = 0.0
    reset: float = 0.0
    slow: float = 0.0
    malformed: float = 0.0
    late_commit: float = 0.0
    retry_after: float | None = 1.0
    slow_delay: float = 2.0
    late_commit_delay: float = 2.0

    def __post_init__(self) -> None:
        for name in ("error", "rate_limit", "reset", "slow", "malformed", "late_commit"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} rate must be between 0 and 1, not {rate!r}")
        if self.total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {self.total:g}; at most 1 is possible")
        for name in ("retry_after", "slow_delay", "late_commit_delay"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a non-negative number of seconds")

    @property
    def total(self) -> float:
        """The share of requests that suffer some fault."""
        return self.error + self.rate_limit + self.reset + self.slow + self.malformed

    def __bool__(self) -> bool:
        return self.total > 0 or self.late_commit > 0

    def shares(self) -> Iterator[tuple[Fault, float]]:
        """Each fault (acting on any request, without limit) and its share of all requests."""
        for status in _SERVER_ERRORS:
            yield Fault.server_error(status, times=None), self.error / len(_SERVER_ERRORS)
        yield Fault.rate_limited(self.retry_after, times=None), self.rate_limit
        yield Fault.reset(after_processing=False, times=None), self.reset / 2
        yield Fault.reset(after_processing=True, times=None), self.reset / 2
        yield Fault.slow(self.slow_delay, times=None), self.slow
        yield Fault.malformed(times=None), self.malformed

    def describe(self) -> str:
        """A short human summary, e.g. ``error 10%, reset 5%`` (``none`` without faults)."""
        parts = [
            f"{field.name.replace('_', ' ')} {getattr(self, field.name):.0%}"
            for field in fields(self)
            if field.name not in ("retry_after", "slow_delay", "late_commit_delay")
            and getattr(self, field.name)
        ]
        return ", ".join(parts) or "none"


def add_fault_rates(fake: FakeMubert, rates: FaultRates) -> list[Fault]:
    """Add ``rates`` to ``fake.faults`` (after the faults already there); return the new faults.

    A ``FaultSet`` tries its faults in turn, each acting with its own probability,
    so each fault's ``rate`` is its share among the requests no earlier fault took.
    """
    added: list[Fault] = []
    if rates.late_commit > 0:  # of creates only, before the mix of all requests
        late = Fault.late_commit(
            rates.late_commit_delay, method="POST", path=CREATE_PATH, times=None
        )
        late.rate = rates.late_commit
        added.append(fake.faults.add(late))
    left = 1.0  # share of requests no earlier fault of the mix acts on
    for fault, share in rates.shares():
        if share <= 0.0 or left <= 0.0:
            continue
        fault.rate = min(1.0, share / left)
        left -= share
        added.append(fake.faults.add(fault))
    return added
