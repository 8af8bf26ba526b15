"""When and how long to wait before repeating a failed request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import APIError, MubertError, RateLimitError, TransportError

__all__ = ["RetryPolicy"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff timing and which failures are worth repeating.

    The number of retries is the client's ``max_retries``. Delays grow as
    ``initial_delay * 2**attempt`` up to ``max_delay``, with up to ``jitter`` (a
    fraction) taken off at random so that many clients do not retry in step; a
    ``Retry-After`` from the server is honoured up to ``max_retry_after`` seconds.

    Requests that change nothing (GET, PUT, DELETE) are retried on connection
    errors, timeouts and the ``retry_statuses``. A POST may create and bill a track,
    so it is retried only when it certainly never reached the server (connection
    refused) or the server refused it unprocessed (429).
    """

    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 120.0
    retry_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset({408, 429, 500, 502, 503, 504})
    )

    def should_retry(self, error: MubertError, *, method: str, idempotent: bool | None) -> bool:
        """Whether ``error`` from a ``method`` request may be repeated safely."""
        safe = idempotent if idempotent is not None else method.upper() in _IDEMPOTENT
        if isinstance(error, TransportError):
            return safe or not error.sent
        if isinstance(error, APIError) and error.status in self.retry_statuses:
            return safe or isinstance(error, RateLimitError)
        return False

    def delay(self, attempt: int, error: MubertError | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is not None:
            return min(float(retry_after), self.max_retry_after)
        base = min(self.initial_delay * (2.0**attempt), self.max_delay)
        return base * (1 - self.jitter * random.random())
