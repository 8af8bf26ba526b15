"""Shared fixtures: an in-memory Mubert with a manual clock, clients bound to it, instant retries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mubert_async import MubertClient, MubertServiceClient
from mubert_async.testing import FakeMubert, ManualClock


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry back-off delays, recorded instead of slept."""
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr("mubert_async._base_client._sleep", fake_sleep)
    return delays


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeMubert:
    return FakeMubert(clock=clock, generation_time=10.0)


@pytest.fixture
async def client(fake: FakeMubert, sleeps: list[float]) -> AsyncIterator[MubertClient]:
    async with fake.client() as client:
        yield client


@pytest.fixture
async def service(fake: FakeMubert, sleeps: list[float]) -> AsyncIterator[MubertServiceClient]:
    async with fake.service_client() as service:
        yield service
