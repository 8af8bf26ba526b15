"""``RedisRelay``: webhook deliveries shared by every process through a Redis key and channel.

Each key's newest payload is a hash ``{namespace}:relay:{name}:{key}`` (fields ``rank``
and ``payload``) expiring ``keep_for`` seconds after it was last replaced. ``publish``
is one Lua script: it replaces the hash and publishes the payload on the channel
``{namespace}:relay:{name}`` only when the new rank is higher, element by element, than
the kept one, so an older state never overwrites a newer one and a duplicate is sent
once. Listening is a pub/sub subscription on that channel (the listener pattern of
``RedisCoordination``); after each (re)subscription the owner is told, so that it can
look up with ``kept`` what was published while it was not subscribed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

import anyio
import redis.asyncio

from .._logging import logger
from ..coordination._base import Deliver, OnSubscribed
from ..errors import InvalidRequestError

__all__ = ["PUBLISH", "RedisRelay", "RelayHost"]

T = TypeVar("T")


PubSubLoop = Callable[[str, Deliver, asyncio.Event, OnSubscribed | None], Coroutine[Any, Any, None]]
"""``(channel, on_message, subscribed, on_subscribed)``: listen until cancelled."""


class RelayHost(Protocol):
    """What a relay uses of its ``RedisCoordination`` (a protocol, so no import cycle)."""

    namespace: str
    _redis: redis.asyncio.Redis
    _closed: bool

    async def _call(self, what: str, command: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis command under the timeout, as ``CoordinationError`` if it fails."""
        ...

    @property
    def _pubsub_loop(self) -> PubSubLoop:
        """Passes a channel's messages on, resubscribing after errors (see the coordination)."""
        ...


PUBLISH = """
-- KEYS[1] the key's hash; ARGV[1] the rank (numbers separated by spaces), ARGV[2] the
-- payload, ARGV[3] how long to keep it (ms), ARGV[4] the channel. 1 if newer (kept, sent).
local kept = redis.call('HGET', KEYS[1], 'rank')
if kept then
  local old = {}
  for number in string.gmatch(kept, '%S+') do old[#old + 1] = tonumber(number) end
  local i, newer = 0, false
  for number in string.gmatch(ARGV[1], '%S+') do
    i = i + 1
    local value, before = tonumber(number), old[i]
    if before == nil or value > before then newer = true break end
    if value < before then break end
  end
  if not newer then return 0 end
end
redis.call('HSET', KEYS[1], 'rank', ARGV[1], 'payload', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
"""
"""Keep and send a payload only if it outranks the kept one (a longer rank with an equal
prefix outranks a shorter one)."""


class RedisRelay:
    """A ``DeliveryRelay`` through Redis; made by ``RedisCoordination.relay``.

    Commands fail as ``CoordinationError`` like the coordination's own (within its command
    timeout). The listener runs until ``aclose()`` or the coordination's ``aclose()``.
    """

    def __init__(self, coordination: RelayHost, name: str, keep_for: float) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidRequestError("name", "must be a non-empty string")
        if (
            isinstance(keep_for, bool)
            or not isinstance(keep_for, (int, float))
            or not (math.isfinite(keep_for) and keep_for >= 0.001)
        ):
            raise InvalidRequestError("keep_for", "must be a finite number of seconds >= 0.001")
        self._coordination = coordination
        self._name = name
        self._prefix = f"{coordination.namespace}:relay:{name}:"
        self._channel = f"{coordination.namespace}:relay:{name}"
        self._keep_ms = str(math.ceil(keep_for * 1000))
        self._script = coordination._redis.register_script(PUBLISH)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    @property
    def name(self) -> str:
        """The relay's name (its Redis key prefix and channel derive from it)."""
        return self._name

    async def publish(self, key: str, rank: Sequence[int], payload: bytes) -> bool:
        """Keep and send ``payload`` if ``rank`` is higher than the kept one's; True if so."""
        ranked = " ".join(str(int(number)) for number in rank)
        args: list[str | bytes] = [ranked, payload, self._keep_ms, self._channel]
        reply = await self._coordination._call(
            "relay.publish", lambda: self._script(keys=[self._prefix + key], args=args)
        )
        return int(reply) == 1

    async def kept(self, key: str) -> bytes | None:
        """The newest payload kept for ``key``, or None."""
        redis = self._coordination._redis
        value: bytes | str | None = await self._coordination._call(
            "relay.kept",
            lambda: redis.hget(self._prefix + key, "payload"),
        )
        return value.encode() if isinstance(value, str) else value

    async def listen(
        self, deliver: Deliver, on_subscribed: OnSubscribed, *, wait: float = 0.0
    ) -> bool:
        """Subscribe (once) and pass each payload to ``deliver``; True once subscribed.

        Waits up to ``wait`` seconds for Redis to confirm the subscription; the listener
        keeps trying to subscribe in the background when Redis cannot be reached.
        """
        coordination = self._coordination
        if self._listener is None and not coordination._closed:
            self._listener = asyncio.create_task(
                coordination._pubsub_loop(self._channel, deliver, self._subscribed, on_subscribed),
                name=f"mubert-redis-relay-{self._name}",
            )
        if wait > 0 and not self._subscribed.is_set():
            with anyio.move_on_after(wait):
                await self._subscribed.wait()
        return self._subscribed.is_set()

    async def aclose(self) -> None:
        """Stop the listener (the kept payloads stay in Redis until they expire)."""
        task, self._listener = self._listener, None
        if task is not None:
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.gather(task, return_exceptions=True)
            logger.debug("Redis relay %s stopped listening", self._name)

    def __repr__(self) -> str:
        state = "subscribed" if self._subscribed.is_set() else "not subscribed"
        return f"RedisRelay({self._name!r}, {state})"
