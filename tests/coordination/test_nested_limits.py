"""Nested limits: the license-wide limit shared by every customer client, fairly, and learned.

Each test runs on FakeMubert, which counts concurrency the way the server does: per
customer and license-wide. Where a test takes ``make_coordination`` it runs twice: on
the in-process default and on a real redis-server with two service clients on separate
Redis connections (like two worker processes).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import defaultdict
from typing import Any

import anyio
import msgspec
import pytest
from coordination_harness import MakeCoordination
from engine_helpers import FAST_RETRY

from mubert_async import Customer, MubertClient, MubertServiceClient, TrackRequest
from mubert_async.generation import PollPolicy
from mubert_async.testing import FakeMubert

GENERATION = 0.4
"""Seconds the fake takes per generation: a round."""
POLL = PollPolicy(initial_delay=0.05, min_interval=0.01, max_interval=1.0, jitter=0.02)
"""Polls that land when a track is expected to be done, as the default policy's do."""


def service_of(fake: FakeMubert, **kwargs: Any) -> MubertServiceClient:
    kwargs.setdefault("poll", POLL)
    kwargs.setdefault("retry", FAST_RETRY)
    return fake.service_client(**kwargs)


async def customers(service: MubertServiceClient, n: int, *, bare: bool = False) -> list[Customer]:
    """``n`` new customers; ``bare``: their records say nothing about limits."""
    made = [await service.customers.create(f"user-{uuid.uuid4().hex[:12]}") for _ in range(n)]
    if bare:
        made = [
            msgspec.structs.replace(
                c,
                access=msgspec.structs.replace(c.access, license=None, customer_limits=None),
            )
            for c in made
            if c.access is not None
        ]
    return made


async def run_all(clients: list[MubertClient], per_client: int) -> float:
    """Every client generates ``per_client`` tracks at once; the makespan in seconds."""
    started = time.perf_counter()

    async def one(client: MubertClient, n: int) -> None:
        requests = [TrackRequest(30, prompt=f"song {i}") for i in range(n)]
        results = [r async for r in client.tracks.generate_many(requests)]
        assert [r.ok for r in results] == [True] * n, [r.error for r in results if not r.ok]

    async with anyio.create_task_group() as group:
        for client in clients:
            group.start_soon(one, client, per_client)
    return time.perf_counter() - started


def starts_by_customer(fake: FakeMubert) -> dict[str, list[tuple[float, float]]]:
    """Each customer's generations as (created, done) on the fake's clock, in order."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for track in fake._engine.tracks.values():
        for generation in track.generations:
            spans[track.customer_id or ""].append((generation.created, generation.ready))
    return {customer: sorted(s) for customer, s in spans.items()}


async def test_ten_customers_share_the_license_limit_without_a_403() -> None:
    """10 customers x 4 tracks on a license limit of 4: 0 403s, peak 4, makespan ~ ideal."""
    fake = FakeMubert(generation_time=GENERATION)
    fake.set_license_limits(max_concurrent_track_generations=4)
    async with service_of(fake) as service:
        clients = [service.customer_client(c) for c in await customers(service, 10)]
        makespan = await run_all(clients, 4)
    ideal = 40 / 4 * GENERATION
    assert fake.stats.concurrency_rejections == 0
    assert fake.peak_in_flight <= 4
    assert makespan / ideal <= 1.10, f"makespan {makespan:.2f}s vs ideal {ideal:.2f}s"


async def test_a_customer_limit_inside_the_license_limit() -> None:
    """A customer limited to 1 never has two in flight, while the others fill the license."""
    fake = FakeMubert(generation_time=0.1)
    fake.set_license_limits(
        max_concurrent_track_generations=4, customer_max_concurrent_track_generations=1
    )
    async with service_of(fake) as service:
        made = await customers(service, 3)
        clients = [service.customer_client(c) for c in made]
        assert [c.max_concurrent_generations for c in clients] == [1, 1, 1]
        await run_all(clients, 3)
    assert fake.stats.concurrency_rejections == 0
    for spans in starts_by_customer(fake).values():
        for (_, done), (created, _) in itertools.pairwise(spans):
            assert created >= done, "a customer limited to 1 had two generations at once"
    assert fake.peak_in_flight == 3


async def test_one_busy_customer_cannot_starve_the_others() -> None:
    """A customer queueing 20 first; three more come later and are served within two rounds."""
    fake = FakeMubert(generation_time=0.1)
    fake.set_license_limits(max_concurrent_track_generations=4)
    async with service_of(fake) as service:
        busy, *others = [service.customer_client(c) for c in await customers(service, 4)]
        arrived: dict[str, float] = {}

        async def later(client: MubertClient) -> None:
            await anyio.sleep(0.15)  # the busy customer's 20 are queued by now
            arrived[client._credentials.id_value] = fake._engine.clock()
            await run_all([client], 2)

        async with anyio.create_task_group() as group:
            group.start_soon(run_all, [busy], 20)
            for client in others:
                group.start_soon(later, client)
    spans = starts_by_customer(fake)
    for customer, at in arrived.items():
        first_start = spans[customer][0][0]
        assert first_start - at <= 2 * 0.1 + 0.05, f"{customer} waited {first_start - at:.2f}s"
    assert fake.stats.concurrency_rejections == 0


async def test_a_learned_license_limit_applies_to_every_customer_at_once() -> None:
    """Records without limits: the license limit is learned after at most three 403s."""
    fake = FakeMubert(generation_time=0.1)
    fake.set_license_limits(max_concurrent_track_generations=4)
    async with service_of(fake) as service:
        made = await customers(service, 10, bare=True)
        clients = [service.customer_client(c) for c in made]
        assert clients[0].max_concurrent_generations is None  # learning
        await run_all(clients, 4)
        assert {c.max_concurrent_generations for c in clients} == {4}
    assert 1 <= fake.stats.concurrency_rejections <= 3
    assert fake.peak_in_flight <= 4


async def test_two_services_share_one_license_through_the_coordination(
    make_coordination: MakeCoordination,
) -> None:
    """Two service clients (two processes, on Redis) on one license: together at most 4."""
    fake = FakeMubert(generation_time=0.1)
    fake.set_license_limits(max_concurrent_track_generations=4)
    async with (
        service_of(fake, coordination=make_coordination()) as one,
        service_of(fake, coordination=make_coordination()) as two,
    ):
        clients = [one.customer_client(c) for c in await customers(one, 3)]
        clients += [two.customer_client(c) for c in await customers(two, 3)]
        await run_all(clients, 3)
    assert fake.stats.concurrency_rejections == 0
    assert fake.peak_in_flight <= 4


async def test_a_client_made_directly_keeps_its_own_limit() -> None:
    """``MubertClient`` alone: its own limiter, the limit learned from the server as before."""
    fake = FakeMubert(generation_time=0.05)
    fake.set_license_limits(max_concurrent_track_generations=3)
    async with fake.client(poll=POLL, retry=FAST_RETRY) as client:
        assert client.max_concurrent_generations is None
        await run_all([client], 12)
        assert client.max_concurrent_generations == 3
    assert fake.peak_in_flight <= 3


def test_bad_coordination_is_refused_at_construction() -> None:
    fake = FakeMubert()
    with pytest.raises(ValueError, match="coordination"):
        fake.client(coordination="redis://localhost")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="coordinaton"):
        fake.client(coordinaton=None)
