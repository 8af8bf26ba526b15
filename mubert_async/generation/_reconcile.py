"""Creating a track exactly once when the connection fails after the request may have arrived.

Mubert has no idempotency keys, and a create bills a track. When a create's outcome
is unknown (the connection broke after sending, the request timed out, the server
answered 5xx or garbage), blindly repeating it could make two tracks. Instead:

1. wait until no other create with the same parameters is in flight from this
   client (so their tracks are known and cannot be mistaken for ours);
2. read the customer's tracks newest first, back to when the lost request was sent,
   and adopt the oldest one that this client does not already know, whose
   parameters match the request, and that the server created after the lost request
   was sent (judged with the server's own clock, from its ``Date`` header);
3. if there is none, the request never arrived: send it again (with backoff), and
   reconcile that attempt the same way if it is ambiguous too. A create refused
   unprocessed (429, connection refused) is simply sent again. After ``ATTEMPTS``
   sends the last error is raised: at most one track exists for the request, never two.

Another process creating identical tracks for the same customer at the same moment
could be mistaken for ours; give concurrent writers distinct customers.
"""

from __future__ import annotations

import email.utils
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import anyio

from ..errors import RateLimitError, ServerError, TransportError
from ..models import Page, Track, TrackRequest
from ..models._decoding import ResponseDecoder
from ..models._tracks import as_aware

if TYPE_CHECKING:
    from ..resources.tracks import Tracks

__all__ = ["CreateLedger", "create_exactly_once"]

_PAGE: ResponseDecoder[Page[Track]] = ResponseDecoder(Page[Track], wrapped=False)
_PAGE_SIZE = 100
_MAX_PAGES = 50
"""Pages searched for a lost create at most (5,000 tracks created while it was lost)."""
ATTEMPTS = 6
"""Sends of one create (each after proof the previous did not arrive), and tries of a lookup."""
_CLOCK_SLACK = 5.0
"""Seconds of tolerance on the server's 1-second Date header and timestamps."""
_DURATION_SLACK = 2
"""The API may round a duration (a 60 s request can come back as 61 s)."""


class CreateLedger:
    """What one customer's clients have created: known track ids, creates under way.

    While a lost create is being reconciled, new creates with the same parameters
    wait at a gate, and the reconciliation waits for those already under way: every
    matching track it then finds is either known or the lost one.
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

    async def begin(self, key: Hashable) -> None:
        """A create with parameters ``key`` is about to be sent (waits out a reconciliation)."""
        while (gate := self._gates.get(key)) is not None:
            await gate.wait()
        self._pending[key] = self._pending.get(key, 0) + 1

    def end(self, key: Hashable) -> None:
        """That create's outcome is known."""
        left = self._pending[key] - 1
        if left:
            self._pending[key] = left
            return
        del self._pending[key]
        event = self._idle.pop(key, None)
        if event is not None:
            event.set()

    @asynccontextmanager
    async def reconciling(self, key: Hashable) -> AsyncIterator[None]:
        """Hold new ``key`` creates back and wait for those under way to finish."""
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


def _server_now(date_header: str | None) -> datetime:
    if date_header:
        try:
            return email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            pass
    return datetime.now(timezone.utc)


async def _find_lost(
    tracks: Tracks, ledger: CreateLedger, request: TrackRequest, sent_at: float
) -> Track | None:
    """The track a lost create made, if the server has one.

    Reads the customer's tracks newest first, page after page, until they predate
    the lost request: however many tracks were created meanwhile, it is not missed.
    (New tracks arriving at the head only push the rest to later offsets: paging by
    offset may see a track twice, never skip one.)
    """
    earliest: datetime | None = None
    found: list[Track] = []
    offset = 0
    for _ in range(_MAX_PAGES):
        page, server_date = await _tracks_page(tracks, offset)
        if earliest is None:
            elapsed = time.monotonic() - sent_at
            earliest = _server_now(server_date) - timedelta(seconds=elapsed + _CLOCK_SLACK)
        for track in page.data:
            if track.created_at is not None and as_aware(track.created_at) < earliest:
                return _closest(found)
            if not ledger.knows(track.id) and _matches(track, request):
                found.append(track)
        if not page.data or not page.has_more:
            break
        offset += len(page.data)
    return _closest(found)


def _closest(found: list[Track]) -> Track | None:
    # Newest first: the last (oldest) unknown match is the closest to our request.
    return found[-1] if found else None


async def _tracks_page(tracks: Tracks, offset: int) -> tuple[Page[Track], str | None]:
    """A page of the customer's tracks, newest first, with the server's ``Date``."""
    params = {"offset": offset, "limit": _PAGE_SIZE, "order": "desc", "order_by": "created_at"}
    for attempt in range(ATTEMPTS):
        try:
            response = await tracks._client.request("GET", "/public/tracks", params=params)
            return _PAGE.decode(response.content), response.headers.get("date")
        except (TransportError, ServerError, RateLimitError) as error:
            if attempt == ATTEMPTS - 1:
                raise
            await anyio.sleep(tracks._client.retry.delay(attempt, error))
    raise AssertionError("unreachable")  # pragma: no cover


async def create_exactly_once(tracks: Tracks, ledger: CreateLedger, request: TrackRequest) -> Track:
    """Create the track for ``request``, reconciling ambiguous failures instead of repeating.

    A failed create is sent again only once it is certain that it did not arrive:
    the server refused it unprocessed (429, connection refused), or reconciliation
    found no track it made. Up to ``ATTEMPTS`` sends, with the client's backoff.
    """
    key = _key(request)
    for attempt in range(ATTEMPTS):
        await ledger.begin(key)
        sent_at = time.monotonic()
        try:
            track = await tracks.submit(request)
        except (TransportError, ServerError, RateLimitError) as error:
            ledger.end(key)
            if attempt == ATTEMPTS - 1:
                raise
            if _ambiguous(error):
                async with ledger.reconciling(key):
                    lost = await _find_lost(tracks, ledger, request, sent_at)
                    if lost is not None:
                        ledger.remember(lost.id)
                        return lost
            await anyio.sleep(tracks._client.retry.delay(attempt, error))
        except BaseException:
            ledger.end(key)
            raise
        else:
            ledger.end(key)
            ledger.remember(track.id)
            return track
    raise AssertionError("unreachable")  # pragma: no cover
