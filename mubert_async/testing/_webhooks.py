"""Delivering the fake's webhooks: retries with backoff, and faulty deliveries on purpose.

Deliveries may be lost, duplicated, delayed or reordered on purpose (``WebhookFaults``).

The fake advances lazily, so a ``WebhookSender`` ticks it to notice generations that
finished: when the next one is due, and at least every ``interval`` seconds (a
``ManualClock`` moves when a test says so). Then it POSTs each one's track JSON with ``post``
(over HTTP in ``mubert_async.sim``; straight into a ``WebhookReceiver`` for
``FakeMubert.deliver_webhooks``). Each delivery runs in its own task, so a slow or
failing one holds up no other.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import msgspec

from ._model import FakeStats

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from ._engine import Engine

__all__ = ["Post", "WebhookFaults", "WebhookRefused", "WebhookSender"]

logger = logging.getLogger("mubert_async.testing.webhooks")

Post = Callable[[str, bytes], Awaitable[int]]
"""Send one delivery (URL, JSON body); return the HTTP status of the answer.

Raising ``WebhookRefused`` gives the delivery up at once; any other exception (a
connection refused, a timeout) is retried like a 5xx answer.
"""


class WebhookRefused(ValueError):
    """A delivery that must not be attempted (e.g. to a host the simulator will not call)."""


@dataclass(frozen=True, kw_only=True)
class WebhookFaults:
    """How deliveries go wrong on purpose: shares between 0 and 1, and seconds.

    ``loss``: never sent; ``duplicate``: sent a second time ``hold`` seconds after the
    first; ``reorder``: held back ``hold`` seconds, so later deliveries overtake it;
    ``delay``: seconds every delivery waits before it is sent. Each delivery draws
    its fate from the fake's seeded generator when it is noticed.
    """

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    hold: float = 0.25

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"webhook {name} rate must be between 0 and 1, not {rate!r}")
        for name in ("delay", "hold"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"webhook {name} must be a non-negative number of seconds")

    def describe(self) -> str:
        """A short human summary, e.g. ``loss 20%, delay 0.5 s`` (``none`` without faults)."""
        parts = [
            f"{name} {getattr(self, name):.0%}"
            for name in ("loss", "duplicate", "reorder")
            if getattr(self, name)
        ]
        if self.delay:
            parts.append(f"delay {self.delay:g} s")
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class _Fate:
    lost: bool
    copies: int
    held: bool


class WebhookSender:
    """Ticks the fake and delivers what finished: ``await run()`` until cancelled, or in the
    background while inside ``async with sender:`` (an exception of the body passes
    through as it is, not in an exception group).

    A delivery is attempted up to ``attempts`` times: again after an exception, a 5xx
    or a 429, waiting ``backoff`` seconds doubled each time (at most ``max_backoff``);
    other answers end it (2xx delivered, 4xx failed).
    """

    def __init__(
        self,
        engine: Engine,
        stats: FakeStats,
        post: Post,
        *,
        faults: WebhookFaults | None = None,
        rng: random.Random | None = None,
        interval: float = 0.05,
        attempts: int = 5,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
    ) -> None:
        if not (math.isfinite(interval) and interval > 0):
            raise ValueError("interval must be a positive number of seconds")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._engine = engine
        self._stats = stats
        self._post = post
        self.faults = faults or WebhookFaults()
        self._rng = rng or random.Random()
        self.interval = interval
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._group: TaskGroup | None = None

    async def __aenter__(self) -> WebhookSender:
        if self._group is not None:
            raise RuntimeError("this WebhookSender is already running")
        group = anyio.create_task_group()
        await group.__aenter__()
        group.start_soon(self.run)
        self._group = group
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        group, self._group = self._group, None
        assert group is not None
        group.cancel_scope.cancel()
        # The body's exception is not the group's business: it propagates unwrapped.
        await group.__aexit__(None, None, None)

    async def run(self) -> None:
        """Deliver until cancelled; deliveries still in progress are cancelled with it."""
        engine = self._engine
        async with anyio.create_task_group() as group:
            while True:
                pause = self.interval
                if engine.license.webhook_enabled or engine.webhook_outbox:
                    now = engine.clock()
                    for url, track in engine.drain_webhooks(now):
                        group.start_soon(self._deliver, url, track, self._fate())
                    due = engine.next_ready()
                    if due is not None:  # a millisecond late, so that it is due by then
                        pause = min(pause, max(0.0, due - now) + 0.001)
                await anyio.sleep(pause)

    def _fate(self) -> _Fate:
        faults, rng = self.faults, self._rng
        # Three draws each time, whatever the rates: the same seed, the same fates.
        lost, duplicate, held = rng.random(), rng.random(), rng.random()
        copies = 2 if duplicate < faults.duplicate else 1
        return _Fate(lost < faults.loss, copies, held < faults.reorder)

    async def _deliver(self, url: str, track: dict[str, Any], fate: _Fate) -> None:
        stats = self._stats
        if fate.lost:
            stats.webhooks_lost += 1
            logger.debug("webhook for track %s lost on purpose", track.get("id"))
            return
        body = msgspec.json.encode(track)
        wait = self.faults.delay
        if fate.held:
            stats.webhooks_reordered += 1
            wait += self.faults.hold
        for copy in range(fate.copies):
            if copy:
                stats.webhooks_duplicated += 1
                wait = self.faults.hold
            if wait:
                await anyio.sleep(wait)
            await self._send(url, body, str(track.get("id")))

    async def _send(self, url: str, body: bytes, track_id: str) -> None:
        """One delivery with its retries. The URL holds the receiver's secret: never logged."""
        stats = self._stats
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                stats.webhooks_retried += 1
                await anyio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
            try:
                status = await self._post(url, body)
            except WebhookRefused as exc:
                stats.webhooks_failed += 1
                logger.debug("webhook for track %s not sent: %s", track_id, exc)
                return
            except Exception as exc:
                logger.debug("webhook for track %s, attempt %d: %r", track_id, attempt, exc)
                continue
            if 200 <= status < 300:
                stats.webhooks_delivered += 1
                return
            logger.debug("webhook for track %s, attempt %d: HTTP %d", track_id, attempt, status)
            if status < 500 and status != 429:
                break
        stats.webhooks_failed += 1
