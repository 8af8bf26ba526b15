"""What the transports share: chunking, error texts, loop-bound cleanup, buffered bodies."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Final, Generic, TypeVar

import anyio.lowlevel

from .._backend import is_asyncio, running_loop
from ..errors import ClientClosedError, MubertError, TransportError
from ._base import Request, Response

__all__ = [
    "CHUNK",
    "BufferedStream",
    "LoopBound",
    "LoopGuard",
    "closed_error",
    "describe",
    "rechunk",
    "too_large",
]

CHUNK: Final = 65536
"""Default chunk size of ``aiter_bytes``."""
_MAX_DETAIL: Final = 200

R = TypeVar("R")


async def rechunk(read: Callable[[int], Awaitable[bytes]], chunk_size: int) -> AsyncIterator[bytes]:
    """Yield chunks of exactly ``chunk_size`` bytes (the last may be shorter).

    ``read(n)`` returns at most ``n`` bytes, ``b""`` at the end. Only what is yielded
    is ever read, so ``aread()`` after a partial iteration gets exactly the rest.
    Shared by the transports so both chunk alike whatever the network delivers.
    """
    buffer = bytearray()
    while data := await read(chunk_size - len(buffer)):
        if not buffer and len(data) == chunk_size:
            yield data
            continue
        buffer += data
        if len(buffer) == chunk_size:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


class LoopGuard:
    """Closes a loop-bound resource when its event loop finalises async generators.

    ``asyncio.run`` and ``asyncio.Runner`` (so also pytest-asyncio, and notebooks or
    scripts calling ``asyncio.run`` more than once) call
    ``loop.shutdown_asyncgens()`` while the loop can still run coroutines; ``trio.run``
    finalises the async generators still alive once its main task has returned. The
    guard is a suspended async generator registered with the loop; that call
    resumes it and it awaits ``close()`` -- a graceful close in the right loop,
    before the sockets would be orphaned. If the owner drops the guard while the
    loop runs, the backend's finaliser hook schedules the same close (trio also
    emits a ``ResourceWarning``). ``disarm()`` finishes the generator synchronously
    without closing anything.
    """

    __slots__ = ("_agen", "_target")

    def __init__(self, close: Callable[[], Awaitable[object]]) -> None:
        # The generator holds the list, not the guard: no reference cycle.
        self._target: list[Callable[[], Awaitable[object]]] = [close]
        self._agen = _close_at_shutdown(self._target)

    async def start(self) -> None:
        """Register with the running loop (runs the generator to its ``yield``)."""
        await self._agen.__anext__()

    def disarm(self) -> None:
        """Forget the resource and finish the generator; never awaits, never raises."""
        self._target.clear()
        closer = self._agen.aclose()
        try:
            closer.send(None)
        except StopIteration:
            return
        except RuntimeError:  # pragma: no cover - its loop is closing the resource right now
            closer.close()
            return
        closer.close()  # pragma: no cover - the disarmed generator never suspends


async def _close_at_shutdown(
    target: list[Callable[[], Awaitable[object]]],
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if target:
            close = target.pop()
            await close()


def too_large(request: Request, limit: int) -> TransportError:
    return TransportError(
        f"{request.method} {request.url}: response body larger than max_response_size "
        f"({limit} bytes)",
        sent=True,
    )


def closed_error(what: str, request: Request) -> ClientClosedError:
    return ClientClosedError(f"{request.method} {request.url}: the {what} is closed")


def describe(exc: BaseException) -> str:
    """``str(exc)`` cut to a line, or the class name if that is empty or fails (it can)."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    if len(text) > _MAX_DETAIL:  # parser errors quote what they could not parse
        text = text[:_MAX_DETAIL] + "..."
    return text or type(exc).__name__


