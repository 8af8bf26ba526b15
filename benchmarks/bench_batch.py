"""How close ``tracks.generate_many`` gets to the ideal batch time, against doing it by hand.

For N tracks, a license limit of C concurrent generations and a generation time of L
seconds (``FakeMubert`` on the real clock), each transport mode is measured:

- ``memory``: the client talks to the fake through its in-memory ``FakeTransport``;
- ``http``: the fake is served by ``mubert_async.sim.serve`` on 127.0.0.1 (same process)
  and the client uses its default ``AiohttpTransport`` over real sockets.

Two approaches run against a fresh fake each:

1. **SDK**: ``async for r in client.tracks.generate_many(requests)`` with
   ``max_concurrent_generations=C``; every result must be ok (failures are counted).
2. **naive**: what users write by hand - ``asyncio.Semaphore(C)`` around
   ``tracks.create`` followed by a fixed 1-second polling loop on ``tracks.get``, all N
   coroutines ``asyncio.gather``-ed up front. With 1 s polling it takes about
   ceil(N/C) seconds; that is expected.

Per row: makespan, ideal = ceil(N/C)*L, makespan/ideal, polls per track (GETs of
``/public/tracks/{id}`` the fake saw), 403 concurrency rejections, peak generations in
flight on the fake, peak RSS growth during the run (``/proc/self/statm`` sampled every
~50 ms, minus a baseline taken just before the run; ``resource.getrusage`` where there
is no /proc), and for the SDK "x vs naive" = naive makespan / SDK makespan. Targets are
printed beside the figures; nothing about time is asserted. A plain-text table and a
markdown table (for the README) are printed at the end.

``--shapes`` also runs the SDK against generation times of other shapes, each with
its own ideal (the makespan of the same requests, in the same order, on C slots with
no overhead at all): ``constant`` (L whatever the duration, durations spread over
20-60 s), ``proportional`` (L x duration / 40 s) and ``mixed`` (half fixed, half
proportional, with +-20 % noise per request). Targets: makespan/ideal <= 1.05 and
<= 1.5 polls per track.

``--big`` runs N=10,000, C=1,000, L=1 s, memory transport, SDK only (target: peak RSS
growth <= 150 MB).

    python benchmarks/bench_batch.py [--n 200] [--c 8] [--latency 0.5]
                                     [--modes memory,http] [--no-naive]
    python benchmarks/bench_batch.py --big
    python benchmarks/bench_batch.py --shapes constant,proportional,mixed --no-naive
    python benchmarks/bench_batch.py --n 24 --c 4 --latency 0.2      # CI size
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import sys
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mubert_async import MubertClient, Track, TrackRequest
from mubert_async.sim import serve
from mubert_async.testing import FakeMubert

if TYPE_CHECKING:
    from aiohttp import web

MODES = ("memory", "http")
DURATION = 30
"""Requested track duration, seconds (the fake's generation time does not depend on it)."""
NAIVE_POLL_INTERVAL = 1.0
NAIVE_MAX_POLLS = 600
"""The naive loop gives up on a track after this many 1-second polls."""
MAX_RUN_SECONDS = 3600.0
"""No single run may take longer (bounds every loop in here)."""
RSS_INTERVAL = 0.05
MAX_FAILURES_SHOWN = 5

TARGET_RATIO = 1.10
TARGET_SPEEDUP = 1.5
TARGET_POLLS = 3.0
TARGET_BIG_RSS_MB = 150.0
TARGET_SHAPE_RATIO = 1.05
TARGET_SHAPE_POLLS = 1.5
SHAPES = ("constant", "proportional", "mixed")
MEAN_DURATION = 40


def shape_durations(n: int) -> list[int]:
    """Requested durations spread evenly over 20-60 s, in a scrambled order."""
    return [20 + (i * 37) % 41 for i in range(n)]


def shape_time(shape: str, latency: float) -> Callable[[dict[str, object]], float]:
    """The fake's generation time for ``shape``, averaging about ``latency`` seconds."""

    def timing(fields: dict[str, object]) -> float:
        duration = float(fields["duration"])  # type: ignore[arg-type]
        if shape == "constant":
            return latency
        if shape == "proportional":
            return latency * duration / MEAN_DURATION
        # mixed: half fixed, half per second, and a deterministic +-20 % per request
        noise = (zlib.crc32(str(fields.get("prompt")).encode()) % 4001) / 10_000 - 0.2
        return latency * (0.5 + 0.5 * duration / MEAN_DURATION) * (1 + noise)

    return timing


def list_schedule(times: list[float], c: int) -> float:
    """The makespan of ``times`` started in order on ``c`` slots with no overhead."""
    import heapq

    slots = [0.0] * c
    end = 0.0
    for t in times:
        start = heapq.heappop(slots)
        heapq.heappush(slots, start + t)
        end = max(end, start + t)
    return end


# -- memory ----------------------------------------------------------------------------


def _rss_bytes() -> int | None:
    """Resident set size now, from /proc/self/statm (None where there is no /proc)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _max_rss_bytes() -> int:
    """Peak RSS of the process so far, from getrusage (kilobytes on Linux, bytes on macOS)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class RssSampler:
    """Peak RSS growth over a run: sampled every ``interval`` s in a background task.

    Without /proc it falls back to getrusage's lifetime peak, which only shows growth
    beyond the highest RSS the process ever had (so it may under-report).
    """

    def __init__(self, interval: float = RSS_INTERVAL) -> None:
        self.interval = interval
        self.baseline = 0
        self.peak = 0
        self.source = "/proc/self/statm" if _rss_bytes() is not None else "getrusage"
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        now = _rss_bytes()
        self.peak = max(self.peak, now if now is not None else _max_rss_bytes())

    async def _run(self) -> None:
        for _ in range(int(MAX_RUN_SECONDS / self.interval) + 1):
            self._sample()
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> RssSampler:
        gc.collect()
        now = _rss_bytes()
        self.baseline = now if now is not None else _max_rss_bytes()
        self.peak = self.baseline
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._sample()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def growth_mb(self) -> float:
        """Peak RSS during the run minus the baseline, in MiB."""
        return (self.peak - self.baseline) / (1024 * 1024)


# -- one row ---------------------------------------------------------------------------


@dataclass
class Row:
    """The figures of one (mode, approach) run."""

    mode: str
    approach: str
    n: int
    c: int
    latency: float
    makespan: float = 0.0
    polls: int = 0
    creates: int = 0
    rejections: int = 0
    peak_in_flight: int = 0
    rss_growth_mb: float = 0.0
    failures: int = 0
    failure_samples: list[str] = field(default_factory=list)
    speedup: float | None = None  # SDK rows: naive makespan / SDK makespan
    big: bool = False
    shape: str = "flat"
    shape_ideal: float | None = None

    @property
    def ideal(self) -> float:
        if self.shape_ideal is not None:
            return self.shape_ideal
        return math.ceil(self.n / self.c) * self.latency

    @property
    def ratio(self) -> float:
        return self.makespan / self.ideal if self.ideal > 0 else math.inf

    @property
    def polls_per_track(self) -> float:
        return self.polls / self.n if self.n else 0.0

    def misses(self) -> list[str]:
        """The targets this (SDK) row misses; the naive baseline is not held to any."""
        if self.approach != "SDK":
            return []
        missed: list[str] = []
        if self.shape != "flat":
            if self.ratio > TARGET_SHAPE_RATIO:
                missed.append(f"makespan/ideal {self.ratio:.3f} > {TARGET_SHAPE_RATIO:.2f}")
            if self.polls_per_track > TARGET_SHAPE_POLLS:
                missed.append(f"polls/track {self.polls_per_track:.2f} > {TARGET_SHAPE_POLLS:g}")
            return missed
        # The makespan target is set for N=200, C=8, L=0.5; the big run is about memory.
        if self.ratio > TARGET_RATIO and not self.big:
            missed.append(f"makespan/ideal {self.ratio:.3f} > {TARGET_RATIO:.2f}")
        if self.speedup is not None and self.speedup < TARGET_SPEEDUP:
            missed.append(f"vs naive {self.speedup:.2f}x < {TARGET_SPEEDUP}x")
        if self.polls_per_track > TARGET_POLLS:
            missed.append(f"polls/track {self.polls_per_track:.2f} > {TARGET_POLLS:g}")
        if self.rejections:
            missed.append(f"{self.rejections} 403s")
        if self.peak_in_flight > self.c:
            missed.append(f"peak in-flight {self.peak_in_flight} > C={self.c}")
        if self.big and self.rss_growth_mb > TARGET_BIG_RSS_MB:
            missed.append(f"RSS growth {self.rss_growth_mb:.1f} MB > {TARGET_BIG_RSS_MB:g}")
        if self.failures:
            missed.append(f"{self.failures} failed")
        return missed


def _new_fake(c: int, latency: float, shape: str = "flat") -> FakeMubert:
    timing = latency if shape == "flat" else shape_time(shape, latency)
    fake = FakeMubert(generation_time=timing, record_requests=False)
    fake.set_license_limits(max_concurrent_track_generations=c)
    return fake


Approach = Callable[[MubertClient, Row], Awaitable[None]]


async def _sdk(client: MubertClient, row: Row) -> None:
    """``generate_many`` over N prompt requests, counting results that are not ok."""
    if row.shape == "flat":
        requests = [TrackRequest(DURATION, prompt=f"p{i}") for i in range(row.n)]
    else:
        requests = [TrackRequest(d, prompt=f"p{i}") for i, d in enumerate(shape_durations(row.n))]
        timing = shape_time(row.shape, row.latency)
        row.shape_ideal = list_schedule([timing(r.fields()) for r in requests], row.c)
    results = 0
    async for result in client.tracks.generate_many(requests):
        results += 1
        if not result.ok:
            row.failures += 1
            if len(row.failure_samples) < MAX_FAILURES_SHOWN:
                row.failure_samples.append(f"#{result.index}: {result.error!r}")
    if results != row.n:  # generate_many promises one result per request
        row.failures += row.n - results
        row.failure_samples.append(f"{row.n - results} results missing")


async def _naive(client: MubertClient, row: Row) -> None:
    """Semaphore(C) around create + a fixed 1 s polling loop, everything gathered at once."""
    semaphore = asyncio.Semaphore(row.c)

    async def one(i: int) -> Track:
        async with semaphore:
            track = await client.tracks.create(duration=DURATION, prompt=f"p{i}")
            for _ in range(NAIVE_MAX_POLLS):
                if track.status in ("done", "failed"):
                    break
                await asyncio.sleep(NAIVE_POLL_INTERVAL)
                track = await client.tracks.get(track.id)
            if track.status != "done":
                raise RuntimeError(f"track {track.id} ended {track.status}")
            return track

    outcomes = await asyncio.gather(*(one(i) for i in range(row.n)), return_exceptions=True)
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException):
            row.failures += 1
            if len(row.failure_samples) < MAX_FAILURES_SHOWN:
                row.failure_samples.append(f"#{i}: {outcome!r}")


