"""Issue 8's regressions: exactly one track per request, runs that stop, bad items isolated."""

from __future__ import annotations

import gc
import io
import logging
import random
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import anyio
import pytest
from engine_helpers import FAST_POLL, FAST_RETRY, client_of, creates, other_tasks

from mubert_async import (
    ClientClosedError,
    CreateOutcomeUnknownError,
    GenerationResult,
    GenerationTimeoutError,
    InvalidRequestError,
    MubertClient,
    MubertError,
    QuotaExceededError,
    TrackRequest,
    TransportError,
)
from mubert_async.generation import PollPolicy
from mubert_async.sim import serve
from mubert_async.testing import FakeMubert, Fault
from mubert_async.transport import Request, Response, Transport

CREATE = r"/public/tracks$"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)


# -- 1. a late server commit is waited for, never sent twice ----------------------------


@pytest.mark.parametrize("late", [0.3, 0.6, 1.0])
async def test_a_create_committed_after_the_client_gave_up_is_adopted_not_resent(
    late: float,
) -> None:
    fake = FakeMubert(generation_time=0.05)
    fake.faults.add(Fault.late_commit(late, method="POST", path=CREATE))
    async with client_of(fake, timeout=0.25) as client:
        track = await client.tracks.generate(prompt="late", duration=30)
    await anyio.sleep(late)
    assert track.url and fake.in_flight == 0  # (reading in_flight commits what is due)
    assert fake.stats.creates == 1  # one track billed, and it is the one handed back
    assert [t.id for t in fake._engine.tracks.values()] == [track.id]


async def test_a_late_commit_over_real_http_is_adopted_not_resent() -> None:
    fake = FakeMubert(generation_time=0.05)
    fake.faults.add(Fault.late_commit(0.8, method="POST", path=CREATE))
    runner, base_url = await serve(fake)
    try:
        async with MubertClient(
            *_credentials(fake), base_url=base_url, timeout=0.3, poll=FAST_POLL, retry=FAST_RETRY
        ) as client:
            track = await client.tracks.generate(prompt="late over http", duration=30)
        await anyio.sleep(0.9)  # let the server finish the abandoned exchange
    finally:
        await runner.cleanup()
    assert fake.stats.creates == 1
    assert [t.id for t in fake._engine.tracks.values()] == [track.id]


def _credentials(fake: FakeMubert) -> tuple[str, str]:
    customer = fake.add_customer()
    return customer.id, customer.access_token


async def test_a_create_that_never_arrived_is_sent_again_after_the_horizon() -> None:
    fake = FakeMubert(generation_time=0.05)
    fake.faults.add(Fault.reset(after_processing=False, method="POST", path=CREATE))
    async with client_of(fake, timeout=0.2) as client:
        track = await client.tracks.generate(prompt="lost", duration=30)
    assert fake.stats.creates == 1 and track.url
    assert creates(fake) == 2


# -- 2. no usable Date header ------------------------------------------------------------


