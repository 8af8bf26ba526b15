"""Fault injection: make FakeTransport fail the way networks and servers do.

A ``Fault`` matches requests by method and path, acts on at most ``times`` of them
(each with probability ``rate``), and decides what happens to the exchange:

================== ============ ======================================================
kind               processed?   what the client sees
================== ============ ======================================================
status             no           ``status`` with Laravel's body (+ Retry-After)
connect_error      no           TransportError(sent=False)
reset_before       no           TransportError(sent=True)
reset_after        yes          TransportError(sent=True): did it happen or not?
malformed          yes          200 with a body that is not JSON
truncated          yes          the real answer with only the first half of its body
slow               yes          the real answer after ``delay`` seconds
late_commit        later        received now, committed ``delay`` seconds later (the track
                                appears then), answered after that: a client whose timeout
                                is shorter gives up while the create is still to come
reset_during_body  yes          (streams only) part of the body, then TransportError
================== ============ ======================================================
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict, get_args
from urllib.parse import urlsplit

import anyio

from ..errors import TransportError
from ..transport._base import Request, Response
from ._http import json_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Exchange", "Fault", "FaultKind", "FaultSet", "Handler", "run_exchange"]

FaultKind = Literal[
    "status",
    "connect_error",
    "reset_before",
    "reset_after",
    "malformed",
    "truncated",
    "slow",
    "late_commit",
    "reset_during_body",
]
_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
_UNPROCESSED = frozenset({"status", "connect_error", "reset_before"})
_MALFORMED = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class _Where(TypedDict, total=False):
    method: str | None
    path: str | None
    times: int | None
    rate: float


class _Options(_Where, total=False):
    delay: float


class Fault:
    """One kind of failure, for the requests it matches.

    ``method`` matches exactly (None: any), ``path`` is a regular expression
    searched in the URL path (None: any), ``times`` is how many requests it may
    act on (None: unlimited), ``rate`` the probability it acts on a matching
    request (drawn from the fake's seeded generator). ``delay`` seconds pass
    before the fault acts (``slow``: after the request is processed).
    """

    def __init__(
        self,
        kind: FaultKind,
        *,
        status: int = 503,
        retry_after: float | None = None,
        delay: float = 0.0,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        rate: float = 1.0,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self.kind: FaultKind = kind
        self.status = status
        self.retry_after = retry_after
        self.delay = delay
        self.method = method.upper() if method else None
        self.path = path
        self._path = re.compile(path) if path is not None else None
        self.remaining = times
        self.rate = rate
        self.hits = 0

    # Readable constructors ------------------------------------------------------------

    @classmethod
    def server_error(
        cls, status: int = 503, *, retry_after: float | None = None, **kw: Unpack[_Options]
    ) -> Fault:
        """Answer ``status`` (5xx) without processing the request."""
        return cls("status", status=status, retry_after=retry_after, **kw)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0, **kw: Unpack[_Options]) -> Fault:
        """Answer 429 Too Many Attempts (with Retry-After) without processing the request."""
        return cls("status", status=429, retry_after=retry_after, **kw)

    @classmethod
    def connect_error(cls, **kw: Unpack[_Options]) -> Fault:
        """Fail to connect: the request certainly did not arrive (``sent=False``)."""
        return cls("connect_error", **kw)

    @classmethod
    def reset(cls, after_processing: bool, **kw: Unpack[_Options]) -> Fault:
        """Reset the connection before the request is processed, or after (the ambiguous case)."""
        return cls("reset_after" if after_processing else "reset_before", **kw)

    @classmethod
    def malformed(cls, **kw: Unpack[_Options]) -> Fault:
        """Process the request, then answer 200 with a body that is not JSON."""
        return cls("malformed", **kw)

    @classmethod
    def truncated(cls, **kw: Unpack[_Options]) -> Fault:
        """Process the request, then answer with only the first half of the body."""
        return cls("truncated", **kw)

    @classmethod
    def slow(cls, delay: float, **kw: Unpack[_Where]) -> Fault:
        """Process the request, then wait ``delay`` seconds before answering."""
        return cls("slow", delay=delay, **kw)

    @classmethod
    def late_commit(cls, delay: float, **kw: Unpack[_Where]) -> Fault:
        """Receive the request now, commit it ``delay`` seconds later, then answer.

        What a slow database behind a fast proxy does: a client that gives up before
        ``delay`` (its timeout) cannot see the track yet, and sees it appear later.
        """
        return cls("late_commit", delay=delay, **kw)

    @classmethod
    def reset_during_body(cls, **kw: Unpack[_Options]) -> Fault:
        """(Streams only) send part of the body, then reset the connection."""
        return cls("reset_during_body", **kw)

    # Matching ---------------------------------------------------------------------

    def matches(self, request: Request, *, stream: bool) -> bool:
        """Whether this fault may act on ``request`` (ignoring ``rate``)."""
        if self.remaining == 0 or (self.kind == "reset_during_body" and not stream):
            return False
        if self.method is not None and request.method.upper() != self.method:
            return False
        return self._path is None or self._path.search(urlsplit(request.url).path) is not None

    def response(self) -> Response:
        """The answer of a ``status`` fault."""
        if self.status == 429:
            message = "Too Many Attempts."
        elif self.status >= 500:
            message = "Server Error"
        else:
            message = HTTPStatus(self.status).phrase
        headers = {} if self.retry_after is None else {"retry-after": f"{self.retry_after:g}"}
        return json_response({"message": message}, self.status, headers)

    def __repr__(self) -> str:
        where = ", ".join(
            f"{name}={value!r}"
            for name, value in (("method", self.method), ("path", self.path))
            if value is not None
        )
        return f"Fault({self.kind!r}{', ' + where if where else ''}, remaining={self.remaining!r})"


class FaultSet:
    """The faults of a ``FakeMubert`` (``fake.faults``), tried in the order they were added."""

    def __init__(self, seed: int | str | None = None) -> None:
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)

    def add(self, fault: Fault) -> Fault:
        """Add ``fault`` after the existing ones; returns it."""
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    def pick(self, request: Request, *, stream: bool = False) -> Fault | None:
        """The first fault that acts on ``request`` (using up one of its ``times``)."""
        for fault in self._faults:
            if not fault.matches(request, stream=stream):
                continue
            if fault.rate < 1.0 and self._rng.random() >= fault.rate:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
            fault.hits += 1
            return fault
        return None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as ``FakeMubert.exchange`` served it: the answer, or the broken connection."""

    response: Response | None
    """The answer (cut short already for ``truncated``); None when the connection broke."""
    fault: Fault | None
    """The fault that acted on the request (None: none did)."""
    error: TransportError | None = None
    """What the client sees instead of an answer (``connect_error``, ``reset_*``)."""

    def __post_init__(self) -> None:
        if (self.response is None) == (self.error is None):
            raise ValueError("an Exchange has a response or an error, not both or neither")

    def answer(self) -> Response:
        """The response; raises ``error`` if the connection broke instead."""
        if self.error is not None:
            raise self.error
        assert self.response is not None  # __post_init__: one or the other
        return self.response


class Handler(Protocol):
    """What answers requests for ``run_exchange``: a ``FakeMubert``."""

    async def handle(self, request: Request) -> Response:
        """Answer ``request`` now."""

    async def handle_late(self, request: Request, delay: float) -> Response:
        """Commit ``request`` ``delay`` seconds from now, then answer it."""


async def run_exchange(fault: Fault | None, request: Request, fake: Handler) -> Response:
    """Answer ``request`` through ``fake``, as ``fault`` (if any) distorts the exchange."""
    handle = fake.handle
    if fault is None:
        return await handle(request)
    if fault.kind == "late_commit":
        return await fake.handle_late(request, fault.delay)
    if fault.kind in _UNPROCESSED:
        await anyio.sleep(fault.delay)
        if fault.kind == "status":
            return fault.response()
        raise TransportError(
            f"simulated {fault.kind.replace('_', ' ')}", sent=fault.kind == "reset_before"
        )
    response = await handle(request)
    await anyio.sleep(fault.delay)
    if fault.kind == "reset_after":
        raise TransportError("simulated connection reset after the request was processed")
    if fault.kind == "malformed":
        return Response(200, {"content-type": "text/html"}, _MALFORMED)
    if fault.kind == "truncated":
        return Response(
            response.status, response.headers, response.content[: len(response.content) // 2]
        )
    return response  # slow, reset_during_body (the stream cuts the body)
