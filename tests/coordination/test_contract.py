"""The coordination contract, run against InProcessCoordination and a real Redis alike."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest
from coordination_harness import MakeCoordination, queued, until_queued

from mubert_async import InvalidRequestError
from mubert_async.coordination import (
    TIMINGS_WINDOW,
    Coordination,
    Lease,
    SharedSemaphore,
    SharedTimings,
)


def test_protocols_are_implemented(make_coordination: MakeCoordination) -> None:
    coordination = make_coordination()
    assert isinstance(coordination, Coordination)
    assert isinstance(coordination.semaphore("s", limit=1), SharedSemaphore)
    assert isinstance(coordination.timings("t"), SharedTimings)
    assert coordination.semaphore("s", limit=9) is coordination.semaphore("s", limit=1)


async def test_limit_holds_under_200_concurrent_acquirers(
    make_coordination: MakeCoordination,
) -> None:
    limit = 5
    semaphores = [make_coordination().semaphore("license", limit=limit) for _ in range(2)]
    holding = peak = done = 0

    async def one(i: int) -> None:
        nonlocal holding, peak, done
        lease = await semaphores[i % 2].acquire(f"customer-{i % 10}")
        holding += 1
        peak = max(peak, holding)
        await anyio.sleep(0.002)
        holding -= 1
        await lease.release()
        done += 1

    started = time.monotonic()
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(one, i)
    elapsed = time.monotonic() - started
    print(f"\n200 acquirers on 2 clients, limit {limit}: {200 / elapsed:.0f} grants/s")
    assert done == 200
    assert peak == limit  # counted here, independently of the backend
    assert all(s.peak <= limit for s in semaphores)


async def test_a_busy_group_does_not_starve_another(make_coordination: MakeCoordination) -> None:
    semaphore = make_coordination().semaphore("license", limit=1)
    elsewhere = make_coordination().semaphore("license", limit=1)  # B waits in another client
    holder = await semaphore.acquire("x")
    order: list[str] = []

    async def waiter(group: str) -> None:
        lease = await (semaphore if group == "A" else elsewhere).acquire(group)
        order.append(group)
        await lease.release()

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for _ in range(100):
                tg.start_soon(waiter, "A")
            await until_queued(semaphore, 100)
            tg.start_soon(waiter, "B")
            await until_queued(semaphore, 101)
            await holder.release()
    assert len(order) == 101
    assert order.index("B") <= 1  # served within two grants despite 100 A's ahead


async def test_fifo_within_a_group(make_coordination: MakeCoordination) -> None:
    semaphore = make_coordination().semaphore("license", limit=1)
    holder = await semaphore.acquire("g")
    order: list[int] = []

    async def waiter(i: int) -> None:
        lease = await semaphore.acquire("g")
        order.append(i)
        await lease.release()

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            for i in range(10):
                tg.start_soon(waiter, i)
                await until_queued(semaphore, i + 1)
            await holder.release()
    assert order == list(range(10))


async def test_a_waiter_cancelled_as_it_is_granted_gives_the_slot_back(
    make_coordination: MakeCoordination,
) -> None:
    semaphore = make_coordination().semaphore("license", limit=1)
    holder = await semaphore.acquire("a")
    second: list[Lease] = []

    async def first() -> None:  # like the engine: hold the slot until done or cancelled
        lease = await semaphore.acquire("a")
        try:
            await anyio.sleep_forever()
        finally:
            await lease.release()

    async def then() -> None:
        second.append(await semaphore.acquire("b"))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()

            async def cancellable() -> None:
                with scope:
                    await first()

            tg.start_soon(cancellable)
            await until_queued(semaphore, 1)
            tg.start_soon(then)
            await until_queued(semaphore, 2)
            await holder.release()  # hands the slot to the first waiter ...
            scope.cancel()  # ... which is cancelled before it can run
    assert len(second) == 1
    assert semaphore.in_flight == 1  # the cancelled waiter holds nothing
    with anyio.move_on_after(0.3) as timed_out:
        await semaphore.acquire("c")
    assert timed_out.cancelled_caught  # the limit still holds
    await second[0].release()


async def test_a_cancelled_waiter_leaves_the_line(make_coordination: MakeCoordination) -> None:
    semaphore = make_coordination().semaphore("license", limit=1)
    holder = await semaphore.acquire()
    with anyio.move_on_after(0.2):
        await semaphore.acquire()
    assert await queued(semaphore) == 0
    await holder.release()
    with anyio.fail_after(2):
        lease = await semaphore.acquire()
    await lease.release()


async def test_release_is_idempotent(make_coordination: MakeCoordination) -> None:
    semaphore = make_coordination().semaphore("license", limit=2)
    lease = await semaphore.acquire()
    assert semaphore.in_flight == 1
    assert not lease.lost
    await lease.release()
    await lease.release()
    other = await semaphore.acquire()
    assert semaphore.in_flight == 1
    await other.release()
    assert semaphore.in_flight == 0


async def test_set_limit_is_shared(make_coordination: MakeCoordination) -> None:
    mine = make_coordination().semaphore("license", limit=1)
    theirs = make_coordination().semaphore("license", limit=1)
    held = await mine.acquire("a")
    got: list[Lease] = []

    async def wait() -> None:
        got.append(await mine.acquire("b"))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await until_queued(mine, 1)
            started = time.monotonic()
            await theirs.set_limit(2)  # learned elsewhere, applies here
    assert time.monotonic() - started < 0.5  # woken, not polled
    assert theirs.limit == 2
    assert mine.limit == 2
    await theirs.set_limit(None)
    assert theirs.limit is None
    for lease in (held, *got):
        await lease.release()


async def test_unlimited_and_zero(make_coordination: MakeCoordination) -> None:
    coordination = make_coordination()
    unlimited = coordination.semaphore("unlimited", limit=None)
    leases = [await unlimited.acquire() for _ in range(50)]
    assert unlimited.peak == 50
    for lease in leases:
        await lease.release()
    closed = coordination.semaphore("closed", limit=0)
    with anyio.move_on_after(0.2) as timed_out:
        await closed.acquire()
    assert timed_out.cancelled_caught


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
async def test_bad_limits_are_refused(make_coordination: MakeCoordination, bad: object) -> None:
    coordination = make_coordination()
    with pytest.raises(InvalidRequestError):
        coordination.semaphore(f"bad-{bad!r}", limit=bad)  # type: ignore[arg-type]
    semaphore = coordination.semaphore("good", limit=1)
    with pytest.raises(InvalidRequestError):
        await semaphore.set_limit(bad)  # type: ignore[arg-type]


async def test_timings_are_shared_and_bounded(make_coordination: MakeCoordination) -> None:
    mine = make_coordination().timings("generation")
    theirs = make_coordination().timings("generation")
    for i in range(TIMINGS_WINDOW + 2):
        await mine.add(60 + i, 1.5 + i)
    samples = await theirs.samples()
    assert len(samples) == TIMINGS_WINDOW
    assert samples[0] == (62, 3.5)
    assert samples[-1] == (60 + TIMINGS_WINDOW + 1, 1.5 + TIMINGS_WINDOW + 1)
    assert await make_coordination().timings("other").samples() == []


async def test_a_task_cancelled_right_after_the_hand_over_gives_it_back(
    make_coordination: MakeCoordination,
) -> None:
    semaphore = make_coordination().semaphore("license", limit=1)
    holder = await semaphore.acquire()
    task = asyncio.ensure_future(semaphore.acquire())
    await until_queued(semaphore, 1)
    await holder.release()
    task.cancel()  # the hand-over is done, the task has not run since
    with pytest.raises(asyncio.CancelledError):
        await task
    with anyio.fail_after(2):
        lease = await semaphore.acquire()
    assert semaphore.in_flight == 1
    await lease.release()