class _DateRewriter:
    """A transport wrapping FakeTransport that rewrites (or drops) the ``Date`` header."""

    def __init__(self, inner: Transport, date: str | None) -> None:
        self.inner, self.date = inner, date

    async def send(self, request: Request) -> Response:
        response = await self.inner.send(request)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "date"}
        if self.date is not None:
            headers["date"] = self.date
        return Response(response.status, headers, response.content)

    def stream(self, request: Request) -> Any:
        return self.inner.stream(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("date", [None, "garbage"])
async def test_without_a_usable_date_a_lost_create_is_not_resent_blind(date: str | None) -> None:
    fake = FakeMubert(generation_time=0.05)
    fake.faults.add(Fault.reset(after_processing=False, method="POST", path=CREATE))
    transport = _DateRewriter(fake.transport(), date)
    async with client_of(fake, transport=transport, timeout=0.2) as client:
        with pytest.raises(CreateOutcomeUnknownError) as info:
            await client.tracks.generate(prompt="no clock", duration=30)
    assert creates(fake) == 1  # not sent a second time
    assert isinstance(info.value.request, TrackRequest)
    assert isinstance(info.value.__cause__, TransportError)


@pytest.mark.parametrize("zone", ["-0000", ""])
async def test_a_date_without_a_usable_zone_is_taken_as_utc(zone: str) -> None:
    fake = FakeMubert(generation_time=0.05)
    fake.faults.add(Fault.reset(after_processing=True, method="POST", path=CREATE))
    now = datetime.now(timezone.utc)
    date = now.strftime("%a, %d %b %Y %H:%M:%S") + (f" {zone}" if zone else "")
    transport = _DateRewriter(fake.transport(), date)
    async with client_of(fake, transport=transport, timeout=0.2) as client:
        results = [r async for r in client.tracks.generate_many([TrackRequest(30, prompt="z")])]
    assert len(results) == 1 and results[0].ok, results[0].error
    assert fake.stats.creates == 1


# -- 3. a held run stops creating when the consumer stops pulling ---------------------------


async def test_break_with_the_run_held_stops_new_creates() -> None:
    fake = FakeMubert(generation_time=0.05)
    async with client_of(fake) as client:
        requests = [TrackRequest(30, prompt=f"p{i}") for i in range(100)]
        run = client.tracks.generate_many(requests, concurrency=8)
        async for _ in run:
            break
        at_break = creates(fake)
        await anyio.sleep(0.5)
        assert creates(fake) - at_break <= 1  # at most the slot the one result freed
        assert at_break <= 9
        # What was in flight finished and waits for the consumer; nothing billed is lost.
        rest = [r async for r in run]
        assert all(r.ok for r in rest)
        await run.aclose()
    assert not other_tasks()


async def test_no_create_reaches_the_server_after_a_break_but_those_of_items_already_started() -> (
    None
):
    """After a ``break`` (the run still held), no item starts: the creates that still reach the
    server are those of items started before it, at once. Counted, not timed, so a loaded
    event loop (50 trials at once, under coverage, on two cores) cannot make it flaky; the
    time of the last one is bounded loosely as well."""
    rng = random.Random(8)
    extra: list[int] = []
    late: list[float] = []

    async def trial(generation_time: float, concurrency: int | None, pulls: int) -> None:
        fake = FakeMubert(generation_time=generation_time, record_requests=False)
        stamps: list[float] = []
        original = fake.handle

        async def handle(request: Request) -> Response:
            if request.method == "POST":
                stamps.append(time.monotonic())
            return await original(request)

        fake.handle = handle  # type: ignore[method-assign]
        taken = 0

        def requests() -> Iterator[TrackRequest]:
            nonlocal taken
            for i in range(10_000):
                taken += 1  # the run takes an item only to start it
                yield TrackRequest(30, prompt=f"t{i}")

        async with client_of(fake) as client:
            run = client.tracks.generate_many(requests(), concurrency=concurrency)
            async for _ in run:
                pulls -= 1
                if not pulls:
                    break
            broke = time.monotonic()
            started = taken
            await anyio.sleep(0.6)
            extra.append(len(stamps) - started)
            late.extend(s - broke for s in stamps if s - broke > 0.5)
            await run.aclose()

    async with anyio.create_task_group() as group:  # 50 randomised trials at once
        for _ in range(50):
            concurrency = rng.choice([None, rng.randint(1, 16)])
            group.start_soon(trial, rng.uniform(0.3, 0.5), concurrency, rng.randint(1, 3))
    assert max(extra) <= 0, f"creates of items started after the break: {extra}"
    assert late == []


async def test_a_dropped_run_is_still_cancelled_by_garbage_collection() -> None:
    fake = FakeMubert(generation_time=0.05)
    async with client_of(fake) as client:
        async for _ in client.tracks.generate_many(
            [TrackRequest(30, prompt=f"g{i}") for i in range(100)], concurrency=4
        ):
            break
        gc.collect()
        await anyio.sleep(0.1)
        at = creates(fake)
        await anyio.sleep(0.2)
        assert creates(fake) == at
    assert not other_tasks()


# -- 4. one bad item does not sink the batch ----------------------------------------------


async def test_a_closed_image_file_fails_only_its_own_item() -> None:
    fake = FakeMubert(generation_time=0.02)
    closed = io.BytesIO(PNG)
    closed.close()
    requests: list[Any] = [TrackRequest(30, prompt=f"ok {i}") for i in range(9)]
    requests.insert(4, TrackRequest(30, image=closed))
    async with client_of(fake) as client:
        results = [r async for r in client.tracks.generate_many(requests)]
    assert len(results) == 10
    bad = [r for r in results if not r.ok]
    assert [r.index for r in bad] == [4]
    assert isinstance(bad[0].error, InvalidRequestError) and bad[0].error.field == "image"
    assert fake.stats.creates == 9


async def test_an_unexpected_exception_becomes_the_items_error_with_its_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeMubert(generation_time=0.02)
    from mubert_async.resources.tracks import Tracks

    original = Tracks.submit

    async def flaky(self: Tracks, request: TrackRequest, **kw: Any) -> Any:
        if request.prompt == "boom":
            raise KeyError("bug")
        return await original(self, request, **kw)

    monkeypatch.setattr(Tracks, "submit", flaky)
    requests = [TrackRequest(30, prompt=p) for p in ("a", "boom", "b")]
    async with client_of(fake) as client:
        results = sorted([r async for r in client.tracks.generate_many(requests)], key=_index)
    assert [r.ok for r in results] == [True, False, True]
    error = results[1].error
    assert isinstance(error, MubertError) and isinstance(error.__cause__, KeyError)


def _index(result: GenerationResult) -> int:
    return result.index


async def test_a_raising_progress_callback_loses_no_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeMubert(generation_time=0.02)

    def progress(_: Any) -> None:
        raise RuntimeError("bar broke")

    requests = [TrackRequest(30, prompt=f"c{i}") for i in range(10)]
    async with client_of(fake) as client:
        with caplog.at_level(logging.WARNING, logger="mubert_async"):
            results = [r async for r in client.tracks.generate_many(requests, progress=progress)]
    assert len(results) == 10 and all(r.ok for r in results)
    assert any("progress" in record.getMessage() for record in caplog.records)
    assert not other_tasks()


# -- 5. an image file object is read once, the same bytes every send ---------------------


async def test_an_image_file_is_read_once_and_resent_whole() -> None:
    fake = FakeMubert(generation_time=0.02)
    fake.faults.add(Fault.reset(after_processing=False, method="POST", path=CREATE))
    sizes: list[int] = []
    original = fake.handle

    async def handle(request: Request) -> Response:
        if request.method == "POST" and request.form is not None:
            sizes.append(len(request.form.files["image"].content))
        return await original(request)

    fake.handle = handle  # type: ignore[method-assign]
    async with client_of(fake, timeout=0.2) as client:
        track = await client.tracks.generate(image=io.BytesIO(PNG), duration=30)
    assert track.url
    assert sizes == [len(PNG)]  # the one that arrived carried the whole image
    assert creates(fake) == 2


# -- 6. a plain create beside generate is never adopted ----------------------------------


async def test_a_plain_create_in_flight_is_not_adopted_by_a_reconciliation() -> None:
    fake = FakeMubert(generation_time=0.02)
    # The engine's create is lost (reset before processing); the plain create of the
    # same parameters is slow, so it is committed but unanswered while the engine looks.
    fake.faults.add(
        Fault.reset(after_processing=False, delay=0.1, method="POST", path=CREATE, times=1)
    )
    fake.faults.add(Fault.slow(0.3, method="POST", path=CREATE, times=1))
    async with client_of(fake, timeout=0.4) as client:

        async def plain() -> str:
            await anyio.sleep(0.01)
            return (await client.tracks.create(prompt="same", duration=30)).id

        async with anyio.create_task_group() as group:
            out: dict[str, str] = {}

            async def engine() -> None:
                out["engine"] = (await client.tracks.generate(prompt="same", duration=30)).id

            async def other() -> None:
                out["plain"] = await plain()

            group.start_soon(engine)
            group.start_soon(other)
    assert out["engine"] != out["plain"]
    assert fake.stats.creates == 2


# -- 7. a doomed batch: each remaining item gets its own error ---------------------------


async def test_each_item_of_a_doomed_batch_gets_its_own_error() -> None:
    fake = FakeMubert(generation_time=0.02)
    fake.set_license_limits(daily_tracks_count_limit=2)
    requests = [TrackRequest(30, prompt=f"d{i}") for i in range(40)]
    async with client_of(fake) as client:
        results = [r async for r in client.tracks.generate_many(requests, concurrency=2)]
    errors = [r.error for r in results if r.error is not None]
    assert len(errors) == 38
    assert all(isinstance(e, QuotaExceededError) for e in errors)
    assert len({id(e) for e in errors}) == len(errors)
    assert all(e.__traceback__ is None or _depth(e) < 50 for e in errors)


def _depth(error: BaseException) -> int:
    tb, depth = error.__traceback__, 0
    while tb is not None:
        tb, depth = tb.tb_next, depth + 1
    return depth


# -- 8. GenerationResult.request is a TrackRequest; the input is kept as given ----------


async def test_results_carry_a_normalised_request_and_the_input_as_given() -> None:
    fake = FakeMubert(generation_time=0.02)
    items: list[Any] = [{"duration": 30, "prompt": "as dict"}, 42, {"duration": 1, "prompt": "x"}]
    async with client_of(fake) as client:
        results = sorted([r async for r in client.tracks.generate_many(items)], key=_index)
    assert results[0].ok and results[0].request == TrackRequest(30, prompt="as dict")
    assert results[0].item == {"duration": 30, "prompt": "as dict"}
    for result in results[1:]:
        assert result.request is None
        assert isinstance(result.error, InvalidRequestError)
    assert results[1].item == 42
    assert results[2].item == {"duration": 1, "prompt": "x"}


# -- 9. generate(timeout=) bounds the whole call ------------------------------------------


async def test_generate_timeout_bounds_a_huge_retry_after() -> None:
    fake = FakeMubert(generation_time=0.02)
    fake.faults.add(Fault.rate_limited(999999, method="POST", path=CREATE, times=None))
    async with fake.client() as client:
        started = time.monotonic()
        with pytest.raises(GenerationTimeoutError) as info:
            await client.tracks.generate(prompt="x", duration=30, timeout=0.5)
    assert time.monotonic() - started < 1.0
    assert info.value.track is None
    assert fake.stats.creates == 0


async def test_generate_timeout_bounds_queueing_for_a_slot() -> None:
    fake = FakeMubert(generation_time=5.0)
    async with (
        client_of(fake, max_concurrent_generations=1) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(_generate_quietly, client)
        await anyio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(GenerationTimeoutError):
            await client.tracks.generate(prompt="queued", duration=30, timeout=0.3)
        assert time.monotonic() - started < 0.6
        group.cancel_scope.cancel()
    assert fake.stats.creates == 1


async def _generate_quietly(client: MubertClient) -> None:
    await client.tracks.generate(prompt="holder", duration=30)


async def test_generate_timeout_bounds_requeues_after_concurrency_403s() -> None:
    fake = FakeMubert(generation_time=30.0)
    fake.set_license_limits(max_concurrent_track_generations=1)
    neighbour = fake.client(fake.add_customer())
    await neighbour.tracks.create(prompt="neighbour", duration=30)
    async with client_of(fake) as client:
        started = time.monotonic()
        with pytest.raises(GenerationTimeoutError):
            await client.tracks.generate(prompt="x", duration=30, timeout=0.5)
    assert time.monotonic() - started < 1.0
    await neighbour.aclose()


# -- 10. learned timing survives skewed samples and never delays past max_interval -------


async def test_one_skewed_created_at_does_not_poison_later_waits() -> None:
    from mubert_async.generation._polling import GenerationTimes

    times = GenerationTimes()
    for _ in range(5):
        times.observe(0.05, 30)
    times.observe(86_400 * 30, 30)  # a created_at a month in the past
    expected = times.expected(30)
    assert expected is not None and expected < 1.0
    policy = PollPolicy(max_interval=0.5)
    assert policy.first_delay(10_000.0) <= 0.5 * (1 + policy.jitter)


async def test_waits_after_a_skewed_generation_still_see_done_tracks() -> None:
    fake = FakeMubert(generation_time=0.05)
    async with client_of(fake, poll=PollPolicy(initial_delay=0.02, max_interval=0.1)) as client:
        client._engine.times.observe(86_400 * 30, 30)
        track = await client.tracks.generate(prompt="after skew", duration=30, timeout=1.0)
    assert track.url


# -- 11. a closed client fails at once -------------------------------------------------


async def test_a_closed_client_raises_at_once_without_retrying() -> None:
    from mubert_async.transport import AiohttpTransport

    client = MubertClient("cust-123456", "token-123456", transport=AiohttpTransport())
    await client.aclose()
    started = time.monotonic()
    with pytest.raises(ClientClosedError):
        await client.tracks.get("abc")
    with pytest.raises(ClientClosedError):
        await client.tracks.generate(prompt="x", duration=30)
    assert time.monotonic() - started < 0.1


# -- 12. a done generation without a URL is an error everywhere ----------------------------


@pytest.fixture
def urlless(monkeypatch: pytest.MonkeyPatch) -> None:
    from mubert_async.testing import _render

    original = _render.track_json

    def render(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = original(*args, **kwargs)
        for generation in body.get("generations", ()):
            generation["url"] = None
        return body

    monkeypatch.setattr(_render, "track_json", render)
    monkeypatch.setattr("mubert_async.testing._engine.track_json", render)


async def test_a_done_generation_without_url_is_an_error_from_stored_and_generate(
    urlless: None,
) -> None:
    fake = FakeMubert(generation_time=0.0)
    async with client_of(fake) as client:
        with pytest.raises(TransportError, match="no url"):
            await client.tracks.stored(playlist_index="1.0.0", duration=30)
        with pytest.raises(TransportError, match="no url"):
            await client.tracks.generate(prompt="x", duration=30)
