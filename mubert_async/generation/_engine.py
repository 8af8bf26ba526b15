"""One customer's generation state, and generating a single track within its limit."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, TypeVar

import anyio

from .._files import read_image
from .._logging import logger
from ..errors import (
    AuthenticationError,
    ConcurrencyLimitError,
    GenerationFailedError,
    GenerationTimeoutError,
    LicenseForbiddenError,
    MubertError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    TransportError,
    _IncompleteTrack,
)
from ..models import GenerationStatus, Track, TrackRequest
from ..models._tracks import as_aware
from . import _completion
from ._completion import CompletionSource, Polling, finished
from ._limiter import GenerationLimiter, Slot
from ._polling import GenerationTimes, PollPolicy
from ._reconcile import CreateLedger, ReconcilePolicy, _Deadline, create_exactly_once

if TYPE_CHECKING:
    from ..coordination import SharedTimings
    from ._api import TrackAPI

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "GenerationEngine",
    "Stop",
    "Stopped",
    "own_copy",
    "with_image_read",
]

DEFAULT_WAIT_TIMEOUT = 900.0
"""Seconds ``wait`` gives a generation when no timeout is passed."""
REPLAN_STEP = 1.0
"""Seconds a wait that does not know how long generations take waits before planning again."""
_POLL_HICCUPS: tuple[type[Exception], ...] = (TransportError, ServerError, RateLimitError)
"""Poll failures that say nothing about the generation: wait keeps polling through them."""
_MAX_REQUEUES = 100
_REQUEUE_BASE = 0.5
_REQUEUE_CAP = 8.0


class Stopped(Exception):
    """Raised inside a batch's items once the batch is closed: nothing more is created."""


def dooms_the_batch(error: MubertError) -> bool:
    """True for errors every later create of the customer would get too.

    A used-up quota, a rejected or expired token, an inactive customer or license: sending
    more creates would only hammer the API with the same refusal.
    """
    if isinstance(error, (QuotaExceededError, AuthenticationError)):
        return True
    return isinstance(error, PermissionDeniedError) and not isinstance(
        error, (LicenseForbiddenError, ConcurrencyLimitError)
    )


E = TypeVar("E", bound=BaseException)


def own_copy(error: E) -> E:
    """A copy of ``error`` without its traceback or chain: one for each item it ends."""
    copied = type(error).__new__(type(error))
    copied.args = error.args
    copied.__dict__.update(error.__dict__)
    return copied


class Stop:
    """Lets a batch stop its items from creating anything more (doomed, or closed)."""

    __slots__ = ("closed", "fatal_error")

    def __init__(self) -> None:
        self.closed = False
        self.fatal_error: MubertError | None = None


async def with_image_read(request: TrackRequest) -> TrackRequest:
    """``request`` with its image (a path or a file object) read into memory, once.

    Every send of the create then carries the same bytes, however often it is sent.
    """
    image = request.image
    if image is None or isinstance(image, bytes):
        return request
    data = (await read_image(image)).content
    fields = {name: getattr(request, name) for name in request.__struct_fields__}
    fields["image"] = data
    return TrackRequest(**fields)


