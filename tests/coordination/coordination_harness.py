"""Helpers of the coordination tests: a throwaway ``redis-server``, and reading a line's length."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import redis.asyncio

from mubert_async.coordination import Coordination, SharedSemaphore
from mubert_async.coordination._memory import MemorySemaphore
from mubert_async.redis import RedisCoordination, RedisSemaphore

__all__ = [
    "REDIS_SERVER",
    "MakeCoordination",
    "RedisServer",
    "free_port",
    "queued",
    "reap",
    "redis_maker",
    "until_queued",
]

MakeCoordination = Callable[..., Coordination]
"""Makes coordinations that share state (keyword ``lease_ttl`` for Redis ones)."""

REDIS_SERVER = shutil.which("redis-server")
"""The redis-server binary, or None when it is not installed."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def reap(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` if it still runs, wait for it and close its pipes."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


class RedisServer:
    """One redis-server process without persistence; ``stop``/``start`` keep the port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        assert REDIS_SERVER is not None
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        assert REDIS_SERVER is not None and self.process is None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
                "--protected-mode", "yes",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                self.process = None
                raise RuntimeError(f"redis-server exited on port {self.port}: {err}")
            if self._ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def _ping(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False


async def queued(semaphore: SharedSemaphore) -> int:
    """Waiters in line, read from the backend's own state."""
    if isinstance(semaphore, MemorySemaphore):
        return len(semaphore._waiters)
    assert isinstance(semaphore, RedisSemaphore)
    client: redis.asyncio.Redis = semaphore._coordination._redis
    return int(await client.zcard(semaphore._keys[1]))


async def until_queued(semaphore: SharedSemaphore, n: int) -> None:
    """Wait until at least ``n`` waiters are in line."""
    with anyio.fail_after(10):
        while await queued(semaphore) < n:  # noqa: ASYNC110 - polls state held in Redis
            await anyio.sleep(0.005)


@asynccontextmanager
async def redis_maker(
    redis_url: str, namespace: str
) -> AsyncIterator[Callable[..., RedisCoordination]]:
    """Make RedisCoordinations on one namespace, each with its own client (like processes)."""
    made: list[tuple[redis.asyncio.Redis, RedisCoordination]] = []

    def make(*, lease_ttl: float = 30.0, url: str = redis_url) -> RedisCoordination:
        client = redis.asyncio.Redis.from_url(url)
        coordination = RedisCoordination(client, namespace=namespace, lease_ttl=lease_ttl)
        made.append((client, coordination))
        return coordination

    try:
        yield make
    finally:
        for client, coordination in made:
            await coordination.aclose()
            await client.aclose()
