"""RedisCoordination against a real redis-server: leases, dead workers, outages and restarts."""

from __future__ import annotations

import asyncio
import importlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
import redis.asyncio
from coordination_harness import RedisServer, free_port, reap, redis_maker, until_queued

from mubert_async import CoordinationError, InvalidRequestError, TransportError
from mubert_async.redis import RedisCoordination, RedisLease, RedisSemaphore

HOLDER = Path(__file__).with_name("holder_process.py")
MakeRedis = Callable[..., RedisCoordination]
BUSY_SCRIPT = """
local function ms() local t = redis.call('TIME') return t[1] * 1000 + t[2] / 1000 end
local start = ms()
while ms() - start < tonumber(ARGV[1]) do end
return 1
"""


async def lease_score(semaphore: RedisSemaphore, lease: RedisLease) -> float | None:
    client: redis.asyncio.Redis = semaphore._coordination._redis
    score: float | None = await client.zscore(semaphore._keys[0], lease.id)
    return score


async def holder(redis_url: str, namespace: str, slots: int, ttl: float) -> subprocess.Popen[bytes]:
    """A worker process (``holder_process.py``) holding ``slots`` slots with one more waiting."""
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, read from a thread
        [sys.executable, str(HOLDER), redis_url, namespace, str(slots), str(ttl)],
        stdout=subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None
        with anyio.fail_after(30):
            line = await anyio.to_thread.run_sync(worker.stdout.readline)
        assert line.split() == [b"held", str(slots).encode()]
    except BaseException:
        reap(worker)
        raise
    return worker


async def test_slots_of_a_sigkilled_worker_come_back_within_the_ttl(
    make_redis: MakeRedis, redis_url: str, namespace: str
) -> None:
    ttl = 2.0
    worker = await holder(redis_url, namespace, 3, ttl)
    try:
        semaphore = make_redis(lease_ttl=ttl).semaphore("license", limit=3)
        with anyio.move_on_after(ttl * 1.5) as renewed:  # past the TTL: renewed, still taken
            await semaphore.acquire("alive")
        assert renewed.cancelled_caught
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
        with anyio.fail_after(ttl + 5):
            leases = [await semaphore.acquire("alive") for _ in range(3)]
        recovery = time.monotonic() - killed
    finally:
        reap(worker)
    print(f"\nslots of a SIGKILLed worker back after {recovery:.2f} s (lease_ttl {ttl:g} s)")
    # its leases lapse within the TTL; its queued waiter within three missed re-checks
    assert recovery <= ttl + 3 * min(1.0, ttl / 3) + 1.0
    assert semaphore.in_flight == 3
    for lease in leases:
        await lease.release()


async def test_a_slot_granted_to_a_dead_workers_waiter_lapses_with_its_heartbeat(
    make_redis: MakeRedis, redis_url: str, namespace: str
) -> None:
    """A slot freed just after the kill goes to the dead waiter; it must not stay taken past
    the TTL (it used to be held for a whole new heartbeat: 4 s after a kill with TTL 3)."""
    ttl = 3.0
    semaphore = make_redis(lease_ttl=ttl).semaphore("license", limit=2)
    await semaphore.set_limit(2)
    mine = await semaphore.acquire("alive")
    worker = await holder(redis_url, namespace, 1, ttl)
    try:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
        await anyio.sleep(1.0)
        await mine.release()  # granted to the dead worker's waiter, still in line
        with anyio.fail_after(ttl + 5):
            leases = [await semaphore.acquire("alive") for _ in range(2)]
        recovery = time.monotonic() - killed
    finally:
        reap(worker)
    assert recovery <= ttl + 0.5, f"both slots back {recovery:.2f} s after the kill"
    for lease in leases:
        await lease.release()


async def test_renewal_keeps_a_held_lease_past_its_ttl(make_redis: MakeRedis) -> None:
    ttl = 1.0
    semaphore = make_redis(lease_ttl=ttl).semaphore("license", limit=1)
    other = make_redis(lease_ttl=ttl).semaphore("license", limit=1)
    lease = await semaphore.acquire()
    first = await lease_score(semaphore, lease)
    with anyio.move_on_after(ttl * 2.5) as blocked:
        await other.acquire()
    assert blocked.cancelled_caught
    assert not lease.lost
    renewed = await lease_score(semaphore, lease)
    assert first is not None and renewed is not None and renewed > first
    await lease.release()
    assert await lease_score(semaphore, lease) is None
    with anyio.fail_after(1):
        again = await other.acquire()
    await again.release()