class GenerationEngine:
    """Generation state of one customer, shared by every client acting as that customer.

    ``limiter`` holds generations in flight within the customer's (and the license's)
    limits, ``times`` learns how long they take (kept in step with ``shared_times``,
    which every customer of the coordination feeds), ``completion`` is how waits hear
    that a track finished, ``ledger`` remembers which tracks are this customer's own.
    """

    TIMES_REFRESH = 1.0
    """Seconds between two reads of the shared timings into ``times``."""

    def __init__(
        self,
        limiter: GenerationLimiter,
        *,
        shared_times: SharedTimings | None = None,
        poll: PollPolicy | None = None,
        reconcile: ReconcilePolicy | None = None,
        completion: CompletionSource | None = None,
    ) -> None:
        self.limiter = limiter
        self.times = GenerationTimes()
        self.shared_times = shared_times
        self.ledger = CreateLedger()
        self.poll = poll if poll is not None else PollPolicy()
        self.reconcile = reconcile if reconcile is not None else ReconcilePolicy()
        self.completion = completion if completion is not None else Polling(self.poll)
        self._times_read = -float("inf")

    async def wait(self, tracks: TrackAPI, track: Track | str, timeout: float | None) -> Track:
        """Wait until ``track``'s newest generation is done; raise if it failed or timed out.

        Between polls the completion source waits (polling: sleeps); a finished track
        it hears of ends the wait without another poll.
        """
        seconds = DEFAULT_WAIT_TIMEOUT if timeout is None else timeout
        started = anyio.current_time()
        last = track if isinstance(track, Track) else None
        source = self.completion
        try:
            with anyio.fail_after(max(0.0, seconds)):
                if last is None:
                    last = await tracks.get(track)
                await self._read_shared_times()
                expected = self.times.expected(last.duration)
                spread = self.times.spread(last.duration)
                # Done but without URLs (a listing's track, say): fetch it at once.
                done = last.status == GenerationStatus.DONE
                delay = 0.0 if done else source.delay(0, expected, spread)
                polls = 0
                while not finished(last):
                    # Timing unknown: wait in short steps, planning the first poll again
                    # once other generations have taught it (no poll meanwhile).
                    replan = polls == 0 and expected is None and delay > REPLAN_STEP
                    step = min(delay, REPLAN_STEP) if replan else delay
                    before = anyio.current_time()
                    heard = await source.wait(last.id, step)
                    if heard is not None and finished(heard):
                        last = heard
                        break
                    now = anyio.current_time()
                    if replan and now > before:
                        await self._read_shared_times()
                        expected = self.times.expected(last.duration)
                        spread = self.times.spread(last.duration)
                        if expected is None:
                            delay -= now - before
                        else:
                            delay = source.delay(0, expected, spread) - (now - started)
                        if delay > 0:
                            continue
                    polls += 1
                    delay = source.delay(polls, expected, spread)
                    try:
                        last = await tracks.get(last.id)
                    except _IncompleteTrack:
                        raise  # done without a URL: a malformed answer, not a hiccup
                    except _POLL_HICCUPS as error:  # a failed poll is not a failed generation
                        logger.info("poll of track %s failed (%s); polling on", last.id, error)
        except TimeoutError:
            track_id = last.id if last is not None else track
            raise GenerationTimeoutError(
                f"track {track_id} was not ready within {seconds:g} seconds", track=last
            ) from None
        if last.status == GenerationStatus.FAILED:
            raise GenerationFailedError(f"the generation of track {last.id} failed", track=last)
        await self._observe(last, anyio.current_time() - started)
        return last

    async def _read_shared_times(self) -> None:
        """Bring ``times`` up to date with what every client sharing them observed."""
        shared = self.shared_times
        now = anyio.current_time()
        if shared is None or now - self._times_read < self.TIMES_REFRESH:
            return
        self._times_read = now
        try:
            self.times.load(await shared.samples())
        except MubertError as error:  # timings are an optimisation: never fail a wait for them
            logger.info("could not read the shared generation timings (%s)", error)

    async def _observe(self, track: Track, waited: float) -> None:
        newest = track.generation
        if newest is not None and newest.generated_at and newest.created_at:
            # The server's own timestamps, unblurred by polling.
            waited = (as_aware(newest.generated_at) - as_aware(newest.created_at)).total_seconds()
        if self.times.observe(waited, track.duration) and self.shared_times is not None:
            assert track.duration is not None
            try:
                await self.shared_times.add(track.duration, waited)
            except MubertError as error:
                logger.info("could not share a generation timing (%s)", error)

    async def generate(
        self,
        tracks: TrackAPI,
        request: TrackRequest,
        timeout: float | None,
        stop: Stop | None = None,
        *,
        slot: Slot | None = None,
    ) -> Track:
        """Create and wait for one track, holding a limiter slot from create to done.

        ``timeout`` bounds the whole call: queueing for a slot, the create (its retries
        and re-queues included) and the wait. A concurrency 403 is not an error: the
        request goes back in the queue (behind the limiter, which adopts the reported
        limit) and is sent again later. ``slot``: one the caller already took (it is
        released here, whatever happens).
        """
        deadline = _Deadline(timeout)
        if slot is None:
            slot = await self._take_slot(deadline)
        try:
            request = await with_image_read(request)
        except BaseException:
            await slot.release()
            raise
        for requeue in range(_MAX_REQUEUES + 1):
            if requeue:
                slot = await self._take_slot(deadline)
            try:
                if stop is not None:
                    if stop.fatal_error is not None:
                        raise own_copy(stop.fatal_error)
                    if stop.closed:
                        raise Stopped
                try:
                    track = await create_exactly_once(
                        tracks, self.ledger, request, policy=self.reconcile, deadline=deadline
                    )
                except ConcurrencyLimitError as error:
                    level = await self.limiter.limited(error.limit)
                    if requeue == _MAX_REQUEUES:
                        raise
                    semaphore = level.semaphore
                    crowded_by_others = semaphore.in_flight <= (semaphore.limit or 0)
                except MubertError as error:
                    if stop is not None and stop.fatal_error is None and dooms_the_batch(error):
                        stop.fatal_error = error
                    raise
                else:
                    await self.limiter.succeeded()
                    return await self.wait(tracks, track, _remaining(deadline))
            finally:
                await slot.release()
            # Slot given back. If generations we know of fill the limit, the limiter
            # makes us wait for one of them; if others' do, back off before asking again.
            if crowded_by_others:
                delay = min(_REQUEUE_CAP, _REQUEUE_BASE * 1.5**requeue)
                delay *= 0.5 + random.random() / 2
                if delay >= deadline.left():
                    raise deadline.expired("waiting for the server's concurrency limit")
                await _completion.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _take_slot(self, deadline: _Deadline) -> Slot:
        """Take a limiter slot, or raise once ``deadline`` has passed waiting for one."""
        with anyio.move_on_after(deadline.left()):
            return await self.limiter.acquire()
        raise deadline.expired("waiting for a free generation slot")


def _remaining(deadline: _Deadline) -> float | None:
    left = deadline.left()
    return None if left == float("inf") else max(0.0, left)
