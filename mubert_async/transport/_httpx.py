"""A transport on httpx (the optional ``httpx`` extra); only this module imports httpx."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import httpx

from .._backend import call_soon_in
from ..errors import RequestTimeout, TransportError
from ._base import Multipart, Request, Response, StreamResponse
from ._shared import CHUNK, LoopBound, closed_error, describe, rechunk, too_large

__all__ = ["HttpxTransport"]


# TimeoutError: the deadline on reading the body (anyio.fail_after raises the builtin).
_ERRORS: Final = (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError)


class HttpxTransport:
    """Sends requests with ``httpx.AsyncClient``; the same contract as ``AiohttpTransport``.

    ``client`` is an optional ``httpx.AsyncClient`` to use as is (never closed by
    the transport). Without it the transport creates its own client, with
    ``limits`` (httpx's defaults when None), on the first request, inside the
    running loop, and closes it in ``aclose()``. ``max_response_size`` caps the body
    ``send()`` reads into memory; streamed bodies are not capped.

    The request timeout bounds connecting, waiting for a pooled connection, each
    write and each read (httpx's per-operation timeouts) and, for ``send()``, the
    whole exchange.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        limits: httpx.Limits | None = None,
        max_response_size: int = 32 * 1024 * 1024,
    ) -> None:
        if max_response_size < 0:
            raise ValueError("max_response_size must be >= 0")
        self._pool = LoopBound(
            client,
            create=functools.partial(_new_client, limits),
            close=httpx.AsyncClient.aclose,
            discard=_discard,
        )
        self._max = max_response_size

    def __repr__(self) -> str:
        state = "closed" if self._pool.closed else "open"
        return f"<HttpxTransport {state} owns_client={self._pool.owns}>"

    async def __aenter__(self) -> HttpxTransport:
        """Return the transport; ``aclose()`` runs when the block exits."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the transport (see ``aclose``)."""
        await self.aclose()

    async def send(self, request: Request) -> Response:
        """Send ``request`` and read the whole response body."""
        started = time.monotonic()
        response = await self._open(request)
        try:
            try:
                remaining = None
                if request.timeout is not None:
                    remaining = max(0.0, request.timeout - (time.monotonic() - started))
                with anyio.fail_after(remaining):
                    body = await self._read_capped(response, request)
            finally:
                await response.aclose()
        except _ERRORS as exc:
            raise _translate(exc, request) from exc
        return Response(response.status_code, dict(response.headers.items()), body)

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[StreamResponse]:
        """Send ``request``; the context manager yields the response with its body unread.

        The response is closed when the block exits. The timeout bounds connecting and
        each read, not the whole download.
        """
        body = _HttpxStream(await self._open(request), request)
        try:
            yield body
        finally:
            await body.aclose()

    async def _open(self, request: Request) -> httpx.Response:
        """Send ``request`` and return the response with its body unread."""
        client = await self._pool.get()
        try:
            return await client.send(
                _build(client, request), stream=True, follow_redirects=request.follow_redirects
            )
        except _ERRORS as exc:
            raise _translate(exc, request) from exc
        except RuntimeError as exc:
            if not client.is_closed:
                raise
            raise closed_error("httpx client", request) from exc

    async def aclose(self) -> None:
        """Close the client if the transport created it. Safe to call twice."""
        await self._pool.aclose()

    async def _read_capped(self, response: httpx.Response, request: Request) -> bytes:
        limit = self._max
        length = response.headers.get("content-length")
        if request.method == "HEAD":
            return b""
        if length is not None and length.isdigit() and int(length) > limit:
            raise too_large(request, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise too_large(request, limit)
            chunks.append(chunk)
        return b"".join(chunks)


def _new_client(limits: httpx.Limits | None) -> httpx.AsyncClient:
    return httpx.AsyncClient() if limits is None else httpx.AsyncClient(limits=limits)


def _discard(client: httpx.AsyncClient, loop: object) -> None:
    """Dispose of a client whose loop (asyncio's or a trio run) is not the running one.

    A loop that ended through ``asyncio.run`` or ``trio.run`` already closed it
    (``LoopGuard``); one running in another thread closes it itself; otherwise there
    is nothing to await with.
    """
    call_soon_in(loop, client.aclose)


class _HttpxStream:
    """A ``StreamResponse`` over a streaming ``httpx.Response``."""

    __slots__ = ("_pending", "_request", "_response", "_source", "headers", "status")

    def __init__(self, response: httpx.Response, request: Request) -> None:
        self._response = response
        self._request = request
        self._source: AsyncIterator[bytes] | None = None
        self._pending = b""
        self.status: int = response.status_code
        self.headers: Mapping[str, str] = dict(response.headers.items())

    def __repr__(self) -> str:
        return f"<StreamResponse status={self.status}>"

    async def _read(self, size: int) -> bytes:
        """At most ``size`` bytes of the body (``size`` < 0: all the rest); b"" at the end."""
        data = self._pending
        if not data:
            if self._source is None:
                response = self._response
                decompress = self._request.decompress
                self._source = response.aiter_bytes() if decompress else response.aiter_raw()
            try:
                data = await self._source.__anext__()
            except StopAsyncIteration:
                return b""
            except _ERRORS as exc:
                raise _translate(exc, self._request) from exc
        if 0 <= size < len(data):
            self._pending = data[size:]
            return data[:size]
        self._pending = b""
        return data

    async def aiter_bytes(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """Yield the body in chunks of exactly ``chunk_size`` bytes (the last may be shorter)."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        async for chunk in rechunk(self._read, chunk_size):
            yield chunk

    async def aread(self) -> bytes:
        """Read the rest of the body."""
        chunks: list[bytes] = []
        while chunk := await self._read(-1):
            chunks.append(chunk)
        return b"".join(chunks)

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        try:
            close = getattr(self._source, "aclose", None)  # an async generator
            if close is not None:
                await close()
        finally:
            await self._response.aclose()


def _build(client: httpx.AsyncClient, request: Request) -> httpx.Request:
    timeout = httpx.Timeout(request.timeout)
    form = request.form
    if form is None:
        return client.build_request(
            request.method,
            request.url,
            params=request.params,
            headers=request.headers,
            content=request.content,
            timeout=timeout,
        )
    return client.build_request(
        request.method,
        request.url,
        params=request.params,
        # A multipart body brings its own Content-Type (with the boundary).
        headers={k: v for k, v in request.headers.items() if k.lower() != "content-type"},
        files=_files(form),
        timeout=timeout,
    )


def _files(form: Multipart) -> list[tuple[str, Any]]:
    # Plain fields go in as parts without a filename, so that even a form without
    # files is sent as multipart/form-data (httpx would urlencode ``data=`` alone).
    parts: list[tuple[str, Any]] = [(k, (None, v.encode())) for k, v in form.fields.items()]
    parts += [(k, (f.filename, f.content, f.content_type)) for k, f in form.files.items()]
    return parts


def _translate(exc: BaseException, request: Request) -> TransportError:
    """Map an httpx error to TransportError; never mentions headers."""
    where = f"{request.method} {request.url}"
    detail = describe(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return RequestTimeout(f"{where}: timed out connecting", sent=False)
    if isinstance(exc, httpx.PoolTimeout):
        return RequestTimeout(f"{where}: timed out waiting for a pooled connection", sent=False)
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return RequestTimeout(f"{where}: timed out", sent=True)
    if isinstance(exc, httpx.ConnectError):
        return TransportError(f"{where}: could not connect: {detail}", sent=False)
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return TransportError(f"{where}: invalid URL: {detail}", sent=False)
    return TransportError(f"{where}: {detail}", sent=True)
