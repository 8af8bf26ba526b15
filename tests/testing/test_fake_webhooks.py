"""FakeMubert.deliver_webhooks: finished generations reach an in-process receiver."""

from __future__ import annotations

import asyncio

import anyio
import msgspec
import pytest

from mubert_async.testing import FakeMubert, ManualClock, WebhookFaults
from mubert_async.webhooks import WebhookReceiver

HOOKS = "https://example.com/hooks"


async def setup(fake: FakeMubert, receiver: WebhookReceiver) -> None:
    async with fake.service_client() as service:
        await receiver.register(service, fake.license_id, HOOKS)


async def create(fake: FakeMubert, count: int) -> list[str]:
    async with fake.client() as client:
        return [(await client.tracks.create(prompt="rain", duration=10)).id for _ in range(count)]


async def test_finished_generations_reach_the_receiver(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=30)
    receiver = WebhookReceiver()
    await setup(fake, receiver)
    async with fake.deliver_webhooks(receiver):
        (track_id,) = await create(fake, 1)
        await anyio.sleep(0.1)
        assert receiver.latest(track_id) is None  # still generating: nothing sent
        clock.advance(30)  # nobody asks the fake anything: the sender's tick notices
        track = await receiver.wait_for(track_id, timeout=2)
    assert track.status == "done" and track.url
    assert fake.stats.webhooks_delivered == 1 and fake.stats.polls == 0


async def test_deliveries_pending_before_entering_are_sent(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=5)
    receiver = WebhookReceiver()
    await setup(fake, receiver)
    ids = await create(fake, 3)
    clock.advance(5)
    assert len(fake.webhooks) == 3
    async with fake.deliver_webhooks(receiver):
        for track_id in ids:
            await receiver.wait_for(track_id, timeout=2)
    async with fake.deliver_webhooks(receiver):  # each delivery is taken once
        await anyio.sleep(0.1)
    assert fake.stats.webhooks_delivered == 3 and receiver.stats.ignored == 0


async def test_a_wrong_token_in_the_url_is_a_failed_delivery(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=5)
    receiver = WebhookReceiver()
    await setup(fake, WebhookReceiver())  # someone else's URL
    await create(fake, 1)
    clock.advance(5)
    async with fake.deliver_webhooks(receiver):
        for _ in range(100):
            if fake.stats.webhooks_failed:
                break
            await anyio.sleep(0.01)
    assert fake.stats.webhooks_failed == 1 and receiver.stats.wrong_token == 1


async def test_reordering_and_duplicates_with_a_post_function(clock: ManualClock) -> None:
    """The knobs act on any ``post``; here one that records arrivals."""
    fake = FakeMubert(clock=clock, generation_time=lambda fields: fields["duration"])
    fake.set_license(webhook_url=f"{HOOKS}/token", webhook_enabled=True)
    arrivals: list[str] = []

    async def post(url: str, body: bytes) -> int:
        assert url == f"{HOOKS}/token"
        arrivals.append(msgspec.json.decode(body)["id"])
        return 204

    async with fake.client() as client:
        ids = [(await client.tracks.create(prompt="x", duration=10 + i)).id for i in range(12)]
    clock.advance(30)  # all finish, in the order of their durations
    faults = WebhookFaults(duplicate=0.5, reorder=0.5, hold=0.05)
    async with fake.deliver_webhooks(post, faults=faults):
        for _ in range(200):
            if len(arrivals) == 12 + fake.stats.webhooks_duplicated:
                break
            await anyio.sleep(0.01)
    stats = fake.stats
    assert 0 < stats.webhooks_duplicated < 12 and 0 < stats.webhooks_reordered < 12
    assert sorted(set(arrivals)) == sorted(ids)
    first_arrivals = list(dict.fromkeys(arrivals))
    assert first_arrivals != ids  # held-back ones were overtaken


async def test_the_same_seed_loses_the_same_deliveries(clock: ManualClock) -> None:
    async def lost_with(seed: int) -> list[str]:
        fake = FakeMubert(clock=clock, generation_time=5, seed=seed)
        fake.set_license(webhook_url=f"{HOOKS}/token", webhook_enabled=True)
        arrived: list[str] = []

        async def post(_url: str, body: bytes) -> int:
            arrived.append(msgspec.json.decode(body)["id"])
            return 200

        ids = await create(fake, 20)
        clock.advance(5)
        async with fake.deliver_webhooks(post, faults=WebhookFaults(loss=0.5)):
            for _ in range(200):
                if len(arrived) + fake.stats.webhooks_lost == 20:
                    break
                await anyio.sleep(0.01)
        return [track_id for track_id in ids if track_id not in arrived]

    first, second, other = await lost_with(7), await lost_with(7), await lost_with(8)
    assert first == second and 0 < len(first) < 20
    assert first != other


