"""The newest known state of each track, kept for a while, and the tasks waiting for one.

A delivery may arrive before anyone waits for its track (Mubert can be faster than
the code that created the track), so states are kept for ``keep_for`` seconds after
their last update, at most ``keep_tracks`` of them (the least recently updated go
first). A state that has been let go no longer rejects an older delivery: a
duplicate arriving after that is taken as new.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

from ..models import Track
from ._freshness import Progress, progress

__all__ = ["TrackStore", "check_timeout"]


def check_timeout(timeout: float | None) -> None:
    """ValueError unless ``timeout`` is a number of seconds >= 0, or None (no limit)."""
    if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
        raise ValueError(f"timeout must be a number of seconds >= 0 or None, not {timeout!r}")


@dataclass(eq=False)
class _Known:
    track: Track
    rank: Progress
    updated: float


@dataclass(eq=False)
class _Waiter:
    until: Callable[[Track], bool]
    event: anyio.Event = field(default_factory=anyio.Event)
    track: Track | None = None
    error: BaseException | None = None

    def offer(self, track: Track) -> None:
        """Wake the waiter if ``track`` is what it waits for (or its test raised)."""
        try:
            wanted = self.until(track)
        except Exception as exc:  # the caller's test: re-raised in its own task
            self.error = exc
            self.event.set()
            return
        if wanted:
            self.track = track
            self.event.set()


class TrackStore:
    """Newest states by track id (bounded in time and number) and their waiters."""

    def __init__(
        self,
        *,
        keep_for: float,
        keep_tracks: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_for = keep_for
        self.keep_tracks = keep_tracks
        self._clock = clock
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._waiters: dict[str, set[_Waiter]] = {}

    def __len__(self) -> int:
        self._expire()
        return len(self._known)

    def latest(self, track_id: str) -> Track | None:
        """The newest state of ``track_id`` still kept, or None."""
        self._expire()
        known = self._known.get(track_id)
        return None if known is None else known.track

    def offer(self, track: Track) -> bool:
        """Keep ``track`` if it is newer than the state known; wake its waiters. True if kept."""
        self._expire()
        rank = progress(track)
        known = self._known.get(track.id)
        if known is not None and rank <= known.rank:
            return False
        self._known[track.id] = _Known(track, rank, self._clock())
        self._known.move_to_end(track.id)
        while len(self._known) > self.keep_tracks:
            self._known.popitem(last=False)
        for waiter in tuple(self._waiters.get(track.id, ())):
            waiter.offer(track)
        return True

    async def wait_for(
        self, track_id: str, *, timeout: float | None, until: Callable[[Track], bool]
    ) -> Track:
        """The first state of ``track_id`` (already known or still to come) passing ``until``.

        TimeoutError after ``timeout`` seconds (None: no limit). Cancelling the caller
        leaves nothing behind.
        """
        check_timeout(timeout)
        waiter = _Waiter(until)
        known = self.latest(track_id)
        if known is not None:
            waiter.offer(known)
        waiters = self._waiters.setdefault(track_id, set())
        waiters.add(waiter)
        try:
            if not waiter.event.is_set():
                try:
                    with anyio.fail_after(timeout):
                        await waiter.event.wait()
                except TimeoutError:
                    if not waiter.event.is_set():  # woken just as time ran out: not a timeout
                        raise
        finally:
            waiters.discard(waiter)
            if not waiters and self._waiters.get(track_id) is waiters:
                del self._waiters[track_id]
        if waiter.error is not None:
            raise waiter.error
        assert waiter.track is not None
        return waiter.track

    def waiting(self) -> int:
        """How many waits are in progress (for tests and diagnostics)."""
        return sum(len(waiters) for waiters in self._waiters.values())

    def _expire(self) -> None:
        known = self._known
        oldest = self._clock() - self.keep_for
        while known:
            first = next(iter(known.values()))
            if first.updated >= oldest:
                break
            known.popitem(last=False)
