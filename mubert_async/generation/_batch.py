"""``generate_many``: many generations at once, within the limit, every result handed back.

Backpressure, not garbage collection, keeps a run in check. A run slot is taken
before an item starts and given back only when the consumer takes that item's
result, so generations in flight plus results waiting to be consumed never exceed
the run's concurrency. And a new item starts only while the consumer is waiting for
a result (inside ``async for``'s step): a consumer that stops pulling (a ``break``
with the run still referenced, or a slow loop body) stops new creates at once,
whatever room the run still has. What is already in flight finishes and waits for
it. ``aclose()``, ``async with`` and garbage collection of the run cancel whatever
remains.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Mapping,
    Sized,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._aclose import AsyncClosing
from .._backend import Detached, spawn
from .._logging import logger
from ..errors import InvalidRequestError, MubertError
from ..models import GenerationResult, TrackRequest
from ._engine import GenerationEngine, Stop, Stopped, own_copy
from ._limiter import Slot

if TYPE_CHECKING:
    from ._api import TrackAPI

__all__ = ["DEFAULT_WORKERS", "BatchProgress", "GenerationRun", "ProgressCallback"]

DEFAULT_WORKERS = 64
"""Generations a batch keeps in flight when neither ``concurrency`` nor the limit is known."""
_PRODUCER = "mubert-generate-many"  # the name of a run's producer task


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Where a ``generate_many`` run stands: finished, failed, in flight, and the total if known."""

    done: int
    failed: int
    in_flight: int
    total: int | None


ProgressCallback = Callable[[BatchProgress], None]
"""Called with the run's progress every time an item starts or finishes."""


async def _aiter(requests: Iterable[Any] | AsyncIterable[Any]) -> AsyncGenerator[Any, None]:
    if isinstance(requests, AsyncIterable):
        async for request in requests:
            yield request
    else:
        for request in requests:
            yield request


def as_request(item: Any) -> TrackRequest:
    """``item`` (a ``TrackRequest`` or a mapping of its fields) as a ``TrackRequest``."""
    if isinstance(item, TrackRequest):
        return item
    if isinstance(item, Mapping):
        try:
            return TrackRequest(**item)
        except TypeError as error:
            raise InvalidRequestError("request", str(error)) from None
    raise InvalidRequestError("request", f"must be a TrackRequest, got {type(item).__name__}")


def as_mubert_error(error: Exception) -> MubertError:
    """``error`` if it is a ``MubertError``, else a ``MubertError`` caused by it."""
    if isinstance(error, MubertError):
        return error
    wrapped = MubertError(f"unexpected {type(error).__name__}: {error}")
    wrapped.__cause__ = error
    return wrapped


