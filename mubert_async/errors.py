"""Every exception the SDK raises.

::

    MubertError
    ├── InvalidRequestError (also a ValueError)   bad input caught before anything is sent
    ├── TransportError                            connection failed / reset / malformed response
    │   ├── RequestTimeout
    │   ├── ClientClosedError                     the client (or its transport) was closed
    │   └── CoordinationError                     the shared store (Redis) cannot be reached
    ├── CreateOutcomeUnknownError                 a create may have made a track that could not
    │                                             be confirmed; it was not sent again
    ├── GenerationFailedError                     generation ended in status failed
    ├── GenerationTimeoutError                    ran past its timeout (also a TimeoutError)
    ├── LinkExpiredError                          a track's download URL is past its expired_at
    └── APIError                                  .status, .code, .message, .description, .body
        ├── AuthenticationError                   401, or missing credentials
        ├── PermissionDeniedError                 403 Forbidden / AccessTokenExpired /
        │   │                                     *IsNotActive / LicenseExpired
        │   ├── LicenseForbiddenError             403 LicenseForbidden{Bitrate,Duration,Feature,...}
        │   ├── QuotaExceededError                403 LicenseLimit{TracksCount,TracksDuration,
        │   │                                     StreamingDuration,UsersCount}
        │   └── ConcurrencyLimitError             403 LicenseLimitConcurrentTrackGenerationsCount
        ├── NotFoundError                         404
        ├── ValidationError                       422
        ├── RateLimitError                        429
        └── ServerError                           5xx

No message, ``str`` or ``repr`` of these exceptions ever contains a credential.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from ._errors_base import InvalidRequestError, MubertError

if TYPE_CHECKING:
    from .models._tracks import Track

__all__ = [
    "APIError",
    "AuthenticationError",
    "ClientClosedError",
    "ConcurrencyLimitError",
    "CoordinationError",
    "CreateOutcomeUnknownError",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "InvalidRequestError",
    "LicenseForbiddenError",
    "LinkExpiredError",
    "MubertError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "ValidationError",
    "scrub_error",
]


class TransportError(MubertError):
    """The request failed below the HTTP level, or the answer could not be understood.

    ``sent`` is False only when the request certainly never reached the server
    (for example the connection could not be established), which makes it safe to
    repeat even a request that creates something.
    """

    def __init__(self, message: str, *, sent: bool = True) -> None:
        self.sent = sent
        super().__init__(message)


class RequestTimeout(TransportError):
    """An HTTP request took longer than its timeout."""


class _IncompleteTrack(TransportError):
    """A single-track answer with a ``done`` generation but no URL (a malformed answer)."""


class ClientClosedError(TransportError):
    """The client, or the transport it uses, was closed: nothing was sent, nothing is retried."""

    def __init__(self, message: str = "the client is closed") -> None:
        super().__init__(message, sent=False)


class CreateOutcomeUnknownError(MubertError):
    """A create may have reached the server, and the SDK could not confirm whether it did.

    The request was not sent again (that could bill a second track). ``request`` is
    the ``TrackRequest``; ``__cause__`` is the failure that made the outcome unknown.
    A track may exist: look for it later with ``tracks.list()`` before creating again.
    """

    def __init__(self, message: str, *, request: Any = None) -> None:
        self.request = request
        super().__init__(message)


class CoordinationError(TransportError):
    """The coordination store (e.g. Redis) could not be reached or answered in time.

    Nothing was sent to Mubert because of it (``sent`` is False): a generation that
    could not get its slot was never created.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)


class GenerationFailedError(MubertError):
    """A track generation ended in status ``failed``."""

    def __init__(self, message: str, *, track: Track | None = None) -> None:
        self.track = track
        super().__init__(message)


class GenerationTimeoutError(MubertError, TimeoutError):
    """A generation (queueing, creating and waiting) took longer than the given timeout.

    ``track`` is the track when it was created (wait for it again later), else None:
    then nothing was sent.
    """

    def __init__(self, message: str, *, track: Track | None = None) -> None:
        self.track = track
        super().__init__(message)


class LinkExpiredError(MubertError):
    """A generation's download URL has expired; generate the track again (or ``similar``)."""

    def __init__(self, message: str, *, track: Track | None = None) -> None:
        self.track = track
        super().__init__(message)