class BufferedStream:
    """A ``StreamResponse`` over a complete ``Response`` already in memory.

    With ``reset_after`` the body breaks off after that many bytes with a
    ``TransportError``, as a connection reset mid-download would.
    """

    __slots__ = ("_content", "_offset", "_reset", "headers", "status")

    def __init__(self, response: Response, *, reset_after: int | None = None) -> None:
        self.status: int = response.status
        self.headers: Mapping[str, str] = response.headers
        self._reset = reset_after is not None
        self._content = response.content[:reset_after] if self._reset else response.content
        self._offset = 0

    def __repr__(self) -> str:
        return f"<BufferedStream status={self.status} size={len(self._content)}>"

    async def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Yield the rest of the content in ``chunk_size`` chunks (the last may be shorter)."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        while self._offset < len(self._content):
            chunk = self._content[self._offset : self._offset + chunk_size]
            self._offset += len(chunk)
            yield chunk
            await anyio.lowlevel.checkpoint()  # a long in-memory body stays cancellable
        if self._reset:
            raise TransportError("connection reset while reading the body", sent=True)

    async def aread(self) -> bytes:
        """Return the rest of the content."""
        return b"".join([chunk async for chunk in self.aiter_bytes(max(1, len(self._content)))])


class LoopBound(Generic[R]):
    """One client-library resource (an aiohttp session, an httpx client) for the running loop.

    A resource passed in is the caller's: used as is, never closed. Otherwise
    ``create()`` makes one lazily, inside the running loop, on first use. That one
    is closed in its own loop when the loop shuts down through ``asyncio.run`` or
    ``trio.run`` (see ``LoopGuard``), handed to ``discard(resource, old_loop)`` and
    replaced when used from another loop, and closed by ``aclose()``. After
    ``aclose()`` every use raises ``TransportError(sent=False)``.

    "The loop" is asyncio's event loop, or a trio run (``_backend.running_loop``).
    ``asyncio_only`` names a resource that works on asyncio only (aiohttp's session):
    under trio every use then raises a ``MubertError`` saying so, before anything is
    sent.

    The hooks must not reference the transport: the loop's guard keeps ``close``
    alive, and it must not keep the transport alive with it.
    """

    __slots__ = (
        "_asyncio_only",
        "_close",
        "_closed",
        "_create",
        "_discard",
        "_guard",
        "_loop",
        "owns",
        "resource",
    )

    def __init__(
        self,
        resource: R | None,
        *,
        create: Callable[[], R],
        close: Callable[[R], Awaitable[object]],
        discard: Callable[[R, object], None],
        asyncio_only: str | None = None,
    ) -> None:
        self.resource = resource
        self.owns = resource is None
        self._create, self._close, self._discard = create, close, discard
        self._asyncio_only = asyncio_only
        self._loop: object = None
        self._guard: LoopGuard | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` ran."""
        return self._closed

    async def get(self) -> R:
        """The resource for the running loop, made or re-made when needed."""
        resource = self.resource
        if resource is not None and self._loop is running_loop():
            return resource
        return await self._bind()

    async def _bind(self) -> R:
        if self._closed:
            raise ClientClosedError("the transport is closed")
        loop = running_loop()
        if self._asyncio_only is not None and not is_asyncio(loop):
            raise MubertError(
                f"{self._asyncio_only} runs on asyncio only, and this is trio: pass "
                "transport=HttpxTransport() (the 'httpx' extra) to the client to run on trio"
            )
        stale = self.resource
        if stale is not None and (self._loop is loop or not self.owns):
            self._loop = loop
            return stale
        if stale is not None and self._loop is not None:
            if self._guard is not None:
                self._guard.disarm()
            self._discard(stale, self._loop)
        resource = self._create()
        guard = LoopGuard(functools.partial(self._close, resource))
        await guard.start()
        self.resource, self._loop, self._guard = resource, loop, guard
        return resource

    async def aclose(self) -> None:
        """Close the resource if it was made here. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        resource, guard, loop = self.resource, self._guard, self._loop
        self.resource = self._guard = None
        if resource is None or not self.owns:
            return
        if guard is not None:
            guard.disarm()
        if loop is running_loop():
            await self._close(resource)
        elif loop is not None:
            self._discard(resource, loop)
