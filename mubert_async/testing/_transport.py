"""FakeTransport: a ``Transport`` answering from a ``FakeMubert``, with faults and timeouts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

import anyio

from ..errors import RequestTimeout
from ..transport._base import Request, Response, StreamResponse, Transport
from ..transport._shared import BufferedStream
from ._faults import Exchange

__all__ = ["FakeTransport"]


class _Exchanger(Protocol):
    """What ``FakeTransport`` serves from: a ``FakeMubert`` (a protocol, so no import cycle)."""

    async def exchange(self, request: Request, *, stream: bool = False) -> Exchange:
        """Record ``request``, apply the fake's faults, answer."""


class FakeTransport:
    """Serves requests from ``fake`` in memory; get one with ``fake.transport()``.

    Each request goes through ``fake.exchange`` (recorded, maybe hit by the first
    matching ``Fault``) and must finish within ``request.timeout`` seconds (else
    ``RequestTimeout(sent=True)``).
    """

    def __init__(self, fake: _Exchanger) -> None:
        self._fake = fake

    async def _exchange(self, request: Request, *, stream: bool) -> tuple[Response, bool]:
        """The response, and whether its body must break off (``reset_during_body``)."""
        try:
            with anyio.fail_after(request.timeout):
                exchange = await self._fake.exchange(request, stream=stream)
        except TimeoutError as exc:
            raise RequestTimeout(
                f"no response within {request.timeout:g} seconds", sent=True
            ) from exc
        fault = exchange.fault
        return exchange.answer(), fault is not None and fault.kind == "reset_during_body"

    async def send(self, request: Request) -> Response:
        """Answer ``request`` with its whole body."""
        response, _ = await self._exchange(request, stream=False)
        return response

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[StreamResponse]:
        """Answer ``request``; the body is read from the yielded response in chunks."""
        response, cut = await self._exchange(request, stream=True)
        yield BufferedStream(response, reset_after=len(response.content) // 2 if cut else None)

    async def aclose(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"FakeTransport({self._fake!r})"


if TYPE_CHECKING:

    def _satisfies_transport(transport: FakeTransport) -> Transport:
        return transport  # mypy checks FakeTransport against the Transport protocol
