"""Serve a ``FakeMubert`` over real HTTP with aiohttp (plain http, loopback only).

The fake's faults (``fake.faults``) apply here as on the wire: a ``status`` fault
answers with its status; ``reset_before``/``connect_error`` reset the TCP
connection (RST) without processing the request, ``reset_after`` resets it after
processing; ``truncated`` and ``reset_during_body`` send the headers (with the
full ``Content-Length``) and half the body, then close the connection; ``slow``
and ``malformed`` answer late or with a body that is not JSON.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
from collections.abc import Callable

from aiohttp import web

from ..testing import FakeMubert, Fault, WebhookFaults
from ..testing._faults import Exchange
from ..transport._base import Multipart, Request, Response, UploadFile
from ._webhooks import webhook_delivery

__all__ = ["RequestLog", "create_app", "serve"]

RequestLog = Callable[[Request, int | None, Fault | None], None]
"""Called once per request: the request, the status sent (None: connection broken), the fault."""

_MAX_BODY = 16 * 1024 * 1024  # images may be up to 10 MB
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})
_SHUTDOWN_TIMEOUT = 1.0  # seconds requests in progress get when the server stops
_CUT = frozenset({"truncated", "reset_during_body"})


async def _to_request(incoming: web.Request) -> Request:
    """The aiohttp request as the ``Request`` the fake understands."""
    headers = {name.lower(): value for name, value in incoming.headers.items()}
    params = dict(incoming.query)
    # Built from its parts: ``incoming.url`` fails under some coverage set-ups (yarl).
    url = f"{incoming.scheme}://{incoming.host}{incoming.raw_path}"
    if incoming.content_type == "multipart/form-data":
        fields: dict[str, str] = {}
        files: dict[str, UploadFile] = {}
        try:
            posted = list((await incoming.post()).items())
        except ValueError:  # no boundary, or a broken form: PHP drops it, so no input
            posted = []
        for name, value in posted:
            if isinstance(value, web.FileField):
                files[name] = UploadFile(value.filename, value.file.read(), value.content_type)
            elif isinstance(value, str):
                fields[name] = value
            else:
                fields[name] = bytes(value).decode("utf-8", "replace")
        form = Multipart(fields=fields, files=files)
        return Request(incoming.method, url, headers, params, form=form)
    content = await incoming.read()
    return Request(incoming.method, url, headers, params, content=content or None)


def _headers(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in _HOP_BY_HOP}


def _to_web(response: Response) -> web.Response:
    return web.Response(status=response.status, body=response.content, headers=_headers(response))


def _reset(incoming: web.Request) -> web.Response:
    """Reset the client's connection (RST, or a plain close where that is not possible).

    aiohttp never sends the returned response: its connection is gone.
    """
    transport = incoming.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        with contextlib.suppress(AttributeError, OSError):  # no socket, or no SO_LINGER
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=499)


async def _cut_body(incoming: web.Request, response: Response) -> web.StreamResponse:
    """Send ``response``'s headers with its full length, half its body, then close."""
    declared = int(response.headers.get("content-length", len(response.content)))
    half = response.content[: declared // 2]
    if not half:
        return _reset(incoming)
    outgoing = web.StreamResponse(status=response.status, headers=_headers(response))
    outgoing.content_length = declared
    await outgoing.prepare(incoming)
    await outgoing.write(half)
    if incoming.transport is not None:
        incoming.transport.close()  # after flushing what was written
    return outgoing


async def _outgoing(exchange: Exchange, incoming: web.Request) -> tuple[web.StreamResponse, bool]:
    """Answer as the exchange came out; also whether the connection was broken."""
    response, fault = exchange.response, exchange.fault
    if response is None:  # connect_error, reset_before, reset_after
        return _reset(incoming), True
    if fault is not None and fault.kind in _CUT:
        return await _cut_body(incoming, response), True
    return _to_web(response), False


def create_app(
    fake: FakeMubert,
    *,
    log: RequestLog | None = None,
    webhook_faults: WebhookFaults | None = None,
) -> web.Application:
    """An aiohttp application answering every path from ``fake``, with its faults applied.

    ``log``, if given, is called once per request (see ``RequestLog``). While the
    application runs it POSTs each generation that finishes to the license's
    ``webhook_url`` when ``webhook_enabled`` (loopback hosts only), with retries and
    ``webhook_faults``.
    """

    async def handler(incoming: web.Request) -> web.StreamResponse:
        request = await _to_request(incoming)
        exchange = await fake.exchange(request, stream=True)
        outgoing, broken = await _outgoing(exchange, incoming)
        if log is not None:
            log(request, None if broken else outgoing.status, exchange.fault)
        return outgoing

    app = web.Application(client_max_size=_MAX_BODY)
    app.cleanup_ctx.append(webhook_delivery(fake, webhook_faults))
    # [\s\S], not ".": a path with an encoded newline (%0A) is the API's JSON 404 too.
    app.router.add_route("*", r"/{tail:[\s\S]*}", handler)
    return app


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(
    fake: FakeMubert,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log: RequestLog | None = None,
    webhook_faults: WebhookFaults | None = None,
) -> tuple[web.AppRunner, str]:
    """Start serving ``fake`` on ``host:port`` (0: any free port); return the runner and base URL.

    ``fake.base_url`` and ``fake.files_base_url`` are pointed at the bound address
    (files under ``/files``). Stop with ``await runner.cleanup()``; requests still
    in progress then get a second to finish, and webhook deliveries in progress are
    dropped. Only loopback hosts are accepted: the simulator speaks plain http.
    """
    if not is_loopback(host):
        raise ValueError(f"the simulator serves plain http on loopback only, not {host!r}")
    runner = web.AppRunner(
        create_app(fake, log=log, webhook_faults=webhook_faults),
        access_log=None,
        shutdown_timeout=_SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    url_host = f"[{host}]" if ":" in host else host
    origin = f"http://{url_host}:{bound_port}"
    fake.base_url = f"{origin}/api/v3"
    fake.files_base_url = f"{origin}/files"
    return runner, fake.base_url
