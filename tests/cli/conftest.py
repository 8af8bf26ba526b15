"""Fixtures of the ``mubert`` command line tests: a local HTTP simulator."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from cli_helpers import HttpSim

from mubert_async.sim import serve
from mubert_async.testing import FakeMubert


@pytest.fixture(scope="module")
def http_sim() -> Iterator[HttpSim]:
    """``mubert_async.sim.serve`` on a free loopback port, for subprocesses to call."""
    fake = FakeMubert(generation_time=0.05, seed=None)
    customer = fake.add_customer("http-user")
    loop = asyncio.new_event_loop()
    started = threading.Event()
    found: dict[str, str] = {}

    def serve_forever() -> None:
        asyncio.set_event_loop(loop)
        runner, base_url = loop.run_until_complete(serve(fake))
        found["base_url"] = base_url
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=serve_forever, name="http-sim", daemon=True)
    thread.start()
    assert started.wait(10), "the simulator did not start"
    try:
        yield HttpSim(fake, customer, found["base_url"])
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
