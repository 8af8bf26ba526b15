"""``WebhookReceiver``: authenticates, bounds, decodes, de-duplicates and relays deliveries."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import anyio
import msgspec

from .._aclose import AsyncClosing
from .._config import check_safe_url
from ..coordination import Coordination
from ..errors import CoordinationError, InvalidRequestError, TransportError
from ..models import Track
from ..models._decoding import ResponseDecoder
from ._freshness import is_final, progress, rank_numbers
from ._store import TrackStore, check_timeout

if TYPE_CHECKING:
    from aiohttp import web

    from ..models import License


class _LicenseUpdates(Protocol):
    async def update(
        self, license_id: str, *, webhook_url: str, webhook_enabled: bool
    ) -> License: ...


class _Service(Protocol):
    """What ``register`` needs of a ``MubertServiceClient`` (a protocol: no import cycle)."""

    @property
    def licenses(self) -> _LicenseUpdates: ...


__all__ = ["WebhookReceiver", "WebhookStats"]

logger = logging.getLogger("mubert_async.webhooks")
"""Deliveries are logged here: accepted ones at DEBUG, refused ones at INFO; never the token."""

# The guide shows the track bare; accept the {"data": ...} envelope of other answers too.
_TRACK: ResponseDecoder[Track] = ResponseDecoder(Track, wrapped=False)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_MAX_WEBHOOK_URL = 255  # the license's webhook_url field (OpenAPI maxLength)
_RELAY = "webhooks"  # the relay's name: one per namespace, whatever the token (never stored)

Listener = Callable[[Track], None]
"""Called with each delivery that changed what is known about a track."""


@dataclass
class WebhookStats:
    """Counters of deliveries: ``accepted`` changed a track's state, ``ignored`` were
    duplicates or older than the known state, the next three were refused with 404, 413,
    400; ``unrelayed`` were answered 503 because the coordination could not relay them,
    ``relayed`` are states other processes received that changed a track's state here."""

    accepted: int = 0
    ignored: int = 0
    wrong_token: int = 0
    too_large: int = 0
    malformed: int = 0
    unrelayed: int = 0
    relayed: int = 0


