"""The chaos table: what the SDK promises under faults, with numbers.

Each scenario runs one ``generate_many`` batch of N generations against ``FakeMubert``
(in memory, or served over real HTTP on 127.0.0.1) while faults are injected at a
given rate, and reports:

- sent: requests the server saw; retries: how many more than the fault-free run;
- delivered: results handed back; lost: requests without a result (must be 0);
- duplicated: extra tracks created for one request (must be 0; every request carries
  a unique prompt, so the server's tracks map back to requests);
- wrong class: errors that are not what the scenario can legitimately produce (must
  be 0), and failed-but-could-succeed: requests the faults alone should not have failed
  (must be 0);
- makespan vs the fault-free run.

    python benchmarks/chaos.py [--n 500] [--rate 0.2] [--modes memory,http] [--concurrency 25]

Asserts nothing about time; ``tests/chaos`` asserts the zero columns at smaller sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import io
import random
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from mubert_async import (
    GenerationFailedError,
    GenerationResult,
    InvalidRequestError,
    LinkExpiredError,
    MubertClient,
    MubertError,
    PermissionDeniedError,
    QuotaExceededError,
    RetryPolicy,
    TrackRequest,
)
from mubert_async.generation import PollPolicy
from mubert_async.sim import serve
from mubert_async.testing import FakeCustomer, FakeMubert, Fault

GENERATION_TIME = 0.05
TIMEOUT = 0.5
"""Seconds per HTTP request in chaos runs; 'slow' answers take twice that."""
POLL = PollPolicy(initial_delay=0.05, min_interval=0.02, max_interval=0.2)
RETRY = RetryPolicy(initial_delay=0.02, max_delay=0.2)
CREATE = r"/public/tracks$"
LATE_FACTORS = (0.5, 1.0, 2.0, 4.0)
"""Late commits, in client timeouts: the default settle horizon is 4 of them."""


@dataclasses.dataclass
class Outcome:
    """One scenario's figures."""

    scenario: str
    mode: str
    n: int
    sent: int = 0
    retries: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong_class: int = 0
    could_have_succeeded: int = 0
    ok: int = 0
    makespan: float = 0.0
    vs_fault_free: float = 1.0
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    samples: list[str] = dataclasses.field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when every promise held."""
        return not (self.lost or self.duplicated or self.wrong_class or self.could_have_succeeded)


@dataclasses.dataclass(frozen=True)
class Run:
    """One run's settings: N generations, license limit C, fault rate."""

    n: int
    c: int
    rate: float


Arrange = Callable[[FakeMubert, FakeCustomer, Run], None]


@dataclasses.dataclass
class Scenario:
    """Faults to inject and what the batch may legitimately report."""

    name: str
    arrange: Arrange = lambda fake, customer, run: None
    allowed: tuple[type[MubertError], ...] = ()
    # How many requests must succeed (None: all of them).
    must_succeed: Callable[[Run, list[GenerationResult]], int] | None = None
    neighbour: bool = False
    failure_rate: bool = False


def _everywhere(*faults: Fault) -> Arrange:
    def arrange(fake: FakeMubert, customer: FakeCustomer, run: Run) -> None:
        for fault in faults:
            fault.rate = run.rate / len(faults)
            fake.faults.add(fault)

    return arrange


def _quota(fake: FakeMubert, customer: FakeCustomer, run: Run) -> None:
    fake.set_customer_limits(customer, daily_tracks_count_limit=_quota_of(run))


def _quota_of(run: Run) -> int:
    return int(run.n * 0.6)


