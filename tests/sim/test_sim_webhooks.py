"""The HTTP simulator POSTs finished generations to the license's webhook, over real HTTP.

A ``WebhookReceiver`` is served by aiohttp on another free loopback port; the
simulator delivers to it with its retries and its fault knobs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest
from aiohttp import web

from mubert_async import MubertClient, MubertServiceClient, Track
from mubert_async.sim import main, serve
from mubert_async.testing import FakeMubert, FakeStats, WebhookFaults
from mubert_async.webhooks import WebhookReceiver

# The subprocess helpers of the simulator's command-line tests (this folder is on sys.path).
from test_sim_cli import credentials, simulator  # isort: skip

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def listen() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Serve a handler for ``POST /{token}`` on a free loopback port; its base URL."""
    runners: list[web.AppRunner] = []

    async def listen(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/{token}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield listen
    for runner in runners:
        await runner.cleanup()


async def simulate(
    receiver: WebhookReceiver,
    hook_base: str,
    count: int,
    *,
    faults: WebhookFaults | None = None,
    failure_rate: float = 0.0,
    seed: int = 1,
) -> tuple[FakeMubert, list[str], web.AppRunner]:
    """Serve a simulator, register the webhook and create ``count`` tracks over HTTP."""
    fake = FakeMubert(generation_time=0.05, failure_rate=failure_rate, seed=seed)
    runner, base_url = await serve(fake, webhook_faults=faults)
    async with MubertServiceClient(fake.company_id, fake.license_token, base_url=base_url) as svc:
        await receiver.register(svc, fake.license_id, hook_base)
    customer = fake.add_customer()
    async with MubertClient(customer.id, customer.access_token, base_url=base_url) as client:
        ids = [(await client.tracks.create(prompt="rain", duration=10)).id for _ in range(count)]
    return fake, ids, runner


async def eventually(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until ``condition()`` holds, looking every 20 ms; fail after ``timeout``."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await anyio.sleep(0.02)
    raise AssertionError(f"not true after {timeout} s")


async def settled(stats: FakeStats, sends: int) -> None:
    """Wait until the deliveries made, lost and given up add up to ``sends``."""
    await eventually(
        lambda: stats.webhooks_delivered + stats.webhooks_lost + stats.webhooks_failed >= sends
    )


async def deliver(
    receiver: WebhookReceiver, hook_base: str, count: int, faults: WebhookFaults, sends: int
) -> tuple[FakeMubert, list[str]]:
    """``simulate``, then wait until ``sends`` deliveries are settled, and stop the server."""
    fake, ids, runner = await simulate(receiver, hook_base, count, faults=faults)
    try:
        await settled(fake.stats, sends)
    finally:
        await runner.cleanup()
    return fake, ids


async def wait_all(receiver: WebhookReceiver, ids: list[str], timeout: float) -> list[Track]:
    tracks: list[Track] = []

    async def one(track_id: str) -> None:
        tracks.append(await receiver.wait_for(track_id, timeout=timeout))

    async with anyio.create_task_group() as group:
        for track_id in ids:
            group.start_soon(one, track_id)
    return tracks


async def test_every_finished_generation_is_delivered(listen) -> None:
    receiver = WebhookReceiver()
    fake, ids, runner = await simulate(
        receiver, await listen(receiver.aiohttp_handler), 20, failure_rate=0.3
    )
    try:
        tracks = await wait_all(receiver, ids, timeout=5)
    finally:
        await runner.cleanup()
    assert sorted(t.id for t in tracks) == sorted(ids)
    statuses = {t.status for t in tracks}
    assert statuses == {"done", "failed"}  # failed generations are delivered too
    assert all(
        t.url and t.url.startswith(fake.files_base_url) for t in tracks if t.status == "done"
    )
    assert fake.stats.webhooks_delivered == 20 and receiver.stats.accepted == 20
    assert fake.stats.polls == 0  # nobody polled: the webhook told


async def test_lost_deliveries_are_lost(listen) -> None:
    receiver = WebhookReceiver()
    base = await listen(receiver.aiohttp_handler)
    fake, ids = await deliver(receiver, base, 30, WebhookFaults(loss=0.3), sends=30)
    lost = fake.stats.webhooks_lost
    assert 0 < lost < 30
    assert fake.stats.webhooks_delivered == receiver.stats.accepted == 30 - lost
    missing = [track_id for track_id in ids if receiver.latest(track_id) is None]
    assert len(missing) == lost
    with pytest.raises(TimeoutError):
        await receiver.wait_for(missing[0], timeout=0.05)


async def test_duplicated_and_reordered_deliveries_are_processed_once(listen) -> None:
    receiver = WebhookReceiver()
    arrivals: list[str] = []
    receiver.add_listener(lambda track: arrivals.append(track.id))
    faults = WebhookFaults(duplicate=1.0, reorder=0.5, hold=0.1)
    fake, ids = await deliver(receiver, await listen(receiver.aiohttp_handler), 20, faults, 40)
    assert fake.stats.webhooks_duplicated == 20 and fake.stats.webhooks_delivered == 40
    assert 0 < fake.stats.webhooks_reordered < 20
    assert (receiver.stats.accepted, receiver.stats.ignored) == (20, 20)
    assert sorted(arrivals) == sorted(ids)  # each track once


async def test_a_delivery_waits_the_delay(listen) -> None:
    receiver = WebhookReceiver()
    started = time.monotonic()
    _, ids, runner = await simulate(
        receiver, await listen(receiver.aiohttp_handler), 1, faults=WebhookFaults(delay=0.4)
    )
    try:
        assert receiver.latest(ids[0]) is None
        await receiver.wait_for(ids[0], timeout=5)
    finally:
        await runner.cleanup()
    assert time.monotonic() - started >= 0.4


async def test_failed_deliveries_are_retried(listen) -> None:
    receiver = WebhookReceiver()
    answers = [503, 500]

    async def flaky(request: web.Request) -> web.StreamResponse:
        if answers:
            return web.Response(status=answers.pop(0))
        return await receiver.aiohttp_handler(request)

    fake, ids, runner = await simulate(receiver, await listen(flaky), 1)
    try:
        await receiver.wait_for(ids[0], timeout=5)
    finally:
        await runner.cleanup()
    assert fake.stats.webhooks_retried == 2 and fake.stats.webhooks_delivered == 1


async def test_a_404_is_not_retried(listen) -> None:
    receiver, impostor = WebhookReceiver(), WebhookReceiver()
    base = await listen(receiver.aiohttp_handler)
    fake, _, runner = await simulate(impostor, base, 1)  # registers the impostor's token
    try:
        await settled(fake.stats, 1)
    finally:
        await runner.cleanup()
    assert (fake.stats.webhooks_failed, fake.stats.webhooks_retried) == (1, 0)
    assert receiver.stats.wrong_token == 1 and receiver.stats.accepted == 0


async def test_only_loopback_hosts_are_called() -> None:
    fake = FakeMubert(generation_time=0.05)
    runner, base_url = await serve(fake)
    try:
        fake.set_license(webhook_url="https://example.com/hook", webhook_enabled=True)
        customer = fake.add_customer()
        async with MubertClient(customer.id, customer.access_token, base_url=base_url) as client:
            await client.tracks.create(prompt="rain", duration=10)
        await settled(fake.stats, 1)
    finally:
        await runner.cleanup()
    assert fake.stats.webhooks_failed == 1 and fake.stats.webhooks_retried == 0
    assert fake.webhooks[0][0] == "https://example.com/hook"  # still recorded


async def test_stopping_the_server_stops_the_deliveries(listen) -> None:
    receiver = WebhookReceiver()
    fake, _, runner = await simulate(
        receiver, await listen(receiver.aiohttp_handler), 3, faults=WebhookFaults(delay=30)
    )
    await anyio.sleep(0.15)  # noticed, and waiting out the delay
    assert any(t.get_name() == "mubert-sim-webhooks" for t in asyncio.all_tasks())
    await runner.cleanup()
    assert not any(t.get_name() == "mubert-sim-webhooks" for t in asyncio.all_tasks())
    assert fake.stats.webhooks_delivered == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_mubert_sim_delivers_with_its_fault_knobs(listen) -> None:
    """``python -m mubert_async.sim --webhook-duplicate-rate 1``: each track twice, taken once."""
    receiver = WebhookReceiver()
    hook_base = await listen(receiver.aiohttp_handler)
    knobs = ("--webhook-duplicate-rate", "1", "--webhook-delay", "0.05")
    async with simulator("--generation-time", "0.05", "--seed", "3", *knobs) as (process, lines):
        env = credentials(lines)
        base_url = env["MUBERT_BASE_URL"]
        async with MubertServiceClient(
            env["MUBERT_COMPANY_ID"], env["MUBERT_LICENSE_TOKEN"], base_url=base_url
        ) as service:
            (license,) = await service.licenses.list()
            await receiver.register(service, license.id, hook_base)
        async with MubertClient(
            env["MUBERT_CUSTOMER_ID"], env["MUBERT_ACCESS_TOKEN"], base_url=base_url
        ) as client:
            ids = [(await client.tracks.create(prompt="x", duration=10)).id for _ in range(3)]
        await wait_all(receiver, ids, timeout=10)
        await eventually(lambda: receiver.stats.ignored >= 3)
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 10)
    assert receiver.stats.accepted == 3 and receiver.stats.ignored == 3
    assert b"webhook deliveries (to loopback webhook_url only): duplicate 100%, delay 0.05 s" in err
    assert receiver.token.encode() not in err


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--webhook-loss-rate", "1.5"], "--webhook-loss-rate: must be between 0 and 1"),
        (["--webhook-duplicate-rate", "-1"], "--webhook-duplicate-rate: must be between 0 and 1"),
        (["--webhook-reorder-rate", "x"], "--webhook-reorder-rate: expected a number"),
        (["--webhook-delay", "-1"], "--webhook-delay: must not be negative"),
    ],
)
def test_invalid_webhook_knobs_exit_2(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert complaint in capsys.readouterr().err


def test_help_names_the_webhook_knobs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--webhook-loss-rate", "--webhook-duplicate-rate", "--webhook-reorder-rate"):
        assert flag in out
    assert "--webhook-delay" in out
