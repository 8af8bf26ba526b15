"""Hostile servers on 127.0.0.1 for the security tests: an aiohttp app and a raw socket one.

The app plays both a misbehaving API and a misbehaving file host: it drips, stalls,
streams without end, sends gzip bombs, echoes credentials into bodies and headers,
redirects in chains and to plain http. ``Hostile.hits`` counts the requests per path,
so a test can prove that something was refused *before* it was sent.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = [
    "BOMB_SIZE",
    "ECHOED",
    "FILE_HOST",
    "Hostile",
    "StaticResolver",
    "hostile_server",
    "raw_handler",
    "serving",
]

RELEASE = web.AppKey("release", asyncio.Event)  # set at shutdown: slow handlers finish
HITS = web.AppKey("hits", collections.Counter)
HEADERS = web.AppKey("headers", list)

ECHOED = "tok-SECRET-5b1e0c7d9a"
"""The access token the hostile file host "knows" and echoes (the tests' client uses it)."""
FILE_HOST = "files.example.test"
"""A name that is not loopback by its spelling but resolves to 127.0.0.1 (StaticResolver)."""
BOMB_SIZE = 64 * 1024 * 1024
"""Bytes the gzip bomb inflates to."""
_PIECE = 64 * 1024


@dataclass
class Hostile:
    """``url``: the app (http://127.0.0.1:port); ``raw_url``: the raw server; ``port``."""

    url: str
    raw_url: str
    port: int
    hits: collections.Counter[str] = field(default_factory=collections.Counter)
    headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def total_hits(self) -> int:
        """Requests the app received, on any path."""
        return sum(self.hits.values())


class StaticResolver(AbstractResolver):
    """Resolves every name to 127.0.0.1: a DNS that points an outside name at loopback."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def resolving_session() -> aiohttp.ClientSession:
    """A session whose connector sends every name to 127.0.0.1."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=StaticResolver()))


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """``BOMB_SIZE`` zero bytes, gzip-compressed (about 64 KB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(_PIECE)
    parts = [compressor.compress(block) for _ in range(BOMB_SIZE // _PIECE)]
    parts.append(compressor.flush())
    return b"".join(parts)


async def _released(request: web.Request, seconds: float) -> bool:
    """Wait up to ``seconds`` for shutdown; True once the server is shutting down."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(request.app[RELEASE].wait(), seconds)
    return request.app[RELEASE].is_set()


async def _ok(request: web.Request) -> web.Response:
    size = int(request.match_info["size"])
    return web.Response(body=b"A" * size, content_type="audio/mpeg")


async def _drip(request: web.Request) -> web.StreamResponse:
    """One byte every 50 ms of a body that claims a megabyte: never a silent gap."""
    stream = web.StreamResponse(headers={"content-type": "audio/mpeg"})
    stream.content_length = 1_000_000
    await stream.prepare(request)
    with contextlib.suppress(ConnectionError):
        for _ in range(2000):  # 100 s at most
            await stream.write(b"d")
            if await _released(request, 0.05):
                break
    return stream


async def _stall(request: web.Request) -> web.StreamResponse:
    """A first piece at once, then silence."""
    stream = web.StreamResponse(headers={"content-type": "audio/mpeg"})
    stream.content_length = 2 * _PIECE
    await stream.prepare(request)
    with contextlib.suppress(ConnectionError):
        await stream.write(b"s" * _PIECE)
        await _released(request, 30)
    return stream


async def _endless(request: web.Request) -> web.StreamResponse:
    """A chunked body without end (bounded at 4 GB so that a broken test still ends)."""
    stream = web.StreamResponse(headers={"content-type": "audio/mpeg"})
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    block = b"e" * _PIECE
    with contextlib.suppress(ConnectionError):
        for _ in range(65536):
            await stream.write(block)
            if request.app[RELEASE].is_set():
                break
    return stream


async def _bomb(request: web.Request) -> web.Response:
    return web.Response(
        body=gzip_bomb(), headers={"content-type": "audio/mpeg", "content-encoding": "gzip"}
    )


async def _echo_error(request: web.Request) -> web.Response:
    """403 quoting the token (it knows it) and every request header, in body and headers."""
    seen = {k.lower(): v for k, v in request.headers.items()}
    body = {
        "code": "Forbidden",
        "message": f"denied for token {ECHOED} and {seen}",
        "description": str(seen),
    }
    headers = {"x-echo-token": ECHOED, "x-echo-headers": repr(seen), "www-authenticate": ECHOED}
    return web.json_response(body, status=403, headers=headers)


async def _expired_s3(request: web.Request) -> web.Response:
    xml = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    return web.Response(status=403, text=xml, content_type="application/xml")


async def _gone(request: web.Request) -> web.Response:
    return web.Response(status=410, text="gone")


async def _denied(request: web.Request) -> web.Response:
    return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>")


async def _redirect(request: web.Request) -> web.Response:
    """``/redirect/<n>``: n more hops, then ``/ok/100``."""
    hops = int(request.match_info["n"])
    raise web.HTTPFound(f"/redirect/{hops - 1}" if hops > 1 else "/ok/100")


async def _redirect_to(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["url"])


async def _redirect_endless(request: web.Request) -> web.StreamResponse:
    """A redirect whose body never ends: following it must not read that body."""
    stream = web.StreamResponse(status=302, headers={"location": "/ok/100"})
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    with contextlib.suppress(ConnectionError):
        for _ in range(65536):
            await stream.write(b"r" * _PIECE)
            if request.app[RELEASE].is_set():
                break
    return stream


@web.middleware
async def _count(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    request.app[HITS][request.path] += 1
    request.app[HEADERS].append({k.lower(): v for k, v in request.headers.items()})
    return await handler(request)


def make_app() -> web.Application:
    app = web.Application(middlewares=[_count])
    app[RELEASE] = asyncio.Event()
    app[HITS] = collections.Counter()
    app[HEADERS] = []
    routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
        "/ok/{size}": _ok,
        "/drip": _drip,
        "/stall": _stall,
        "/endless": _endless,
        "/bomb": _bomb,
        "/echo-error": _echo_error,
        "/expired-s3": _expired_s3,
        "/gone": _gone,
        "/denied": _denied,
        "/redirect/{n}": _redirect,
        "/redirect-to": _redirect_to,
        "/redirect-endless": _redirect_endless,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    app.router.add_route("*", "/api/v3/{tail:.*}", _echo_error)
    return app


def _malformed(head: bytes) -> bytes:
    """A malformed answer: a header line without a colon that quotes the token."""
    return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nBad " + ECHOED.encode() + b"\r\n\r\nhello"


def raw_handler(
    answer: Callable[[bytes], bytes],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A bare socket handler: reads a request head, writes ``answer(head)``, hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(answer(head))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return handle


@contextlib.asynccontextmanager
async def serving(
    app: web.Application,
    raw: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    release: asyncio.Event,
    *,
    shutdown_timeout: float,
) -> AsyncIterator[tuple[int, int]]:
    """Run ``app`` and the raw handler on ephemeral loopback ports; yield both ports.

    At the end ``release`` is set (slow handlers finish) and both servers stop.
    """
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    raw_server = await asyncio.start_server(raw, "127.0.0.1", 0)
    try:
        yield runner.addresses[0][1], raw_server.sockets[0].getsockname()[1]
    finally:
        release.set()
        raw_server.close()
        await raw_server.wait_closed()
        await runner.cleanup()


@contextlib.asynccontextmanager
async def hostile_server() -> AsyncIterator[Hostile]:
    """Run the hostile app and the raw server on ephemeral loopback ports for the block."""
    app = make_app()
    async with serving(app, raw_handler(_malformed), app[RELEASE], shutdown_timeout=0.5) as (
        port,
        raw_port,
    ):
        yield Hostile(
            f"http://127.0.0.1:{port}",
            f"http://127.0.0.1:{raw_port}",
            port,
            hits=app[HITS],
            headers=app[HEADERS],
        )
