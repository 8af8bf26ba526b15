"""The generation engine on FakeMubert: wait, generate, generate_many, limits, reconciliation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from engine_helpers import client_of, creates, other_tasks

from mubert_async import (
    GenerationFailedError,
    GenerationResult,
    GenerationStatus,
    GenerationTimeoutError,
    InvalidRequestError,
    MubertClient,
    PermissionDeniedError,
    QuotaExceededError,
    TrackRequest,
)
from mubert_async.generation import BatchProgress
from mubert_async.testing import FAST_RECONCILE, FakeMubert, Fault, ManualClock


def make(generation_time: float = 0.05, **fake_kwargs: Any) -> FakeMubert:
    return FakeMubert(generation_time=generation_time, **fake_kwargs)


def prompts(n: int, duration: int = 30) -> list[TrackRequest]:
    return [TrackRequest(duration, prompt=f"song {i}") for i in range(n)]


# -- wait -------------------------------------------------------------------------------


async def test_wait_returns_the_done_track_and_learns_the_timing() -> None:
    fake = make(0.05)
    async with client_of(fake) as client:
        track = await client.tracks.create(duration=30, prompt="x")
        done = await client.tracks.wait(track)
        assert done.status == GenerationStatus.DONE and done.url
        assert client._engine.times.expected(30) == pytest.approx(0.05, rel=0.2)
        polls_before = fake.stats.polls
        second = await client.tracks.create(duration=30, prompt="y")
        await client.tracks.wait(second.id)  # by id: one GET, then polls timed by what was learned
        assert fake.stats.polls - polls_before <= 3


async def test_wait_reports_a_failed_generation() -> None:
    fake = make(0.02, failure_rate=1.0)
    async with client_of(fake) as client:
        track = await client.tracks.create(duration=30, prompt="x")
        with pytest.raises(GenerationFailedError) as info:
            await client.tracks.wait(track)
        assert info.value.track is not None and info.value.track.status == GenerationStatus.FAILED


async def test_wait_times_out() -> None:
    fake = make(10.0)
    async with client_of(fake) as client:
        track = await client.tracks.create(duration=30, prompt="x")
        with pytest.raises(GenerationTimeoutError) as info:
            await client.tracks.wait(track, timeout=0.1)
        assert isinstance(info.value, TimeoutError)
        assert info.value.track is not None and info.value.track.id == track.id


async def test_wait_polls_through_failed_polls() -> None:
    fake = make(0.05)
    fake.faults.add(Fault.server_error(503, method="GET", path=r"/public/tracks/[^/]+$", times=2))
    fake.faults.add(
        Fault.reset(after_processing=False, method="GET", path=r"/public/tracks/[^/]+$")
    )
    async with client_of(fake, max_retries=0) as client:
        track = await client.tracks.create(duration=30, prompt="x")
        done = await client.tracks.wait(track)
    assert done.status == GenerationStatus.DONE
    assert all(fault.remaining == 0 for fault in fake.faults)


async def test_wait_and_generate_validate_input() -> None:
    async with client_of(make()) as client:
        with pytest.raises(InvalidRequestError):
            await client.tracks.wait("a/../b")
        with pytest.raises(InvalidRequestError):
            await client.tracks.wait("t", timeout=0)
        with pytest.raises(InvalidRequestError):
            await client.tracks.generate(prompt="no duration")
        with pytest.raises(InvalidRequestError):
            client.tracks.generate_many(prompts(2), concurrency=0)
        with pytest.raises(InvalidRequestError):
            client.tracks.generate_many(TrackRequest(30, prompt="x"))  # type: ignore[arg-type]


# -- generate ---------------------------------------------------------------------------


async def test_generate_creates_and_waits_and_frees_its_slot() -> None:
    fake = make(0.03)
    async with client_of(fake) as client:
        track = await client.tracks.generate(duration=30, playlist_index="1.0.0", format="wav")
        assert track.status == GenerationStatus.DONE and track.url and track.url.endswith(".wav")
        assert client.generations_in_flight == 0


async def test_customer_clients_of_one_customer_share_the_limit() -> None:
    fake = make()
    fake.set_license_limits(customer_max_concurrent_track_generations=3)
    async with fake.service_client() as service:
        customer = await service.customers.create("shared")
        first, second = service.customer_client(customer), service.customer_client(customer)
        assert first._engine is second._engine
        assert first.max_concurrent_generations == 3
        other = service.customer_client(await service.customers.create("other"))
        assert other._engine is not first._engine


# -- generate_many: limits ------------------------------------------------------------


async def test_known_limit_is_never_exceeded_and_never_refused() -> None:
    fake = make(0.03)
    fake.set_license_limits(max_concurrent_track_generations=4)
    async with client_of(fake, max_concurrent_generations=4) as client:
        results = [r async for r in client.tracks.generate_many(prompts(24))]
    assert len(results) == 24 and all(r.ok for r in results)
    assert fake.peak_in_flight <= 4
    assert client._engine.limiter.peak <= 4
    assert fake.stats.concurrency_rejections == 0


async def test_concurrency_argument_caps_in_flight() -> None:
    fake = make(0.03)
    async with client_of(fake, max_concurrent_generations=-1) as client:
        results = [r async for r in client.tracks.generate_many(prompts(12), concurrency=2)]
    assert all(r.ok for r in results)
    assert fake.peak_in_flight == 2


async def test_unknown_limit_is_learned_after_a_few_refusals() -> None:
    fake = make(0.03)
    fake.set_license_limits(max_concurrent_track_generations=5)
    async with client_of(fake) as client:
        assert client.max_concurrent_generations is None
        results = [r async for r in client.tracks.generate_many(prompts(40))]
        assert client.max_concurrent_generations == 5
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert 1 <= fake.stats.concurrency_rejections <= 3
    assert fake.peak_in_flight <= 5


async def test_a_learning_client_grows_towards_a_higher_limit() -> None:
    fake = make(0.05)
    fake.set_license_limits(max_concurrent_track_generations=12)
    async with client_of(fake) as client:
        results = [r async for r in client.tracks.generate_many(prompts(60))]
    assert all(r.ok for r in results)
    assert fake.peak_in_flight == 12
    assert fake.stats.concurrency_rejections <= 2


async def test_refusals_caused_by_others_are_requeued() -> None:
    # The neighbour's generation outlasts the batch, however slowly a loaded machine runs it.
    fake = make(lambda fields: 3600 if fields["prompt"] == "neighbour" else 0.03)
    fake.set_license_limits(max_concurrent_track_generations=3)
    async with client_of(fake, max_concurrent_generations=3) as client:
        other = fake.client(fake.add_customer("noisy-neighbour"))
        squatter = await other.tracks.create(duration=30, prompt="neighbour")  # holds a slot
        results = [r async for r in client.tracks.generate_many(prompts(9))]
        await other.aclose()
    assert all(r.ok for r in results)
    assert fake.stats.concurrency_rejections >= 1
    assert squatter.id not in {r.track.id for r in results if r.track}


# -- generate_many: results -------------------------------------------------------------


async def test_ordered_and_as_completed() -> None:
    # Longer tracks take longer: as-completed order differs from input order.
    fake = make(lambda fields: fields["duration"] / 1000)
    requests = [TrackRequest(d, prompt=f"d{d}") for d in (90, 60, 30, 10)]
    async with client_of(fake, max_concurrent_generations=-1) as client:
        unordered = [r async for r in client.tracks.generate_many(requests)]
        ordered = [r async for r in client.tracks.generate_many(requests, ordered=True)]
    assert [r.index for r in ordered] == [0, 1, 2, 3]
    assert [r.request for r in ordered] == requests
    assert sorted(r.index for r in unordered) == [0, 1, 2, 3]
    assert [r.index for r in unordered] != [0, 1, 2, 3]
    assert all(r.track is not None and r.track.duration == r.request.duration for r in unordered)


async def test_every_request_gets_exactly_one_result_even_when_some_fail() -> None:
    fake = make(0.02, failure_rate=0.4, seed=7)
    async with client_of(fake, max_concurrent_generations=5) as client:
        results = [r async for r in client.tracks.generate_many(prompts(30))]
    assert sorted(r.index for r in results) == list(range(30))
    failed = [r for r in results if not r.ok]
    assert failed and len(failed) < 30
    assert all(isinstance(r.error, GenerationFailedError) and r.track is None for r in failed)
    assert all(r.track is not None and r.error is None for r in results if r.ok)


async def test_invalid_items_become_error_results() -> None:
    fake = make(0.02)
    items: list[Any] = [
        TrackRequest(30, prompt="ok"),
        {"duration": 30, "prompt": "also ok"},
        {"duration": 1, "prompt": "too short"},
        "not a request",
        {"nonsense": 1},
    ]
    async with client_of(fake) as client:
        results = {r.index: r async for r in client.tracks.generate_many(items)}
    assert results[0].ok and results[1].ok
    assert all(isinstance(results[i].error, InvalidRequestError) for i in (2, 3, 4))
    assert results[3].request is None and results[3].item == "not a request"


async def test_quota_exhaustion_stops_creates_and_reports_the_rest() -> None:
    fake = make(0.02)
    fake.set_license_limits(daily_tracks_count_limit=5)
    async with client_of(fake, max_concurrent_generations=2) as client:
        results = [r async for r in client.tracks.generate_many(prompts(15))]
    assert len(results) == 15
    ok = [r for r in results if r.ok]
    refused = [r for r in results if not r.ok]
    assert len(ok) == 5
    assert all(isinstance(r.error, QuotaExceededError) for r in refused)
    assert creates(fake) <= 5 + 2  # at most the in-flight workers learn it the hard way


async def test_an_expired_token_stops_the_batch_like_a_quota() -> None:
    fake = make(0.02)
    customer = fake.add_customer("expiring")
    fake.set_customer(customer.id, access_expired_at=time.time() + 0.3)
    async with client_of(fake, customer=customer, max_concurrent_generations=2) as client:
        results = [r async for r in client.tracks.generate_many(prompts(60))]
    refused = [r for r in results if not r.ok]
    assert len(results) == 60 and refused
    assert all(isinstance(r.error, PermissionDeniedError) for r in refused)
    assert {r.error.code for r in refused} == {"AccessTokenExpired"}  # type: ignore[union-attr]
    refused_creates = creates(fake) - fake.stats.creates
    assert 1 <= refused_creates <= 2  # the in-flight workers learn it; nobody else sends


async def test_lazy_generator_input_keeps_tasks_and_reads_bounded() -> None:
    fake = make(0.01, record_requests=False)
    pulled = 0

    def thousand() -> Iterator[TrackRequest]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield TrackRequest(30, prompt="loop")

    seen = 0
    most_tasks = 0
    async with client_of(fake, max_concurrent_generations=50) as client:
        async for result in client.tracks.generate_many(thousand()):
            assert result.ok
            seen += 1
            most_tasks = max(most_tasks, len(other_tasks()))
            assert pulled - seen <= 50 + 50 + 1  # in flight + buffered results + the one in hand
    assert seen == 1000
    assert fake.peak_in_flight <= 50
    assert most_tasks <= 50 + 5
    await asyncio.sleep(0.01)
    assert other_tasks() == set()


async def test_async_iterable_input_and_progress() -> None:
    fake = make(0.01)

    async def requests() -> AsyncIterator[TrackRequest]:
        for request in prompts(6):
            await anyio.lowlevel.checkpoint()
            yield request

    updates: list[BatchProgress] = []
    async with client_of(fake, max_concurrent_generations=3) as client:
        results = [
            r async for r in client.tracks.generate_many(requests(), progress=updates.append)
        ]
    assert len(results) == 6
    assert updates[-1] == BatchProgress(done=6, failed=0, in_flight=0, total=6)
    assert max(u.in_flight for u in updates) <= 3


async def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    async with client_of(make(0.01)) as client:
        results = [r async for r in client.tracks.generate_many(prompts(3), progress=True)]
    assert len(results) == 3
    assert "3/3" in capsys.readouterr().err


async def test_an_error_in_the_input_iterable_propagates() -> None:
    def broken() -> Iterator[TrackRequest]:
        yield TrackRequest(30, prompt="fine")
        raise RuntimeError("the input broke")

    async with client_of(make(0.01)) as client:
        with pytest.raises(RuntimeError, match="the input broke"):
            async for _ in client.tracks.generate_many(broken()):
                pass
    await asyncio.sleep(0)
    assert other_tasks() == set()


# -- generate_many: stopping ------------------------------------------------------------


async def test_break_cancels_everything_and_creates_nothing_more() -> None:
    fake = make(0.2)
    async with client_of(fake, max_concurrent_generations=10) as client:
        async for _ in client.tracks.generate_many(prompts(100)):
            break
        made = creates(fake)
        await asyncio.sleep(0.01)
        assert other_tasks() == set()
        await asyncio.sleep(0.3)
        assert creates(fake) == made
        assert client.generations_in_flight == 0


async def test_cancelling_the_consumer_cancels_the_run() -> None:
    fake = make(0.2)
    async with client_of(fake, max_concurrent_generations=10) as client:
        got: list[GenerationResult] = []

        async def consume() -> None:
            async for result in client.tracks.generate_many(prompts(100)):
                got.append(result)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        made = creates(fake)
        assert other_tasks() == set()
        await asyncio.sleep(0.3)
        assert creates(fake) == made
        assert got  # some finished before the cancel


async def test_an_exception_in_the_loop_body_cancels_the_run() -> None:
    fake = make(0.1)
    async with client_of(fake, max_concurrent_generations=5) as client:
        with pytest.raises(ZeroDivisionError):
            async for _ in client.tracks.generate_many(prompts(50)):
                _ = 1 / 0
        made = creates(fake)
        await asyncio.sleep(0.01)
        assert other_tasks() == set()
        await asyncio.sleep(0.2)
        assert creates(fake) == made


async def test_a_finished_run_stays_finished() -> None:
    async with client_of(make(0.01)) as client:
        run = client.tracks.generate_many(prompts(2))
        assert len([r async for r in run]) == 2
        with pytest.raises(StopAsyncIteration):
            await run.__anext__()


async def test_aclose_waits_for_everything() -> None:
    fake = make(0.2)
    async with client_of(fake, max_concurrent_generations=4) as client:
        async with client.tracks.generate_many(prompts(10)) as run:
            first = await run.__anext__()
            assert first.ok
        assert other_tasks() == set()
        assert "GenerationRun(" in repr(run)


# -- reconciliation ---------------------------------------------------------------------


@pytest.mark.parametrize("after_processing", [True, False], ids=["reached-server", "never-arrived"])
async def test_an_ambiguous_create_yields_exactly_one_track(after_processing: bool) -> None:
    fake = make(0.02)
    fake.faults.add(
        Fault.reset(after_processing=after_processing, method="POST", path=r"/public/tracks$")
    )
    async with client_of(fake, timeout=0.3) as client:  # the settle horizon: 1.2 s
        track = await client.tracks.generate(duration=30, prompt="exactly once")
        page = await client.tracks.list()
    assert page.meta.total == 1
    assert page.data[0].id == track.id
    assert creates(fake) == (1 if after_processing else 2)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.server_error(502, method="POST", path=r"/public/tracks$"),
        Fault.malformed(method="POST", path=r"/public/tracks$"),
        Fault.slow(1.0, method="POST", path=r"/public/tracks$"),
    ],
    ids=["502-before-processing", "garbage-after-processing", "timeout-after-processing"],
)
async def test_other_ambiguous_outcomes_yield_exactly_one_track(fault: Fault) -> None:
    fake = make(0.02)
    fake.faults.add(fault)
    async with client_of(fake, timeout=0.3) as client:
        track = await client.tracks.generate(duration=30, prompt="once")
        assert (await client.tracks.list()).meta.total == 1
        assert track.status == GenerationStatus.DONE


async def test_identical_requests_in_a_batch_each_get_their_own_track() -> None:
    fake = make(0.05, seed=3)
    fake.faults.add(
        Fault.reset(
            after_processing=True, method="POST", path=r"/public/tracks$", times=None, rate=0.3
        )
    )
    same = [TrackRequest(30, prompt="same prompt") for _ in range(20)]
    async with client_of(fake, max_concurrent_generations=5) as client:
        results = [r async for r in client.tracks.generate_many(same)]
        total = (await client.tracks.list()).meta.total
    ids = [r.track.id for r in results if r.track]
    assert len(ids) == len(set(ids)) == 20
    assert total == 20
    assert fake.faults  # the fault really fired
    assert next(iter(fake.faults)).hits >= 1


async def test_a_lost_track_is_found_behind_a_hundred_newer_ones() -> None:
    # Regression (chaos suite, N=500): more tracks were created while the lost create
    # timed out than one page of the newest tracks holds, so it was not found and the
    # request was sent again: two tracks.
    fake = make(0.02)
    fake.faults.add(Fault.slow(0.6, method="POST", path=r"/public/tracks$"))
    async with client_of(fake, timeout=0.3, max_concurrent_generations=-1) as client:
        target = asyncio.create_task(client.tracks.generate(duration=30, prompt="the target"))
        await asyncio.sleep(0.05)  # the target's create has reached the server and hangs
        await asyncio.gather(
            *(client.tracks.create(duration=30, prompt=f"n{i}") for i in range(150))
        )
        track = await target
        prompts = [t.prompt async for t in client.tracks.iter(page_size=200)]
    assert prompts.count("the target") == 1
    assert track.prompt == "the target"


async def test_an_old_identical_track_is_not_adopted() -> None:
    clock = ManualClock(start=time.time())
    fake = FakeMubert(clock=clock, generation_time=0.0)
    async with client_of(fake) as client:
        old = await client.tracks.generate(duration=30, prompt="again")
    clock.advance(60)  # an earlier run's track
    # A new client (no memory of `old`); the request is lost before the server made anything.
    fake.faults.add(Fault.reset(after_processing=False, method="POST", path=r"/public/tracks$"))
    async with client_of(fake, reconcile=FAST_RECONCILE) as fresh:  # the clock stands still
        fresh_track = await fresh.tracks.generate(duration=30, prompt="again")
        assert (await fresh.tracks.list()).meta.total == 2
    assert fresh_track.id != old.id


async def test_mixed_naive_and_aware_timestamps_are_learned_from() -> None:
    from mubert_async.transport import MockTransport, Response

    body = (
        b'{"data": {"id": "t1", "duration": 30, "generations": [{"status": "done", "url": "u",'
        b' "created_at": "2025-01-01T00:00:00", "generated_at": "2025-01-01T00:00:20Z"}]}}'
    )
    client = MubertClient(
        "customer", "token", transport=MockTransport(lambda r: Response(200, {}, body))
    )
    track = await client.tracks.wait("t1")
    assert track.url == "u"
    assert client._engine.times.expected(30) == pytest.approx(20.0)


def test_a_run_can_be_made_outside_the_event_loop() -> None:
    fake = make(0.01)
    client = client_of(fake)
    run = client.tracks.generate_many(prompts(3))  # no loop running here

    async def consume() -> int:
        async with client:
            return len([r async for r in run])

    assert asyncio.run(consume()) == 3


def test_iter_checks_order_by_at_once() -> None:
    client = client_of(make())
    with pytest.raises(InvalidRequestError):
        client.tracks.iter(order_by="x" * 100)