class _Pipeline:
    """The running batch. Holds no reference to the iterator handed to the user."""

    def __init__(
        self,
        tracks: TrackAPI,
        engine: GenerationEngine,
        requests: Iterable[Any] | AsyncIterable[Any],
        *,
        workers: int,
        ordered: bool,
        timeout: float | None,
        progress: ProgressCallback | None,
    ) -> None:
        self.tracks, self.engine, self.requests = tracks, engine, requests
        self.workers, self.ordered, self.timeout = workers, ordered, timeout
        self.progress = progress
        self.stop = Stop()
        self.scope: anyio.CancelScope | None = None  # made in the loop, by start()
        self.finished = False
        self.slots: anyio.Semaphore | None = None
        self.receiver: MemoryObjectReceiveStream[GenerationResult] | None = None
        self.total: int | None = len(requests) if isinstance(requests, Sized) else None
        self.done = self.failed = self.in_flight = 0
        self.demand: anyio.Event | None = None  # set while the consumer waits for a result

    def start(self) -> Detached:
        """Open the result stream and start producing, in a task of the running loop."""
        sender, receiver = anyio.create_memory_object_stream[GenerationResult](math.inf)
        self.receiver = receiver
        self.slots = anyio.Semaphore(self.workers)
        self.demand = anyio.Event()
        self.scope = anyio.CancelScope()
        if self.stop.closed:
            self.scope.cancel()
        return spawn(lambda: self.run(sender), name=_PRODUCER)

    def close(self) -> None:
        """Stop creating and cancel every task (synchronous: safe from a finalizer)."""
        self.stop.closed = True
        if self.scope is not None and not self.finished:
            # Outside a running loop there is nothing left to cancel.
            with contextlib.suppress(RuntimeError):
                self.scope.cancel()
        if self.receiver is not None:
            self.receiver.close()

    def wanted(self, waiting: bool) -> None:
        """The consumer starts (True) or stops (False) waiting for a result."""
        demand = self.demand
        assert demand is not None
        if waiting and not demand.is_set():
            demand.set()
        elif not waiting and demand.is_set():
            self.demand = anyio.Event()

    async def _demanded(self) -> None:
        """Return once the consumer is waiting for a result."""
        while True:
            demand = self.demand
            assert demand is not None
            if demand.is_set():
                return
            await demand.wait()

    def handed_out(self) -> None:
        """The consumer took a result: its run slot is free for the next request."""
        assert self.slots is not None
        self.slots.release()

    def _report(self) -> None:
        callback = self.progress
        if callback is None:
            return
        try:
            callback(BatchProgress(self.done, self.failed, self.in_flight, self.total))
        except Exception:
            # A broken progress bar must never cost a result: report it, then stop calling.
            self.progress = None
            logger.warning("the progress callback raised; it is no longer called", exc_info=True)

    async def run(self, sender: MemoryObjectSendStream[GenerationResult]) -> None:
        """Feed the requests to item tasks while the limiter and the run have room.

        A generation slot of the limiter is taken first, then a run slot, then the
        producer waits for the consumer to want a result: so the item started next
        creates at once, and once the consumer stops pulling nothing new starts (the
        producer waits, holding at most one generation slot idle).
        """
        input_error: Exception | None = None
        assert self.scope is not None and self.slots is not None
        slots, limiter = self.slots, self.engine.limiter
        try:
            with self.scope, sender:
                async with anyio.create_task_group() as group:
                    index = 0
                    items = _aiter(self.requests)
                    try:
                        while True:
                            slot: Slot | MubertError
                            try:
                                slot = await limiter.acquire()
                            except MubertError as error:  # no slot to be had: the item ends so
                                slot = error
                            try:
                                await slots.acquire()  # a free slot first: read nothing ahead
                            except BaseException:
                                await _release(slot)
                                raise
                            try:
                                await self._demanded()
                                item = await items.__anext__()
                            except BaseException:
                                await _release(slot)
                                slots.release()
                                raise
                            group.start_soon(self._item, sender, index, item, slot)
                            index += 1
                    except StopAsyncIteration:
                        pass
                    except Exception as error:  # the caller's iterable failed: stop, re-raise it
                        input_error = error
                        group.cancel_scope.cancel()
                    finally:
                        await items.aclose()
                    if self.total is None:
                        self.total = index
                        self._report()
        finally:
            self.finished = True
        if input_error is not None:
            raise input_error

    async def _item(
        self,
        sender: MemoryObjectSendStream[GenerationResult],
        index: int,
        item: Any,
        slot: Slot | MubertError,
    ) -> None:
        """Generate one item, which holds its limiter ``slot`` already; send its one result.

        ``slot`` is the error instead when none could be taken (an unreachable coordination).
        """
        self.in_flight += 1
        self._report()
        request: TrackRequest | None = None
        try:
            try:
                request = as_request(item)
                fatal = self.stop.fatal_error if isinstance(slot, Slot) else slot
                if fatal is not None:
                    raise own_copy(fatal)
            except BaseException:
                await _release(slot)
                raise
            assert isinstance(slot, Slot)
            track = await self.engine.generate(
                self.tracks, request, self.timeout, self.stop, slot=slot
            )
            result = GenerationResult(index=index, request=request, item=item, track=track)
        except Stopped:
            self.in_flight -= 1
            self.handed_out()  # no result will be taken for it
            return
        except Exception as error:
            result = GenerationResult(
                index=index, request=request, item=item, error=as_mubert_error(error)
            )
        self.in_flight -= 1
        if result.ok:
            self.done += 1
        else:
            self.failed += 1
        self._report()
        # Unbounded: the run slots bound what waits here. Closed: nobody takes it.
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            sender.send_nowait(result)