async def test_a_release_wakes_a_waiter_elsewhere_at_once(make_redis: MakeRedis) -> None:
    semaphore = make_redis().semaphore("license", limit=1)  # lease_ttl 30: re-checks every 1 s
    other = make_redis().semaphore("license", limit=1)
    lease = await semaphore.acquire()
    granted = anyio.Event()
    woken: list[float] = []

    async def wait() -> None:
        got = await other.acquire()
        woken.append(time.monotonic())
        granted.set()
        await got.release()

    async with anyio.create_task_group() as tg:
        tg.start_soon(wait)
        await until_queued(semaphore, 1)
        await anyio.sleep(0.05)
        released = time.monotonic()
        await lease.release()
        with anyio.fail_after(2):
            await granted.wait()
    latency = woken[0] - released
    print(f"\nwake-up after a release in another client: {latency * 1000:.1f} ms")
    assert latency < 0.5  # pub/sub, not the 1 s re-check


async def test_cancelled_while_its_first_script_is_pending_leaks_no_slot(
    make_redis: MakeRedis, redis_url: str
) -> None:
    semaphore = make_redis(lease_ttl=30.0).semaphore("license", limit=1)
    await (await semaphore.acquire()).release()  # the listener is up
    admin = redis.asyncio.Redis.from_url(redis_url)
    try:
        busy = asyncio.ensure_future(admin.eval(BUSY_SCRIPT, 0, 400))  # Redis busy 0.4 s
        await asyncio.sleep(0.05)
        task = asyncio.ensure_future(semaphore.acquire())
        await asyncio.sleep(0.1)  # its script is sent; Redis runs it once it is free
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await busy
    finally:
        await admin.aclose()
    with anyio.fail_after(3):  # not the 30 s TTL: the slot its script took was given back
        lease = await make_redis().semaphore("license", limit=1).acquire()
    await lease.release()


async def test_unreachable_redis_is_a_coordination_error_not_a_hang() -> None:
    client = redis.asyncio.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    coordination = RedisCoordination(client, lease_ttl=3.0)
    semaphore = coordination.semaphore("license", limit=1)
    try:
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(CoordinationError) as raised:
            await semaphore.acquire()
        elapsed = time.monotonic() - started
        assert isinstance(raised.value, TransportError)
        assert raised.value.sent is False
        print(f"\nacquire on an unreachable Redis failed after {elapsed:.2f} s")
        assert elapsed < 2.5
        with pytest.raises(CoordinationError):
            await semaphore.set_limit(2)
        with pytest.raises(CoordinationError):
            await coordination.timings("t").add(60, 1.0)
        with pytest.raises(CoordinationError):
            await coordination.timings("t").samples()
    finally:
        await coordination.aclose()
        await client.aclose()


