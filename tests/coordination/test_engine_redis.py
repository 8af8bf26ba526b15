"""The engine on a real redis-server: restarts and outages mid-batch, shared timings and limits."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import msgspec
import pytest
from coordination_harness import RedisServer, redis_maker
from engine_helpers import FAST_POLL, FAST_RETRY

from mubert_async import CoordinationError, Customer, MubertServiceClient, TrackRequest
from mubert_async.generation import _limiter
from mubert_async.redis import RedisCoordination
from mubert_async.testing import FakeMubert


def service_of(
    fake: FakeMubert, coordination: RedisCoordination, **kwargs: Any
) -> MubertServiceClient:
    return fake.service_client(
        coordination=coordination, poll=FAST_POLL, retry=FAST_RETRY, **kwargs
    )


async def a_customer(service: MubertServiceClient, *, bare: bool = False) -> Customer:
    customer = await service.customers.create(f"user-{uuid.uuid4().hex[:12]}")
    if bare and customer.access is not None:
        access = msgspec.structs.replace(customer.access, license=None, customer_limits=None)
        customer = msgspec.structs.replace(customer, access=access)
    return customer


def requests(n: int) -> list[TrackRequest]:
    return [TrackRequest(30, prompt=f"song {uuid.uuid4().hex}") for _ in range(n)]


def account(fake: FakeMubert, results: list[Any]) -> None:
    """Every created track is some result's, and none was created twice."""
    delivered = {r.track.id for r in results if r.ok}
    created = set(fake._engine.tracks)
    assert delivered <= created
    lost = created - delivered
    assert not lost, f"{len(lost)} tracks created but handed back to nobody"


async def test_a_redis_restart_mid_batch_loses_nothing(
    redis_server: RedisServer, namespace: str
) -> None:
    fake = FakeMubert(generation_time=0.2)
    fake.set_license_limits(max_concurrent_track_generations=2)
    async with (
        redis_maker(redis_server.url, namespace) as make,
        service_of(fake, make(lease_ttl=3.0)) as service,
    ):
        client = service.customer_client(await a_customer(service))
        results = []
        async with anyio.create_task_group() as group:

            async def restart() -> None:
                await anyio.sleep(0.3)
                redis_server.stop()
                await anyio.sleep(0.5)
                redis_server.start()  # same port, every key gone

            group.start_soon(restart)
            async for result in client.tracks.generate_many(requests(10)):
                results.append(result)
    assert sorted(r.index for r in results) == list(range(10))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert fake.stats.creates == 10 and fake.peak_in_flight <= 2
    account(fake, results)


async def test_redis_gone_for_good_ends_each_item_with_a_clear_error(
    redis_server: RedisServer, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_limiter, "OUTAGE_GRACE", 0.5)
    fake = FakeMubert(generation_time=0.2)
    fake.set_license_limits(max_concurrent_track_generations=2)
    async with (
        redis_maker(redis_server.url, namespace) as make,
        service_of(fake, make(lease_ttl=1.5)) as service,
    ):
        client = service.customer_client(await a_customer(service))
        results = []
        with anyio.fail_after(20):
            async for result in client.tracks.generate_many(requests(8)):
                results.append(result)
                if len(results) == 2:
                    redis_server.stop()
    assert sorted(r.index for r in results) == list(range(8))
    failed = [r.error for r in results if not r.ok]
    assert failed and all(isinstance(e, CoordinationError) for e in failed), failed
    account(fake, results)


async def test_learned_timings_and_limits_are_shared_through_redis(
    redis_url: str, namespace: str
) -> None:
    """Two services (two processes' worth of state): what one learns, the other knows."""
    fake = FakeMubert(generation_time=0.1)
    fake.set_license_limits(max_concurrent_track_generations=3)
    async with redis_maker(redis_url, namespace) as make:
        one, two = service_of(fake, make()), service_of(fake, make())
        async with one, two:
            first = one.customer_client(await a_customer(one, bare=True))
            second = two.customer_client(await a_customer(two, bare=True))
            results = [r async for r in first.tracks.generate_many(requests(8))]
            assert all(r.ok for r in results)
            assert first.max_concurrent_generations == 3  # learned from a 403
            engine = second._engine
            await engine._read_shared_times()
            assert engine.times.expected(30) == pytest.approx(0.1, rel=0.5)
            license_level = engine.limiter.levels[-1]
            rejected = fake.stats.concurrency_rejections
            results = [r async for r in second.tracks.generate_many(requests(6))]
            assert all(r.ok for r in results)
            # The limit is shared; a process that has not been refused itself is still
            # learning: it grows past the shared value and spends a few 403s (<= 3, as a
            # first learner does) confirming it, then adopts 3 again.
            assert license_level.semaphore.limit in (3, 4, 5)
            assert fake.stats.concurrency_rejections - rejected <= 3
    assert fake.peak_in_flight <= 3


async def test_a_limit_the_records_know_replaces_an_older_one_in_redis(
    redis_url: str, namespace: str
) -> None:
    """A license upgraded from 2 to 4: a new process's records say 4, and Redis follows."""
    fake = FakeMubert(generation_time=0.1)
    fake.set_license_limits(max_concurrent_track_generations=2)
    async with redis_maker(redis_url, namespace) as make:
        async with service_of(fake, make()) as old:
            client = old.customer_client(await a_customer(old))
            assert all([r.ok async for r in client.tracks.generate_many(requests(2))])
        fake.set_license_limits(max_concurrent_track_generations=4)
        async with service_of(fake, make()) as new:
            client = new.customer_client(await a_customer(new))
            assert all([r.ok async for r in client.tracks.generate_many(requests(8))])
            assert client._engine.limiter.levels[-1].semaphore.limit == 4
    assert fake.peak_in_flight == 4
