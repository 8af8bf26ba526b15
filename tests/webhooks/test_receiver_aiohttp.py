"""The receiver served by aiohttp.web on 127.0.0.1, reached with real POSTs."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from webhook_bodies import body, track

from mubert_async.webhooks import WebhookReceiver

DONE = body(track("track-1"))

Start = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Serve applications on free loopback ports; each is stopped after the test."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def post(url: str, data: object, **kwargs: object) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=data, **kwargs) as response,  # type: ignore[arg-type]
    ):
        await response.read()
        return response.status


async def test_the_app_end_to_end(receiver: WebhookReceiver, start: Start) -> None:
    base = await start(receiver.aiohttp_app())
    url = receiver.webhook_url(base)
    assert await post(url, DONE) == 200
    assert await post(url, DONE) == 200  # duplicate
    assert await post(f"{base}/wrong-token", DONE) == 404
    assert await post(url, b"{") == 400
    assert await post(url, io.BytesIO(b" " * (receiver.max_body + 1))) == 413
    assert (receiver.stats.accepted, receiver.stats.ignored) == (1, 1)
    assert (receiver.stats.wrong_token, receiver.stats.malformed, receiver.stats.too_large) == (
        1,
        1,
        1,
    )
    delivered = await receiver.wait_for("track-1", timeout=0)
    assert delivered.url == "https://files.example/g1.mp3"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 405


async def test_an_oversized_chunked_body_is_413(start: Start) -> None:
    receiver = WebhookReceiver(max_body=1000)
    base = await start(receiver.aiohttp_app())

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the size is found by reading
        for _ in range(64):
            yield b" " * 1024

    status = await post(receiver.webhook_url(base), chunks())
    assert status == 413 and receiver.stats.too_large == 1
    small = body(track("t"))
    assert await post(receiver.webhook_url(base), small) == 200


async def test_a_wrong_token_is_404_whatever_the_size(start: Start) -> None:
    receiver = WebhookReceiver(max_body=10)
    base = await start(receiver.aiohttp_app())
    assert await post(f"{base}/nope", b" " * 100) == 404
    assert receiver.stats.too_large == 0 and receiver.stats.wrong_token == 1


async def test_mounted_in_an_existing_app(receiver: WebhookReceiver, start: Start) -> None:
    app = web.Application()
    app.router.add_post("/hooks/{token}", receiver.aiohttp_handler)
    app.add_subapp("/sub/", receiver.aiohttp_app())
    base = await start(app)
    assert await post(receiver.webhook_url(f"{base}/hooks"), DONE) == 200
    assert await post(receiver.webhook_url(f"{base}/sub"), body(track("track-2"))) == 200
    assert await post(f"{base}/hooks/{receiver.token}x", DONE) == 404
    assert receiver.latest("track-1") is not None and receiver.latest("track-2") is not None


async def test_a_route_without_a_token_part_is_404(receiver: WebhookReceiver, start: Start) -> None:
    app = web.Application()
    app.router.add_post("/hooks", receiver.aiohttp_handler)
    base = await start(app)
    assert await post(f"{base}/hooks", DONE) == 404
