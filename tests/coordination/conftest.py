"""Fixtures for the coordination tests: a real redis-server per xdist worker, and backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from coordination_harness import REDIS_SERVER, MakeCoordination, RedisServer, redis_maker

from mubert_async.coordination import InProcessCoordination
from mubert_async.redis import RedisCoordination

NO_REDIS = "redis-server is not installed (apt-get install redis-server) and MUBERT_TEST_REDIS_URL is unset"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MUBERT_TEST_REDIS_URL when set (CI's server), else a server of this xdist worker."""
    url = os.environ.get("MUBERT_TEST_REDIS_URL")
    if url:
        yield url
        return
    if REDIS_SERVER is None:
        pytest.skip(NO_REDIS)
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test alone (it may be stopped and restarted)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace of this test alone, so tests may share one server."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
async def make_redis(
    redis_url: str, namespace: str
) -> AsyncIterator[Callable[..., RedisCoordination]]:
    """RedisCoordinations on this test's namespace, closed at the end."""
    async with redis_maker(redis_url, namespace) as make:
        yield make


@pytest.fixture(params=["memory", "redis"])
async def make_coordination(
    request: pytest.FixtureRequest, namespace: str
) -> AsyncIterator[MakeCoordination]:
    """Coordinations that share state: one object in process, separate clients on Redis."""
    if request.param == "memory":
        shared = InProcessCoordination()
        yield lambda **_: shared
        await shared.aclose()
        return
    async with redis_maker(request.getfixturevalue("redis_url"), namespace) as make:
        yield make