async def test_redis_restart_while_holding_and_waiting(
    redis_server: RedisServer, namespace: str
) -> None:
    ttl = 3.0  # re-check and command timeout 1 s
    async with redis_maker(redis_server.url, namespace) as make:
        semaphore = make(lease_ttl=ttl).semaphore("license", limit=1)
        await semaphore.set_limit(1)
        lease = await semaphore.acquire("a")
        waiting = make(lease_ttl=ttl).semaphore("license", limit=1)
        got: list[RedisLease] = []

        async def wait() -> None:
            got.append(await waiting.acquire("b"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await until_queued(semaphore, 1)
            redis_server.stop()
            newcomer = make(lease_ttl=ttl).semaphore("license", limit=1)
            started = time.monotonic()
            with pytest.raises(CoordinationError):  # a fresh acquire: a clear error, fast
                await newcomer.acquire("c")
            assert time.monotonic() - started < 2.5
            await anyio.sleep(0.3)
            redis_server.start()  # same port, every key gone
            await anyio.sleep(ttl)  # the holder re-adds its lease; grants wait for it
            assert got == []  # no over-admission
            assert not lease.lost
            assert await lease_score(semaphore, lease) is not None
            await lease.release()
            with anyio.fail_after(3):
                while not got:  # noqa: ASYNC110 - the waiter is another task
                    await anyio.sleep(0.02)
        assert waiting.limit == 1  # the limit was stored again from what processes knew
        await got[0].release()


async def test_redis_gone_for_good(redis_server: RedisServer, namespace: str) -> None:
    ttl = 1.5
    async with redis_maker(redis_server.url, namespace) as make:
        coordination = make(lease_ttl=ttl)
        semaphore = coordination.semaphore("license", limit=1)
        lease = await semaphore.acquire()
        redis_server.stop()
        started = time.monotonic()
        with anyio.fail_after(ttl + 5), pytest.raises(CoordinationError):
            await semaphore.acquire()  # a fresh one raises at once
        waited = time.monotonic() - started
        assert waited < 2.5
        await anyio.sleep(ttl + 1.0)
        assert lease.lost  # renewals failed past the TTL
        started = time.monotonic()
        await lease.release()  # does not raise; the slot expires in Redis
        assert time.monotonic() - started < 2.5


async def test_a_waiter_gives_up_when_redis_stays_away(
    redis_server: RedisServer, namespace: str
) -> None:
    ttl = 1.5
    async with redis_maker(redis_server.url, namespace) as make:
        semaphore = make(lease_ttl=ttl).semaphore("license", limit=1)
        lease = await semaphore.acquire()
        outcome: list[BaseException] = []

        async def wait() -> None:
            try:
                await semaphore.acquire()
            except CoordinationError as exc:
                outcome.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await until_queued(semaphore, 1)
            redis_server.stop()
            started = time.monotonic()
        gave_up = time.monotonic() - started
        print(f"\na waiter gave up {gave_up:.2f} s after Redis went away (lease_ttl {ttl:g} s)")
        assert len(outcome) == 1
        assert ttl <= gave_up <= ttl + 3.0
        await lease.release()


async def test_background_tasks_stop(make_redis: MakeRedis) -> None:
    coordination = make_redis(lease_ttl=0.6)
    semaphore = coordination.semaphore("license", limit=2)
    kept = await semaphore.acquire()
    await (await semaphore.acquire()).release()

    def ours() -> list[str]:
        return sorted(
            task.get_name()
            for task in asyncio.all_tasks()
            if task.get_name().startswith("mubert-redis")
        )

    assert ours() == ["mubert-redis-renew", "mubert-redis-wake"]
    await kept.release()
    await anyio.sleep(0.5)  # the renewer ends once nothing is held
    assert ours() == ["mubert-redis-wake"]
    held = await semaphore.acquire()
    await coordination.aclose()  # releases what is still held
    assert ours() == []
    other = make_redis().semaphore("license", limit=2)
    await (await other.acquire()).release()
    assert other.in_flight == 0
    await held.release()  # idempotent after aclose
    with pytest.raises(CoordinationError):
        await semaphore.acquire()


@pytest.mark.parametrize(
    "kwargs",
    [{"namespace": ""}, {"lease_ttl": 0.1}, {"lease_ttl": float("nan")}, {"lease_ttl": "30"}],
)
async def test_bad_arguments(kwargs: dict[str, object]) -> None:
    client = redis.asyncio.Redis()
    try:
        with pytest.raises(InvalidRequestError):
            RedisCoordination(client, **kwargs)  # type: ignore[arg-type]
    finally:
        await client.aclose()


def test_without_the_extra_the_import_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    for name in [name for name in sys.modules if name.startswith("mubert_async.redis")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=r"mubert-async\[redis\]"):
        importlib.import_module("mubert_async.redis")


async def test_a_client_that_decodes_responses_works_too(redis_url: str, namespace: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    coordination = RedisCoordination(client, namespace=namespace)
    try:
        semaphore = coordination.semaphore("license", limit=1)
        held = await semaphore.acquire()
        waiting = asyncio.ensure_future(semaphore.acquire())
        await until_queued(semaphore, 1)
        await held.release()
        with anyio.fail_after(0.5):  # woken by a str message, not the 1 s re-check
            await (await waiting).release()
        await coordination.timings("t").add(30, 2.5)
        assert await coordination.timings("t").samples() == [(30, 2.5)]
    finally:
        await coordination.aclose()
        await client.aclose()
