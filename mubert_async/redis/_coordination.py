"""``RedisCoordination``: the coordination protocols on Redis, shared by every process using it.

A slot is a lease: an id in a Redis sorted set, scored with its expiry on the Redis clock.
Every change (join the line, take a slot, give it back, renew, set the limit) is one Lua
script, so it is atomic; the scripts grant free slots in fair order and publish the ids
they granted, which wakes those waiters at once. Each waiter also re-checks on a timer
(at most every second) so a lost message or a dead worker's expired lease is noticed.

Redis going away: a fresh ``acquire`` raises ``CoordinationError`` (within the command
timeout); a waiter already in line keeps its place and retries for up to ``lease_ttl``
before raising; a held lease stays held locally, its renewals retry, and the first
renewal that reaches Redis again re-adds it. If renewals fail for longer than
``lease_ttl`` the lease is marked ``lost``: Redis may have handed its slot to someone
else meanwhile, so until it is renewed again the license may be over-admitted by the
leases that lapsed (bounded by the holders that lost contact; the server then answers
a concurrency 403 to the excess, which the engine handles as it always does).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
import redis.asyncio
from redis.exceptions import RedisError

from .._logging import logger
from ..coordination._base import TIMINGS_WINDOW, Deliver, OnSubscribed, SemaphoreCounts, check_limit
from ..errors import CoordinationError, InvalidRequestError
from . import _scripts
from ._relay import RedisRelay

__all__ = ["RedisCoordination", "RedisLease", "RedisSemaphore", "RedisTimings"]

T = TypeVar("T")


class RedisLease:
    """A slot held in Redis; renewed by its coordination until ``release()``."""

    __slots__ = ("_id", "_lost", "_released", "_renewed", "_semaphore")

    def __init__(self, semaphore: RedisSemaphore, id: str) -> None:
        self._semaphore = semaphore
        self._id = id
        self._renewed = time.monotonic()
        self._lost = False
        self._released = False

    @property
    def id(self) -> str:
        """The lease's id in Redis."""
        return self._id

    @property
    def lost(self) -> bool:
        """True once renewals failed for longer than the TTL (the slot may be re-granted)."""
        return self._lost

    async def release(self) -> None:
        """Give the slot back (once). If Redis cannot be reached it expires after the TTL."""
        if self._released:
            return
        self._released = True
        semaphore = self._semaphore
        semaphore._coordination._held.pop(self._id, None)
        with anyio.CancelScope(shield=True):
            try:
                await semaphore._run("release", _scripts.RELEASE, self._id)
            except CoordinationError as exc:
                logger.warning("could not release a slot of %s (%s); it expires", semaphore, exc)

    def __repr__(self) -> str:
        state = "released" if self._released else "lost" if self._lost else "held"
        return f"RedisLease({self._semaphore.name!r}, {state})"


