"""One license, several worker processes: the concurrency limit shared through Redis, or not.

One ``mubert sim`` (``FakeMubert`` served by ``mubert_async.sim.serve`` on 127.0.0.1, in
this process, so its counters can be read) with a license limit of L concurrent
generations and a generation time of G seconds, and one ``redis-server`` on a free port
(started and stopped here; the class the coordination tests use). W worker processes
(this script with ``--worker``) each open a ``MubertServiceClient``, make their own
customers and, all at the same signal, run ``generate_many`` of N tracks spread over
them; each prints its results as one JSON line on stdout.

Rows:

1. **coordinated**: every worker passes ``coordination=RedisCoordination(...)``.
   Targets: W*N results, peak in flight on the server <= L, 0 concurrency 403s,
   makespan/ideal <= 1.10, where ideal = ceil(W*N / L) * G. Completions by polling.
2. **coordinated + webhooks (all delivered to worker 0)**: as 1, and the workers'
   completions come from webhook deliveries instead of polls. All workers share one
   webhook token (given to them in the environment, never on the command line or
   printed) and give a ``WebhookReceiver`` on the run's Redis namespace to their
   client (``webhooks=receiver``); only worker 0 serves its receiver over HTTP (a free
   loopback port) and registers it as the license's ``webhook_url``, so the simulator
   POSTs every delivery to worker 0, which relays it through Redis to the others
   (worker 0 keeps serving after its own tracks, until every worker has reported).
   Targets: as 1, plus 0 polls per track (``GET /public/tracks/{id}`` counted by the
   simulator) and so every worker's tracks resolved without a poll.
3. **coordinated + webhooks, R lost** (``--loss R``, default 0.2; 0 leaves it out): as
   2, the simulator losing that share of deliveries on purpose. Targets: all results,
   and polls only for the lost ones (tracks polled == deliveries lost); a lost
   delivery costs the fallback poll's latency (held to no makespan target).
4. **uncoordinated**: the same run as 1 without ``coordination=`` (each worker assumes
   the whole license is its own), for comparison; held to no target.
5. **coordinated, 1 SIGKILLed**: as 1, but one worker is killed (``SIGKILL``) mid-batch
   (1.5 G after the start) while it holds slots, with a lease TTL of T seconds. The
   others must finish every one of their tracks, and the killed worker's slots must
   come back within T (plus a little); completions by polling. The license
   semaphore's leases are read from Redis every 10 ms: a lease that is never renewed
   and lapses (ends at or after its expiry on the Redis clock) had a dead holder.
   Those are the leases the victim held at the kill, and any slot Redis granted after
   the kill to one of the victim's waiters still in line ("granted to its dead
   waiters"). Printed: when the slots
   held at the kill came back, when all of them did (the target applies to this), and
   when the survivors held all L slots again ("back to L", if they had work left).

Nothing about time is asserted; a markdown table is printed, with the targets each
row met or missed. Skipped (exit 0) when there is no ``redis-server`` binary.

    python benchmarks/bench_distributed.py [--workers 4] [--n 50] [--limit 8]
        [--generation-time 1.0] [--ttl 2.0] [--customers 5] [--no-webhooks] [--loss 0.2]
    python benchmarks/bench_distributed.py --workers 2 --n 12 --generation-time 0.3 --webhooks  # CI
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "coordination"))  # RedisServer, as the tests use it

try:
    from coordination_harness import REDIS_SERVER, RedisServer
except ImportError:  # no redis package: pip install -e ".[dev]" (or the "redis" extra)
    REDIS_SERVER = None

from bench_webhooks import hosted  # noqa: E402 - this script's folder: a receiver served

from mubert_async import MubertServiceClient, TrackRequest  # noqa: E402
from mubert_async.sim import serve  # noqa: E402
from mubert_async.testing import FakeMubert, WebhookFaults  # noqa: E402
from mubert_async.transport import Request  # noqa: E402
from mubert_async.webhooks import WebhookReceiver  # noqa: E402

if TYPE_CHECKING:
    from mubert_async.redis import RedisCoordination

DURATION = 30
"""Requested track duration, seconds (the simulator's generation time does not depend on it)."""
TARGET_RATIO = 1.10
KILL_AFTER = 1.5
"""The victim is killed this many generation times after the start: mid-batch, slots held."""
WATCH_INTERVAL = 0.01
"""Seconds between two looks at the license's leases in Redis after the kill."""
RECOVERY_SLACK = 0.5
"""Recovery may exceed the TTL by this much (a script must run to notice the expiry)."""
MAX_ERRORS_SHOWN = 3
STOP_GRACE = 2.0
"""Seconds a worker may take to end once its stdin is closed, before it is killed."""
TOKEN_ENV = "BENCH_WEBHOOK_TOKEN"
"""The environment variable that gives the workers the shared webhook token."""
MAX_REPORT_SECONDS = 3600.0


# -- the worker process ----------------------------------------------------------------


def _say(**fields: Any) -> None:
    """One JSON line to the parent."""
    print(json.dumps(fields), flush=True)


async def _report_slots(coordination: RedisCoordination) -> None:
    """Every 20 ms: the ids of the license slots this process holds (the victim's role).

    Read from the coordination's private table of held leases: the benchmark's only
    peek inside, so that the parent kills the worker while it holds slots and knows which.
    """
    for _ in range(int(MAX_REPORT_SECONDS / 0.02)):
        held = [
            id
            for id, lease in coordination._held.items()
            if lease._semaphore.name.startswith("license:")
        ]
        _say(slots=held, t=time.time())
        await asyncio.sleep(0.02)


async def _worker(args: argparse.Namespace) -> None:
    """Make customers, say ready, wait for "go", generate N tracks over them, report."""
    async with contextlib.AsyncExitStack() as stack:
        coordination = None
        if args.redis:
            import redis.asyncio

            from mubert_async.redis import RedisCoordination

            shared = redis.asyncio.Redis.from_url(args.redis)
            stack.push_async_callback(shared.aclose)
            coordination = RedisCoordination(shared, namespace=args.namespace, lease_ttl=args.ttl)
            stack.push_async_callback(coordination.aclose)
        receiver = None
        if args.license_id:  # the same token on every worker, from the environment
            receiver = WebhookReceiver(os.environ[TOKEN_ENV], coordination=coordination)
            await stack.enter_async_context(receiver)  # listening to the others' deliveries
        # credentials and base URL come from MUBERT_* in the environment (never argv)
        service = await stack.enter_async_context(
            MubertServiceClient(coordination=coordination, webhooks=receiver)
        )
        if receiver is not None and args.index == 0:  # the one the deliveries reach
            public_base = await stack.enter_async_context(hosted(receiver))
            await receiver.register(service, args.license_id, public_base)
        made = [
            await service.customers.create(f"w{args.index}-{i}-{uuid.uuid4().hex[:8]}")
            for i in range(args.customers)
        ]
        clients = [service.customer_client(customer) for customer in made]
        _say(ready=True, customers=[customer.id for customer in made])
        loop = asyncio.get_running_loop()
        if (await loop.run_in_executor(None, sys.stdin.readline)).strip() != "go":
            return
        ids, errors = list[str](), list[str]()
        reporter = None
        if args.report_slots and coordination is not None:
            reporter = asyncio.create_task(_report_slots(coordination))

        async def one(at: int) -> None:
            share = range(at, args.n, len(clients))
            requests = [TrackRequest(DURATION, prompt=f"w{args.index} #{i}") for i in share]
            async for result in clients[at].tracks.generate_many(requests):
                if result.ok and result.track is not None:
                    ids.append(result.track.id)
                elif len(errors) < MAX_ERRORS_SHOWN:
                    errors.append(repr(result.error))

        await asyncio.gather(*(one(at) for at in range(len(clients))))
        if reporter is not None:
            reporter.cancel()
        _say(ok=len(ids), failed=args.n - len(ids), errors=errors, ids=ids)
        if receiver is not None and args.index == 0:
            # the others still wait for deliveries that reach them through this one
            await loop.run_in_executor(None, sys.stdin.readline)  # "stop", or stdin closed


# -- one run ---------------------------------------------------------------------------


@dataclass
class Row:
    """The figures of one run."""

    name: str
    workers: int
    n: int
    limit: int
    generation_time: float
    ttl: float | None = None
    results: int = 0
    expected: int = 0
    rejections: int = 0
    peak_in_flight: int = 0
    makespan: float = 0.0
    killed: bool = False
    webhooks: bool = False
    loss: float = 0.0
    polls: int = 0
    polled: int = 0
    lost: int | None = None
    unpolled: list[int] = field(default_factory=list)
    victim_slots: int | None = None
    dead_grants: int | None = None
    recovery: float | None = None
    recovery_held: float | None = None
    back_to_limit: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ideal(self) -> float:
        return math.ceil(self.workers * self.n / self.limit) * self.generation_time

    @property
    def ratio(self) -> float | None:
        return None if self.killed or not self.makespan else self.makespan / self.ideal

    @property
    def total(self) -> int:
        """The tracks the workers were given (the killed one's included)."""
        return self.workers * self.n

    def misses(self) -> list[str]:
        """The targets a coordinated row misses (the uncoordinated one has none)."""
        if self.ttl is None:
            return []
        missed = list(self.notes)
        if self.results != self.expected:
            missed.append(f"{self.results}/{self.expected} results")
        if self.peak_in_flight > self.limit:
            missed.append(f"peak in flight {self.peak_in_flight} > {self.limit}")
        if self.rejections:
            missed.append(f"{self.rejections} concurrency 403s")
        ratio = self.ratio
        if ratio is not None and ratio > TARGET_RATIO and not self.loss:
            missed.append(f"makespan/ideal {ratio:.3f} > {TARGET_RATIO:.2f}")
        if self.webhooks and self.polled != (self.lost or 0):
            missed.append(f"{self.polled} tracks polled, {self.lost or 0} deliveries lost")
        if self.killed:
            if not self.victim_slots:
                missed.append("the killed worker held no slot at the kill")
            if self.recovery is None:
                missed.append("the killed worker's slots did not come back")
            elif self.recovery > self.ttl + RECOVERY_SLACK:
                missed.append(f"recovery {self.recovery:.2f} s > TTL {self.ttl:g} s + slack")
        return missed


class Worker:
    """One worker process: its pipes, its stderr in a temporary file."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: IO[bytes]) -> None:
        self.process = process
        self.stderr = stderr

    async def message(self, key: str) -> dict[str, Any]:
        """The next JSON line on its stdout that has ``key`` (other lines are skipped)."""
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                fields = json.loads(line)
            except ValueError:
                continue
            if isinstance(fields, dict) and key in fields:
                return fields
        self.stderr.seek(0)
        tail = self.stderr.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"worker {self.process.pid} ended without {key!r}:\n{tail}")

    async def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()

    async def stop(self) -> None:
        """Close its stdin (a webhook-serving worker 0 then ends), kill it if it still
        runs after ``STOP_GRACE`` seconds, and reap it."""
        if self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), STOP_GRACE)
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        self.stderr.close()


async def _spawn(
    index: int,
    args: argparse.Namespace,
    env: dict[str, str],
    redis_url: str | None,
    namespace: str,
    report_slots: bool,
    license_id: str | None,
) -> Worker:
    """Start worker ``index`` (this script with ``--worker``); ``report_slots``: the victim.

    With a ``license_id`` the worker completes from webhooks (the token in ``env``), and
    worker 0 registers its receiver as that license's webhook.
    """
    argv = [
        sys.executable, __file__, "--worker",
        "--index", str(index),
        "--n", str(args.n),
        "--customers", str(args.customers),
        "--ttl", str(args.ttl),
        "--namespace", namespace,
    ]  # fmt: skip
    if redis_url:
        argv += ["--redis", redis_url]
    if report_slots:
        argv.append("--report-slots")
    if license_id is not None:
        argv += ["--license-id", license_id]
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - Worker.stop closes it
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
    except BaseException:
        stderr.close()
        raise
    return Worker(process, stderr)


async def _watch_recovery(
    redis_url: str,
    key: str,
    killed_at: float,
    row: Row,
    done: asyncio.Event,
    victims: set[bytes],
) -> None:
    """Follow the license's leases from the kill on; fill in the victim's slots and recovery.

    A lease that is never renewed and ends at or after its expiry (Redis clock) lapsed:
    its holder was dead. Those are the victim's leases held at the kill, and any slot
    Redis granted afterwards to one of its waiters still in line (a waiter's place lasts
    three missed re-checks, a re-check coming every ``min(1, TTL / 3)`` s). Watched until
    no lease can still be the victim's, and then until the survivors hold all L slots
    again or have finished (``done``), within a bounded time.
    """
    import redis.asyncio

    assert row.ttl is not None
    client = redis.asyncio.Redis.from_url(redis_url)
    place = 3 * min(1.0, row.ttl / 3) + 0.1  # how long a dead waiter may still be granted
    deadline = killed_at + place + row.ttl + 10.0

    async def look() -> tuple[float, float, dict[bytes, float]]:
        async with client.pipeline(transaction=True) as pipe:
            pipe.time()
            pipe.zrange(key, 0, -1, withscores=True)
            (seconds, micros), leases = await pipe.execute()
        return time.perf_counter(), seconds * 1000 + micros / 1000, dict(leases)

    try:
        _, now_ms, leases = await look()
        first = {id: score for id, score in leases.items() if score > now_ms}
        at_kill = set(first)
        row.victim_slots = len(victims & at_kill)
        renewed: set[bytes] = set()
        ended: set[bytes] = set()
        lapsed: dict[bytes, float] = {}  # id -> seconds from the kill until it stopped counting
        while time.perf_counter() < deadline:
            t, now_ms, leases = await look()
            for id, score in leases.items():
                first.setdefault(id, score)  # granted since the kill
            for id, expiry in first.items():
                if id in ended or id in renewed:
                    continue
                if id in leases and leases[id] != expiry:
                    renewed.add(id)  # a survivor's: the dead do not renew
                elif id not in leases or now_ms >= expiry:
                    ended.add(id)
                    if now_ms >= expiry:
                        lapsed[id] = t - killed_at
            if lapsed:
                row.dead_grants = len(lapsed.keys() - at_kill)
                row.recovery = max(lapsed.values())
                held = [lapsed[id] for id in lapsed.keys() & victims & at_kill]
                row.recovery_held = max(held) if held else None
            pending = any(id not in ended and id not in renewed for id in first)
            if lapsed and not pending and t - killed_at > place:
                live = sum(1 for score in leases.values() if score > now_ms)
                if live >= row.limit and row.back_to_limit is None:
                    row.back_to_limit = t - killed_at
                if row.back_to_limit is not None or done.is_set():
                    return
            await asyncio.sleep(WATCH_INTERVAL)
        row.notes.append("the leases were still unsettled when the watch ended")
    finally:
        await client.aclose()


async def run(
    name: str,
    args: argparse.Namespace,
    redis_url: str | None,
    *,
    kill: bool = False,
    webhooks: bool = False,
    loss: float = 0.0,
) -> Row:
    """One run on a fresh simulator: W workers, coordinated through ``redis_url`` if given.

    ``webhooks``: completions from deliveries to worker 0 (``loss``: the share lost).
    """
    row = Row(name, args.workers, args.n, args.limit, args.generation_time)
    row.ttl = args.ttl if redis_url else None
    row.killed = kill
    row.webhooks = webhooks
    row.loss = loss
    row.expected = (args.workers - kill) * args.n
    fake = FakeMubert(generation_time=args.generation_time, record_requests=False)
    fake.set_license_limits(max_concurrent_track_generations=args.limit)
    polled: set[str] = set()

    def log(request: Request, _status: int | None, _fault: object) -> None:
        """Note each track polled: ``GET /public/tracks/{id}`` (``fake.stats.polls``)."""
        path = request.url.split("?", 1)[0]
        if request.method == "GET" and "/public/tracks/" in path:
            polled.add(path.rsplit("/", 1)[1])

    faults = WebhookFaults(loss=loss) if webhooks else None
    runner, base_url = await serve(fake, host="127.0.0.1", port=0, log=log, webhook_faults=faults)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUBERT_") and k != TOKEN_ENV}
    env.update(
        MUBERT_BASE_URL=base_url,
        MUBERT_COMPANY_ID=fake.company_id,
        MUBERT_LICENSE_TOKEN=fake.license_token,
    )
    if webhooks:
        env[TOKEN_ENV] = secrets.token_urlsafe(32)  # one for all workers; never printed
    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    workers: list[Worker] = []
    budget = max(60.0, 20 * row.ideal)  # no run may take longer
    watcher: asyncio.Task[None] | None = None
    finished = asyncio.Event()  # the survivors have reported
    try:
        with anyio.fail_after(budget):
            for index in range(args.workers):
                doomed = kill and index == 0
                license_id = fake.license_id if webhooks else None
                workers.append(
                    await _spawn(index, args, env, redis_url, namespace, doomed, license_id)
                )
            for worker in workers:
                await worker.message("ready")
            started = time.perf_counter()
            for worker in workers:
                await worker.go()
            survivors = workers
            if kill:
                assert redis_url is not None
                victim, *survivors = workers
                not_before = time.time() + KILL_AFTER * args.generation_time
                while True:  # until it holds license slots, mid-batch
                    report = await victim.message("slots")
                    if report["slots"] and report["t"] >= not_before:
                        break
                os.kill(victim.process.pid, signal.SIGKILL)
                killed_at = time.perf_counter()
                key = f"{{{namespace}:sem:license:{fake.license_id}}}:leases"
                watcher = asyncio.create_task(
                    _watch_recovery(
                        redis_url,
                        key,
                        killed_at,
                        row,
                        finished,
                        {s.encode() for s in report["slots"]},
                    )
                )
            reports = [await worker.message("ok") for worker in survivors]
            row.makespan = time.perf_counter() - started
            finished.set()
            if watcher is not None:
                await watcher
        row.results = sum(int(report["ok"]) for report in reports)
        for report in reports:
            row.notes.extend(f"error: {error}" for error in report["errors"])
            row.unpolled.append(sum(1 for id in report["ids"] if id not in polled))
    except TimeoutError:
        row.notes.append(f"timed out after {budget:.0f} s")
    except RuntimeError as exc:  # a worker ended without reporting
        row.notes.append(str(exc))
    finally:
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        for worker in workers:
            await worker.stop()
        await runner.cleanup()
    row.rejections = fake.stats.concurrency_rejections
    row.peak_in_flight = fake.peak_in_flight
    row.polls = fake.stats.polls
    row.polled = len(polled)
    row.lost = fake.stats.webhooks_lost if webhooks else None
    if webhooks and fake.stats.webhooks_failed:
        row.notes.append(f"{fake.stats.webhooks_failed} deliveries failed (given up)")
    return row


# -- output ----------------------------------------------------------------------------

HEADERS = (
    "run",
    "W x N",
    "L",
    "G s",
    "results",
    "peak in flight (server)",
    "concurrency 403s",
    "polls per track (server)",
    "tracks polled (deliveries lost)",
    "tracks resolved without a poll, per worker",
    "makespan s",
    "ideal s",
    "makespan/ideal",
    "killed worker's slots",
    "granted to its dead waiters",
    "slots held at the kill back s",
    "all its slots back s (TTL)",
    "back to L s",
)


def _cells(row: Row) -> list[str]:
    ratio = row.ratio
    return [
        row.name,
        f"{row.workers} x {row.n}",
        str(row.limit),
        f"{row.generation_time:g}",
        f"{row.results}/{row.expected}",
        str(row.peak_in_flight),
        str(row.rejections),
        f"{row.polls / row.total:.2f}",
        str(row.polled) + ("" if row.lost is None else f" ({row.lost} lost)"),
        ", ".join(f"{unpolled}/{row.n}" for unpolled in row.unpolled) if row.webhooks else "-",
        f"{row.makespan:.2f}",
        "-" if row.killed else f"{row.ideal:.2f}",
        "-" if ratio is None else f"{ratio:.3f}",
        "-" if row.victim_slots is None else str(row.victim_slots),
        "-" if row.dead_grants is None else str(row.dead_grants),
        _num(row.recovery_held) if row.killed else "-",
        "-" if not row.killed else f"{_num(row.recovery)} ({row.ttl:g})",
        _num(row.back_to_limit) if row.killed else "-",
    ]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown_table(rows: list[Row]) -> str:
    """The rows and the coordinated targets, as a markdown table."""
    target = [
        "target (coordinated)", "", "", "", "all", "<= L", "0", "0 (webhooks)",
        "= deliveries lost (webhooks)", "all (webhooks, none lost)", "", "",
        f"<= {TARGET_RATIO:.2f} (none if lost)", ">= 1", "", "", f"<= TTL + {RECOVERY_SLACK:g}", "",
    ]  # fmt: skip
    lines = [list(HEADERS), *(_cells(row) for row in rows), target]
    out = ["| " + " | ".join(lines[0]) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
    out.extend("| " + " | ".join(line) + " |" for line in lines[1:])
    return "\n".join(out)


# -- main ------------------------------------------------------------------------------


async def _main(args: argparse.Namespace, server: RedisServer) -> list[Row]:
    """The runs, in order (the webhook ones unless ``--no-webhooks``)."""
    runs: list[tuple[str, str | None, bool, bool, float]] = [
        ("coordinated (Redis)", server.url, False, False, 0.0)
    ]
    if args.webhooks:
        runs.append(
            ("coordinated + webhooks (all delivered to worker 0)", server.url, False, True, 0.0)
        )
        if args.loss:
            runs.append(
                (
                    f"coordinated + webhooks, {args.loss:.0%} of deliveries lost",
                    server.url,
                    False,
                    True,
                    args.loss,
                )
            )
    runs += [
        ("uncoordinated", None, False, False, 0.0),
        ("coordinated, 1 SIGKILLed", server.url, True, False, 0.0),
    ]
    rows = []
    for name, url, kill, webhooks, loss in runs:
        print(f"running {name} ...", flush=True)
        row = await run(name, args, url, kill=kill, webhooks=webhooks, loss=loss)
        print(f"  {row.results}/{row.expected} results in {row.makespan:.2f} s", flush=True)
        rows.append(row)
    return rows


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="worker processes (default 4)")
    parser.add_argument("--n", type=int, default=50, help="tracks per worker (default 50)")
    parser.add_argument("--limit", type=int, default=8, help="license limit L (default 8)")
    parser.add_argument(
        "--generation-time", type=float, default=1.0, help="seconds G per generation (default 1)"
    )
    parser.add_argument("--ttl", type=float, default=2.0, help="lease TTL T, seconds (default 2)")
    parser.add_argument("--customers", type=int, default=5, help="customers per worker (default 5)")
    parser.add_argument(
        "--webhooks",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the runs whose completions come from webhooks (default: on)",
    )
    parser.add_argument(
        "--loss",
        type=float,
        default=0.2,
        help="share of deliveries lost in the last webhook run (default 0.2; 0: no such run)",
    )
    parser.add_argument("--license-id", default="", help=argparse.SUPPRESS)  # webhooks on
    # the worker role (this script, spawned by itself)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--redis", default="", help=argparse.SUPPRESS)
    parser.add_argument("--namespace", default="mubert", help=argparse.SUPPRESS)
    parser.add_argument("--report-slots", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.workers, args.n, args.limit, args.customers) < 1:
        parser.error("--workers, --n, --limit and --customers must be >= 1")
    if args.workers < 2 and not args.worker:
        parser.error("--workers must be >= 2 (one is killed in the last run)")
    if not args.generation_time > 0 or not args.ttl >= 0.3:
        parser.error("--generation-time must be > 0 and --ttl >= 0.3")
    if not 0.0 <= args.loss < 1.0:
        parser.error("--loss must be >= 0 and < 1")
    return args


def main() -> None:
    args = _parse()
    if args.worker:
        asyncio.run(_worker(args))
        return
    if REDIS_SERVER is None:
        print("SKIPPED: no redis-server binary (apt-get install redis-server) or no redis package")
        return
    with tempfile.TemporaryDirectory() as workdir:
        server = RedisServer(Path(workdir))
        server.start()
        try:
            started = time.perf_counter()
            rows = asyncio.run(_main(args, server))
            wall = time.perf_counter() - started
        finally:
            server.stop()
    print()
    print(
        f"one license, {args.workers} processes: N={args.n} each, L={args.limit}, "
        f"G={args.generation_time:g} s, TTL={args.ttl:g} s, {args.customers} customers each"
    )
    print(markdown_table(rows))
    print()
    if (args.workers, args.n, args.limit, args.generation_time) != (4, 50, 8, 1.0):
        print("(the targets are set for --workers 4 --n 50 --limit 8 --generation-time 1)")
    for row in rows:
        if row.ttl is None:
            continue
        missed = row.misses()
        print(
            f"{row.name}: " + ("all targets met" if not missed else "MISSED: " + "; ".join(missed))
        )
    print(f"total wall time {wall:.1f} s")


if __name__ == "__main__":
    main()
