"""``MockTransport``: answer requests with a function, for tests."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from ._base import Request, Response, StreamResponse

__all__ = ["BufferedStream", "MockTransport"]

Handler = Callable[[Request], "Response | Awaitable[Response]"]


class MockTransport:
    """A transport whose responses come from ``handler(request)``.

    ``handler`` is a plain or ``async`` function taking a ``Request`` and returning a
    ``Response``. Whatever it raises propagates, so a test can raise
    ``TransportError``/``RequestTimeout`` to simulate network faults. The transport
    records nothing itself: a handler that needs the requests keeps them.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __repr__(self) -> str:
        return f"MockTransport({self.handler!r})"

    async def send(self, request: Request) -> Response:
        """Return ``handler(request)``, awaited if it is awaitable."""
        result = self.handler(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[StreamResponse]:
        """Yield the handler's response as a ``StreamResponse`` over its content."""
        yield BufferedStream(await self.send(request))

    async def aclose(self) -> None:
        """Do nothing: there is nothing to release."""


class BufferedStream:
    """A ``StreamResponse`` over a complete ``Response`` already in memory."""

    __slots__ = ("_content", "_offset", "headers", "status")

    def __init__(self, response: Response) -> None:
        self.status: int = response.status
        self.headers: Mapping[str, str] = response.headers
        self._content = response.content
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

    async def aread(self) -> bytes:
        """Return the rest of the content."""
        rest = self._content[self._offset :]
        self._offset = len(self._content)
        return rest
