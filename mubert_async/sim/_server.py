"""Serve a ``FakeMubert`` over real HTTP with aiohttp (plain http, loopback only)."""

from __future__ import annotations

import ipaddress

from aiohttp import web

from ..testing import FakeMubert
from ..transport._base import Multipart, Request, UploadFile

__all__ = ["create_app", "serve"]

_MAX_BODY = 16 * 1024 * 1024  # images may be up to 10 MB
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


async def _to_request(incoming: web.Request) -> Request:
    """The aiohttp request as the ``Request`` the fake understands."""
    headers = {name.lower(): value for name, value in incoming.headers.items()}
    params = dict(incoming.query)
    if incoming.content_type == "multipart/form-data":
        fields: dict[str, str] = {}
        files: dict[str, UploadFile] = {}
        for name, value in (await incoming.post()).items():
            if isinstance(value, web.FileField):
                files[name] = UploadFile(value.filename, value.file.read(), value.content_type)
            elif isinstance(value, str):
                fields[name] = value
            else:
                fields[name] = bytes(value).decode("utf-8", "replace")
        form = Multipart(fields=fields, files=files)
        return Request(incoming.method, str(incoming.url), headers, params, form=form)
    content = await incoming.read()
    return Request(incoming.method, str(incoming.url), headers, params, content=content or None)


def create_app(fake: FakeMubert) -> web.Application:
    """An aiohttp application answering every path from ``fake`` (no faults applied)."""

    async def handler(incoming: web.Request) -> web.Response:
        request = await _to_request(incoming)
        fake._receive(request)
        response = await fake.handle(request)
        headers = {k: v for k, v in response.headers.items() if k not in _HOP_BY_HOP}
        return web.Response(status=response.status, body=response.content, headers=headers)

    app = web.Application(client_max_size=_MAX_BODY)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(
    fake: FakeMubert, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start serving ``fake`` on ``host:port`` (0: any free port); return the runner and base URL.

    ``fake.base_url`` and ``fake.files_base_url`` are pointed at the bound address
    (files under ``/files``). Stop with ``await runner.cleanup()``. Only loopback
    hosts are accepted: the simulator speaks plain http.
    """
    if not _is_loopback(host):
        raise ValueError(f"the simulator serves plain http on loopback only, not {host!r}")
    runner = web.AppRunner(create_app(fake), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    url_host = f"[{host}]" if ":" in host else host
    origin = f"http://{url_host}:{bound_port}"
    fake.base_url = f"{origin}/api/v3"
    fake.files_base_url = f"{origin}/files"
    return runner, fake.base_url
