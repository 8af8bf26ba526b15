"""The coordination protocols: shared, fair concurrency slots, generation timings, relays.

A ``Coordination`` hands out named ``SharedSemaphore``, ``SharedTimings`` and
``DeliveryRelay`` objects. Every caller that asks for the same name gets the same shared
state: within one process for ``InProcessCoordination``, across processes and machines for
``RedisCoordination``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from ..errors import InvalidRequestError

__all__ = [
    "TIMINGS_WINDOW",
    "Coordination",
    "Deliver",
    "DeliveryRelay",
    "Lease",
    "OnSubscribed",
    "SemaphoreCounts",
    "SharedSemaphore",
    "SharedTimings",
    "check_limit",
]

TIMINGS_WINDOW = 48
"""How many (duration, seconds) samples a ``SharedTimings`` keeps: the newest ones."""

Deliver = Callable[[bytes], None]
"""Takes one payload a relay heard of."""
OnSubscribed = Callable[[], Awaitable[None]]
"""Awaited each time a relay's listener is (again) subscribed."""


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
class DeliveryRelay(Protocol):
    """Hands payloads (webhook deliveries) received by one process to every other process.

    Each payload belongs to a ``key`` (a track id) and has a ``rank`` (a tuple of whole
    numbers, compared element by element): the newest payload of each key is kept for the
    relay's ``keep_for`` seconds, and a payload that does not outrank the kept one is
    neither kept nor sent, so duplicates and out-of-order payloads travel once. In one
    process there is nobody to relay to: ``InProcessCoordination``'s relay does nothing.
    """

    async def publish(self, key: str, rank: Sequence[int], payload: bytes) -> bool:
        """Keep ``payload`` as ``key``'s newest and send it to the listeners, if it outranks
        the kept one; True when it did. ``CoordinationError`` if the store is unreachable."""
        ...

    async def kept(self, key: str) -> bytes | None:
        """The newest payload kept for ``key``, or None. ``CoordinationError`` as above."""
        ...

    async def listen(
        self, deliver: Deliver, on_subscribed: OnSubscribed, *, wait: float = 0.0
    ) -> bool:
        """Call ``deliver(payload)`` for every payload published from now on (anywhere).

        Starts listening once (later calls only wait); re-subscribes after a failure and
        awaits ``on_subscribed()`` after each subscription (to look up, with ``kept``,
        what was published while not subscribed). Waits up to ``wait`` seconds for the
        subscription; True when subscribed.
        """
        ...

    async def aclose(self) -> None:
        """Stop listening."""
        ...


class SemaphoreCounts:
    """What every ``SharedSemaphore`` keeps of itself: its name, limit and counts (a base class).

    A backend updates ``_limit``, ``_in_flight`` and ``_peak``: at once in one process, as
    last seen in a shared store's answers.
    """

    def __init__(self, name: str, limit: int | None) -> None:
        self._name = name
        self._limit = check_limit(limit)
        self._in_flight = 0
        self._peak = 0

    @property
    def name(self) -> str:
        """The name the semaphore was asked for with."""
        return self._name

    @property
    def limit(self) -> int | None:
        """The limit (None: unlimited), as last seen."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Slots held right now, everywhere, as last seen."""
        return self._in_flight

    @property
    def peak(self) -> int:
        """The most slots ever held at once, everywhere, as last seen."""
        return self._peak

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._name!r}, limit={self._limit}, "
            f"in_flight={self._in_flight})"
        )


@runtime_checkable
class Coordination(Protocol):
    """Where shared limits and timings live: this process, or a shared store such as Redis."""

    def semaphore(self, name: str, *, limit: int | None) -> SharedSemaphore:
        """The semaphore called ``name``; ``limit`` applies only if none is set for it yet."""
        ...

    def timings(self, name: str) -> SharedTimings:
        """The timings window called ``name``."""
        ...

    def relay(self, name: str, *, keep_for: float) -> DeliveryRelay:
        """A relay called ``name`` keeping each key's newest payload ``keep_for`` seconds."""
        ...

    async def aclose(self) -> None:
        """Stop background work (lease renewals, listeners); held leases are released."""
        ...
