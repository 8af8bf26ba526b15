"""The coordination protocols: shared, fair concurrency slots and shared generation timings.

A ``Coordination`` hands out named ``SharedSemaphore`` and ``SharedTimings`` objects. Every
caller that asks for the same name gets the same shared state: within one process for
``InProcessCoordination``, across processes and machines for ``RedisCoordination``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import InvalidRequestError

__all__ = [
    "TIMINGS_WINDOW",
    "Coordination",
    "Lease",
    "SharedSemaphore",
    "SharedTimings",
    "check_limit",
]

TIMINGS_WINDOW = 48
"""How many (duration, seconds) samples a ``SharedTimings`` keeps: the newest ones."""


def check_limit(limit: int | None) -> int | None:
    """``limit`` if it is a semaphore limit (a whole number >= 0, or None for unlimited)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InvalidRequestError("limit", f"must be a whole number >= 0 or None, got {limit!r}")
    return limit


@runtime_checkable
class Lease(Protocol):
    """One slot of a ``SharedSemaphore``, held until ``release()``.

    A backend with expiring slots (Redis) renews the lease in the background while it is
    held; ``lost`` turns True when renewals failed for longer than the lease's TTL, so the
    slot may have been granted to someone else meanwhile.
    """

    @property
    def lost(self) -> bool:
        """True once the slot may have been re-granted elsewhere (renewals failed past the TTL)."""
        ...

    async def release(self) -> None:
        """Give the slot back. Idempotent; never raises for a backend that cannot be reached."""
        ...


@runtime_checkable
class SharedSemaphore(Protocol):
    """A named count of slots with a shared, resizable limit and a fair waiting line.

    Waiters are served round-robin by ``group`` (e.g. the customer id), first come first
    served within a group, so one busy group cannot starve the others. A waiter cancelled
    just as a slot is handed to it gives the slot back.
    """

    @property
    def name(self) -> str:
        """The name the semaphore was asked for with."""
        ...

    @property
    def limit(self) -> int | None:
        """The limit last seen (None: unlimited)."""
        ...

    @property
    def in_flight(self) -> int:
        """Slots held right now, everywhere (best effort: the last value seen)."""
        ...

    @property
    def peak(self) -> int:
        """The most slots ever held at once, everywhere (best effort: the last value seen)."""
        ...

    async def set_limit(self, limit: int | None) -> None:
        """Change the limit for every holder everywhere (None: unlimited); wakes waiters."""
        ...

    async def acquire(self, group: str = "") -> Lease:
        """Wait for a slot, fairly across groups, and take it."""
        ...


@runtime_checkable
class SharedTimings(Protocol):
    """A bounded window of observed generation times, shared like the semaphores."""

    async def add(self, duration: int, seconds: float) -> None:
        """Record that a track of ``duration`` seconds took ``seconds`` to generate."""
        ...

    async def samples(self) -> list[tuple[int, float]]:
        """The newest ``TIMINGS_WINDOW`` samples as (duration, seconds), oldest first."""
        ...


@runtime_checkable
class Coordination(Protocol):
    """Where shared limits and timings live: this process, or a shared store such as Redis."""

    def semaphore(self, name: str, *, limit: int | None) -> SharedSemaphore:
        """The semaphore called ``name``; ``limit`` applies only if none is set for it yet."""
        ...

    def timings(self, name: str) -> SharedTimings:
        """The timings window called ``name``."""
        ...

    async def aclose(self) -> None:
        """Stop background work (lease renewals, listeners); held leases are released."""
        ...