def _expiring_token(fake: FakeMubert, customer: FakeCustomer, run: Run) -> None:
    rounds = -(-run.n // run.c)
    halfway = rounds * GENERATION_TIME * 0.6  # about half of the fault-free makespan
    fake.set_customer(customer, access_expired_at=time.time() + halfway)


def _late_commit(factor: float) -> Arrange:
    """A share of creates (the fault rate) stored ``factor`` client timeouts after arriving."""

    def arrange(fake: FakeMubert, customer: FakeCustomer, run: Run) -> None:
        fault = Fault.late_commit(factor * TIMEOUT, method="POST", path=CREATE, times=None)
        fault.rate = run.rate
        fake.faults.add(fault)

    return arrange


def _storm(fake: FakeMubert, customer: FakeCustomer, run: Run) -> None:
    fake.set_license_limits(max_concurrent_track_generations=run.c)


def _all_at_once(fake: FakeMubert, customer: FakeCustomer, run: Run) -> None:
    _everywhere(
        Fault.server_error(503, times=None),
        Fault.rate_limited(retry_after=0.02, times=None),
        Fault.reset(after_processing=False, times=None),
        Fault.reset(after_processing=True, times=None),
        Fault.slow(2 * TIMEOUT, times=None),
        Fault.malformed(times=None),
        Fault.truncated(times=None),
    )(fake, customer, run)


SCENARIOS: list[Scenario] = [
    Scenario(
        "500/502/503", _everywhere(*(Fault.server_error(s, times=None) for s in (500, 502, 503)))
    ),
    Scenario("429 + Retry-After", _everywhere(Fault.rate_limited(retry_after=0.02, times=None))),
    Scenario(
        "reset before processing", _everywhere(Fault.reset(after_processing=False, times=None))
    ),
    Scenario("reset after processing", _everywhere(Fault.reset(after_processing=True, times=None))),
    Scenario("connection refused", _everywhere(Fault.connect_error(times=None))),
    Scenario("slow past the timeout", _everywhere(Fault.slow(2 * TIMEOUT, times=None))),
    Scenario("malformed JSON", _everywhere(Fault.malformed(times=None))),
    Scenario("truncated JSON", _everywhere(Fault.truncated(times=None))),
    Scenario(
        "generations fail",
        allowed=(GenerationFailedError,),
        must_succeed=lambda run, results: sum(
            not isinstance(r.error, GenerationFailedError) for r in results
        ),
        failure_rate=True,
    ),
    Scenario("403 storm from a neighbour", _storm, neighbour=True),
    Scenario(
        "quota exhausted mid-batch",
        _quota,
        allowed=(QuotaExceededError,),
        must_succeed=lambda run, results: _quota_of(run),
    ),
    Scenario(
        "token expires mid-batch",
        _expiring_token,
        allowed=(PermissionDeniedError,),
        must_succeed=lambda run, results: sum(r.ok for r in results),
    ),
    Scenario("all of the above faults at once", _all_at_once),
    *(
        Scenario(f"creates committed {factor:g}x the timeout late", _late_commit(factor))
        for factor in LATE_FACTORS
    ),
]


@contextlib.asynccontextmanager
async def _client(
    fake: FakeMubert, customer: FakeCustomer, mode: str, c: int
) -> AsyncIterator[MubertClient]:
    options: dict[str, Any] = {
        "timeout": TIMEOUT,
        "retry": RETRY,
        "poll": POLL,
        "max_concurrent_generations": c,
    }
    if mode == "memory":
        async with fake.client(customer, **options) as client:
            yield client
        return
    runner, base_url = await serve(fake)
    try:
        async with MubertClient(
            customer.id, customer.access_token, base_url=base_url, **options
        ) as client:
            yield client
    finally:
        await runner.cleanup()


async def _neighbour(fake: FakeMubert, mode: str, c: int) -> None:
    """Another client of the same license keeping about half its slots busy."""
    other = fake.add_customer("noisy-neighbour")
    async with _client(fake, other, mode, -1) as client:
        client = client.with_options(max_retries=0)
        while True:
            with contextlib.suppress(MubertError):
                await client.tracks.create(duration=5, prompt="neighbour")
            await asyncio.sleep(GENERATION_TIME / max(1, c // 2))


async def run(
    scenario: Scenario, *, n: int, c: int, rate: float, mode: str, seed: int = 1
) -> tuple[Outcome, FakeMubert]:
    """Run one scenario; return its figures and the fake (for further checks)."""
    settings = Run(n, c, rate)
    fake = FakeMubert(
        generation_time=GENERATION_TIME,
        failure_rate=rate if scenario.failure_rate else 0.0,
        seed=seed,
        record_requests=False,
    )
    customer = fake.add_customer("chaos")
    scenario.arrange(fake, customer, settings)
    requests = [TrackRequest(5, prompt=f"chaos {scenario.name} #{i}") for i in range(n)]
    outcome = Outcome(scenario.name, mode, n)
    results: list[GenerationResult] = []
    async with _client(fake, customer, mode, c) as client:
        neighbour = asyncio.create_task(_neighbour(fake, mode, c)) if scenario.neighbour else None
        started = time.perf_counter()
        async for result in client.tracks.generate_many(requests):
            results.append(result)
        outcome.makespan = time.perf_counter() - started
        if neighbour is not None:
            neighbour.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await neighbour
    fake.faults.clear()
    outcome.sent = fake.stats.requests
    outcome.delivered = len(results)
    outcome.lost = n - len({r.index for r in results})
    outcome.ok = sum(r.ok for r in results)
    for result in results:
        if result.error is not None:
            outcome.errors[type(result.error).__name__] += 1
            if not isinstance(result.error, scenario.allowed):
                outcome.wrong_class += 1
                outcome.samples.append(f"#{result.index}: {result.error!r}")
    must = n if scenario.must_succeed is None else scenario.must_succeed(settings, results)
    outcome.could_have_succeeded = max(0, must - outcome.ok)
    outcome.duplicated = await _duplicates(fake, customer, n, scenario.name)
    return outcome, fake


async def _duplicates(fake: FakeMubert, customer: FakeCustomer, n: int, name: str) -> int:
    fake.set_customer(customer, access_expired_at=time.time() + 3600)
    counts: collections.Counter[str] = collections.Counter()
    async with fake.client(customer) as client:
        async for track in client.tracks.iter(page_size=500):
            if track.prompt and track.prompt.startswith((f"chaos {name} #", f"{name} #")):
                counts[track.prompt] += 1
    return sum(count - 1 for count in counts.values())


async def expiring_links(*, n: int, mode: str) -> tuple[int, int]:
    """Download n finished tracks after their links expired: (attempts, LinkExpiredError count)."""
    fake = FakeMubert(generation_time=GENERATION_TIME, record_requests=False)
    fake.set_license(track_expiration_time=1)
    customer = fake.add_customer("links")
    expired = 0
    async with _client(fake, customer, mode, 8) as client:
        done = [
            r.track
            async for r in client.tracks.generate_many(
                [TrackRequest(5, prompt=f"link {i}") for i in range(n)]
            )
            if r.track
        ]
        await asyncio.sleep(1.1)
        with tempfile.TemporaryDirectory() as folder:
            for track in done:
                try:
                    await client.tracks.download(track, folder)
                except LinkExpiredError:
                    expired += 1
    return len(done), expired


@dataclasses.dataclass
class Misuse:
    """What a careless consumer got: held-run breaks, a raising progress bar, bad items."""

    mode: str
    good: int
    bad: int
    delivered_good: int = 0
    reported_bad: int = 0
    breaks: int = 0
    tasks_left: int = 0
    duplicated: int = 0

    @property
    def clean(self) -> bool:
        """Every good item delivered, every bad one reported, nothing left running."""
        return (
            self.delivered_good == self.good
            and self.reported_bad == self.bad
            and not self.tasks_left
            and not self.duplicated
        )


def _bad_items(i: int) -> Any:
    closed = io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024))
    closed.close()
    return (
        {"duration": 1, "prompt": f"too short {i}"},
        TrackRequest(5, image=closed),
        f"not a request {i}",
        {"duration": 5, "promt": "typo"},
    )[i % 4]


async def misuse(*, n: int, c: int, mode: str, seed: int = 1) -> Misuse:
    """A batch with 10 % bad items, a progress callback that raises, and a consumer that
    breaks out every few results (holding the run) and comes back later."""
    rng = random.Random(seed)
    fake = FakeMubert(generation_time=GENERATION_TIME, seed=seed, record_requests=False)
    customer = fake.add_customer("misuse")
    bad = {i for i in range(n) if i % 10 == 9}
    items = [
        _bad_items(i) if i in bad else TrackRequest(5, prompt=f"misuse #{i}") for i in range(n)
    ]
    outcome = Misuse(mode, good=n - len(bad), bad=len(bad))
    calls = 0

    def progress(_: Any) -> None:
        nonlocal calls
        calls += 1
        if calls % 7 == 0:
            raise RuntimeError("the progress bar broke")

    before = {t for t in asyncio.all_tasks() if not t.done()}
    async with _client(fake, customer, mode, c) as client:
        run = client.tracks.generate_many(items, progress=progress)
        seen = 0
        while seen < n:
            pulls = rng.randint(1, 8)
            async for result in run:
                seen += 1
                if result.index in bad:
                    outcome.reported_bad += isinstance(result.error, InvalidRequestError)
                else:
                    outcome.delivered_good += result.ok
                pulls -= 1
                if not pulls:
                    break  # the run is still referenced: it pauses, nothing new is created
            else:
                break
            outcome.breaks += 1
            await asyncio.sleep(rng.uniform(0, 2 * GENERATION_TIME))
        await run.aclose()
    await asyncio.sleep(0)
    outcome.tasks_left = len({t for t in asyncio.all_tasks() if not t.done()} - before)
    outcome.duplicated = await _duplicates(fake, customer, n, "misuse")
    return outcome


async def table(*, n: int, c: int, rate: float, modes: list[str], only: str = "") -> list[Outcome]:
    """Every scenario (or those whose name contains ``only``) in every mode, with retries and
    makespan against a fault-free run."""
    outcomes: list[Outcome] = []
    for mode in modes:
        baseline, _ = await run(Scenario("fault-free"), n=n, c=c, rate=0.0, mode=mode)
        outcomes.append(baseline)
        for scenario in SCENARIOS:
            if only not in scenario.name:
                continue
            outcome, _ = await run(scenario, n=n, c=c, rate=rate, mode=mode)
            outcome.retries = max(0, outcome.sent - baseline.sent)
            outcome.vs_fault_free = outcome.makespan / baseline.makespan
            outcomes.append(outcome)
            print(
                f"  {mode:6} {scenario.name:32} {'clean' if outcome.clean else 'BROKEN'}",
                flush=True,
            )
    return outcomes


def render(outcomes: list[Outcome], rate: float) -> str:
    """The markdown table."""
    lines = [
        f"| mode | scenario ({rate:.0%} of requests) | sent | retries | delivered | lost "
        "| duplicated | wrong class | failed but could succeed | ok | makespan vs fault-free "
        "| errors reported |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(o.errors.items())) or "-"
        lines.append(
            f"| {o.mode} | {o.scenario} | {o.sent} | {o.retries} | {o.delivered} | {o.lost} "
            f"| {o.duplicated} | {o.wrong_class} | {o.could_have_succeeded} | {o.ok} "
            f"| {o.vs_fault_free:.2f} | {errors} |"
        )
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> int:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    print(
        f"chaos: N={args.n} generations per scenario, C={args.concurrency}, "
        f"fault rate {args.rate:.0%}"
    )
    outcomes = await table(
        n=args.n, c=args.concurrency, rate=args.rate, modes=modes, only=args.only
    )
    print()
    print(render(outcomes, args.rate))
    for mode in modes:
        m = await misuse(n=args.n, c=args.concurrency, mode=mode)
        print(
            f"\nmisuse ({mode}): {m.good} good items, {m.delivered_good} delivered; {m.bad} bad "
            f"items, {m.reported_bad} reported; {m.breaks} held-run breaks; raising progress "
            f"callback; {m.tasks_left} tasks left; {m.duplicated} duplicated: "
            f"{'clean' if m.clean else 'BROKEN'}"
        )
    for mode in modes:
        attempts, expired = await expiring_links(n=min(args.n, 20), mode=mode)
        print(
            f"\nexpired download links ({mode}): {attempts} attempted, {expired} LinkExpiredError, "
            f"{attempts - expired} other"
        )
    broken = [o for o in outcomes if not o.clean]
    print(f"\n{len(outcomes) - len(broken)} of {len(outcomes)} runs kept every promise")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="generations per scenario")
    parser.add_argument("--rate", type=float, default=0.2, help="fault rate (0..1)")
    parser.add_argument("--concurrency", type=int, default=25, help="license concurrency limit")
    parser.add_argument("--modes", default="memory,http", help="memory, http, or both")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    raise SystemExit(asyncio.run(_main(parser.parse_args())))


if __name__ == "__main__":
    main()
