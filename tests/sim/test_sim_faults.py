"""Faults over real HTTP: statuses answered, resets and cut bodies as broken connections."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from mubert_async import (
    MubertClient,
    RateLimitError,
    RequestTimeout,
    ServerError,
    TransportError,
)
from mubert_async.sim import FaultRates, add_fault_rates, serve
from mubert_async.testing import FakeCustomer, FakeMubert, Fault, ManualClock
from mubert_async.transport import Request

Served = tuple[FakeMubert, FakeCustomer, str]


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    fake = FakeMubert(clock=ManualClock(), seed=7)
    customer = fake.add_customer("faulty")
    runner, base_url = await serve(fake)
    try:
        yield fake, customer, base_url
    finally:
        await runner.cleanup()


def client_for(served: Served, **kwargs: object) -> MubertClient:
    _, customer, base_url = served
    kwargs.setdefault("max_retries", 0)
    return MubertClient(customer.id, customer.access_token, base_url=base_url, **kwargs)  # type: ignore[arg-type]


def headers(customer: FakeCustomer) -> dict[str, str]:
    return {"customer-id": customer.id, "access-token": customer.access_token}


# -- each kind, as a real client sees it ------------------------------------------------


async def test_reset_rate_1_breaks_every_connection(served: Served) -> None:
    fake, _, _ = served
    add_fault_rates(fake, FaultRates(reset=1))
    async with client_for(served) as client:
        for _ in range(4):
            with pytest.raises(TransportError) as caught:
                await client.playlists.list()
            assert caught.value.sent  # the request may have been processed
    kinds = Counter(f.kind for f in fake.faults for _ in range(f.hits))
    assert set(kinds) <= {"reset_before", "reset_after"} and fake.stats.faults_injected >= 4


async def test_resets_before_and_after_processing(served: Served) -> None:
    fake, customer, base_url = served
    before, after = Fault.reset(after_processing=False), Fault.reset(after_processing=True)
    fake.faults.add(before)
    fake.faults.add(after)
    body = {"prompt": "rain", "duration": 30}
    async with aiohttp.ClientSession(headers=headers(customer)) as http:
        for _ in range(2):  # POST is not retried by aiohttp: one request, one fault
            with pytest.raises(aiohttp.ClientError):
                await http.post(f"{base_url}/public/tracks", json=body)
        async with http.get(f"{base_url}/public/tracks") as response:
            listing = await response.json()
    assert before.hits == after.hits == 1
    assert listing["meta"]["total"] == 1  # only the reset after processing made a track


async def test_error_rate_1_gives_server_errors_of_each_kind(served: Served) -> None:
    fake, customer, base_url = served
    add_fault_rates(fake, FaultRates(error=1))
    async with client_for(served) as client:
        with pytest.raises(ServerError) as caught:
            await client.tracks.list()
    assert caught.value.status in (500, 502, 503)
    async with aiohttp.ClientSession(headers=headers(customer)) as http:
        statuses = set()
        for _ in range(30):
            async with http.get(f"{base_url}/public/playlists") as response:
                statuses.add(response.status)
    assert statuses == {500, 502, 503}


async def test_rate_limit_rate_answers_429_with_retry_after(served: Served) -> None:
    fake, _, _ = served
    add_fault_rates(fake, FaultRates(rate_limit=1, retry_after=7))
    async with client_for(served) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.playlists.list()
    assert caught.value.status == 429 and caught.value.retry_after == 7


async def test_slow_rate_delays_answers(served: Served) -> None:
    fake, _, _ = served
    add_fault_rates(fake, FaultRates(slow=1, slow_delay=0.5))
    async with client_for(served, timeout=0.1) as client:
        with pytest.raises(RequestTimeout):
            await client.playlists.list()


async def test_malformed_rate_answers_what_is_not_json(served: Served) -> None:
    fake, _, _ = served
    add_fault_rates(fake, FaultRates(malformed=1))
    async with client_for(served) as client:
        with pytest.raises(TransportError, match="malformed"):
            await client.playlists.list()


@pytest.mark.parametrize("kind", [Fault.truncated, Fault.reset_during_body])
async def test_cut_bodies_break_off_mid_download(
    served: Served, kind: Callable[..., Fault], tmp_path: Path
) -> None:
    fake, _, _ = served
    async with client_for(served) as client:
        track = await client.tracks.create(prompt="waves", duration=5, format="wav")
        fault = fake.faults.add(kind(path=r"^/files/", times=None))
        with pytest.raises(TransportError):
            await client.tracks.download(track.id, tmp_path)
    assert fault.hits >= 1
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


async def test_a_json_body_cut_short(served: Served) -> None:
    fake, customer, base_url = served
    fake.faults.add(Fault.reset_during_body(path="playlists"))
    async with (
        aiohttp.ClientSession(headers=headers(customer)) as http,
        http.get(f"{base_url}/public/playlists") as response,
    ):
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_the_request_log_sees_every_outcome() -> None:
    fake = FakeMubert(clock=ManualClock())
    customer = fake.add_customer()
    seen: list[tuple[str, int | None, str | None]] = []

    def log(request: Request, status: int | None, fault: Fault | None) -> None:
        seen.append((request.method, status, fault.kind if fault else None))

    fake.faults.add(Fault.server_error(502, path="tracks"))
    fake.faults.add(Fault.reset(after_processing=False, method="POST"))
    runner, base_url = await serve(fake, log=log)
    try:
        async with aiohttp.ClientSession(headers=headers(customer)) as http:
            for method, path in (("GET", "playlists"), ("GET", "tracks"), ("POST", "x")):
                try:
                    async with http.request(method, f"{base_url}/public/{path}") as response:
                        await response.read()
                except aiohttp.ClientError:
                    pass
    finally:
        await runner.cleanup()
    assert seen == [("GET", 200, None), ("GET", 502, "status"), ("POST", None, "reset_before")]


# -- mixing rates -------------------------------------------------------------------------


def test_rates_are_exclusive_shares_of_all_requests() -> None:
    fake = FakeMubert(seed=3)
    rates = FaultRates(error=0.3, rate_limit=0.1, reset=0.2, slow=0.1, malformed=0.1)
    added = add_fault_rates(fake, rates)
    kinds = ["status"] * 4 + ["reset_before", "reset_after", "slow", "malformed"]
    assert [f.kind for f in added] == kinds
    request = Request("GET", "http://127.0.0.1/api/v3/public/playlists", {}, {})
    picked: Counter[str] = Counter()
    draws = 20_000
    for _ in range(draws):
        fault = fake.faults.pick(request)
        if fault is None:
            picked["none"] += 1
        else:
            picked[str(fault.status) if fault.kind == "status" else fault.kind] += 1
    share = {name: count / draws for name, count in picked.items()}
    for status in (500, 502, 503):
        assert share[str(status)] == pytest.approx(0.1, abs=0.015)
    assert share["429"] == pytest.approx(0.1, abs=0.015)
    assert share["reset_before"] + share["reset_after"] == pytest.approx(0.2, abs=0.02)
    assert share["slow"] == pytest.approx(0.1, abs=0.015)
    assert share["malformed"] == pytest.approx(0.1, abs=0.015)
    assert share["none"] == pytest.approx(0.2, abs=0.02)


def test_rates_that_fill_every_request_leave_none_untouched() -> None:
    fake = FakeMubert(seed=1)
    add_fault_rates(fake, FaultRates(error=0.5, malformed=0.5))
    request = Request("GET", "http://127.0.0.1/x", {}, {})
    assert all(fake.faults.pick(request) is not None for _ in range(500))


def test_no_rates_add_no_faults() -> None:
    fake = FakeMubert()
    assert add_fault_rates(fake, FaultRates()) == [] and len(fake.faults) == 0
    assert not FaultRates() and FaultRates().describe() == "none"
    assert FaultRates(error=0.1, reset=0.05).describe() == "error 10%, reset 5%"


@pytest.mark.parametrize(
    "bad",
    [
        {"error": 1.5},
        {"reset": -0.1},
        {"error": 0.6, "malformed": 0.5},
        {"slow_delay": -1.0},
        {"retry_after": float("inf")},
    ],
)
def test_invalid_rates_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultRates(**bad)
