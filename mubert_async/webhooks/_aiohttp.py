"""Serving a ``WebhookReceiver`` with aiohttp.web: the body read bounded, after the token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

__all__ = ["Receives", "handle_request", "receiver_app"]


class Receives(Protocol):
    """What is served here: a ``WebhookReceiver`` (a protocol, so no import cycle)."""

    @property
    def max_body(self) -> int:
        """The largest body accepted, in bytes."""

    @property
    def aiohttp_handler(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The route handler."""

    def _refuse(self, token: str, size: int) -> int | None:
        """The status refusing a delivery of ``size`` bytes with ``token``, or None."""

    async def _process(self, body: bytes) -> int:
        """Take a delivery's body; the status to answer with."""


async def _read_bounded(request: web.Request, limit: int) -> bytes:
    """The body, or its first ``limit + 1`` bytes when it is longer than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]


async def handle_request(receiver: Receives, request: web.Request) -> web.Response:
    """Answer one delivery: the token in ``match_info["token"]``, the track in the body."""
    token = request.match_info.get("token", "")
    refused = receiver._refuse(token, request.content_length or 0)
    if refused is None:
        body = await _read_bounded(request, receiver.max_body)
        refused = receiver._refuse(token, len(body))
        status = refused if refused is not None else await receiver._process(body)
    else:
        status = refused
    return web.Response(status=status)


def receiver_app(receiver: Receives) -> web.Application:
    """An application with the one route ``POST /{token}``."""
    app = web.Application()
    app.router.add_post("/{token}", receiver.aiohttp_handler)
    return app
