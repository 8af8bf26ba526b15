"""Creating a track exactly once when a create's outcome is unknown.

Mubert has no idempotency keys, and a create bills a track. When a create's outcome
is unknown (the connection broke after sending, the request timed out, the server
answered 5xx or garbage), blindly repeating it could make two tracks, and so could
looking once and resending: the server may still be storing the first one (a slow
database behind a proxy that already gave up). Instead:

1. wait until no other create with the same parameters is in flight from this
   customer's clients (so their tracks are known and cannot be mistaken for ours);
2. read the customer's tracks newest first, back to when the lost request was sent,
   and adopt the oldest one that these clients do not already know, whose
   parameters match the request, and that the server created after the request was
   sent (judged by the server's own clock, from its ``Date`` header);
3. keep looking, at growing intervals, until the *settle horizon* has passed on the
   server's clock since the request was sent (``ReconcilePolicy``: by default four
   times the request timeout, so a commit that comes that late is still found);
4. only then, with no such track, is the request known not to have arrived: it is
   sent again, and reconciled the same way if that is ambiguous too. A create refused
   unprocessed (429, connection refused) is simply sent again. After ``ATTEMPTS``
   sends the last error is raised.

Without a usable ``Date`` header the server's clock cannot be read: the request is not
sent again blind, the item ends with ``CreateOutcomeUnknownError``. So do the end of the
caller's time budget before the horizon has passed. Another process creating identical
tracks for the same customer at the same moment could be mistaken for ours; give
concurrent writers distinct customers.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio

from ..errors import (
    ClientClosedError,
    CreateOutcomeUnknownError,
    GenerationTimeoutError,
    MubertError,
    RateLimitError,
    ServerError,
    TransportError,
    _IncompleteTrack,
    _parse_http_date,
)
from ..models import Page, Track, TrackRequest
from ..models._tracks import as_aware

if TYPE_CHECKING:
    from ._api import TrackAPI

__all__ = ["ATTEMPTS", "CreateLedger", "ReconcilePolicy", "create_exactly_once"]

_PAGE_SIZE = 100
_MAX_PAGES = 50
"""Pages searched for a lost create at most (5,000 tracks created while it was lost)."""
ATTEMPTS = 6
"""Sends of one create (each after proof the previous did not arrive), and tries of a lookup."""
_CLOCK_SLACK = 5.0
"""Seconds of tolerance between the server's ``Date`` and its tracks' ``created_at``."""
_DATE_RESOLUTION = 1.0
"""An HTTP ``Date`` is whole seconds: the true time is up to this much later."""
_DURATION_SLACK = 2
"""The API may round a duration (a 60 s request can come back as 61 s)."""
_NO_TIMEOUT_BASIS = 30.0
"""The request timeout the horizon is computed from when the client has none."""
_STALL_SLACK = 10.0
"""Local seconds beyond twice the horizon after which a stalled server clock ends the look."""
_RETRYABLE = (TransportError, ServerError, RateLimitError)


@dataclass(frozen=True)
class ReconcilePolicy:
    """How long a create whose outcome is unknown is looked for before it is sent again.

    The server may store a create some time after the client gave up on it. Until
    ``horizon`` seconds (None: ``horizon_factor`` times the client's request timeout,
    30 s when it has none) have passed on the server's clock since the request was
    sent, it is looked for and never sent again; looks come ``first_look`` seconds
    apart at first, doubling, at most a quarter of the horizon apart. A horizon of 0
    looks once and then resends: only for simulators that store every create at once
    (``mubert_async.testing.FAST_RECONCILE``). Should the server's clock stall, looking
    ends after twice the horizon (plus ``_STALL_SLACK``) of local time with
    ``CreateOutcomeUnknownError``.
    """

    horizon: float | None = None
    horizon_factor: float = 4.0
    first_look: float = 0.1

    def horizon_for(self, request_timeout: float | None) -> float:
        """The settle horizon in seconds for a client with ``request_timeout``."""
        if self.horizon is not None:
            return self.horizon
        basis = _NO_TIMEOUT_BASIS if request_timeout is None else request_timeout
        return self.horizon_factor * basis


class CreateLedger:
    """What one customer's clients have created: known track ids, creates under way.

    While a lost create is being reconciled, new creates with the same parameters
    wait at a gate, and the reconciliation waits for those already under way (plain
    ``tracks.create`` calls included): every matching track it then finds is either
    known or the lost one.
    """

    def __init__(self, remember: int = 10_000) -> None:
        self._known: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self._pending: dict[Hashable, int] = {}
        self._idle: dict[Hashable, anyio.Event] = {}
        self._gates: dict[Hashable, anyio.Event] = {}

    def knows(self, track_id: str) -> bool:
        """True when ``track_id`` was returned to (or adopted by) this customer's clients."""
        return track_id in self._known

    def remember(self, track_id: str) -> None:
        """Note a track id as this customer's clients' own."""
        self._known[track_id] = None
        self._known.move_to_end(track_id)
        while len(self._known) > self._remember:
            self._known.popitem(last=False)

    @asynccontextmanager
    async def sending(self, request: TrackRequest) -> AsyncIterator[None]:
        """Mark a create of ``request`` as under way for the block (waits out a reconciliation)."""
        key = _key(request)
        while (gate := self._gates.get(key)) is not None:
            await gate.wait()
        self._pending[key] = self._pending.get(key, 0) + 1
        try:
            yield
        finally:
            self._end(key)

    def _end(self, key: Hashable) -> None:
        left = self._pending[key] - 1
        if left:
            self._pending[key] = left
            return
        del self._pending[key]
        event = self._idle.pop(key, None)
        if event is not None:
            event.set()

    @asynccontextmanager
    async def reconciling(self, request: TrackRequest) -> AsyncIterator[None]:
        """Hold new creates of ``request`` back and wait for those under way to finish."""
        key = _key(request)
        while (gate := self._gates.get(key)) is not None:
            await gate.wait()
        gate = self._gates[key] = anyio.Event()
        try:
            while self._pending.get(key):
                await self._idle.setdefault(key, anyio.Event()).wait()
            yield
        finally:
            del self._gates[key]
            gate.set()