async def _measure(
    mode: str, approach: str, n: int, c: int, latency: float, big: bool, shape: str = "flat"
) -> Row:
    """Run one approach against a fresh fake in one transport mode."""
    row = Row(mode, approach, n, c, latency, big=big, shape=shape)
    run: Approach = _sdk if approach == "SDK" else _naive
    fake = _new_fake(c, latency, shape)
    runner: web.AppRunner | None = None
    if mode == "memory":
        client = fake.client(max_concurrent_generations=c)
    else:
        runner, base_url = await serve(fake, host="127.0.0.1", port=0)
        customer = fake.add_customer()
        client = MubertClient(
            customer.id, customer.access_token, base_url=base_url, max_concurrent_generations=c
        )
    try:
        async with client:
            sampler = RssSampler()
            async with sampler:
                started = time.perf_counter()
                await asyncio.wait_for(run(client, row), MAX_RUN_SECONDS)
                row.makespan = time.perf_counter() - started
            row.rss_growth_mb = sampler.growth_mb
    finally:
        if runner is not None:
            await runner.cleanup()
    stats = fake.stats
    row.polls, row.creates = stats.polls, stats.creates
    row.rejections = stats.concurrency_rejections
    row.peak_in_flight = fake.peak_in_flight
    return row


# -- output ----------------------------------------------------------------------------