class RedisSemaphore(SemaphoreCounts):
    """A ``SharedSemaphore`` whose slots, line and limit live in Redis (its Redis keys are
    derived from its name and the namespace; ``limit``, ``in_flight``, ``peak`` as last seen)."""

    def __init__(self, coordination: RedisCoordination, name: str, limit: int | None) -> None:
        _encode_limit(limit)  # refuse a bad one now
        super().__init__(name, limit)
        self._coordination = coordination
        self._seen = False
        tag = f"{{{coordination.namespace}:sem:{name}}}"
        parts = ("leases", "waiters", "groups", "limit", "peak", "grace")
        self._keys = [f"{tag}:{part}" for part in parts]
        self._queue_prefix = f"{tag}:queue:"

    async def set_limit(self, limit: int | None) -> None:
        """Store a new limit for every process (None: unlimited) and grant what now fits."""
        await self._run("set_limit", _scripts.SET_LIMIT, _encode_limit(limit))

    async def acquire(self, group: str = "") -> RedisLease:
        """Join the fair line in Redis and wait until a slot is granted.

        Raises ``CoordinationError`` when Redis cannot be reached to join the line, or
        stays unreachable for ``lease_ttl`` while waiting.
        """
        coordination = self._coordination
        await coordination._listen()
        id = uuid.uuid4().hex
        failing_since: float | None = None
        joined = sent = False
        try:
            while True:
                woken = coordination._wakers[id] = anyio.Event()
                sent = True
                try:
                    granted = await self._run("acquire", _scripts.ACQUIRE, id, group)
                except CoordinationError:
                    now = time.monotonic()
                    failing_since = now if failing_since is None else failing_since
                    if not joined or now - failing_since > coordination.lease_ttl:
                        raise
                    granted = False
                else:
                    joined, failing_since = True, None
                if granted:
                    break
                with anyio.move_on_after(coordination._recheck):
                    await woken.wait()
        except BaseException:
            coordination._wakers.pop(id, None)
            if sent:
                # leave the line and give back a slot granted just now (even by a script
                # whose answer never came); if Redis cannot be reached, they expire
                with anyio.CancelScope(shield=True), contextlib.suppress(CoordinationError):
                    await self._run("cancel", _scripts.CANCEL, id, group)
            raise
        coordination._wakers.pop(id, None)
        lease = RedisLease(self, id)
        coordination._hold(lease)
        return lease

    async def _run(self, what: str, script: str, *args: str) -> bool:
        """Run one of the scripts; note the state it reports; True if it names a held lease."""
        coordination = self._coordination
        argv = [
            *coordination._timing_args,
            _encode_limit(self._limit),  # stored again should Redis lose it
            "1" if self._seen else "0",
            coordination._channel,
            self._queue_prefix,
            *args,
        ]
        reply = await coordination._call(
            what, lambda: coordination._scripts[script](keys=self._keys, args=argv)
        )
        held, self._in_flight, self._peak, limit = (int(value) for value in reply)
        self._limit = None if limit < 0 else limit
        self._seen = True
        return held == 1


class RedisTimings:
    """A ``SharedTimings`` kept in a capped Redis list (the newest ``TIMINGS_WINDOW``)."""

    def __init__(self, coordination: RedisCoordination, name: str) -> None:
        self._coordination = coordination
        self._key = f"{coordination.namespace}:timings:{name}"

    async def add(self, duration: int, seconds: float) -> None:
        """Append one sample and trim the list, in one transaction."""

        async def push() -> None:
            async with self._coordination._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(self._key, f"{int(duration)} {float(seconds)!r}")
                pipe.ltrim(self._key, -TIMINGS_WINDOW, -1)
                pipe.expire(self._key, 7 * 24 * 3600)  # forgotten after a week unused
                await pipe.execute()

        await self._coordination._call("timings.add", push)

    async def samples(self) -> list[tuple[int, float]]:
        """The samples every process added, oldest first."""
        key = self._key
        raw: list[Any] = await self._coordination._call(
            "timings.samples", lambda: self._coordination._redis.lrange(key, 0, -1)
        )
        samples = []
        for item in raw:
            text = item.decode() if isinstance(item, bytes) else str(item)
            duration, _, seconds = text.partition(" ")
            samples.append((int(duration), float(seconds)))
        return samples


