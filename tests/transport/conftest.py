"""Fixtures: servers on 127.0.0.1 (see transport_servers.py) and transport factories."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from transport_servers import Server, TransportFactory, serve

from mubert_async.transport import AiohttpTransport, Transport
from mubert_async.transport._httpx import HttpxTransport


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with serve() as srv:
        yield srv


@pytest.fixture
def threaded_server() -> Iterator[Server]:
    """The same servers, on a loop in another thread: they outlive the test's own loops."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    box: dict[str, Server] = {}

    async def main() -> None:
        async with serve() as srv:
            box["server"] = srv
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield box["server"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(params=["aiohttp", "httpx"])
async def make_transport(request: pytest.FixtureRequest) -> AsyncIterator[TransportFactory]:
    """Builds transports of the parametrised kind; closes them all afterwards."""
    made: list[Any] = []
    cls = AiohttpTransport if request.param == "aiohttp" else HttpxTransport

    def factory(*args: Any, **kwargs: Any) -> Transport:
        transport = cls(*args, **kwargs)
        made.append(transport)
        return transport

    yield factory
    for transport in made:
        await transport.aclose()


@pytest.fixture
def transport_kind(make_transport: TransportFactory, request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["make_transport"])


@pytest.fixture(scope="session", autouse=True)
def _freeze_startup_objects() -> Iterator[None]:
    """Keeps the per-test gc.collect() cheap: objects from imports are never rescanned."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _collect_garbage(_freeze_startup_objects: None) -> Iterator[None]:
    """Finalisers (and their ResourceWarnings) run inside the test that caused them."""
    yield
    gc.collect()