HEADERS = (
    "mode",
    "approach",
    "shape",
    "N",
    "C",
    "L s",
    "makespan s",
    "ideal s",
    "makespan/ideal",
    "polls/track",
    "403s",
    "peak in-flight",
    "RSS growth MB",
    "x vs naive",
    "failed",
)


def _cells(row: Row) -> list[str]:
    return [
        row.mode,
        row.approach,
        row.shape,
        str(row.n),
        str(row.c),
        f"{row.latency:g}",
        f"{row.makespan:.2f}",
        f"{row.ideal:.2f}",
        f"{row.ratio:.3f}",
        f"{row.polls_per_track:.2f}",
        str(row.rejections),
        str(row.peak_in_flight),
        f"{row.rss_growth_mb:.1f}",
        "-" if row.speedup is None else f"{row.speedup:.2f}x",
        str(row.failures),
    ]


def _target_cells(big: bool) -> list[str]:
    rss = f"<= {TARGET_BIG_RSS_MB:g}" if big else f"(big: <= {TARGET_BIG_RSS_MB:g})"
    speedup = "-" if big else f">= {TARGET_SPEEDUP}x"
    return [
        "target (SDK)",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        f"<= {TARGET_RATIO:.2f} (shapes {TARGET_SHAPE_RATIO:.2f})",
        f"<= {TARGET_POLLS:g} (shapes {TARGET_SHAPE_POLLS:g})",
        "0",
        "<= C",
        rss,
        speedup,
        "0",
    ]


