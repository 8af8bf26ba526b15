"""How many generations may be in flight at once, and learning that number from the server."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

__all__ = ["GenerationLimiter"]

INITIAL_GUESS = 8
"""Generations in flight before a client that does not know its limit has learned it."""


class GenerationLimiter:
    """A resizable count of generations in flight, shared by every client of one customer.

    ``limit`` is a known limit, ``-1`` for unlimited, or None to learn it: start at
    ``INITIAL_GUESS``, grow by one each time a create succeeds while every slot is
    taken, and settle on the ``concurrent_track_generations`` a 403 reports.
    Waiters are served first come, first served.
    """

    def __init__(self, limit: int | None) -> None:
        self._learning = limit is None
        self._capacity: float = math.inf if limit == -1 else float(limit or INITIAL_GUESS)
        self._in_flight = 0
        self._peak = 0
        self._waiters: deque[anyio.Event] = deque()

    @property
    def limit(self) -> int | None:
        """The current limit (None: unlimited)."""
        return None if math.isinf(self._capacity) else int(self._capacity)

    @property
    def learning(self) -> bool:
        """True until the limit is known (given, or reported by the server)."""
        return self._learning

    @property
    def in_flight(self) -> int:
        """Generations holding a slot right now."""
        return self._in_flight

    @property
    def peak(self) -> int:
        """The most generations that ever held a slot at once."""
        return self._peak

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        if not self._waiters and self._in_flight < self._capacity:
            self._take()
            return
        event = anyio.Event()
        self._waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():  # a slot was handed over just as we were cancelled
                self.release()
            else:
                self._waiters.remove(event)
            raise

    def release(self) -> None:
        """Give a slot back, handing it to the next waiter if one fits."""
        self._in_flight -= 1
        self._wake()

    def succeeded(self) -> None:
        """A create went through: while learning and saturated, allow one more."""
        if self._learning and self._in_flight >= self._capacity:
            self._capacity += 1
            self._wake()

    def limited(self, reported: int | None) -> None:
        """The server refused a create for concurrency; adopt the limit it reported."""
        self._learning = False
        if reported is not None and reported > 0:
            self._capacity = float(reported)
        else:
            self._capacity = float(max(1, self._in_flight - 1))
        self._wake()

    def _take(self) -> None:
        self._in_flight += 1
        self._peak = max(self._peak, self._in_flight)

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._capacity:
            self._take()
            self._waiters.popleft().set()

    def __repr__(self) -> str:
        limit = "learning" if self._learning else self.limit
        return f"GenerationLimiter(limit={limit}, in_flight={self._in_flight})"
