"""MockTransport: sync and async handlers, streams, faults."""

from __future__ import annotations

import pytest

from mubert_async.errors import RequestTimeout, TransportError
from mubert_async.transport import MockTransport, Request, Response, StreamResponse, Transport
from mubert_async.transport._mock import BufferedStream


def echo(request: Request) -> Response:
    return Response(200, {"x-method": request.method}, request.content or b"")


async def test_sync_handler() -> None:
    transport = MockTransport(echo)
    assert isinstance(transport, Transport)
    response = await transport.send(Request("POST", "https://x/tracks", content=b"hi"))
    assert response == Response(200, {"x-method": "POST"}, b"hi")


async def test_async_handler() -> None:
    seen: list[Request] = []

    async def handler(request: Request) -> Response:
        seen.append(request)
        return Response(201, {}, b"{}")

    transport = MockTransport(handler)
    request = Request("GET", "https://x/tracks/1")
    assert (await transport.send(request)).status == 201
    assert seen == [request]


async def test_handler_exceptions_propagate() -> None:
    def handler(request: Request) -> Response:
        raise RequestTimeout("simulated", sent=False)

    transport = MockTransport(handler)
    with pytest.raises(RequestTimeout) as info:
        await transport.send(Request("GET", "https://x/"))
    assert info.value.sent is False
    with pytest.raises(TransportError):
        async with transport.stream(Request("GET", "https://x/")):
            pass  # pragma: no cover


async def test_stream() -> None:
    body = bytes(range(256)) * 10

    async def handler(request: Request) -> Response:
        return Response(200, {"content-type": "audio/mpeg"}, body)

    transport = MockTransport(handler)
    async with transport.stream(Request("GET", "https://x/track.mp3")) as resp:
        assert isinstance(resp, StreamResponse)
        assert (resp.status, resp.headers["content-type"]) == (200, "audio/mpeg")
        chunks = [chunk async for chunk in resp.aiter_bytes(1000)]
    assert [len(c) for c in chunks] == [1000, 1000, 560]
    assert b"".join(chunks) == body


async def test_stream_aread_after_partial_iteration() -> None:
    stream = BufferedStream(Response(200, {}, b"abcdefgh"))
    assert await stream.aiter_bytes(3).__anext__() == b"abc"
    assert await stream.aread() == b"defgh"
    assert await stream.aread() == b""
    assert [c async for c in stream.aiter_bytes()] == []


async def test_chunk_size_must_be_positive() -> None:
    stream = BufferedStream(Response(200, {}, b"abc"))
    with pytest.raises(ValueError, match="chunk_size"):
        await stream.aiter_bytes(0).__anext__()


async def test_aclose_is_a_no_op() -> None:
    transport = MockTransport(echo)
    await transport.aclose()
    await transport.aclose()
    assert (await transport.send(Request("GET", "https://x/"))).status == 200


def test_repr() -> None:
    assert "MockTransport(" in repr(MockTransport(echo))
    assert repr(BufferedStream(Response(204, {}, b""))) == "<BufferedStream status=204 size=0>"
