"""The default transport, on aiohttp.

Resource rules (no "Unclosed client session" warnings, no loop confusion):

* the ``ClientSession`` is created lazily, inside the running event loop, by the
  first request -- never in ``__init__`` and never from ``__del__``;
* only a session the transport created is closed by it; a user's session is used
  as is;
* an owned session is tied to the loop that created it. When that loop shuts down
  through ``asyncio.run``/``asyncio.Runner`` (which finalise async generators), a
  small watcher closes the session there, gracefully. When the transport is next
  used in another loop it opens a fresh session and disposes of the stale one
  synchronously, so neither aiohttp nor asyncio has anything left to warn about;
* aiohttp runs on asyncio only: under trio (anyio's other backend) every request
  raises ``MubertError`` pointing to ``HttpxTransport``, before anything is sent.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import aiohttp

from .._backend import call_soon_in
from ..errors import RequestTimeout, TransportError
from ._base import Multipart, Request, Response, StreamResponse
from ._shared import CHUNK, LoopBound, closed_error, describe, rechunk, too_large

__all__ = ["AiohttpTransport"]

_MiB: Final = 1024 * 1024
_TIMEOUT_CACHE_SIZE: Final = 64

# What aiohttp and asyncio raise below the HTTP level. RuntimeError is only caught to
# recognise a closed user session; anything else is re-raised as a programming error.
_ERRORS: Final = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class AiohttpTransport:
    """Sends requests with aiohttp: pooled keep-alive connections, per-request timeouts.

    ``session`` is an optional ``aiohttp.ClientSession`` to use as is (it is never
    closed by the transport). Without it the transport creates its own session, with
    a ``TCPConnector(limit=limit, limit_per_host=limit_per_host)``, on the first
    request and closes it in ``aclose()``. ``max_response_size`` caps the body that
    ``send()`` reads into memory; a larger body raises ``TransportError``. Streamed
    bodies (``stream()``) are not capped: they are read in constant memory.

    Errors are ``TransportError``/``RequestTimeout`` only; ``sent`` is False only
    when the connection could not be established. asyncio only: under trio a request
    raises ``MubertError`` (use ``HttpxTransport`` there).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        max_response_size: int = 32 * _MiB,
    ) -> None:
        if max_response_size < 0:
            raise ValueError("max_response_size must be >= 0")
        self._pool = LoopBound(
            session,
            create=functools.partial(_new_session, limit, limit_per_host),
            close=aiohttp.ClientSession.close,
            discard=_discard,
            asyncio_only="AiohttpTransport (aiohttp)",
        )
        self._max = max_response_size
        self._send_timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self._stream_timeouts: dict[float | None, aiohttp.ClientTimeout] = {}

    def __repr__(self) -> str:
        state = "closed" if self._pool.closed else "open"
        return f"<AiohttpTransport {state} owns_session={self._pool.owns}>"

    async def __aenter__(self) -> AiohttpTransport:
        """Return the transport; ``aclose()`` runs when the block exits."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the transport (see ``aclose``)."""
        await self.aclose()

    async def send(self, request: Request) -> Response:
        """Send ``request`` and read the whole response body."""
        timeout = self._send_timeouts.get(request.timeout)
        if timeout is None:
            timeout = _cached(self._send_timeouts, request.timeout, total=request.timeout)
        resp = await self._open(request, timeout)
        try:
            try:
                length = resp.content_length
                if length is None or "Content-Encoding" in resp.headers:
                    body = await _read_capped(resp.content, self._max, request)
                elif length > self._max and request.method != "HEAD":
                    raise too_large(request, self._max)
                else:
                    body = await resp.read()
            finally:
                resp.release()
        except _ERRORS as exc:
            error, cause = _translate(exc, request), _cause(exc)
        else:
            return Response(resp.status, _lower(resp.headers), body)
        raise error from cause  # outside the except block: no __context__ (see _cause)

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[StreamResponse]:
        """Send ``request``; the context manager yields the response with its body unread.

        The connection is released when the block exits (closed, not reused, if the
        body was not read to the end or the block was cancelled). The timeout bounds
        connecting and each read, not the whole download.
        """
        timeout = self._stream_timeouts.get(request.timeout)
        if timeout is None:
            timeout = _cached(
                self._stream_timeouts,
                request.timeout,
                total=None,
                connect=request.timeout,
                sock_read=request.timeout,
            )
        resp = await self._open(request, timeout)
        try:
            yield _AiohttpStream(resp, request)
        except BaseException:
            resp.close()
            raise
        resp.release()

    async def _open(
        self, request: Request, timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientResponse:
        """Send ``request`` and return the response with its body unread."""
        session = await self._pool.get()
        form = request.form
        try:
            return await session.request(
                request.method,
                request.url,
                params=request.params,
                headers=request.headers if form is None else _without_content_type(request),
                data=request.content if form is None else _form_data(form),
                timeout=timeout,
                allow_redirects=request.follow_redirects,
                auto_decompress=request.decompress,
            )
        except _ERRORS as exc:
            error, cause = _translate(exc, request), _cause(exc)
        except RuntimeError as exc:
            if not session.closed:
                raise
            raise closed_error("aiohttp session", request) from exc
        raise error from cause  # outside the except block: no __context__ (see _cause)

    async def aclose(self) -> None:
        """Close the session if the transport created it. Safe to call twice."""
        await self._pool.aclose()


def _new_session(limit: int, limit_per_host: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host)
    return aiohttp.ClientSession(connector=connector)


class _AiohttpStream:
    """A ``StreamResponse`` over an ``aiohttp.ClientResponse``."""

    __slots__ = ("_request", "_response", "headers", "status")

    def __init__(self, response: aiohttp.ClientResponse, request: Request) -> None:
        self._response = response
        self._request = request
        self.status: int = response.status
        self.headers: Mapping[str, str] = _lower(response.headers)

    def __repr__(self) -> str:
        return f"<StreamResponse status={self.status}>"

    async def aiter_bytes(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """Yield the body in chunks of exactly ``chunk_size`` bytes (the last may be shorter)."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        content = self._response.content

        async def read(size: int) -> bytes:
            try:
                return await content.read(size)
            except _ERRORS as exc:
                error, cause = _translate(exc, self._request), _cause(exc)
            raise error from cause

        async for chunk in rechunk(read, chunk_size):
            yield chunk

    async def aread(self) -> bytes:
        """Read the rest of the body."""
        try:
            return await self._response.read()
        except _ERRORS as exc:
            error, cause = _translate(exc, self._request), _cause(exc)
        raise error from cause


def _discard(session: aiohttp.ClientSession, loop: object) -> None:
    """Dispose of a session whose loop is not the running one, without awaiting.

    A loop still running (in another thread) closes the session itself. Otherwise the
    connector is closed synchronously: that marks the session closed (so aiohttp
    does not warn "Unclosed client session"/"Unclosed connector") and, if the loop
    has not been closed, hands the sockets' closing to it.
    """
    if session.closed or call_soon_in(loop, session.close):
        return
    connector = session.connector
    if connector is not None:
        connector._close()  # sync counterpart of `await connector.close()`


def _cached(
    cache: dict[float | None, aiohttp.ClientTimeout], key: float | None, **kwargs: Any
) -> aiohttp.ClientTimeout:
    if len(cache) >= _TIMEOUT_CACHE_SIZE:
        cache.clear()
    timeout = cache[key] = aiohttp.ClientTimeout(**kwargs)
    return timeout


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with ", " (as httpx does)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _without_content_type(request: Request) -> dict[str, str]:
    # A multipart body brings its own Content-Type (with the boundary).
    return {k: v for k, v in request.headers.items() if k.lower() != "content-type"}


def _form_data(form: Multipart) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    for name, value in form.fields.items():
        data.add_field(name, value)
    for name, upload in form.files.items():
        data.add_field(
            name, upload.content, filename=upload.filename, content_type=upload.content_type
        )
    return data


async def _read_capped(content: aiohttp.StreamReader, limit: int, request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            raise too_large(request, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _cause(exc: BaseException) -> BaseException | None:
    # ClientResponseError's repr carries request_info, headers included: keep it out
    # of the chain, as cause and as context (tracebacks and error trackers render
    # both), so the caller raises outside its except block.
    return None if isinstance(exc, aiohttp.ClientResponseError) else exc


def _translate(exc: BaseException, request: Request) -> TransportError:
    """Map an aiohttp/asyncio/OS error to TransportError; never mentions headers."""
    where = f"{request.method} {request.url}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return RequestTimeout(f"{where}: timed out connecting", sent=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(f"{where}: could not connect: {describe(exc)}", sent=False)
    if isinstance(exc, asyncio.TimeoutError):
        return RequestTimeout(f"{where}: timed out", sent=True)
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)) and not isinstance(
        exc, aiohttp.RedirectClientError
    ):
        return TransportError(f"{where}: invalid URL", sent=False)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return TransportError(f"{where}: the server closed the connection", sent=True)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportError(
            f"{where}: malformed or truncated response body: {describe(exc)}", sent=True
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        return TransportError(f"{where}: {type(exc).__name__}: {describe(exc)}", sent=True)
    return TransportError(f"{where}: {describe(exc)}", sent=True)
