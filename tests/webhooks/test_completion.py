"""``webhooks=``: waits hear of completions from deliveries and poll only as a slow fallback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from mubert_async import MubertClient, TrackRequest
from mubert_async.generation import PollPolicy
from mubert_async.sim import serve
from mubert_async.testing import FakeMubert, WebhookFaults
from mubert_async.webhooks import WebhookReceiver
from mubert_async.webhooks._completion import WebhookCompletion

POLL = PollPolicy(initial_delay=0.05, min_interval=0.01, max_interval=0.1, jitter=0.02)
"""Fallback polls scaled down for tests: the first at 2x expected + 0.1 s, then every 0.4 s."""


def polled(fake: FakeMubert) -> set[str]:
    """Track ids the fake was asked for with ``GET /public/tracks/{id}``."""
    return {
        r.url.rsplit("/", 1)[1]
        for r in fake.requests
        if r.method == "GET" and "/public/tracks/" in r.url
    }


def requests(n: int) -> list[TrackRequest]:
    return [TrackRequest(30, prompt=f"song {i}") for i in range(n)]


async def test_a_batch_completes_from_deliveries_without_a_poll() -> None:
    fake = FakeMubert(generation_time=0.1)
    receiver = WebhookReceiver()
    fake.set_license(
        webhook_url=receiver.webhook_url("https://example.com/mubert"), webhook_enabled=True
    )
    async with (
        fake.client(webhooks=receiver, poll=POLL) as client,
        fake.deliver_webhooks(receiver, interval=0.01),
    ):
        assert isinstance(client._engine.completion, WebhookCompletion)
        results = [r async for r in client.tracks.generate_many(requests(12))]
    assert [r.ok for r in results] == [True] * 12
    assert all(r.track is not None and r.track.url for r in results)
    assert fake.stats.polls == 0


async def test_lost_deliveries_cost_a_fallback_poll_never_a_track() -> None:
    fake = FakeMubert(generation_time=0.1, seed=7)
    receiver = WebhookReceiver()
    fake.set_license(
        webhook_url=receiver.webhook_url("https://example.com/mubert"), webhook_enabled=True
    )
    async with (
        fake.client(webhooks=receiver, poll=POLL) as client,
        fake.deliver_webhooks(receiver, faults=WebhookFaults(loss=0.3), interval=0.01),
    ):
        results = [r async for r in client.tracks.generate_many(requests(20))]
    assert [r.ok for r in results] == [True] * 20
    lost = {r.track.id for r in results if r.track and receiver.latest(r.track.id) is None}
    assert lost, "the seed should lose some deliveries"
    assert fake.stats.webhooks_lost == len(lost) and fake.stats.webhooks_delivered == 20 - len(lost)
    assert polled(fake) == lost  # polls only for the lost ones, and each of those polled


async def test_customer_clients_inherit_the_service_receiver() -> None:
    fake = FakeMubert(generation_time=0.05)
    receiver = WebhookReceiver()
    fake.set_license(
        webhook_url=receiver.webhook_url("https://example.com/mubert"), webhook_enabled=True
    )
    async with fake.service_client(webhooks=receiver, poll=POLL) as service:
        client = service.customer_client(await service.customers.create("webhooked"))
        async with fake.deliver_webhooks(receiver, interval=0.01):
            track = await client.tracks.generate(duration=30, prompt="one")
    assert track.url and fake.stats.polls == 0


@asynccontextmanager
async def receiving(receiver: WebhookReceiver) -> AsyncIterator[str]:
    """Serve ``receiver``'s aiohttp app on a free loopback port; yield its public base."""
    runner = web.AppRunner(receiver.aiohttp_app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("loss", [0.0, 0.2])
async def test_over_http_the_simulator_delivers_to_a_mounted_receiver(loss: float) -> None:
    """40 tracks, limit 10, over real HTTP both ways: no polls, or polls only for the lost."""
    fake = FakeMubert(generation_time=0.3, seed=3)
    fake.set_license_limits(max_concurrent_track_generations=10)
    receiver = WebhookReceiver()
    runner, base_url = await serve(fake, webhook_faults=WebhookFaults(loss=loss))
    try:
        async with receiving(receiver) as public:
            service = fake.service_client(base_url=base_url, transport=None)
            async with service:
                license_id = (await service.licenses.list())[0].id
                await receiver.register(service, license_id, public)
            client: MubertClient
            async with fake.client(
                base_url=base_url, transport=None, webhooks=receiver, poll=POLL
            ) as client:
                started = time.perf_counter()
                results = [r async for r in client.tracks.generate_many(requests(40))]
                makespan = time.perf_counter() - started
    finally:
        await runner.cleanup()
    assert [r.ok for r in results] == [True] * 40
    lost = {r.track.id for r in results if r.track and receiver.latest(r.track.id) is None}
    assert polled(fake) == lost
    assert fake.stats.webhooks_delivered == 40 - len(lost)
    if loss == 0:
        assert not lost and fake.stats.polls == 0
        ideal = 40 / 10 * 0.3
        assert makespan / ideal <= 1.3, f"makespan {makespan:.2f}s vs ideal {ideal:.2f}s"
