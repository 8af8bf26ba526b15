"""What the SDK costs per call, measured against doing it by hand.

1. ``tracks.get`` calls/second through ``MubertClient`` vs raw ``aiohttp.ClientSession``
   + ``json.loads``, both against the same local aiohttp.web server (in another
   process, so the server's CPU time does not count against either client).
2. The same call through the in-memory ``FakeMubert`` transport (no sockets at all).
3. Decoding a 100-track page: msgspec into typed ``Track`` models vs ``json.loads``
   into dicts.

Prints ratios measured in this one run. Asserts nothing about time.

    python benchmarks/bench_overhead.py [--calls 2000] [--concurrency 8] [--tracks 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from mubert_async import MubertClient, Page, Track
from mubert_async.testing import FakeMubert
from mubert_async.transport import AiohttpTransport


def _track(i: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "session_id": f"{i:032x}",
        "playlist_index": "1.0.0",
        "prompt": None,
        "duration": 60,
        "intensity": "high",
        "mode": "track",
        "key": "A#",
        "bpm": 120,
        "created_at": "2025-01-01T00:00:00.000000Z",
        "generations": [
            {
                "session_id": f"{i:032x}",
                "format": "mp3",
                "bitrate": 128,
                "status": "done",
                "generated_at": "2025-01-01T00:00:30.000000Z",
                "expired_at": "2025-01-02T00:00:00.000000Z",
                "created_at": "2025-01-01T00:00:00.000000Z",
                "url": f"https://storage.example/tracks/{i}.mp3",
            }
        ],
    }


TRACK_BODY = json.dumps({"data": _track(1)}).encode()


def _serve(port_pipe: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=TRACK_BODY, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/api/v3/public/tracks/{track}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_pipe.send(runner.addresses[0][1])
        await asyncio.sleep(3600)

    asyncio.run(main())


async def _rate(call: Any, calls: int, concurrency: int) -> float:
    """Calls per second of ``call()`` run ``calls`` times, ``concurrency`` at a time."""
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


async def _http(base_url: str, calls: int, concurrency: int, rounds: int) -> tuple[float, float]:
    url = f"{base_url}/public/tracks/00000000-0000-4000-8000-000000000001"
    headers = {"customer-id": "c", "access-token": "t", "accept": "application/json"}
    async with aiohttp.ClientSession() as session:

        async def raw() -> None:
            async with session.get(url, headers=headers) as response:
                response.raise_for_status()
                json.loads(await response.read())["data"]

        client = MubertClient("c", "t", base_url=base_url, transport=AiohttpTransport())

        async def sdk() -> None:
            await client.tracks.get("00000000-0000-4000-8000-000000000001")

        await _rate(raw, 50, concurrency)  # warm up both connection pools
        await _rate(sdk, 50, concurrency)
        raw_rates, sdk_rates = [], []
        for _ in range(rounds):  # interleaved, so drift hits both alike
            raw_rates.append(await _rate(raw, calls, concurrency))
            sdk_rates.append(await _rate(sdk, calls, concurrency))
        await client.aclose()
    return statistics.median(raw_rates), statistics.median(sdk_rates)


async def _fake(calls: int, concurrency: int) -> float:
    fake = FakeMubert(record_requests=False)
    async with fake.client() as client:
        track = await client.tracks.create(duration=60, playlist_index="1.0.0")

        async def sdk() -> None:
            await client.tracks.get(track.id)

        await _rate(sdk, 50, concurrency)
        return await _rate(sdk, calls, concurrency)


def _decode(n_tracks: int, repeat: int) -> tuple[float, float]:
    body = json.dumps(
        {
            "data": [_track(i) for i in range(n_tracks)],
            "meta": {"total": n_tracks, "limit": n_tracks, "offset": 0},
        }
    ).encode()
    decoder = msgspec.json.Decoder(Page[Track])

    def best(fn: Any) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn(body)
            times.append(time.perf_counter() - started)
        return min(times)

    assert len(decoder.decode(body).data) == n_tracks
    return best(decoder.decode), best(json.loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    parser.add_argument("--tracks", type=int, default=100, help="tracks in the decoded page")
    args = parser.parse_args()

    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        if not parent.poll(30):
            raise SystemExit("benchmark server did not start")
        base_url = f"http://127.0.0.1:{parent.recv()}/api/v3"
        raw, sdk = asyncio.run(_http(base_url, args.calls, args.concurrency, args.rounds))
    finally:
        server.terminate()
        server.join(5)
    fake = asyncio.run(_fake(args.calls, args.concurrency))
    typed, loads = _decode(args.tracks, repeat=200)

    print(
        f"tracks.get over HTTP, {args.calls} calls x {args.rounds} rounds, "
        f"concurrency {args.concurrency}"
    )
    print(f"  raw aiohttp + json.loads : {raw:9.0f} calls/s")
    print(f"  MubertClient             : {sdk:9.0f} calls/s")
    print(f"  SDK / raw                : {sdk / raw:9.2f}   (target >= 0.85)")
    print(
        f"tracks.get through FakeMubert in memory: {fake:9.0f} calls/s "
        f"({fake / sdk:.1f}x the HTTP rate)"
    )
    print(f"decode a {args.tracks}-track page")
    print(f"  msgspec -> Page[Track]   : {typed * 1e6:9.1f} us")
    print(f"  json.loads -> dicts      : {loads * 1e6:9.1f} us")
    print(f"  json.loads / msgspec     : {loads / typed:9.2f}x")


if __name__ == "__main__":
    main()
