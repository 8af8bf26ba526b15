"""Webhook deliveries relayed across processes through Redis (issue 13, point 3).

Each ``RedisCoordination`` here has its own Redis client, so each receiver is a separate
"process" as far as Redis can tell; one test runs a real second OS process.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import anyio
import pytest
from coordination_harness import RedisServer, reap, redis_maker

from mubert_async import InvalidRequestError
from mubert_async.coordination import DeliveryRelay, InProcessCoordination
from mubert_async.models import Track
from mubert_async.redis import RedisCoordination, RedisRelay
from mubert_async.webhooks import WebhookReceiver

sys.path.append(str(Path(__file__).parents[1] / "webhooks"))
from webhook_bodies import T2, T3, body, generation, track

WORKER = Path(__file__).with_name("webhook_worker.py")
MakeRedis = Callable[..., RedisCoordination]
DONE = body(track("track-1", generation("done")))
PROCESSING = body(track("track-1", generation("processing")))
TOKEN = "relay-test-token-0123456789"


def receivers(make_redis: MakeRedis, n: int, **kwargs: float) -> list[WebhookReceiver]:
    """``n`` receivers of one token, each on its own coordination (its own "process")."""
    return [WebhookReceiver(TOKEN, coordination=make_redis(**kwargs)) for _ in range(n)]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():  # noqa: ASYNC110 - state changed by other tasks
            await anyio.sleep(0.002)


async def test_a_delivery_to_one_process_wakes_a_waiter_in_another(make_redis: MakeRedis) -> None:
    a, b = receivers(make_redis, 2)
    assert await a.start()  # A listens too: its own delivery echoed back changes nothing
    async with anyio.create_task_group() as group:
        woken: list[tuple[Track, float]] = []

        async def wait() -> None:
            done = await b.wait_for("track-1", timeout=5)
            woken.append((done, time.monotonic()))

        group.start_soon(wait)
        await until(lambda: "track-1" in b._interest)
        sent = time.monotonic()
        assert await a.handle(TOKEN, DONE) == 200
    done, latency = woken[0][0], woken[0][1] - sent
    print(f"\nrelayed to another process's waiter in {latency * 1000:.1f} ms")
    assert done.status == "done" and done.id == "track-1"
    assert (b.stats.accepted, b.stats.relayed) == (0, 1)
    assert await b.handle(TOKEN, body(track("sentinel"))) == 200
    await until(lambda: a.latest("sentinel") is not None)  # one channel: A's echo came first
    assert (a.stats.accepted, a.stats.relayed, a.stats.ignored) == (1, 1, 0)  # 1: the sentinel
    assert a.latest("track-1") == done


async def test_a_delivery_before_the_waiter_registers_is_not_lost(make_redis: MakeRedis) -> None:
    a, b = receivers(make_redis, 2)
    assert await a.handle(TOKEN, DONE) == 200  # nobody listens anywhere yet
    assert b.latest("track-1") is None
    with anyio.fail_after(2):
        done = await b.wait_for("track-1", timeout=2)  # from the kept key
    assert done.status == "done" and b.stats.relayed == 1
    client = b.coordination._redis  # type: ignore[union-attr]
    ttl = await client.pttl(f"{b.coordination.namespace}:relay:webhooks:track-1")  # type: ignore[union-attr]
    assert 0 < ttl <= WebhookReceiver.KEEP_FOR * 1000  # kept for a bounded time


async def test_a_waiter_that_is_not_satisfied_yet_keeps_waiting(make_redis: MakeRedis) -> None:
    a, b = receivers(make_redis, 2)
    assert await a.handle(TOKEN, PROCESSING) == 200
    async with anyio.create_task_group() as group:
        result: list[Track] = []

        async def wait() -> None:
            result.append(await b.wait_for("track-1", timeout=5))

        group.start_soon(wait)
        await until(lambda: b.latest("track-1") is not None)  # the kept "processing"
        assert not result
        assert await a.handle(TOKEN, DONE) == 200
    assert result[0].status == "done"


async def test_duplicates_and_out_of_order_across_processes_are_processed_once(
    make_redis: MakeRedis,
) -> None:
    a, b, c = receivers(make_redis, 3)
    for receiver in (a, b, c):
        assert await receiver.start()
    seen: list[tuple[str, str | None]] = []
    c.add_listener(lambda t: seen.append((t.id, t.status)))
    assert await a.handle(TOKEN, DONE) == 200
    assert await b.handle(TOKEN, DONE) == 200  # Mubert's duplicate reaches another worker
    assert await b.handle(TOKEN, PROCESSING) == 200  # and a late, older state
    assert await a.handle(TOKEN, DONE) == 200
    # a newer generation of the same track, delivered late to B first, then its "processing"
    second = generation("done", created=T2, generated=T3, session="g2")
    newer = body(track("track-1", generation("done"), second))
    assert await b.handle(TOKEN, newer) == 200
    assert await a.handle(TOKEN, body(track("track-1", generation("done"), generation(
        "processing", created=T2, session="g2")))) == 200  # fmt: skip
    assert await b.handle(TOKEN, body(track("sentinel", generation("done")))) == 200
    await until(lambda: ("sentinel", "done") in seen)  # one channel: all before it arrived
    # a process that only listens saw each newer state once, never a duplicate or older one
    assert seen == [("track-1", "done"), ("track-1", "done"), ("sentinel", "done")]
    for receiver in (a, b, c):
        final = receiver.latest("track-1")
        assert final is not None and final.status == "done" and len(final.generations or ()) == 2


async def test_an_older_state_never_overwrites_the_kept_one(make_redis: MakeRedis) -> None:
    relay = make_redis().relay("test", keep_for=60)
    assert isinstance(relay, DeliveryRelay)
    assert await relay.publish("k", (5, 1, 7, 1), b"newest")
    assert not await relay.publish("k", (5, 1, 7, 1), b"duplicate")
    assert not await relay.publish("k", (5, 0, 9, 9), b"older")
    assert not await relay.publish("k", (5, 1, 7), b"shorter, equal prefix")
    assert await relay.kept("k") == b"newest"
    assert await relay.publish("k", (5, 1, 7, 1, 0), b"longer")
    assert await relay.publish("k", (6, -1, -(2**60), 0), b"later")
    assert await relay.kept("k") == b"later"
    assert await relay.kept("other") is None


async def test_four_workers_deliveries_all_to_worker_0(make_redis: MakeRedis) -> None:
    """200 tracks, every delivery to worker 0; workers 1-3 wait for their share."""
    workers = receivers(make_redis, 4)
    ids = [f"track-{i}" for i in range(200)]
    latencies: list[float] = []
    sent: dict[str, float] = {}

    async def wait(worker: WebhookReceiver, track_id: str) -> None:
        done = await worker.wait_for(track_id, timeout=10)
        assert done.status == "done"
        latencies.append(time.monotonic() - sent[track_id])

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for i, track_id in enumerate(ids[:100]):  # half delivered before anyone waits
                sent[track_id] = time.monotonic()
                assert await workers[0].handle(TOKEN, body(track(track_id))) == 200
                group.start_soon(wait, workers[i % 4], track_id)
            later = list(enumerate(ids[100:], 100))
            for i, track_id in later:
                group.start_soon(wait, workers[i % 4], track_id)
            await until(lambda: all(tid in workers[i % 4]._interest for i, tid in later))
            for track_id in ids[100:]:  # half while they wait
                sent[track_id] = time.monotonic()
                assert await workers[0].handle(TOKEN, body(track(track_id))) == 200
    assert len(latencies) == 200
    late = sorted(latencies)
    print(
        f"\n4 workers, 200 deliveries to worker 0: waits resolved p50 "
        f"{statistics.median(late) * 1000:.1f} ms, max {late[-1] * 1000:.1f} ms after the delivery"
    )
    assert sum(w.stats.relayed for w in workers[1:]) >= 150  # every share of workers 1-3


async def test_a_real_second_process_receives_over_http(
    make_redis: MakeRedis, redis_url: str, namespace: str
) -> None:
    waiter = WebhookReceiver(TOKEN, coordination=make_redis())
    assert await waiter.start()
    started = time.monotonic()
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, read from a thread
        [sys.executable, str(WORKER), redis_url, namespace],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "MUBERT_TEST_WEBHOOK_TOKEN": TOKEN},
    )
    try:
        assert worker.stdout is not None and worker.stdin is not None
        with anyio.fail_after(10):
            line = await anyio.to_thread.run_sync(worker.stdout.readline)
        word, port = line.split()
        assert word == b"port"
        async with anyio.create_task_group() as group:
            result: list[Track] = []
            woken: list[float] = []

            async def wait() -> None:
                result.append(await waiter.wait_for("track-1", timeout=5))
                woken.append(time.monotonic())

            group.start_soon(wait)
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{int(port)}/{TOKEN}"
                posted = time.monotonic()
                async with session.post(url, data=DONE) as answer:
                    assert answer.status == 200
                async with session.post(url[: -len(TOKEN)] + "x" * 20, data=DONE) as answer:
                    assert answer.status == 404  # the worker's own authentication
        latency = woken[0] - posted
        assert result[0].status == "done"
        worker.stdin.close()
        await anyio.to_thread.run_sync(worker.wait, 5)
        assert worker.returncode == 0
    finally:
        reap(worker)
    total = time.monotonic() - started
    print(f"\nHTTP POST to another OS process, waiter here woken {latency * 1000:.1f} ms later")
    assert total < 5


async def test_redis_unreachable_answers_503_and_the_retry_is_relayed(
    redis_server: RedisServer, namespace: str
) -> None:
    async with redis_maker(redis_server.url, namespace) as make:
        a, b = receivers(make, 2, lease_ttl=0.9)  # command timeout 1 s, re-subscribe 0.3 s
        redis_server.stop()
        async with anyio.create_task_group() as group:
            got: dict[str, Track] = {}

            async def wait(name: str, receiver: WebhookReceiver) -> None:
                got[name] = await receiver.wait_for("track-1", timeout=10)

            group.start_soon(wait, "a", a)
            group.start_soon(wait, "b", b)
            await until(lambda: "track-1" in a._interest and "track-1" in b._interest)
            with anyio.fail_after(3):
                assert await a.handle(TOKEN, DONE) == 503  # recorded here, not relayed
            await until(lambda: "a" in got)  # the local waiter did not need Redis
            assert a.stats.unrelayed == 1 and "b" not in got
            assert await a.handle(TOKEN, DONE) == 503  # still down: a retry, 503 again
            redis_server.start()
            back = time.monotonic()
            with anyio.fail_after(5):  # Mubert retries until it is answered 200
                while await a.handle(TOKEN, DONE) != 200:  # noqa: ASYNC110 - Mubert's retries
                    await anyio.sleep(0.1)
            await until(lambda: "b" in got)
        print(
            f"\nwaiter in another process woken {time.monotonic() - back:.2f} s after Redis came back"
        )
        assert got["b"].status == "done" and b.stats.relayed == 1
        assert a.stats.accepted == 1  # recorded once here, however many retries


async def test_a_wait_while_redis_is_down_resolves_from_a_local_delivery(
    redis_server: RedisServer, namespace: str
) -> None:
    async with redis_maker(redis_server.url, namespace) as make:
        (a,) = receivers(make, 1, lease_ttl=0.9)
        redis_server.stop()
        assert not await a.start(timeout=0.2)
        async with anyio.create_task_group() as group:
            got: list[Track] = []

            async def wait() -> None:
                got.append(await a.wait_for("track-1", timeout=5))

            group.start_soon(wait)
            await until(lambda: a._store.waiting() == 1, timeout=3)
            assert await a.handle(TOKEN, DONE) == 503
        assert got[0].status == "done"


async def test_listening_stops_with_aclose(make_redis: MakeRedis) -> None:
    coordination = make_redis()
    receiver = WebhookReceiver(TOKEN, coordination=coordination)
    async with receiver:
        assert any(t.get_name().startswith("mubert-redis-relay") for t in asyncio.all_tasks())
    assert not any(t.get_name().startswith("mubert-redis-relay") for t in asyncio.all_tasks())
    with pytest.raises(TimeoutError):
        await receiver.wait_for("nothing", timeout=0.05)  # starts listening again
    await coordination.aclose()  # and the coordination stops it too
    assert not any(t.get_name().startswith("mubert-redis-relay") for t in asyncio.all_tasks())


async def test_the_token_never_reaches_redis(make_redis: MakeRedis) -> None:
    a, b = receivers(make_redis, 2)
    assert await b.start()
    assert await a.handle(TOKEN, DONE) == 200
    await b.wait_for("track-1", timeout=2)
    client = a.coordination._redis  # type: ignore[union-attr]
    keys = [key async for key in client.scan_iter(f"{a.coordination.namespace}:*")]  # type: ignore[union-attr]
    assert keys
    for key in keys:
        assert TOKEN.encode() not in key
        assert TOKEN.encode() not in b"".join((await client.hgetall(key)).values())
    assert TOKEN not in repr(a) and TOKEN not in repr(a._relay)


def test_in_process_coordination_relays_trivially() -> None:
    coordination = InProcessCoordination()
    relay = coordination.relay("webhooks", keep_for=60)
    assert isinstance(relay, DeliveryRelay)
    assert WebhookReceiver(coordination=coordination)._relay is not None


async def test_in_process_receiver_works_as_before() -> None:
    receiver = WebhookReceiver(TOKEN, coordination=InProcessCoordination())
    async with receiver:
        assert await receiver.handle(TOKEN, DONE) == 200
        assert (await receiver.wait_for("track-1", timeout=1)).status == "done"


@pytest.mark.parametrize("value", [object(), "redis://localhost"])
def test_a_coordination_that_is_not_one_is_refused(value: object) -> None:
    with pytest.raises(InvalidRequestError, match="coordination"):
        WebhookReceiver(coordination=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "keep_for"), [("", 60), ("x", 0), ("x", float("inf")), ("x", True)]
)
async def test_relay_arguments(make_redis: MakeRedis, name: str, keep_for: float) -> None:
    with pytest.raises(InvalidRequestError):
        make_redis().relay(name, keep_for=keep_for)
    assert isinstance(make_redis().relay("ok", keep_for=1), RedisRelay)
