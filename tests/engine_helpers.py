"""What the generation-engine tests share: quick policies, a client on a fake, counters."""

from __future__ import annotations

import asyncio
from typing import Any

from mubert_async import MubertClient, RetryPolicy
from mubert_async.generation import PollPolicy
from mubert_async.testing import FakeMubert

FAST_POLL = PollPolicy(initial_delay=0.02, min_interval=0.01, max_interval=0.05, jitter=0.05)
FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.05)


def client_of(fake: FakeMubert, **kwargs: Any) -> MubertClient:
    """A client of ``fake`` that polls and retries after milliseconds (override any option)."""
    kwargs.setdefault("poll", FAST_POLL)
    kwargs.setdefault("retry", FAST_RETRY)
    return fake.client(**kwargs)


def creates(fake: FakeMubert) -> int:
    """Track creates the fake received (each a possible bill)."""
    return sum(1 for r in fake.requests if r.method == "POST" and r.url.endswith("/public/tracks"))


def other_tasks() -> set[asyncio.Task[Any]]:
    """Tasks still running besides the current one."""
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}
