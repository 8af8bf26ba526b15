"""``MockTransport``: answer requests with a function, for tests."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from ._base import Request, Response, StreamResponse
from ._shared import BufferedStream

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
