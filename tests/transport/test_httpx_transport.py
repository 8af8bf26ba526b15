"""HttpxTransport specifics: exception mapping (through httpx.MockTransport) and event loops."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import warnings
from collections.abc import Iterator

import httpx
import pytest
from transport_servers import Server

from mubert_async.errors import RequestTimeout, TransportError
from mubert_async.transport import HttpxTransport, Multipart, Request

API = "https://music-api.mubert.com/api/v3/public/tracks"
SECRET = "sk-very-secret-token"

CASES: list[tuple[Exception, type[TransportError], bool]] = [
    (httpx.ConnectError("refused"), TransportError, False),
    (httpx.ConnectTimeout("connect timeout"), RequestTimeout, False),
    (httpx.PoolTimeout("pool timeout"), RequestTimeout, False),
    (httpx.UnsupportedProtocol("ftp"), TransportError, False),
    (httpx.ReadTimeout("read timeout"), RequestTimeout, True),
    (httpx.WriteTimeout("write timeout"), RequestTimeout, True),
    (httpx.ReadError("reset"), TransportError, True),
    (httpx.WriteError("broken pipe"), TransportError, True),
    (httpx.RemoteProtocolError("Server disconnected"), TransportError, True),
    (httpx.LocalProtocolError("bad header"), TransportError, True),
    (httpx.ProxyError("proxy"), TransportError, True),
    (httpx.DecodingError("bad gzip"), TransportError, True),
]


@pytest.mark.parametrize(("exc", "cls", "sent"), CASES, ids=[type(c[0]).__name__ for c in CASES])
async def test_send_maps_exceptions(exc: Exception, cls: type[TransportError], sent: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        transport = HttpxTransport(client)
        with pytest.raises(TransportError) as info:
            await transport.send(Request("POST", API, headers={"access-token": SECRET}))
        with pytest.raises(TransportError) as streamed:
            async with transport.stream(Request("POST", API, headers={"access-token": SECRET})):
                pass  # pragma: no cover
    for err in (info.value, streamed.value):
        assert type(err) is cls
        assert err.sent is sent
        assert f"POST {API}" in str(err)
        assert SECRET not in str(err)


async def test_invalid_url() -> None:
    transport = HttpxTransport()
    try:
        with pytest.raises(TransportError) as info:
            await transport.send(Request("GET", "http://[::1"))
        assert info.value.sent is False
    finally:
        await transport.aclose()


async def test_request_options_reach_httpx() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"ok")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        transport = HttpxTransport(client)
        await transport.send(
            Request("GET", API, params={"a": "1"}, headers={"X-A": "b"}, timeout=4.0)
        )
        await transport.send(Request("POST", API, form=Multipart(fields={"k": "v"})))
    get, post = seen
    assert get.url.params["a"] == "1"
    assert get.headers["x-a"] == "b"
    assert get.extensions["timeout"] == httpx.Timeout(4.0).as_dict()
    assert post.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="k"\r\n\r\nv\r\n' in post.read()


def test_max_response_size_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_response_size"):
        HttpxTransport(max_response_size=-1)


def test_repr() -> None:
    assert repr(HttpxTransport()) == "<HttpxTransport open owns_client=True>"


@contextlib.contextmanager
def no_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with (
        caplog.at_level(logging.ERROR, logger="asyncio"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        yield
        gc.collect()
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_used_in_two_asyncio_runs(
    threaded_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    transport = HttpxTransport()
    clients: list[httpx.AsyncClient] = []

    async def use() -> int:
        response = await transport.send(Request("GET", f"{threaded_server.url}/echo"))
        assert transport._pool.resource is not None
        clients.append(transport._pool.resource)
        return response.status

    with no_leaks(caplog):
        assert asyncio.run(use()) == 200
        assert clients[0].is_closed
        assert asyncio.run(use()) == 200
        assert clients[1] is not clients[0]
        asyncio.run(transport.aclose())
        assert clients[1].is_closed
        del clients[:]


def test_forgotten_transport_is_closed_by_its_loop(
    threaded_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        transport = HttpxTransport()
        await transport.send(Request("GET", f"{threaded_server.url}/echo"))
        client = transport._pool.resource
        assert client is not None
        del transport
        gc.collect()
        for _ in range(20):
            if client.is_closed:
                break
            await asyncio.sleep(0.01)
        assert client.is_closed

    with no_leaks(caplog):
        asyncio.run(main())
