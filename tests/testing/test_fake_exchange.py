"""FakeMubert.exchange: the one entry FakeTransport and the HTTP simulator serve through."""

from __future__ import annotations

import aiohttp
import pytest

from mubert_async.errors import ServerError, TransportError
from mubert_async.sim import serve
from mubert_async.testing import Exchange, FakeMubert, Fault
from mubert_async.transport import Request, Response


def _create(api) -> Request:
    body = {"playlist_index": "1.0.0", "duration": 30}
    return api.request("POST", "/public/tracks", api.public_headers(), json=body)


async def test_an_untouched_exchange_is_recorded_and_answered(api, fake: FakeMubert) -> None:
    request = _create(api)
    exchange = await fake.exchange(request)
    assert exchange.fault is None and exchange.error is None
    assert exchange.answer().status == 200
    assert fake.requests == [request]
    assert (fake.stats.requests, fake.stats.creates, fake.stats.faults_injected) == (1, 1, 0)


async def test_the_fault_that_applied_is_reported(api, fake: FakeMubert) -> None:
    fake.faults.add(Fault.server_error(502, method="GET"))  # does not match a POST
    applied = fake.faults.add(Fault.rate_limited(retry_after=2))
    request = _create(api)
    exchange = await fake.exchange(request)
    assert exchange.fault is applied
    assert exchange.response is not None and exchange.response.status == 429
    assert fake.requests == [request]
    assert (fake.stats.creates, fake.stats.faults_injected) == (0, 1)
    assert (await fake.exchange(_create(api))).fault is None  # times=1: used up


async def test_a_broken_connection_is_an_error_with_its_fault(api, fake: FakeMubert) -> None:
    applied = fake.faults.add(Fault.reset(after_processing=True))
    exchange = await fake.exchange(_create(api))
    assert exchange.fault is applied and exchange.response is None
    assert isinstance(exchange.error, TransportError) and exchange.error.sent is True
    with pytest.raises(TransportError) as raised:
        exchange.answer()
    assert raised.value is exchange.error
    assert fake.stats.creates == 1  # processed, then the connection broke


async def test_body_cuts_apply_to_streams_only(api, fake: FakeMubert) -> None:
    cut = fake.faults.add(Fault.reset_during_body())
    request = api.request("GET", "/public/playlists", api.public_headers())
    assert (await fake.exchange(request)).fault is None
    assert cut.remaining == 1
    exchange = await fake.exchange(request, stream=True)
    assert exchange.fault is cut and exchange.answer().status == 200
    assert fake.requests == [request, request]


async def test_requests_are_counted_but_not_kept_when_not_recording(api) -> None:
    fake = FakeMubert(record_requests=False)
    await fake.exchange(Request("GET", f"{fake.base_url}/public/playlists"))
    assert fake.stats.requests == 1 and fake.requests == []


def test_an_exchange_has_a_response_or_an_error() -> None:
    with pytest.raises(ValueError):
        Exchange(None, None)
    with pytest.raises(ValueError):
        Exchange(Response(200, {}, b""), None, TransportError("x"))


class _Spy(FakeMubert):
    """A fake that notes each exchange it serves."""

    def __init__(self) -> None:
        super().__init__()
        self.served: list[tuple[str, bool, str | None]] = []

    async def exchange(self, request: Request, *, stream: bool = False) -> Exchange:
        exchange = await super().exchange(request, stream=stream)
        kind = exchange.fault.kind if exchange.fault else None
        self.served.append((request.method, stream, kind))
        return exchange


async def test_the_transport_and_the_simulator_serve_through_exchange() -> None:
    fake = _Spy()
    customer = fake.add_customer()
    fake.faults.add(Fault.server_error(503, method="GET"))
    async with fake.client(customer, max_retries=0) as client:
        with pytest.raises(ServerError):
            await client.playlists.list()
    headers = {"customer-id": customer.id, "access-token": customer.access_token}
    # (a POST: aiohttp sends a GET again on a fresh connection after a reset)
    fake.faults.add(Fault.reset(after_processing=False, method="POST"))
    runner, base_url = await serve(fake)
    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            with pytest.raises(aiohttp.ClientError):
                async with http.post(f"{base_url}/public/tracks", json={}) as response:
                    await response.read()
    finally:
        await runner.cleanup()
    assert fake.served == [("GET", False, "status"), ("POST", True, "reset_before")]
    assert fake.stats.faults_injected == 2 and len(fake.requests) == 2
