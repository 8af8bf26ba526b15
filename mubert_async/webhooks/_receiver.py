"""``WebhookReceiver``: authenticates, bounds, decodes and de-duplicates Mubert's deliveries."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .._config import check_safe_url
from ..errors import InvalidRequestError, TransportError
from ..models import Track
from ..models._decoding import ResponseDecoder
from ._freshness import is_final
from ._store import TrackStore

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

Listener = Callable[[Track], None]
"""Called with each delivery that changed what is known about a track."""


@dataclass
class WebhookStats:
    """Counters of deliveries: ``accepted`` changed a track's state, ``ignored`` were
    duplicates or older than the known state, the others were refused with 404, 413, 400."""

    accepted: int = 0
    ignored: int = 0
    wrong_token: int = 0
    too_large: int = 0
    malformed: int = 0


class WebhookReceiver:
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
    waits must run in the same event loop. ``coordination`` is kept for relaying
    deliveries between processes (``RedisCoordination``); it is not used yet.
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
        coordination: Any = None,
    ) -> None:
        if token is None:
            token = secrets.token_urlsafe(32)
        elif not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise InvalidRequestError(
                "token", "must be 16 to 128 characters of letters, digits, '-' and '_'"
            )
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise InvalidRequestError("max_body", "must be a positive number of bytes")
        self._token = token
        self._token_bytes = token.encode("ascii")
        self.max_body = max_body
        """The largest body accepted, in bytes."""
        self.coordination = coordination
        """Relays deliveries to waiters in other processes (reserved; not used yet)."""
        self.stats = WebhookStats()
        """What happened to the deliveries so far."""
        self._store = TrackStore(keep_for=self.KEEP_FOR, keep_tracks=self.KEEP_TRACKS)
        self._listeners: list[Listener] = []

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
        changed), 413 the body is over ``max_body`` bytes.
        """
        refused = self._refuse(token, len(body))
        if refused is not None:
            return refused
        return self._process(body)

    def accept(self, track: Track) -> bool:
        """Record ``track`` as if delivered; True when it is newer than the known state.

        For states learned elsewhere (another process, a poll). Wakes the waits it
        satisfies and calls the listeners; does nothing for a duplicate or older state.
        """
        if not self._store.offer(track):
            self.stats.ignored += 1
            logger.debug(
                "webhook delivery for track %s ignored: a duplicate or older than the known state",
                track.id,
            )
            return False
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

    def _process(self, body: bytes) -> int:
        """Decode an authenticated body of acceptable size and record it: 200 or 400."""
        try:
            track = _TRACK.decode(bytes(body))
        except TransportError as exc:
            return self._malformed(str(exc))
        if not track.id:
            return self._malformed("the track has no id")
        self.accept(track)
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
        """
        return await self._store.wait_for(track_id, timeout=timeout, until=until)

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
