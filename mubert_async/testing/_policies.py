"""Retry and poll policies for tests: the same decisions as in production, without the waits."""

from __future__ import annotations

from .._retry import RetryPolicy
from ..generation import PollPolicy, ReconcilePolicy

__all__ = ["FAST_POLL", "FAST_RECONCILE", "FAST_RETRY"]

FAST_RETRY = RetryPolicy(initial_delay=0.001, max_delay=0.001, jitter=0.0, max_retry_after=0.001)
"""Retries the same requests as the default policy, each after a millisecond
(``Retry-After`` included): ``fake.client(retry=FAST_RETRY)``."""

FAST_POLL = PollPolicy(initial_delay=0.001, min_interval=0.001, max_interval=0.01, jitter=0.0)
"""Polls a generation every few milliseconds: ``fake.client(poll=FAST_POLL)``."""

FAST_RECONCILE = ReconcilePolicy(horizon=0.0)
"""Looks once for a create whose outcome is unknown, then sends it again: right for
``FakeMubert``, which stores every create at once (unless a ``Fault.late_commit`` says
otherwise), never for a real server: ``fake.client(reconcile=FAST_RECONCILE)``."""
