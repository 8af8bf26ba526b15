"""``generate_many``: many generations at once, within the limit, every result handed back."""

from __future__ import annotations

import asyncio
import contextlib
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
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import InvalidRequestError, MubertError
from ..models import GenerationResult, TrackRequest
from ._engine import GenerationEngine, Stop, Stopped

if TYPE_CHECKING:
    from ..resources.tracks import Tracks

__all__ = ["DEFAULT_WORKERS", "BatchProgress", "GenerationRun", "ProgressCallback"]

DEFAULT_WORKERS = 64
"""Generations a batch keeps in flight when neither ``concurrency`` nor the limit is known."""


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


def _as_request(item: Any) -> TrackRequest:
    if isinstance(item, TrackRequest):
        return item
    if isinstance(item, Mapping):
        try:
            return TrackRequest(**item)
        except TypeError as error:
            raise InvalidRequestError("request", str(error)) from None
    raise InvalidRequestError("request", f"must be a TrackRequest, got {type(item).__name__}")


class _Pipeline:
    """The running batch. Holds no reference to the iterator handed to the user."""

    def __init__(
        self,
        tracks: Tracks,
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
        self.sender: MemoryObjectSendStream[GenerationResult] | None = None
        self.receiver: MemoryObjectReceiveStream[GenerationResult] | None = None
        self.total: int | None = len(requests) if isinstance(requests, Sized) else None
        self.done = self.failed = self.in_flight = 0
        self.next_index = 0  # ordered mode: the next index the consumer hands out
        self.advanced: anyio.Event | None = None  # made in the loop, by the producer

    def start(self) -> asyncio.Task[None]:
        """Open the result stream and start producing, in the running loop."""
        sender, receiver = anyio.create_memory_object_stream[GenerationResult](self.workers)
        self.sender, self.receiver = sender, receiver
        self.scope = anyio.CancelScope()
        if self.stop.closed:
            self.scope.cancel()
        return asyncio.get_running_loop().create_task(self.run(sender))

    def close(self) -> None:
        """Stop creating and cancel every task (synchronous: safe from a finalizer)."""
        self.stop.closed = True
        if self.scope is not None and not self.finished:
            # Outside a running loop there is nothing left to cancel.
            with contextlib.suppress(RuntimeError):
                self.scope.cancel()
        if self.receiver is not None:
            self.receiver.close()

    def consumed(self, index: int) -> None:
        """The consumer handed out ``index`` (ordered mode): let the producer run ahead."""
        self.next_index = index + 1
        if self.advanced is not None:
            self.advanced.set()
            self.advanced = None

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(BatchProgress(self.done, self.failed, self.in_flight, self.total))

    async def run(self, sender: MemoryObjectSendStream[GenerationResult]) -> None:
        """Feed the requests to item tasks, at most ``workers`` at a time."""
        input_error: Exception | None = None
        try:
            assert self.scope is not None
            with self.scope:
                async with anyio.create_task_group() as group:
                    slots = anyio.Semaphore(self.workers)
                    index = 0
                    items = _aiter(self.requests)
                    try:
                        while True:
                            await slots.acquire()  # a free slot first: read nothing ahead
                            try:
                                item = await items.__anext__()
                            except StopAsyncIteration:
                                slots.release()
                                break
                            if self.ordered:
                                while index - self.next_index >= 2 * self.workers:
                                    self.advanced = self.advanced or anyio.Event()
                                    await self.advanced.wait()
                            group.start_soon(self._item, sender, index, item, slots)
                            index += 1
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
            sender.close()
        if input_error is not None:
            raise input_error

    async def _item(
        self,
        sender: MemoryObjectSendStream[GenerationResult],
        index: int,
        item: Any,
        slots: anyio.Semaphore,
    ) -> None:
        self.in_flight += 1
        self._report()
        try:
            try:
                request = _as_request(item)
                if self.stop.fatal_error is not None:
                    raise self.stop.fatal_error
                track = await self.engine.generate(self.tracks, request, self.timeout, self.stop)
                result = GenerationResult(index=index, request=request, track=track)
            except Stopped:
                return
            except MubertError as error:
                result = GenerationResult(index=index, request=item, error=error)
            self.in_flight -= 1
            if result.ok:
                self.done += 1
            else:
                self.failed += 1
            self._report()
            await sender.send(result)
        finally:
            slots.release()


class GenerationRun(AsyncIterator[GenerationResult]):
    """The results of ``tracks.generate_many``, one per request.

    Nothing starts until the first ``async for`` step. Breaking out of the loop,
    an exception in its body, or cancelling the task running it cancels every
    generation task at once and creates nothing more; ``await run.aclose()`` (or
    ``async with``) also waits until they have all finished.
    """

    def __init__(self, pipeline: _Pipeline) -> None:
        self._pipeline = pipeline
        self._task: asyncio.Task[None] | None = None
        self._held: dict[int, GenerationResult] = {}
        self._exhausted = False
        # Dropping the iterator (``break``) closes the pipeline there and then.
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
                held = self._held.pop(pipeline.next_index, None)
                if held is not None:
                    pipeline.consumed(held.index)
                    return held
                try:
                    result = await pipeline.receiver.receive()
                except anyio.EndOfStream:
                    self._exhausted = True
                    pipeline.receiver.close()
                    await self._task  # re-raises what stopped the producer, if anything did
                    raise StopAsyncIteration from None
                if not pipeline.ordered:
                    return result
                self._held[result.index] = result
        except StopAsyncIteration:
            raise
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.aclose()
            raise

    async def aclose(self) -> None:
        """Cancel whatever is still running and wait for it to finish."""
        self._pipeline.close()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def __aenter__(self) -> GenerationRun:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        p = self._pipeline
        return (
            f"GenerationRun(done={p.done}, failed={p.failed}, "
            f"in_flight={p.in_flight}, total={p.total})"
        )


def generate_many(
    tracks: Tracks,
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