class APIError(MubertError):
    """The API answered with an error status.

    ``status`` is the HTTP status (None for errors raised locally, such as missing
    credentials), ``code`` the body's error code (e.g. ``"TrackNotFound"``),
    ``message`` and ``description`` its human-readable texts and ``body`` the decoded
    error body (a dict, or the raw text when it was not JSON).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        description: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.description = description
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        if self.description:
            parts.append(f"- {self.description}")
        meta = ", ".join(
            f"{k} {v}" for k, v in (("status", self.status), ("code", self.code)) if v is not None
        )
        if meta:
            parts.append(f"({meta})")
        return " ".join(parts)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class AuthenticationError(APIError):
    """The credentials were missing or rejected (HTTP 401)."""


class PermissionDeniedError(APIError):
    """The request is not allowed (HTTP 403): inactive or expired license, customer or token.

    ``expired_at`` is set for ``AccessTokenExpired`` and ``LicenseExpired``.
    """

    @property
    def expired_at(self) -> str | None:
        """When the token or license expired, as the server reported it."""
        value = self.body.get("expired_at") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else None


class LicenseForbiddenError(PermissionDeniedError):
    """The license does not allow this bitrate, duration, feature, format, intensity or mode."""


_QUOTA_FIELDS: Mapping[str, tuple[str | None, str]] = {
    "LicenseLimitTracksCount": ("tracks_count", "tracks_count_limit"),
    "LicenseLimitTracksDuration": ("tracks_duration", "tracks_duration_limit"),
    "LicenseLimitStreamingDuration": ("streaming_duration", "streaming_duration_limit"),
    "LicenseLimitUsersCount": (None, "customers_count_limit"),
}
"""Error code to the body's (used, limit) keys of a ``QuotaExceededError``."""


class QuotaExceededError(PermissionDeniedError):
    """A track-count, track-duration, streaming-duration or customer-count quota is used up.

    ``period`` is ``"daily"``, ``"monthly"`` or ``"total"`` (None for the customer
    count), ``used`` what has been consumed and ``limit`` the quota.
    """

    @property
    def period(self) -> str | None:
        """The quota's period: ``daily``, ``monthly`` or ``total``."""
        value = self.body.get("type") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else None

    @property
    def used(self) -> int | None:
        """How much of the quota has been used."""
        used_key = _QUOTA_FIELDS.get(self.code or "", (None, ""))[0]
        return _int_field(self.body, used_key)

    @property
    def limit(self) -> int | None:
        """The quota itself."""
        return _int_field(self.body, _QUOTA_FIELDS.get(self.code or "", (None, None))[1])


class ConcurrencyLimitError(PermissionDeniedError):
    """Too many generations are in flight; ``limit`` is the allowed number."""

    @property
    def limit(self) -> int | None:
        """The number of concurrent generations the license allows."""
        return _int_field(self.body, "concurrent_track_generations")


class NotFoundError(APIError):
    """The track, customer, license or company does not exist (HTTP 404)."""


class ValidationError(APIError):
    """The server rejected the input (HTTP 422); ``errors`` maps fields to messages."""

    @property
    def errors(self) -> dict[str, list[str]]:
        """Field name to the server's messages about it."""
        raw = self.body.get("errors") if isinstance(self.body, dict) else None
        if not isinstance(raw, dict):
            return {}
        return {
            str(k): [str(m) for m in v] if isinstance(v, list) else [str(v)] for k, v in raw.items()
        }


