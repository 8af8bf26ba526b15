"""How fast webhook deliveries reach a ``WebhookReceiver``, and how much one costs it.

1. **Delivery latency over HTTP**: N tracks are created on ``mubert sim`` (``serve`` on
   127.0.0.1, generation time L to L + 0.1 seconds on the real clock) whose license
   webhook points at a receiver's aiohttp app on another free port. Per delivery: from
   the moment the generation finished (its ``generated_at``) to the moment the receiver
   accepted it: p50, p95, max (the simulator looks at its clock when the next
   generation is due). With ``--loss R`` a share of
   deliveries is lost on purpose: the table shows how many arrived.
2. **Receiver cost**: ``await receiver.handle(token, body)`` for M distinct tracks, then
   the same M again (duplicates): microseconds per delivery (decode, rank, store).
3. **The engine in webhook mode**: ``generate_many`` of N tracks over HTTP, the license
   limited to C generations at once, each taking L seconds: polling (the default), then
   ``webhooks=receiver``, then webhooks with a share lost. Polls per track, and the
   makespan against the ideal ``ceil(N / C) * L`` measured in the same run.

Nothing about time is asserted; the figures are printed as a markdown table.

    python benchmarks/bench_webhooks.py [--n 200] [--latency 0.5] [--loss 0.2] [--m 10000] [--c 20]
    python benchmarks/bench_webhooks.py --n 50 --latency 0.2 --m 2000      # CI size
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import msgspec
from aiohttp import web

from mubert_async import MubertClient, MubertServiceClient, Track, TrackRequest
from mubert_async.sim import serve
from mubert_async.testing import FakeMubert, WebhookFaults
from mubert_async.webhooks import WebhookReceiver

SETTLE = 3.0
"""Seconds to wait for the last deliveries after the last generation finished."""


@asynccontextmanager
async def hosted(receiver: WebhookReceiver) -> AsyncIterator[str]:
    """Serve ``receiver`` on a free loopback port; yield the public base to register."""
    app = web.Application()
    app.router.add_post("/{token}", receiver.aiohttp_handler)
    hook_runner = web.AppRunner(app, access_log=None)
    await hook_runner.setup()
    try:
        await web.TCPSite(hook_runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{hook_runner.addresses[0][1]}"
    finally:
        await hook_runner.cleanup()


async def delivery_latency(n: int, latency: float, loss: float) -> dict[str, float]:
    """Latencies (ms) from a generation's end to its acceptance, and how many arrived."""
    receiver = WebhookReceiver()
    accepted: dict[str, float] = {}
    receiver.add_listener(lambda track: accepted.setdefault(track.id, time.time()))
    async with hosted(receiver) as hook_base:
        return await _latency_run(receiver, accepted, hook_base, n, latency, loss)


async def _latency_run(
    receiver: WebhookReceiver,
    accepted: dict[str, float],
    hook_base: str,
    n: int,
    latency: float,
    loss: float,
) -> dict[str, float]:

    spread = random.Random(1)  # finish times spread over two of the simulator's 50 ms looks
    fake = FakeMubert(generation_time=lambda _: latency + spread.uniform(0, 0.1), seed=1)
    runner, base_url = await serve(fake, webhook_faults=WebhookFaults(loss=loss))
    try:
        async with MubertServiceClient(
            fake.company_id, fake.license_token, base_url=base_url
        ) as service:
            await receiver.register(service, fake.license_id, hook_base)
        customer = fake.add_customer()
        async with MubertClient(customer.id, customer.access_token, base_url=base_url) as client:
            semaphore = asyncio.Semaphore(16)

            async def create() -> Track:
                async with semaphore:
                    return await client.tracks.create(prompt="bench", duration=30)

            tracks = await asyncio.gather(*(create() for _ in range(n)))
        for _ in range(int((latency + SETTLE) / 0.05)):
            if len(accepted) + fake.stats.webhooks_lost >= n:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
    waits = []
    for track in tracks:
        done = receiver.latest(track.id)
        finished = done.generation.generated_at if done and done.generation else None
        if isinstance(finished, datetime) and track.id in accepted:
            waits.append((accepted[track.id] - finished.timestamp()) * 1000)
    waits.sort()
    return {
        "arrived": len(accepted),
        "lost": fake.stats.webhooks_lost,
        "p50": statistics.median(waits) if waits else float("nan"),
        "p95": waits[int(0.95 * (len(waits) - 1))] if waits else float("nan"),
        "max": waits[-1] if waits else float("nan"),
    }