async def _release(slot: Slot | MubertError) -> None:
    if isinstance(slot, Slot):
        await slot.release()


class GenerationRun(AsyncClosing, AsyncIterator[GenerationResult]):
    """The results of ``tracks.generate_many``, one per request.

    Nothing starts until the first ``async for`` step. A new generation starts only
    while the consumer keeps up: generations in flight plus results not yet taken
    never exceed the run's concurrency, so after a ``break`` (with the run still
    referenced) nothing new is created; what was in flight finishes, and its results
    wait for a later ``async for``. An exception in the loop body, cancelling the
    task running it, ``await run.aclose()``, ``async with`` or dropping the run
    cancels every generation task at once (``aclose`` also waits until they end).
    """

    def __init__(self, pipeline: _Pipeline) -> None:
        self._pipeline = pipeline
        self._task: Detached | None = None
        self._held: dict[int, GenerationResult] = {}
        self._next_index = 0
        self._exhausted = False
        # Dropping the iterator closes the pipeline there and then.
        weakref.finalize(self, pipeline.close)

    def __aiter__(self) -> GenerationRun:
        return self

    async def __anext__(self) -> GenerationResult:
        pipeline = self._pipeline
        if self._exhausted:
            raise StopAsyncIteration
        if self._task is None:
            self._task = pipeline.start()
        assert pipeline.receiver is not None
        try:
            while True:
                if pipeline.ordered:
                    held = self._held.pop(self._next_index, None)
                    if held is not None:
                        return self._hand_out(held)
                try:
                    try:
                        result = pipeline.receiver.receive_nowait()
                    except anyio.WouldBlock:
                        pipeline.wanted(True)
                        try:
                            result = await pipeline.receiver.receive()
                        finally:
                            pipeline.wanted(False)
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    self._exhausted = True
                    pipeline.receiver.close()
                    await self._task.result()  # re-raises what stopped the producer, if any
                    raise StopAsyncIteration from None
                if not pipeline.ordered:
                    return self._hand_out(result)
                self._held[result.index] = result
        except StopAsyncIteration:
            raise
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.aclose()
            raise

    def _hand_out(self, result: GenerationResult) -> GenerationResult:
        self._next_index = result.index + 1
        self._pipeline.handed_out()
        return result

    async def aclose(self) -> None:
        """Cancel whatever is still running and wait for it to finish."""
        self._pipeline.close()
        task = self._task
        if task is not None and not task.done:
            await task.wait()

    def __repr__(self) -> str:
        p = self._pipeline
        return (
            f"GenerationRun(done={p.done}, failed={p.failed}, "
            f"in_flight={p.in_flight}, total={p.total})"
        )


def generate_many(
    tracks: TrackAPI,
    engine: GenerationEngine,
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int | None,
    ordered: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> GenerationRun:
    """A ``GenerationRun`` over ``requests`` (see ``Tracks.generate_many``)."""
    limiter = engine.limiter
    if concurrency is not None:
        workers = concurrency
    elif not limiter.learning and limiter.limit is not None:
        workers = limiter.limit
    else:
        workers = DEFAULT_WORKERS
    pipeline = _Pipeline(
        tracks,
        engine,
        requests,
        workers=workers,
        ordered=ordered,
        timeout=timeout,
        progress=progress,
    )
    return GenerationRun(pipeline)
