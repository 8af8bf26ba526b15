"""The HTTP simulator's webhook deliveries: real POSTs to the license's ``webhook_url``.

A ``WebhookSender`` runs for as long as the server does (an aiohttp cleanup context),
ticking the fake when a generation is due (at least every 50 ms) and posting each
finished generation's track JSON with an aiohttp client. Only loopback hosts are
called: the simulator is a local tool, and a ``webhook_url`` such as
``https://example.com/hook`` must not reach the internet from a test run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .._config import is_loopback
from ..testing import FakeMubert, WebhookFaults
from ..testing._webhooks import Post, WebhookRefused

__all__ = ["POST_TIMEOUT", "webhook_delivery"]

POST_TIMEOUT = 5.0
"""Seconds one delivery may take before it counts as failed (and is retried)."""


def _poster(session: aiohttp.ClientSession) -> Post:
    async def post(url: str, body: bytes) -> int:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        if not is_loopback(host):
            raise WebhookRefused("the simulator only delivers to loopback hosts")
        headers = {"content-type": "application/json", "user-agent": "mubert-sim-webhooks"}
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as answer:
            await answer.read()
            return answer.status

    return post


def webhook_delivery(
    fake: FakeMubert, faults: WebhookFaults | None = None
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """An aiohttp cleanup context delivering ``fake``'s webhooks while the app runs."""

    @contextlib.asynccontextmanager
    async def deliver(_app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            sender = fake.webhook_sender(_poster(session), faults=faults)
            task = asyncio.create_task(sender.run(), name="mubert-sim-webhooks")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return deliver