class WebhookReceiver(AsyncClosing):
    """Receives the track models Mubert posts to a license's ``webhook_url``.

    The URL ends with a secret ``token`` (generated when not given): a delivery to
    any other path answers 404 and changes nothing, so only Mubert (who was told the
    URL) can deliver. Bodies over ``max_body`` bytes answer 413, bodies that are not a
    track answer 400. A delivery that is a duplicate or older than the state already
    known for its track (see ``mubert_async.webhooks._freshness``) answers 200 and
    changes nothing.

    Deliveries are kept ``KEEP_FOR`` seconds (at most ``KEEP_TRACKS`` tracks) so that
    one arriving before anyone waits for its track is not lost. ``wait_for``,
    ``latest`` and ``add_listener`` are how code learns of them; ``handle`` and the
    waits must run in the same event loop.

    With a ``coordination`` that relays across processes (``RedisCoordination``), every
    accepted delivery is also published to the receivers of the other processes (same
    Redis and namespace) and kept there ``KEEP_FOR`` seconds; when that fails the
    delivery answers 503 (it is still recorded here) so that Mubert delivers it again.
    The receiver listens for other processes' deliveries from its first ``wait_for``
    (or ``start()``) until ``aclose()`` (or the coordination's ``aclose()``); it can
    be used as ``async with receiver:`` for both.
    """

    KEEP_FOR = 600.0
    """Seconds a track's state is kept after its last delivery."""
    KEEP_TRACKS = 10_000
    """The most tracks whose state is kept; the least recently updated are let go first."""

    def __init__(
        self,
        token: str | None = None,
        *,
        max_body: int = 1_048_576,
        coordination: Coordination | None = None,
    ) -> None:
        if token is None:
            token = secrets.token_urlsafe(32)
        elif not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise InvalidRequestError(
                "token", "must be 16 to 128 characters of letters, digits, '-' and '_'"
            )
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise InvalidRequestError("max_body", "must be a positive number of bytes")
        if coordination is not None and not isinstance(coordination, Coordination):
            raise InvalidRequestError(
                "coordination", "must be a Coordination (e.g. RedisCoordination) or None"
            )
        self._token = token
        self._token_bytes = token.encode("ascii")
        self.max_body = max_body
        """The largest body accepted, in bytes."""
        self.coordination = coordination
        """Relays deliveries to and from the receivers of other processes, or None."""
        self.stats = WebhookStats()
        """What happened to the deliveries so far."""
        self._store = TrackStore(keep_for=self.KEEP_FOR, keep_tracks=self.KEEP_TRACKS)
        self._listeners: list[Listener] = []
        self._relay = (
            None if coordination is None else coordination.relay(_RELAY, keep_for=self.KEEP_FOR)
        )
        self._interest: Counter[str] = Counter()  # the tracks waited for, and how many times

    @property
    def token(self) -> str:
        """The secret last path segment of the webhook URL. Never logged or shown."""
        return self._token

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(token=***, max_body={self.max_body}, "
            f"known_tracks={len(self._store)}, waiting={self._store.waiting()})"
        )

    # -- the URL ---------------------------------------------------------------------

    def webhook_url(self, public_base: str) -> str:
        """The URL to register: ``public_base`` + ``/`` + token.

        ``public_base`` is where this receiver is reachable from the internet, e.g.
        ``https://example.com/mubert`` (https; plain http only to loopback, for local
        simulators); InvalidRequestError otherwise, or when the URL would be longer
        than the 255 characters a license's ``webhook_url`` holds.
        """
        base = check_safe_url("public_base", public_base)
        url = f"{base}/{self._token}"
        if len(url) > _MAX_WEBHOOK_URL:
            raise InvalidRequestError(
                "public_base",
                f"is too long: with the token the URL has {len(url)} characters, "
                f"a license's webhook_url holds {_MAX_WEBHOOK_URL}",
            )
        return url

    async def register(self, service: _Service, license_id: str, public_base: str) -> License:
        """Set and enable ``webhook_url(public_base)`` as the webhook of ``license_id``.

        Returns the updated license; its ``webhook_url`` contains the token, so keep
        it out of logs.
        """
        return await service.licenses.update(
            license_id, webhook_url=self.webhook_url(public_base), webhook_enabled=True
        )

    # -- deliveries ------------------------------------------------------------------

    async def handle(self, token: str, body: bytes) -> int:
        """Process one delivery; returns the HTTP status to answer it with.

        200 accepted (or a duplicate or out-of-order delivery, which changes nothing),
        400 the body is not a track, 404 ``token`` is wrong (nothing is read or
        changed), 413 the body is over ``max_body`` bytes, 503 the delivery was
        recorded here but the coordination could not relay it to the other processes
        (Redis unreachable): Mubert retries it, and the retry is relayed.
        """
        refused = self._refuse(token, len(body))
        if refused is not None:
            return refused
        return await self._process(body)

    def accept(self, track: Track) -> bool:
        """Record ``track`` as if delivered; True when it is newer than the known state.

        For states learned elsewhere (e.g. a poll); it is not relayed to other processes.
        Wakes the waits it satisfies and calls the listeners; does nothing for a duplicate
        or older state.
        """
        return self._record(track, relayed=False)

    def _record(self, track: Track, *, relayed: bool) -> bool:
        """Keep ``track`` if newer, wake its waits, call the listeners; count and log it."""
        if not self._store.offer(track):
            if not relayed:  # a relayed one is most often our own delivery, echoed back
                self.stats.ignored += 1
                logger.debug(
                    "webhook delivery for track %s ignored: "
                    "a duplicate or older than the known state",
                    track.id,
                )
            return False
        if relayed:
            self.stats.relayed += 1
            logger.debug("webhook state relayed for track %s (%s)", track.id, track.status)
        else:
            self.stats.accepted += 1
            logger.debug("webhook delivery accepted for track %s (%s)", track.id, track.status)
        for listener in tuple(self._listeners):
            try:
                listener(track)
            except Exception:
                logger.exception("webhook listener %r failed for track %s", listener, track.id)
        return True

    def _refuse(self, token: str, size: int) -> int | None:
        """404 or 413 (logged and counted) when the token or the size is wrong, else None."""
        given = token.encode("utf-8", "replace") if isinstance(token, str) else b""
        if not hmac.compare_digest(given, self._token_bytes):
            self.stats.wrong_token += 1
            logger.info("webhook delivery refused: wrong token (404)")
            return 404
        if size > self.max_body:
            self.stats.too_large += 1
            logger.info(
                "webhook delivery refused: %d bytes is over the %d-byte limit (413)",
                size,
                self.max_body,
            )
            return 413
        return None

    async def _process(self, body: bytes) -> int:
        """Decode an authenticated body of acceptable size, record and relay it: 200, 400, 503."""
        try:
            track = _TRACK.decode(bytes(body))
        except TransportError as exc:
            return self._malformed(str(exc))
        if not track.id:
            return self._malformed("the track has no id")
        self.accept(track)
        if self._relay is not None:
            # even a local duplicate: it may be Mubert's retry of a delivery answered 503
            rank = rank_numbers(progress(track))
            try:
                await self._relay.publish(track.id, rank, msgspec.json.encode(track))
            except CoordinationError as exc:
                self.stats.unrelayed += 1
                logger.warning(
                    "webhook delivery for track %s recorded but not relayed to other "
                    "processes (%s); answering 503 so that it is delivered again",
                    track.id,
                    exc,
                )
                return 503
        return 200

    def _malformed(self, why: str) -> int:
        self.stats.malformed += 1
        logger.info("webhook delivery refused: not a track (400): %s", why)
        return 400

    # -- learning of deliveries ------------------------------------------------------

    def latest(self, track_id: str) -> Track | None:
        """The newest state delivered for ``track_id`` and still kept, or None."""
        return self._store.latest(track_id)

    async def wait_for(
        self,
        track_id: str,
        *,
        timeout: float | None,
        until: Callable[[Track], bool] = is_final,
    ) -> Track:
        """The first state of ``track_id`` for which ``until`` is true (default: finished).

        Returns at once when the newest kept state already passes ``until``, else when
        a delivery that does arrives. Raises TimeoutError after ``timeout`` seconds
        (None: wait without limit), and whatever ``until`` raises. Cancelling the wait
        leaves nothing behind.

        With a relaying ``coordination`` it then looks at the state the other processes
        kept, starts listening for their deliveries (once), and waits for either kind.
        If Redis cannot be reached it waits for this process's deliveries meanwhile, and
        looks again at the kept states of the tracks waited for once it is subscribed.
        """
        relay = self._relay
        if relay is None or self._passes(track_id, until):
            return await self._store.wait_for(track_id, timeout=timeout, until=until)
        check_timeout(timeout)
        started = anyio.current_time()
        self._interest[track_id] += 1  # before anything is read: a catch-up covers it
        try:
            with anyio.move_on_after(timeout):
                await relay.listen(self._relayed, self._catch_up)
                await self._fetch_kept(track_id)
            left = None if timeout is None else max(0.0, timeout - (anyio.current_time() - started))
            return await self._store.wait_for(track_id, timeout=left, until=until)
        finally:
            self._interest[track_id] -= 1
            if self._interest[track_id] <= 0:
                del self._interest[track_id]

    def _passes(self, track_id: str, until: Callable[[Track], bool]) -> bool:
        """Whether the kept state passes ``until`` (True when ``until`` raises: re-raised)."""
        known = self._store.latest(track_id)
        if known is None:
            return False
        try:
            return bool(until(known))
        except Exception:
            return True

    # -- other processes' deliveries ---------------------------------------------------

    async def start(self, *, timeout: float = 5.0) -> bool:
        """Listen for other processes' deliveries now (``wait_for`` starts it otherwise).

        Waits up to ``timeout`` seconds for the subscription; True once subscribed (and
        always without a relaying coordination). False if Redis could not be reached in
        time: it keeps trying in the background.
        """
        if self._relay is None:
            return True
        return await self._relay.listen(self._relayed, self._catch_up, wait=timeout)

    async def aclose(self) -> None:
        """Stop listening for other processes' deliveries (``wait_for`` would start again)."""
        if self._relay is not None:
            await self._relay.aclose()

    async def __aenter__(self) -> WebhookReceiver:
        """Start listening for other processes' deliveries; ``aclose`` on leaving."""
        await self.start()
        return self

    def _relayed(self, payload: bytes) -> None:
        """Record a state another process received (or this one: then it changes nothing)."""
        try:
            track = _TRACK.decode(payload)
        except TransportError as exc:
            logger.warning("a relayed webhook state is not a track, dropped: %s", exc)
            return
        if track.id:
            self._record(track, relayed=True)

    async def _fetch_kept(self, track_id: str) -> None:
        """Record the state of ``track_id`` the other processes kept, if any."""
        assert self._relay is not None
        try:
            payload = await self._relay.kept(track_id)
        except CoordinationError as exc:
            logger.debug("kept webhook state of track %s not read: %s", track_id, exc)
            return
        if payload is not None:
            self._relayed(payload)

    async def _catch_up(self) -> None:
        """Just subscribed: read the kept states of the tracks waited for (maybe missed)."""
        async with anyio.create_task_group() as group:
            for track_id in list(self._interest):
                group.start_soon(self._fetch_kept, track_id)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(track)`` for each delivery that changes a track's state.

        It runs inside ``handle`` (keep it quick, never blocking); an exception it
        raises is logged and does not affect the answer. Returns a function that
        removes it.
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    # -- aiohttp ---------------------------------------------------------------------

    def aiohttp_app(self) -> web.Application:
        """An aiohttp application answering ``POST /{token}``; mount it with ``add_subapp``."""
        from ._aiohttp import receiver_app

        return receiver_app(self)

    async def aiohttp_handler(self, request: web.Request) -> web.Response:
        """An aiohttp handler for a route with a ``{token}`` part, e.g. ``/mubert/{token}``.

        The body is read only when the token is right, and only up to ``max_body``.
        """
        from ._aiohttp import handle_request

        return await handle_request(self, request)
