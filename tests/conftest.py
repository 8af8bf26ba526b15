"""Shared fixtures: an in-memory Mubert on a manual clock, clients bound to it, instant retries."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import Mock

import aiohttp
import aioresponses.core
import pytest

from mubert_async import MubertClient, MubertServiceClient
from mubert_async.testing import FakeMubert, ManualClock

# The package's pytest plugin (mubert_fake, mubert_client, ...), loaded here rather than by its
# entry point so that coverage is already measuring when it imports mubert_async (pyproject.toml).
pytest_plugins = ["mubert_async.testing.pytest_plugin"]

if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
    # aioresponses 0.7.9 predates aiohttp 3.14, whose ClientResponse requires a
    # stream_writer (pnuckowski/aioresponses#289, still open). Hand it a stand-in
    # until a fixed release exists; remove this shim then.
    class _ClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, stream_writer: Any = None, **kwargs: Any) -> None:
            writer = stream_writer if stream_writer is not None else Mock(output_size=0)
            super().__init__(*args, stream_writer=writer, **kwargs)

    aioresponses.core.ClientResponse = _ClientResponse  # type: ignore[misc]


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
