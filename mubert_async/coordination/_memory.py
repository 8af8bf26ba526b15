"""The in-process coordination (the default): shared state lives in this event loop's process."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import anyio

from ._base import TIMINGS_WINDOW, Deliver, OnSubscribed, SemaphoreCounts, check_limit
from ._fair import FairQueue

__all__ = [
    "InProcessCoordination",
    "MemoryLease",
    "MemoryRelay",
    "MemorySemaphore",
    "MemoryTimings",
]


class MemoryLease:
    """A slot of a ``MemorySemaphore``; it cannot expire, so ``lost`` is always False."""

    __slots__ = ("_released", "_semaphore")

    def __init__(self, semaphore: MemorySemaphore) -> None:
        self._semaphore = semaphore
        self._released = False

    @property
    def lost(self) -> bool:
        """Always False: an in-process slot cannot be re-granted while held."""
        return False

    async def release(self) -> None:
        """Give the slot back (once; later calls do nothing)."""
        if not self._released:
            self._released = True
            self._semaphore._release()


class MemorySemaphore(SemaphoreCounts):
    """A ``SharedSemaphore`` for one process: a resizable count with a fair waiting line."""

    def __init__(self, name: str, limit: int | None) -> None:
        super().__init__(name, limit)
        self._waiters: FairQueue[anyio.Event] = FairQueue()

    @property
    def _capacity(self) -> float:
        return math.inf if self._limit is None else self._limit

    async def set_limit(self, limit: int | None) -> None:
        """Change the limit (None: unlimited) and hand freed-up slots to waiters."""
        self._limit = check_limit(limit)
        self._wake()

    async def acquire(self, group: str = "") -> MemoryLease:
        """Wait for a slot, served round-robin by ``group``, and take it."""
        if not self._waiters and self._in_flight < self._capacity:
            self._take()
            return MemoryLease(self)
        event = anyio.Event()
        self._waiters.append(group, event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():  # a slot was handed over just as we were cancelled
                self._release()
            else:
                self._waiters.remove(group, event)
            raise
        return MemoryLease(self)

    def _take(self) -> None:
        self._in_flight += 1
        self._peak = max(self._peak, self._in_flight)

    def _release(self) -> None:
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._capacity:
            self._take()
            self._waiters.popleft().set()


class MemoryTimings:
    """A ``SharedTimings`` for one process: the newest ``TIMINGS_WINDOW`` samples."""

    def __init__(self) -> None:
        self._samples: deque[tuple[int, float]] = deque(maxlen=TIMINGS_WINDOW)

    async def add(self, duration: int, seconds: float) -> None:
        """Record one sample (the oldest falls out of a full window)."""
        self._samples.append((duration, seconds))

    async def samples(self) -> list[tuple[int, float]]:
        """The samples, oldest first."""
        return list(self._samples)


class MemoryRelay:
    """A ``DeliveryRelay`` for one process: nobody else to relay to, so it does nothing.

    A ``WebhookReceiver`` keeps its own deliveries; that is all one process needs.
    """

    async def publish(self, key: str, rank: Sequence[int], payload: bytes) -> bool:
        """Nothing to send: always False."""
        return False

    async def kept(self, key: str) -> bytes | None:
        """Nothing is kept here: always None."""
        return None

    async def listen(
        self, deliver: Deliver, on_subscribed: OnSubscribed, *, wait: float = 0.0
    ) -> bool:
        """Nothing will arrive; "subscribed" at once."""
        return True

    async def aclose(self) -> None:
        """Nothing to stop."""


class InProcessCoordination:
    """Semaphores and timings shared by everything in this process that uses this object."""

    def __init__(self) -> None:
        self._semaphores: dict[str, MemorySemaphore] = {}
        self._timings: dict[str, MemoryTimings] = {}

    def semaphore(self, name: str, *, limit: int | None) -> MemorySemaphore:
        """The semaphore ``name``, made with ``limit`` on first use."""
        semaphore = self._semaphores.get(name)
        if semaphore is None:
            semaphore = self._semaphores[name] = MemorySemaphore(name, limit)
        return semaphore

    def timings(self, name: str) -> MemoryTimings:
        """The timings window ``name``."""
        return self._timings.setdefault(name, MemoryTimings())

    def relay(self, name: str, *, keep_for: float) -> MemoryRelay:
        """A relay that does nothing: within one process there is nobody to relay to."""
        return MemoryRelay()

    async def aclose(self) -> None:
        """Nothing runs in the background; present for the protocol."""

    def __repr__(self) -> str:
        return f"InProcessCoordination(semaphores={sorted(self._semaphores)})"