def plain_table(rows: list[Row], big: bool) -> str:
    """Rows as an aligned plain-text table, the targets as its last line."""
    lines = [list(HEADERS), *(_cells(row) for row in rows), _target_cells(big)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    rendered = [
        "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    rule = "-" * len(rendered[0])
    return "\n".join([rendered[0], rule, *rendered[1:-1], rule, rendered[-1]])


def markdown_table(rows: list[Row], big: bool) -> str:
    """The same table in markdown, for the README."""
    lines = [list(HEADERS), *(_cells(row) for row in rows), _target_cells(big)]
    out = ["| " + " | ".join(lines[0]) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
    out.extend("| " + " | ".join(line) + " |" for line in lines[1:])
    return "\n".join(out)


# -- main ------------------------------------------------------------------------------


async def _main(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    approaches = ["SDK"] if args.no_naive else ["SDK", "naive"]
    for mode in args.modes:
        by_approach: dict[str, Row] = {}
        for approach in approaches:
            print(
                f"running {mode}/{approach}: N={args.n} C={args.c} L={args.latency:g}s ...",
                flush=True,
            )
            row = await _measure(mode, approach, args.n, args.c, args.latency, args.big)
            print(f"  makespan {row.makespan:.2f} s, {row.failures} failed", flush=True)
            for sample in row.failure_samples:
                print(f"    failure {sample}", flush=True)
            by_approach[approach] = row
        if "naive" in by_approach:
            sdk = by_approach["SDK"]
            sdk.speedup = by_approach["naive"].makespan / sdk.makespan
        rows.extend(by_approach.values())
        for shape in args.shapes:
            print(f"running {mode}/SDK shape {shape}: N={args.n} C={args.c} ...", flush=True)
            row = await _measure(mode, "SDK", args.n, args.c, args.latency, False, shape)
            print(f"  makespan {row.makespan:.2f} s, {row.failures} failed", flush=True)
            rows.append(row)
    return rows


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="tracks to generate (default 200)")
    parser.add_argument("--c", type=int, default=8, help="license concurrency limit (default 8)")
    parser.add_argument(
        "--latency", type=float, default=0.5, help="generation time L in seconds (default 0.5)"
    )
    parser.add_argument(
        "--modes", default="memory,http", help="comma-separated: memory,http (default both)"
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the hand-written baseline")
    parser.add_argument(
        "--shapes",
        default="",
        help=f"also run the SDK on these generation-time shapes: {','.join(SHAPES)}",
    )
    parser.add_argument(
        "--big",
        action="store_true",
        help="N=10,000, C=1,000, L=1 s, memory transport, SDK only (RSS target <= 150 MB)",
    )
    args = parser.parse_args()
    if args.big:
        args.n, args.c, args.latency = 10_000, 1_000, 1.0
        args.modes, args.no_naive = "memory", True
    args.modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    args.shapes = [shape.strip() for shape in args.shapes.split(",") if shape.strip()]
    if set(args.shapes) - set(SHAPES):
        parser.error(f"--shapes takes a comma-separated subset of {','.join(SHAPES)}")
    unknown = sorted(set(args.modes) - set(MODES))
    if unknown or not args.modes:
        parser.error(f"--modes takes a comma-separated subset of {','.join(MODES)}")
    if args.n < 1 or args.c < 1 or not args.latency > 0:
        parser.error("--n and --c must be >= 1 and --latency > 0")
    return args


def main() -> None:
    args = _parse()
    started = time.perf_counter()
    rows = asyncio.run(_main(args))
    wall = time.perf_counter() - started
    print()
    print(
        f"generate_many vs naive: N={args.n}, C={args.c}, L={args.latency:g} s, "
        f"RSS from {RssSampler().source}"
    )
    print(plain_table(rows, args.big))
    print()
    if not args.big and (args.n, args.c, args.latency) != (200, 8, 0.5):
        print("(the targets are set for N=200, C=8, L=0.5; at other sizes they are a guide)")
    for row in rows:
        missed = row.misses()
        if row.approach == "SDK":
            verdict = "all targets met" if not missed else "MISSED: " + "; ".join(missed)
            print(f"{row.mode}/SDK: {verdict}")
    print(f"total wall time {wall:.1f} s")
    print()
    print(markdown_table(rows, args.big))


if __name__ == "__main__":
    main()
