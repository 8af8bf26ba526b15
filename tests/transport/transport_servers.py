"""The HTTP servers the transport tests talk to: an aiohttp app and a misbehaving raw one."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from hostile_servers import raw_handler, serving

from mubert_async.transport import Transport

TransportFactory = Callable[..., Transport]  # what the make_transport fixture gives

PIECE = 7777  # the server writes bodies in pieces of this odd size
RELEASE = web.AppKey("release", asyncio.Event)  # set at shutdown: slow handlers finish


@dataclass
class Server:
    """``url``: the aiohttp app; ``raw_url``: a bare socket server that misbehaves."""

    url: str
    raw_url: str


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": _lower(request.headers),
            "body": body.decode("latin-1"),
        }
    )


async def _upload(request: web.Request) -> web.Response:
    form = await request.post()
    fields: dict[str, str] = {}
    files: dict[str, dict[str, str]] = {}
    for name, value in form.items():
        if isinstance(value, str):
            fields[name] = value
        else:
            files[name] = {
                "filename": value.filename,
                "content_type": value.content_type,
                "content": value.file.read().decode("latin-1"),
            }
    return web.json_response(
        {"content_type": request.content_type, "fields": fields, "files": files}
    )


async def _status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.json_response({"code": "Nope"}, status=code, headers={"Retry-After": "3"})


async def _empty(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def _headers(request: web.Request) -> web.Response:
    resp = web.Response(text="ok", headers={"X-Custom-Header": "Value"})
    resp.headers.add("X-Multi", "a")
    resp.headers.add("X-Multi", "b")
    return resp


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/echo")


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


async def _bytes(request: web.Request) -> web.StreamResponse:
    size = int(request.match_info["size"])
    body = pattern(size)
    if request.query.get("gzip"):
        resp = web.Response(body=body)
        resp.enable_compression(web.ContentCoding.gzip)
        return resp
    stream = web.StreamResponse()
    if not request.query.get("chunked"):
        stream.content_length = size
    await stream.prepare(request)
    for start in range(0, size if request.method != "HEAD" else 0, PIECE):
        await stream.write(body[start : start + PIECE])
    await stream.write_eof()
    return stream


async def _slow(request: web.Request) -> web.Response:
    release = request.app[RELEASE]
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(release.wait(), 5)
    return web.Response(text="late")


async def _slow_body(request: web.Request) -> web.StreamResponse:
    """Sends headers and a first piece at once, then stalls."""
    stream = web.StreamResponse()
    stream.content_length = 2 * PIECE
    await stream.prepare(request)
    await stream.write(b"x" * PIECE)
    release = request.app[RELEASE]
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(release.wait(), 5)
    with contextlib.suppress(ConnectionError):
        await stream.write(b"x" * PIECE)
    return stream


def _raw(head: bytes) -> bytes:
    """/partial: promises 100000 bytes, sends 1000, hangs up. /malformed: a header line
    without a colon. Anything else: hangs up."""
    path = head.split(b" ", 2)[1]
    if path.startswith(b"/partial"):
        return b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 1000
    if path.startswith(b"/malformed"):
        return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nNo colon\r\n\r\nhello"
    return b""


def make_app() -> web.Application:
    app = web.Application()
    app[RELEASE] = asyncio.Event()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_post("/upload", _upload)
    app.router.add_get("/status/{code}", _status)
    app.router.add_get("/empty", _empty)
    app.router.add_get("/headers", _headers)
    app.router.add_get("/redirect", _redirect)
    app.router.add_get("/bytes/{size}", _bytes)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/slow-body", _slow_body)
    return app


@contextlib.asynccontextmanager
async def serve() -> AsyncIterator[Server]:
    """Run the app and the raw server on ephemeral ports for the duration of the block."""
    app = make_app()
    async with serving(app, raw_handler(_raw), app[RELEASE], shutdown_timeout=1.0) as (
        port,
        raw_port,
    ):
        yield Server(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{raw_port}")


def decode(content: bytes) -> Any:
    """The JSON the echo endpoints answer with."""
    return json.loads(content)