def _key(request: TrackRequest) -> Hashable:
    fields = request.fields()
    return (tuple(sorted(fields.items())), request.image is not None)


def _ambiguous(error: Exception) -> bool:
    """True when the create may or may not have reached the server."""
    return (isinstance(error, TransportError) and error.sent) or isinstance(error, ServerError)


def _matches(track: Track, request: TrackRequest) -> bool:
    if track.playlist_index != request.playlist_index:
        return False
    if request.prompt is not None and track.prompt != request.prompt:
        return False
    if track.duration is not None and abs(track.duration - request.duration) > _DURATION_SLACK:
        return False
    for name in ("intensity", "mode", "bpm", "key"):
        wanted = getattr(request, name)
        if wanted is not None and getattr(track, name) not in (None, wanted):
            return False
    newest = track.generation
    if newest is not None:
        for name in ("format", "bitrate"):
            wanted = getattr(request, name)
            if wanted is not None and getattr(newest, name) not in (None, wanted):
                return False
    return True


def server_time(date_header: str | None) -> datetime | None:
    """The server's clock from its ``Date`` header (None: missing or unusable).

    An HTTP date is GMT by definition, so one without a zone (or with RFC 5322's
    ``-0000``) is read as UTC.
    """
    if not date_header:
        return None
    try:
        moment = _parse_http_date(date_header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return as_aware(moment)


class _Deadline:
    """The caller's time budget (``generate(timeout=)``), on anyio's clock."""

    __slots__ = ("at", "timeout")

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.at = math.inf if timeout is None else anyio.current_time() + timeout

    def left(self) -> float:
        """Seconds left (inf: no budget)."""
        return self.at - anyio.current_time()

    def expired(self, what: str) -> GenerationTimeoutError:
        """The error for a budget that ran out while ``what``; nothing of it was sent."""
        return GenerationTimeoutError(f"{what}: the {self.timeout:g} s timeout ran out")


async def _look(
    tracks: TrackAPI, ledger: CreateLedger, request: TrackRequest, earliest: datetime | None
) -> tuple[Track | None, datetime | None]:
    """One look for the lost create's track, and the server's clock when it was made.

    Reads the customer's tracks newest first, page after page, until they predate
    ``earliest`` (the first look learns it from the server's clock): however many
    tracks were created meanwhile, it is not missed. New tracks arriving at the head
    only push the rest to later offsets: paging by offset may see a track twice,
    never skip one.
    """
    found: list[Track] = []
    server_now: datetime | None = None
    offset = 0
    for _ in range(_MAX_PAGES):
        page, date = await _tracks_page(tracks, offset)
        if server_now is None:
            server_now = server_time(date)
            if server_now is None:
                return None, None
            if earliest is None:
                earliest = server_now
        assert earliest is not None
        for track in page.data:
            if track.created_at is not None and as_aware(track.created_at) < earliest:
                return _closest(found), server_now
            if not ledger.knows(track.id) and _matches(track, request):
                found.append(track)
        if not page.data or not page.has_more:
            break
        offset += len(page.data)
    return _closest(found), server_now


def _closest(found: list[Track]) -> Track | None:
    # Newest first: the last (oldest) unknown match is the closest to our request.
    return found[-1] if found else None


async def _tracks_page(tracks: TrackAPI, offset: int) -> tuple[Page[Track], str | None]:
    """A page of the customer's tracks, newest first, with the server's ``Date``."""
    for attempt in range(ATTEMPTS):
        try:
            return await tracks.recent_page(offset=offset, limit=_PAGE_SIZE)
        except _RETRYABLE as error:
            if attempt == ATTEMPTS - 1 or isinstance(error, ClientClosedError):
                raise
            await anyio.sleep(tracks.retry_policy.delay(attempt, error))
    raise AssertionError("unreachable")  # pragma: no cover


async def _settle(
    tracks: TrackAPI,
    ledger: CreateLedger,
    request: TrackRequest,
    *,
    sent_at: float,
    policy: ReconcilePolicy,
    deadline: _Deadline,
    cause: MubertError,
) -> Track | None:
    """The lost create's track once it appears, or None once it provably never will.

    Looks until the settle horizon has passed on the server's clock since ``sent_at``
    (anyio's clock, when the request was sent).
    """
    horizon = policy.horizon_for(tracks.request_timeout)
    earliest: datetime | None = None
    sent_on_server: datetime | None = None
    pause = policy.first_look
    while True:
        looked_at = anyio.current_time()
        found, server_now = await _look(tracks, ledger, request, earliest)
        if server_now is None:
            raise CreateOutcomeUnknownError(
                "a create may have reached the server, and its Date header cannot be "
                "read to tell when; it was not sent again (a track may exist)",
                request=request,
            ) from cause
        if sent_on_server is None:
            # When the request was sent, by the server's clock (Date is floored to
            # whole seconds, so the true moment is up to a second later).
            sent_on_server = server_now - timedelta(seconds=looked_at - sent_at)
            earliest = sent_on_server - timedelta(seconds=_CLOCK_SLACK)
        if found is not None:
            return found
        if horizon <= 0:
            return None
        settled = server_now - (sent_on_server + timedelta(seconds=_DATE_RESOLUTION))
        if settled.total_seconds() >= horizon:
            return None
        if anyio.current_time() - sent_at > 2 * horizon + _STALL_SLACK:
            raise CreateOutcomeUnknownError(
                "a create may have reached the server, and the server's clock (its Date "
                "header) stopped advancing before it could be confirmed; it was not sent "
                "again (a track may exist)",
                request=request,
            ) from cause
        wait = min(pause, horizon / 4)
        if wait >= deadline.left():
            raise CreateOutcomeUnknownError(
                f"a create may have reached the server, and the {deadline.timeout:g} s "
                "timeout ran out before it could be confirmed; it was not sent again "
                "(a track may exist)",
                request=request,
            ) from cause
        await anyio.sleep(wait)
        pause *= 2


async def create_exactly_once(
    tracks: TrackAPI,
    ledger: CreateLedger,
    request: TrackRequest,
    *,
    policy: ReconcilePolicy,
    deadline: _Deadline,
) -> Track:
    """Create the track for ``request``, reconciling ambiguous failures instead of repeating.

    A failed create is sent again only once it is certain that it did not arrive:
    the server refused it unprocessed (429, connection refused), or reconciliation
    found no track it made by the settle horizon. Up to ``ATTEMPTS`` sends, with the
    client's backoff, all within ``deadline``.
    """
    for attempt in range(ATTEMPTS):
        if deadline.left() <= 0:
            raise deadline.expired("creating the track")
        async with ledger.sending(request):
            sent_at = anyio.current_time()
            try:
                with anyio.move_on_after(deadline.left()) as scope:
                    track = await tracks.submit(request, retries=False)
                if scope.cancelled_caught:
                    raise TransportError("the create was cut off by the timeout", sent=True)
            except _IncompleteTrack:
                raise  # it arrived: the answer itself is malformed
            except _RETRYABLE as error:
                failure: MubertError = error
            else:
                ledger.remember(track.id)
                return track
        if isinstance(failure, ClientClosedError):
            raise failure
        if _ambiguous(failure):
            async with ledger.reconciling(request):
                lost = await _settle(
                    tracks,
                    ledger,
                    request,
                    sent_at=sent_at,
                    policy=policy,
                    deadline=deadline,
                    cause=failure,
                )
                if lost is not None:
                    ledger.remember(lost.id)
                    return lost
        if attempt == ATTEMPTS - 1:
            raise failure
        delay = tracks.retry_policy.delay(attempt, failure)
        if delay >= deadline.left():
            raise deadline.expired("creating the track") from failure
        await anyio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
