"""The request pipeline: retries, what is never retried, timeouts, options, lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
import pytest

from mubert_async import (
    ConcurrencyLimitError,
    MubertClient,
    MubertServiceClient,
    RateLimitError,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    TransportError,
)
from mubert_async.transport import MockTransport, Request, Response

TRACK = msgspec.json.encode({"data": {"id": "t1", "generations": []}})


def scripted(*steps: Response | Exception) -> tuple[MockTransport, list[Request]]:
    """A transport answering with ``steps`` in order (an exception is raised)."""
    seen: list[Request] = []
    queue = list(steps)

    def handler(request: Request) -> Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return MockTransport(handler), seen


OK = Response(200, {"content-type": "application/json"}, TRACK)


def status(code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(code, headers or {}, b'{"message": "nope"}')


async def test_get_is_retried_on_5xx_and_transport_errors(sleeps: list[float]) -> None:
    transport, seen = scripted(status(503), TransportError("reset", sent=True), OK)
    client = MubertClient("c", "t", transport=transport, max_retries=2)
    assert (await client.tracks.get("t1")).id == "t1"
    assert len(seen) == 3
    assert len(sleeps) == 2 and 0 < sleeps[0] <= 0.5 < sleeps[1] <= 1.0


async def test_retries_stop_at_max_retries(sleeps: list[float]) -> None:
    transport, seen = scripted(status(500), status(502), status(504))
    client = MubertClient("c", "t", transport=transport, max_retries=2)
    with pytest.raises(ServerError) as info:
        await client.tracks.get("t1")
    assert info.value.status == 504
    assert len(seen) == 3


async def test_retry_after_is_honoured(sleeps: list[float]) -> None:
    transport, _ = scripted(status(429, {"retry-after": "7"}), OK)
    client = MubertClient("c", "t", transport=transport)
    await client.tracks.get("t1")
    assert sleeps == [7.0]


async def test_retry_after_is_capped(sleeps: list[float]) -> None:
    transport, _ = scripted(status(429, {"retry-after": "100000"}), OK)
    client = MubertClient("c", "t", transport=transport, retry=RetryPolicy(max_retry_after=30))
    await client.tracks.get("t1")
    assert sleeps == [30.0]


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        status(502),
        status(503),
        TransportError("reset after sending", sent=True),
        RequestTimeout("timed out", sent=True),
    ],
    ids=["500", "502", "503", "reset", "timeout"],
)
async def test_create_is_never_retried_once_it_may_have_arrived(
    failure: Response | Exception, sleeps: list[float]
) -> None:
    transport, seen = scripted(failure, OK)
    client = MubertClient("c", "t", transport=transport, max_retries=5)
    with pytest.raises((ServerError, TransportError)):
        await client.tracks.create(duration=30, prompt="x")
    assert len(seen) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "failure",
    [TransportError("connection refused", sent=False), status(429, {"retry-after": "1"})],
    ids=["refused", "429"],
)
async def test_create_is_retried_when_it_certainly_did_not_arrive(
    failure: Response | Exception, sleeps: list[float]
) -> None:
    transport, seen = scripted(failure, OK)
    client = MubertClient("c", "t", transport=transport)
    assert (await client.tracks.create(duration=30, prompt="x")).id == "t1"
    assert len(seen) == 2


async def test_4xx_are_not_retried(sleeps: list[float]) -> None:
    body = msgspec.json.encode(
        {"code": "LicenseLimitConcurrentTrackGenerationsCount", "concurrent_track_generations": 2}
    )
    transport, seen = scripted(Response(403, {}, body), OK)
    client = MubertClient("c", "t", transport=transport)
    with pytest.raises(ConcurrencyLimitError):
        await client.tracks.get("t1")
    assert len(seen) == 1


async def test_idempotent_stream_controls_are_retried(sleeps: list[float]) -> None:
    transport, seen = scripted(status(503), Response(204, {}, b""))
    client = MubertClient("c", "t", transport=transport)
    await client.streaming.set_intensity("low")
    assert len(seen) == 2


async def test_put_and_delete_are_retried(sleeps: list[float]) -> None:
    customer = msgspec.json.encode({"id": "c1"})
    transport, seen = scripted(
        status(502), Response(200, {}, customer), status(500), Response(204, {}, b"")
    )
    service = MubertServiceClient("c", "t", transport=transport)
    await service.customers.update("c1", custom_id="new")
    await service.customers.delete("c1")
    assert [r.method for r in seen] == ["PUT", "PUT", "DELETE", "DELETE"]


async def test_with_options_overrides_per_call(sleeps: list[float]) -> None:
    transport, seen = scripted(status(503), status(503), OK)
    client = MubertClient("c", "t", transport=transport, timeout=30, max_retries=2)
    quick = client.with_options(timeout=1.5, max_retries=0)
    with pytest.raises(ServerError):
        await quick.tracks.get("t1")
    assert seen[0].timeout == 1.5
    assert (quick.timeout, quick.max_retries) == (1.5, 0)
    assert (client.timeout, client.max_retries) == (30.0, 2)
    await client.tracks.get("t1")
    assert seen[-1].timeout == 30.0
    assert quick.transport is client.transport


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b'{"data": {"id": "t1"', b'{"data": {"id": 5}}', b"[]"],
    ids=["html", "truncated", "wrong-type", "wrong-shape"],
)
async def test_undecodable_success_bodies_are_transport_errors(
    body: bytes, sleeps: list[float]
) -> None:
    transport, _ = scripted(Response(200, {}, body))
    client = MubertClient("c", "t", transport=transport)
    with pytest.raises(TransportError):
        await client.tracks.get("t1")


async def test_done_generation_without_url_is_an_error(sleeps: list[float]) -> None:
    body = msgspec.json.encode(
        {"data": {"id": "t1", "generations": [{"status": "done", "url": None}]}}
    )
    transport, _ = scripted(Response(200, {}, body))
    client = MubertClient("c", "t", transport=transport)
    with pytest.raises(TransportError, match="done but has no url"):
        await client.tracks.get("t1")


async def test_os_errors_from_a_custom_transport_become_transport_errors(
    sleeps: list[float],
) -> None:
    transport, _ = scripted(
        ConnectionResetError("boom"), ConnectionResetError("boom"), ConnectionResetError("boom")
    )
    client = MubertClient("c", "t", transport=transport)
    with pytest.raises(TransportError):
        await client.tracks.get("t1")


class ClosingTransport(MockTransport):
    def __init__(self, handler: Callable[[Request], Response]) -> None:
        super().__init__(handler)
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def test_lifecycle_closes_only_what_it_owns() -> None:
    shared = ClosingTransport(lambda r: OK)
    async with MubertClient("c", "t", transport=shared) as client:
        await client.tracks.get("t1")
    assert shared.closed == 0  # a transport passed in belongs to the caller
    owned = MubertClient("c", "t")
    await owned.aclose()
    await owned.aclose()  # twice is fine


def test_client_made_outside_a_loop_works_inside_one() -> None:
    client = MubertClient("c", "t", transport=MockTransport(lambda r: OK))

    async def use() -> str:
        return (await client.tracks.get("t1")).id

    assert asyncio.run(use()) == "t1"
    assert asyncio.run(use()) == "t1"  # and in a second event loop


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=4.0, jitter=0.0)
    assert [policy.delay(n) for n in range(4)] == [1.0, 2.0, 4.0, 4.0]
    jittery = RetryPolicy(initial_delay=1.0, jitter=0.5)
    assert all(0.5 <= jittery.delay(0) <= 1.0 for _ in range(50))
    limited = RateLimitError("slow down", status=429, headers={"retry-after": "2"})
    assert policy.delay(0, limited) == 2.0