async def receiver_cost(m: int) -> tuple[float, float]:
    """Microseconds per ``handle`` call: new tracks, then the same deliveries again."""
    receiver = WebhookReceiver()
    bodies = [
        msgspec.json.encode(
            {
                "id": f"track-{i}",
                "session_id": f"s{i}",
                "duration": 30,
                "intensity": "high",
                "mode": "track",
                "generations": [
                    {
                        "session_id": f"g{i}",
                        "format": "mp3",
                        "bitrate": 128,
                        "status": "done",
                        "created_at": "2025-01-01T00:00:00.000000Z",
                        "generated_at": "2025-01-01T00:00:20.000000Z",
                        "url": f"https://files.example/{i}.mp3",
                    }
                ],
            }
        )
        for i in range(m)
    ]
    token = receiver.token
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        for content in bodies:
            await receiver.handle(token, content)
        timings.append((time.perf_counter() - started) / m * 1e6)
    # Past KEEP_TRACKS (10,000) the oldest states are let go: their repeats count as new.
    assert receiver.stats.accepted + receiver.stats.ignored == 2 * m
    return timings[0], timings[1]


async def engine_run(
    n: int, c: int, latency: float, *, webhooks: bool, loss: float = 0.0
) -> dict[str, float]:
    """``generate_many`` of ``n`` over HTTP; polls per track and makespan / ideal."""
    fake = FakeMubert(generation_time=latency, seed=2)
    fake.set_license_limits(max_concurrent_track_generations=c)
    receiver = WebhookReceiver()
    runner, base_url = await serve(fake, webhook_faults=WebhookFaults(loss=loss))
    try:
        async with hosted(receiver) as hook_base:
            async with MubertServiceClient(
                fake.company_id, fake.license_token, base_url=base_url
            ) as service:
                await receiver.register(service, fake.license_id, hook_base)
            customer = fake.add_customer()
            async with MubertClient(
                customer.id,
                customer.access_token,
                base_url=base_url,
                max_concurrent_generations=c,
                webhooks=receiver if webhooks else None,
            ) as client:
                requests = [TrackRequest(30, prompt=f"bench {i}") for i in range(n)]
                started = time.perf_counter()
                results = [r async for r in client.tracks.generate_many(requests)]
                makespan = time.perf_counter() - started
    finally:
        await runner.cleanup()
    polled = {
        r.url.rsplit("/", 1)[1]
        for r in fake.requests
        if r.method == "GET" and "/public/tracks/" in r.url
    }
    return {
        "ok": sum(r.ok for r in results),
        "polls": fake.stats.polls / n,
        "polled": len(polled),
        "lost": fake.stats.webhooks_lost,
        "ratio": makespan / (math.ceil(n / c) * latency),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=200, help="tracks over HTTP (default 200)")
    parser.add_argument("--latency", type=float, default=0.5, help="generation seconds")
    parser.add_argument("--loss", type=float, default=0.2, help="share lost in the 2nd run")
    parser.add_argument("--m", type=int, default=10_000, help="deliveries for the cost run")
    parser.add_argument("--c", type=int, default=20, help="license limit for the engine runs")
    args = parser.parse_args()

    print(f"webhook delivery over HTTP: N={args.n}, L={args.latency:g} s")
    print("| deliveries lost on purpose | arrived | lost | p50 ms | p95 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for loss in (0.0, args.loss):
        row = await delivery_latency(args.n, args.latency, loss)
        print(
            f"| {loss:.0%} | {row['arrived']:.0f}/{args.n} | {row['lost']:.0f} "
            f"| {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} |",
            flush=True,
        )
    new, duplicate = await receiver_cost(args.m)
    print(
        f"\nreceiver.handle, M={args.m}: {new:.1f} us per new track, "
        f"{duplicate:.1f} us per duplicate"
    )
    print(
        f"\ngenerate_many over HTTP: N={args.n}, limit {args.c}, L={args.latency:g} s"
        f" (ideal = ceil(N / limit) * L)"
    )
    print("| completions from | results | polls per track | tracks polled | makespan / ideal |")
    print("| --- | --- | --- | --- | --- |")
    for label, webhooks, loss in (
        ("polling", False, 0.0),
        ("webhooks", True, 0.0),
        (f"webhooks, {args.loss:.0%} lost", True, args.loss),
    ):
        row = await engine_run(args.n, args.c, args.latency, webhooks=webhooks, loss=loss)
        lost = f" ({row['lost']:.0f} lost)" if loss else ""
        print(
            f"| {label} | {row['ok']:.0f}/{args.n} | {row['polls']:.2f} "
            f"| {row['polled']:.0f}{lost} | {row['ratio']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