class RedisCoordination:
    """Limits, fair waiting and timings shared through Redis by every process using it.

    ``redis`` is a ``redis.asyncio.Redis`` the caller owns (and closes); processes that
    share a license use the same Redis and ``namespace``; use it within one event loop
    (like the ``redis`` client itself). ``lease_ttl`` is how long a
    dead worker's slots stay taken; held slots are renewed every ``lease_ttl / 3``.
    Each Redis command is given ``min(5, max(1, lease_ttl / 3))`` seconds before
    ``CoordinationError`` is raised; at most 64 run at once (fewer for a smaller
    connection pool), the rest wait their turn.
    """

    def __init__(
        self,
        redis: redis.asyncio.Redis,
        *,
        namespace: str = "mubert",
        lease_ttl: float = 30.0,
    ) -> None:
        if not isinstance(namespace, str) or not namespace:
            raise InvalidRequestError("namespace", "must be a non-empty string")
        if isinstance(lease_ttl, bool) or not isinstance(lease_ttl, (int, float)):
            raise InvalidRequestError("lease_ttl", "must be a number of seconds")
        if not math.isfinite(lease_ttl) or lease_ttl < 0.3:
            raise InvalidRequestError("lease_ttl", "must be at least 0.3 seconds")
        self._redis = redis
        self.namespace = namespace
        self.lease_ttl = float(lease_ttl)
        self._recheck = min(1.0, lease_ttl / 3)
        self._timeout = min(5.0, max(1.0, lease_ttl / 3))
        # lease TTL; a waiter's place lasts three missed re-checks; grants held back
        # after Redis lost its data for as long as a failing renewal takes to retry
        self._timing_args = [
            str(int(seconds * 1000))
            for seconds in (lease_ttl, 3 * self._recheck, self._recheck + self._timeout)
        ]
        self._channel = f"{namespace}:wake"
        self._scripts = {
            source: redis.register_script(source)
            for source in (
                _scripts.ACQUIRE,
                _scripts.CANCEL,
                _scripts.RELEASE,
                _scripts.RENEW,
                _scripts.SET_LIMIT,
            )
        }
        pool_size = getattr(redis.connection_pool, "max_connections", 100)
        self._commands = asyncio.Semaphore(max(1, min(64, pool_size - 2)))
        self._semaphores: dict[str, RedisSemaphore] = {}
        self._timings: dict[str, RedisTimings] = {}
        self._relays: list[RedisRelay] = []
        self._wakers: dict[str, anyio.Event] = {}
        self._held: dict[str, RedisLease] = {}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None
        self._closed = False

    def semaphore(self, name: str, *, limit: int | None) -> RedisSemaphore:
        """The semaphore ``name``; ``limit`` is stored on first use if none is stored yet."""
        semaphore = self._semaphores.get(name)
        if semaphore is None:
            semaphore = self._semaphores[name] = RedisSemaphore(self, name, limit)
        return semaphore

    def timings(self, name: str) -> RedisTimings:
        """The timings window ``name``."""
        timings = self._timings.get(name)
        if timings is None:
            timings = self._timings[name] = RedisTimings(self, name)
        return timings

    def relay(self, name: str, *, keep_for: float) -> RedisRelay:
        """A new relay called ``name`` (webhook deliveries across processes, see ``RedisRelay``).

        Every relay of that name in this namespace shares the kept payloads and the channel;
        each listens on its own connection until its or this coordination's ``aclose()``.
        """
        relay = RedisRelay(self, name, keep_for)
        self._relays.append(relay)
        return relay

    async def aclose(self) -> None:
        """Stop the listeners (relays' too) and the renewals and release every lease still held.

        The ``redis`` client is left open: it belongs to the caller.
        """
        self._closed = True
        for relay in self._relays:
            await relay.aclose()
        for task in (self._listener, self._renewer):
            if task is not None:
                task.cancel()
        for task in (self._listener, self._renewer):
            if task is not None:
                with anyio.CancelScope(shield=True):
                    await asyncio.gather(task, return_exceptions=True)
        self._listener = self._renewer = None
        for lease in list(self._held.values()):
            await lease.release()

    # -- internals ---------------------------------------------------------------------

    async def _call(self, what: str, command: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis command under the timeout, as ``CoordinationError`` if it fails."""
        if self._closed and what != "release":  # aclose() still gives leases back
            raise CoordinationError("the Redis coordination is closed")
        try:
            async with self._commands:  # never more than the pool has connections for
                with anyio.fail_after(self._timeout):
                    return await command()
        except TimeoutError:
            raise CoordinationError(
                f"Redis did not answer {what} within {self._timeout:g} s"
            ) from None
        except (RedisError, OSError) as exc:
            raise CoordinationError(f"Redis failed on {what}: {exc}") from exc

    async def _listen(self) -> None:
        """Start the wake-up listener (once) and give it a moment to subscribe."""
        if self._listener is None and not self._closed:
            self._listener = asyncio.create_task(
                self._pubsub_loop(self._channel, self._wake, self._subscribed),
                name="mubert-redis-wake",
            )
        with anyio.move_on_after(0.5):  # not longer: the re-checks cover a late start
            await self._subscribed.wait()

    async def _pubsub_loop(
        self,
        channel: str,
        on_message: Deliver,
        subscribed: asyncio.Event,
        on_subscribed: OnSubscribed | None = None,
    ) -> None:
        """Pass ``channel``'s messages to ``on_message``; resubscribe after errors.

        ``subscribed`` is set while Redis confirms the subscription; ``on_subscribed`` is
        awaited after each confirmation (to catch up on what was sent meanwhile).
        """
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    kind = message.get("type")
                    if kind == "message":
                        data = message["data"]
                        on_message(data.encode() if isinstance(data, str) else data)
                    elif kind == "subscribe":
                        subscribed.set()
                        if on_subscribed is not None:
                            await on_subscribed()
            except (RedisError, OSError) as exc:
                logger.debug("Redis listener on %s failed (%s); retrying", channel, exc)
            except Exception:  # keep listening whatever happened
                logger.exception("Redis listener on %s failed; retrying", channel)
            finally:
                subscribed.clear()
                with anyio.CancelScope(shield=True), anyio.move_on_after(self._timeout):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self._recheck)

    def _wake(self, data: bytes) -> None:
        for id in data.decode().split():
            event = self._wakers.get(id)
            if event is not None:
                event.set()

    def _hold(self, lease: RedisLease) -> None:
        """Keep ``lease`` renewed until it is released."""
        self._held[lease.id] = lease
        if self._renewer is None and not self._closed:
            self._renewer = asyncio.create_task(self._renew_loop(), name="mubert-redis-renew")

    async def _renew_loop(self) -> None:
        """Every ``lease_ttl / 3``, renew the held leases, one script call per semaphore."""
        delay = period = self.lease_ttl / 3
        while self._held:
            await asyncio.sleep(delay)
            by_semaphore: dict[RedisSemaphore, list[RedisLease]] = {}
            for lease in list(self._held.values()):
                by_semaphore.setdefault(lease._semaphore, []).append(lease)
            renewed = [await self._renew(s, leases) for s, leases in by_semaphore.items()]
            delay = period if all(renewed) else self._recheck  # failed: retry soon
        self._renewer = None

    async def _renew(self, semaphore: RedisSemaphore, leases: Sequence[RedisLease]) -> bool:
        held = [lease for lease in leases if not lease._released]
        if not held:
            return True
        try:
            await semaphore._run("renew", _scripts.RENEW, *(lease.id for lease in held))
        except Exception as exc:  # CoordinationError, or anything else: keep renewing
            now = time.monotonic()
            for lease in held:
                if now - lease._renewed > self.lease_ttl and not lease._lost:
                    lease._lost = True
                    logger.warning("lost a slot of %s: renewals failed past the TTL", semaphore)
            logger.debug("renewing %d slot(s) of %s failed: %s", len(held), semaphore, exc)
            return False
        now = time.monotonic()
        for lease in held:
            lease._renewed = now
        return True

    def __repr__(self) -> str:
        return f"RedisCoordination(namespace={self.namespace!r}, lease_ttl={self.lease_ttl:g})"


def _encode_limit(limit: int | None) -> str:
    limit = check_limit(limit)
    return "-1" if limit is None else str(limit)