class RateLimitError(APIError):
    """Too many requests (HTTP 429); ``retry_after`` is the server's advice in seconds."""

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before the next request, from the ``Retry-After`` header."""
        return _parse_retry_after(self.headers.get("retry-after"))


class ServerError(APIError):
    """The server failed (HTTP 5xx)."""


def _int_field(body: Any, key: str | None) -> int | None:
    if key is None or not isinstance(body, dict):
        return None
    value = body.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = _parse_http_date(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


_CODE_CLASSES: Mapping[str, type[APIError]] = {
    "Unauthenticated": AuthenticationError,
    "Forbidden": PermissionDeniedError,
    "AccessTokenExpired": PermissionDeniedError,
    "CompanyIsNotActive": PermissionDeniedError,
    "CustomerIsNotActive": PermissionDeniedError,
    "LicenseIsNotActive": PermissionDeniedError,
    "LicenseExpired": PermissionDeniedError,
    "UserNotFound": PermissionDeniedError,
    "LicenseForbiddenBitrate": LicenseForbiddenError,
    "LicenseForbiddenDuration": LicenseForbiddenError,
    "LicenseForbiddenFeature": LicenseForbiddenError,
    "LicenseForbiddenFormat": LicenseForbiddenError,
    "LicenseForbiddenIntensity": LicenseForbiddenError,
    "LicenseForbiddenMode": LicenseForbiddenError,
    "LicenseLimitTracksCount": QuotaExceededError,
    "LicenseLimitTracksDuration": QuotaExceededError,
    "LicenseLimitStreamingDuration": QuotaExceededError,
    "LicenseLimitUsersCount": QuotaExceededError,
    "LicenseLimitConcurrentTrackGenerationsCount": ConcurrencyLimitError,
    "CompanyNotFound": NotFoundError,
    "CustomerNotFound": NotFoundError,
    "LicenseNotFound": NotFoundError,
    "TrackNotFound": NotFoundError,
}

_STATUS_CLASSES: Mapping[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
}

_MAX_TEXT = 500
_MAX_SCRUBBED = 64 * 1024


def _class_for(status: int, code: str | None) -> type[APIError]:
    by_status = _STATUS_CLASSES.get(status)
    if status >= 500:
        by_status = ServerError
    by_code = _CODE_CLASSES.get(code) if code else None
    # A code refines the status (403 -> QuotaExceededError); it never overrides it
    # into an unrelated branch (a 404 body saying "Forbidden" stays a NotFoundError).
    if by_code is not None and (by_status is None or issubclass(by_code, by_status)):
        return by_code
    return by_status or APIError


_MAX_DEPTH = 32
"""Deepest nesting of an error body kept as decoded JSON; deeper ones are kept as text."""


class _TooDeep(Exception):
    pass


def _scrub(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    """``value`` with every string inside it cleared of ``secrets``.

    Raises ``_TooDeep`` past ``_MAX_DEPTH`` levels: walking (or later printing) such
    a body would exhaust the stack.
    """
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "[REDACTED]")
        return value
    if depth >= _MAX_DEPTH and isinstance(value, (dict, list)):
        raise _TooDeep
    if isinstance(value, dict):
        return {
            _scrub(k, secrets, depth + 1): _scrub(v, secrets, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v, secrets, depth + 1) for v in value]
    return value


E = TypeVar("E", bound=BaseException)


def _quotes(exc: BaseException, secrets: tuple[str, ...]) -> bool:
    """True when ``exc``'s text, repr or args show a secret (or cannot be rendered)."""
    try:
        texts = (str(exc), repr(exc), repr(exc.args))
    except Exception:
        return True
    return any(secret in text for text in texts for secret in secrets)


def scrub_error(error: E, secrets: tuple[str, ...]) -> E:
    """``error`` (changed in place) with ``secrets`` gone from its text and its chain.

    String arguments are scrubbed. A chained exception (``__cause__``/``__context__``)
    that quotes a secret -- aiohttp's ``ClientResponseError`` carries the request
    headers in its repr -- is cut off, as is any context an explicit ``raise ...
    from`` already hid. Error trackers render the whole chain, hidden parts included.
    """
    error.args = tuple(_scrub(a, secrets) if isinstance(a, str) else a for a in error.args)
    seen: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo:
        link = todo.pop()
        if any(link is s for s in seen):
            continue
        seen.append(link)
        if link.__suppress_context__:
            link.__context__ = None
        for attr in ("__cause__", "__context__"):
            nxt: BaseException | None = getattr(link, attr)
            if nxt is not None and secrets and _quotes(nxt, secrets):
                setattr(link, attr, None)
            elif nxt is not None:
                todo.append(nxt)
    return error


def _error_from_response(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    secrets: tuple[str, ...] = (),
) -> APIError:
    """Build the APIError subclass matching an error response's status and body ``code``.

    Any of ``secrets`` (the caller's credentials) that a server echoes back is
    replaced by ``[REDACTED]`` in the message, description, body and headers.
    """
    body: Any
    try:
        body = _scrub(msgspec.json.decode(content), secrets) if content else None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, _TooDeep):
        # Scrubbed before it is cut short, so that no part of a secret survives the cut.
        text = content[:_MAX_SCRUBBED].decode("utf-8", "replace")
        body = _scrub(text, secrets)[:_MAX_TEXT]
    if isinstance(body, dict):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message")
        description = body.get("description")
        text = message if isinstance(message, str) and message else f"HTTP {status}"
        desc = description if isinstance(description, str) else None
    else:
        code, desc = None, None
        text = body.strip() if isinstance(body, str) and body.strip() else f"HTTP {status}"
    cls = _class_for(status, code)
    if secrets:
        headers = {name: _scrub(value, secrets) for name, value in headers.items()}
    return cls(text, status=status, code=code, description=desc, body=body, headers=headers)


def _parse_http_date(value: str) -> datetime:
    """An HTTP date (``Date``, ``Retry-After``) as a datetime; email.utils loads on first use."""
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value)