async def test_failures_are_retried_with_backoff(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=5)
    fake.set_license(webhook_url=f"{HOOKS}/token", webhook_enabled=True)
    answers: list[int | Exception] = [ConnectionRefusedError(), 503, 429, 200]

    async def post(_url: str, _body: bytes) -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    await create(fake, 1)
    clock.advance(5)
    async with fake.deliver_webhooks(post) as sender:
        sender.backoff = 0.01
        for _ in range(200):
            if fake.stats.webhooks_delivered:
                break
            await anyio.sleep(0.01)
    assert (fake.stats.webhooks_delivered, fake.stats.webhooks_retried) == (1, 3)
    assert answers == []


async def test_delivery_gives_up_after_the_last_attempt(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=5)
    fake.set_license(webhook_url=f"{HOOKS}/token", webhook_enabled=True)
    calls = 0

    async def post(_url: str, _body: bytes) -> int:
        nonlocal calls
        calls += 1
        raise TimeoutError

    await create(fake, 1)
    clock.advance(5)
    async with fake.deliver_webhooks(post) as sender:
        sender.backoff, sender.attempts = 0.001, 3
        for _ in range(200):
            if fake.stats.webhooks_failed:
                break
            await anyio.sleep(0.01)
    assert calls == 3 and fake.stats.webhooks_failed == 1 and fake.stats.webhooks_retried == 2


async def test_leaving_cancels_pending_deliveries(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=5)
    receiver = WebhookReceiver()
    await setup(fake, receiver)
    await create(fake, 2)
    clock.advance(5)
    before = len(asyncio.all_tasks())
    async with fake.deliver_webhooks(receiver, faults=WebhookFaults(delay=60)):
        await anyio.sleep(0.1)
        assert len(asyncio.all_tasks()) > before
    assert len(asyncio.all_tasks()) == before
    assert fake.stats.webhooks_delivered == 0 and receiver.stats.accepted == 0


@pytest.mark.parametrize(
    "fields",
    [{"loss": 1.5}, {"duplicate": -0.1}, {"reorder": 2}, {"delay": -1}, {"hold": float("nan")}],
)
def test_webhook_faults_are_checked(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="webhook"):
        WebhookFaults(**fields)


def test_webhook_faults_describe_themselves() -> None:
    assert WebhookFaults().describe() == "none"
    assert WebhookFaults(loss=0.2, reorder=0.1, delay=0.5).describe() == (
        "loss 20%, reorder 10%, delay 0.5 s"
    )


async def test_the_sender_wakes_when_a_generation_is_due() -> None:
    """On the real clock it does not wait for its next regular look (here 10 s away)."""
    fake = FakeMubert(generation_time=0.2)
    receiver = WebhookReceiver()
    await setup(fake, receiver)
    (track_id,) = await create(fake, 1)
    async with fake.deliver_webhooks(receiver, interval=10.0):
        with anyio.fail_after(3):  # its first look sees the generation due in 0.2 s
            track = await receiver.wait_for(track_id, timeout=None)
    assert track.status == "done"


async def test_an_error_inside_passes_through_as_it_is() -> None:
    fake = FakeMubert()
    sender = fake.deliver_webhooks(WebhookReceiver())
    with pytest.raises(KeyError, match="mine"):
        async with sender:
            raise KeyError("mine")
    async with sender:  # and it can run again
        with pytest.raises(RuntimeError, match="already running"):
            await sender.__aenter__()


async def test_cancelled_from_outside_it_stops() -> None:
    fake = FakeMubert()
    before = len(asyncio.all_tasks())
    with anyio.move_on_after(0.05) as scope:
        async with fake.deliver_webhooks(WebhookReceiver()):
            await anyio.sleep(10)
    assert scope.cancelled_caught and len(asyncio.all_tasks()) == before


@pytest.mark.parametrize("interval", [0, -1, float("nan")])
def test_the_interval_is_checked(interval: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        FakeMubert().deliver_webhooks(WebhookReceiver(), interval=interval)
