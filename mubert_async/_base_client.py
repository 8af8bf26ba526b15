"""The request pipeline both clients share: auth headers, retries, errors, decoding."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import msgspec

from ._aclose import AsyncClosing
from ._config import AuthScheme, resolve_base_url, resolve_credentials
from ._logging import logger, redact_headers
from ._options import ClientSettings
from ._retry import RetryPolicy
from ._version import __version__
from .errors import (
    ClientClosedError,
    MubertError,
    TransportError,
    _error_from_response,
    scrub_error,
)
from .models._decoding import ResponseDecoder
from .transport import Multipart, Request, Response, Transport

__all__ = ["NOT_GIVEN", "BaseClient", "NotGiven", "path"]

T = TypeVar("T")
_MIN_SECRET = 6
Self = TypeVar("Self", bound="BaseClient")


def _default_transport() -> Transport:
    """The default transport, imported here so ``import mubert_async`` does not load aiohttp."""
    from .transport._aiohttp import AiohttpTransport

    return AiohttpTransport()


class NotGiven:
    """Marks an argument that was not passed (as opposed to passed as None)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


async def _sleep(seconds: float) -> None:
    """Wait between retries (tests replace it to run without waiting)."""
    await anyio.sleep(seconds)


def path(template: str, *segments: str) -> str:
    """``template`` with each ``{}`` replaced by a percent-encoded path segment."""
    return template.format(*(quote(s, safe="") for s in segments))


class BaseClient(AsyncClosing):
    """Sends requests for one set of credentials and turns answers into models or errors.

    Subclasses name their API directory's ``_auth`` scheme (header and environment
    variable names) and bind their resource namespaces in ``_init_resources``.
    """

    _auth: AuthScheme

    def __init__(
        self, id_value: str | None, token_value: str | None, options: Mapping[str, Any]
    ) -> None:
        self._setup(id_value, token_value, ClientSettings.of(options))

    def _setup(
        self, id_value: str | None, token_value: str | None, settings: ClientSettings
    ) -> None:
        """Take the credentials and settings, then bind the state and resources to them."""
        credentials = resolve_credentials(id_value, token_value, self._auth)
        self._credentials = credentials
        self._settings = settings
        self._base_url = resolve_base_url(settings.base_url)
        self._retry = settings.retry if settings.retry is not None else RetryPolicy()
        transport = settings.transport
        self._owns_transport = transport is None
        self._closed = False
        self._transport: Transport = transport if transport is not None else _default_transport()
        self._headers = {
            "accept": "application/json",
            "user-agent": f"mubert-async/{__version__}",
            **credentials.headers(),
        }
        self._json_headers = {**self._headers, "content-type": "application/json"}
        # Too short to be a real credential: scrubbing it would mangle every message.
        self._secrets = tuple(s for s in credentials.secrets() if len(s) >= _MIN_SECRET)
        self._init_state()
        self._init_resources()

    def _init_state(self) -> None:
        """Make the state copies of this client share (a customer's generation engine)."""

    def _init_resources(self) -> None:
        """Bind the resource namespaces (``tracks``, ``customers``...) to this client."""

    @property
    def base_url(self) -> str:
        """The API's base URL this client talks to."""
        return self._base_url

    @property
    def transport(self) -> Transport:
        """The transport requests go through."""
        return self._transport

    @property
    def timeout(self) -> float | None:
        """Seconds one HTTP request may take (None: no limit)."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request is repeated when that is safe."""
        return self._settings.max_retries

    @property
    def retry(self) -> RetryPolicy:
        """The backoff policy for retries."""
        return self._retry

    def with_options(
        self: Self,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A client sharing this one's transport and state, with other request options.

        ``await client.with_options(timeout=5, max_retries=0).tracks.get(track_id)``
        """
        changes: dict[str, Any] = {}
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = timeout
        if not isinstance(max_retries, NotGiven):
            changes["max_retries"] = max_retries
        if not isinstance(retry, NotGiven):
            changes["retry"] = retry
        settings = self._settings.replace(**changes)
        clone = copy.copy(self)
        clone._closed = False
        clone._settings = settings
        if settings.retry is not None:
            clone._retry = settings.retry
        return clone

    def __copy__(self: Self) -> Self:
        """A client sharing this one's transport and state, which does not own the transport.

        Closing the copy leaves the transport open; only the client that created
        the transport closes it.
        """
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._owns_transport = False
        clone._init_resources()
        return clone

    def __deepcopy__(self: Self, memo: dict[int, Any]) -> Self:
        """Like ``copy.copy``: a transport (sockets, a session) cannot be duplicated."""
        return self.__copy__()

    async def aclose(self) -> None:
        """Close the transport if this client created it. Safe to call twice.

        A closed client raises ``ClientClosedError`` at once on every later request.
        """
        self._closed = True
        if self._owns_transport:
            await self._transport.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    # -- the pipeline -------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Multipart | None = None,
        idempotent: bool | None = None,
        max_retries: int | None = None,
    ) -> Response:
        """Send a request to ``base_url + path``, retrying when safe; return the 2xx response.

        ``max_retries`` overrides the client's for this request.
        """
        if self._closed:
            raise ClientClosedError(f"{type(self).__name__} is closed; make a new one")
        retries = self._settings.max_retries if max_retries is None else max_retries
        content = msgspec.json.encode(json) if json is not None else None
        request = Request(
            method,
            self._base_url + path,
            headers=self._json_headers if content is not None else self._headers,
            params={k: _query_value(v) for k, v in params.items() if v is not None}
            if params
            else None,
            content=content,
            form=form,
            timeout=self._settings.timeout,
        )
        attempt = 0
        while True:
            error = await self._send_once(request)
            if isinstance(error, Response):
                return error
            if attempt >= retries or not self._retry.should_retry(
                error, method=method, idempotent=idempotent
            ):
                raise error
            delay = self._retry.delay(attempt, error)
            attempt += 1
            logger.info(
                "retrying %s %s in %.2fs (retry %d of %d) after %s",
                method,
                request.url,
                delay,
                attempt,
                retries,
                type(error).__name__,
            )
            await _sleep(delay)

    async def _send_once(self, request: Request) -> Response | MubertError:
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            started = time.perf_counter()
            logger.debug(
                "request %s %s params=%s headers=%s",
                request.method,
                request.url,
                request.params,
                redact_headers(request.headers),
            )
        error: TransportError | None
        try:
            response = await self._transport.send(request)
        except ClientClosedError:
            raise
        except TransportError as exc:
            error = scrub_error(exc, self._secrets)
        except OSError as exc:
            error = TransportError(f"{request.method} {request.url} failed: {exc!r}")
            error = scrub_error(error, self._secrets)
        else:
            error = None
        if error is not None:
            if debug:
                logger.debug("transport error %s %s: %s", request.method, request.url, error)
            return error
        if debug:
            logger.debug(
                "response %s %s -> %d (%d bytes, %.1f ms)",
                request.method,
                request.url,
                response.status,
                len(response.content),
                (time.perf_counter() - started) * 1000,
            )
        if 200 <= response.status < 300:
            return response
        return _error_from_response(
            response.status, response.headers, response.content, secrets=self._secrets
        )

    async def _request_model(
        self,
        method: str,
        path: str,
        decoder: ResponseDecoder[T],
        **kwargs: Any,
    ) -> T:
        """Like ``_request``, decoding the body with ``decoder``."""
        response = await self._request(method, path, **kwargs)
        try:
            return decoder.decode(response.content)
        except TransportError as exc:  # a decoder may quote what it could not decode
            scrub_error(exc, self._secrets)
            raise


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)
