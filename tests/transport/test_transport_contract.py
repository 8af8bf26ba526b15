"""The Transport contract, checked for AiohttpTransport and HttpxTransport on a real server."""

from __future__ import annotations

import asyncio
import gzip

import aiohttp
import httpx
import pytest
from transport_servers import PIECE, Server, TransportFactory, decode, pattern

from mubert_async.errors import RequestTimeout, TransportError
from mubert_async.transport import Multipart, Request, StreamResponse, Transport, UploadFile

SECRET = "sk-very-secret-token"


async def test_is_a_transport(make_transport: TransportFactory) -> None:
    assert isinstance(make_transport(), Transport)


async def test_get_with_params(make_transport: TransportFactory, server: Server) -> None:
    transport = make_transport()
    response = await transport.send(
        Request("GET", f"{server.url}/echo", params={"q": "a b&c", "n": "1"})
    )
    assert response.status == 200
    echoed = decode(response.content)
    assert echoed["method"] == "GET"
    assert echoed["query"] == {"q": "a b&c", "n": "1"}


async def test_post_json_body_and_headers(make_transport: TransportFactory, server: Server) -> None:
    transport = make_transport()
    body = b'{"playlist_index":"1.0.0","duration":60}'
    response = await transport.send(
        Request(
            "POST",
            f"{server.url}/echo",
            headers={"Content-Type": "application/json", "access-token": SECRET, "X-A": "1"},
            content=body,
        )
    )
    echoed = decode(response.content)
    assert echoed["method"] == "POST"
    assert echoed["body"] == body.decode()
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["headers"]["access-token"] == SECRET
    assert echoed["headers"]["x-a"] == "1"
    assert echoed["headers"]["content-length"] == str(len(body))


@pytest.mark.parametrize("with_files", [True, False])
async def test_multipart_upload(
    make_transport: TransportFactory, server: Server, with_files: bool
) -> None:
    transport = make_transport()
    files = (
        {"file": UploadFile("loop.wav", b"RIFF\x00\x01binary", "audio/wav")} if with_files else {}
    )
    form = Multipart(fields={"intensity": "high", "title": "Ünïcode"}, files=files)
    response = await transport.send(
        Request(
            "POST",
            f"{server.url}/upload",
            # A JSON content type set by a caller must not clobber the multipart boundary.
            headers={"Content-Type": "application/json", "access-token": SECRET},
            form=form,
        )
    )
    assert response.status == 200, response.content
    echoed = decode(response.content)
    assert echoed["content_type"] == "multipart/form-data"
    assert echoed["fields"] == {"intensity": "high", "title": "Ünïcode"}
    if with_files:
        assert echoed["files"] == {
            "file": {
                "filename": "loop.wav",
                "content_type": "audio/wav",
                "content": "RIFF\x00\x01binary",
            }
        }
    else:
        assert echoed["files"] == {}


async def test_204_empty_body(make_transport: TransportFactory, server: Server) -> None:
    response = await make_transport().send(Request("GET", f"{server.url}/empty"))
    assert (response.status, response.content) == (204, b"")


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422, 429, 500, 503])
async def test_error_statuses_are_returned(
    make_transport: TransportFactory, server: Server, code: int
) -> None:
    response = await make_transport().send(Request("GET", f"{server.url}/status/{code}"))
    assert response.status == code
    assert decode(response.content) == {"code": "Nope"}
    assert response.headers["retry-after"] == "3"


async def test_response_headers_are_lower_case(
    make_transport: TransportFactory, server: Server
) -> None:
    response = await make_transport().send(Request("GET", f"{server.url}/headers"))
    assert response.headers["x-custom-header"] == "Value"
    assert response.headers["x-multi"] == "a, b"
    assert all(name == name.lower() for name in response.headers)


async def test_redirects_not_followed_by_default(
    make_transport: TransportFactory, server: Server
) -> None:
    transport = make_transport()
    response = await transport.send(Request("GET", f"{server.url}/redirect"))
    assert response.status == 302
    assert response.headers["location"] == "/echo"
    followed = await transport.send(Request("GET", f"{server.url}/redirect", follow_redirects=True))
    assert followed.status == 200
    assert decode(followed.content)["path"] == "/echo"


@pytest.mark.parametrize("chunked", [False, True])
async def test_stream_chunks(
    make_transport: TransportFactory, server: Server, chunked: bool
) -> None:
    size = 3 * 65536 + 123
    query = "?chunked=1" if chunked else ""
    async with make_transport().stream(Request("GET", f"{server.url}/bytes/{size}{query}")) as resp:
        assert isinstance(resp, StreamResponse)
        assert resp.status == 200
        assert all(name == name.lower() for name in resp.headers)
        chunks = [chunk async for chunk in resp.aiter_bytes(65536)]
    assert [len(c) for c in chunks] == [65536, 65536, 65536, 123]
    assert b"".join(chunks) == pattern(size)


async def test_stream_large_body_in_constant_chunks(
    make_transport: TransportFactory, server: Server
) -> None:
    size = 4 * 1024 * 1024 + 5
    # max_response_size caps send(), not streams.
    transport = make_transport(max_response_size=1024)
    total = 0
    sizes = set()
    async with transport.stream(Request("GET", f"{server.url}/bytes/{size}?chunked=1")) as resp:
        async for chunk in resp.aiter_bytes(10_000):
            total += len(chunk)
            sizes.add(len(chunk))
    assert total == size
    assert sizes == {10_000, size % 10_000}


async def test_stream_aread_after_partial_iteration(
    make_transport: TransportFactory, server: Server
) -> None:
    size = 50_000
    async with make_transport().stream(Request("GET", f"{server.url}/bytes/{size}")) as resp:
        iterator = resp.aiter_bytes(1000)
        first = await iterator.__anext__()
        rest = await resp.aread()
    assert first + rest == pattern(size)


async def test_stream_aread(make_transport: TransportFactory, server: Server) -> None:
    async with make_transport().stream(Request("GET", f"{server.url}/status/404")) as resp:
        assert resp.status == 404
        assert repr(resp) == "<StreamResponse status=404>"
        with pytest.raises(ValueError, match="chunk_size"):
            await resp.aiter_bytes(0).__anext__()
        assert decode(await resp.aread()) == {"code": "Nope"}


async def test_stream_released_when_body_unread(
    make_transport: TransportFactory, server: Server
) -> None:
    transport = make_transport(max_response_size=10)
    for _ in range(3):
        async with transport.stream(Request("GET", f"{server.url}/bytes/1000000")) as resp:
            assert resp.status == 200
    response = await transport.send(Request("GET", f"{server.url}/empty"))
    assert response.status == 204


async def test_stream_cancelled_mid_body(make_transport: TransportFactory, server: Server) -> None:
    transport = make_transport()
    got_first = asyncio.Event()

    async def download() -> None:
        async with transport.stream(Request("GET", f"{server.url}/slow-body")) as resp:
            async for _ in resp.aiter_bytes(PIECE):
                got_first.set()

    task = asyncio.create_task(download())
    await asyncio.wait_for(got_first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await transport.send(Request("GET", f"{server.url}/empty"))).status == 204


async def test_timeout(make_transport: TransportFactory, server: Server) -> None:
    transport = make_transport()
    with pytest.raises(RequestTimeout) as info:
        await transport.send(Request("GET", f"{server.url}/slow", timeout=0.2))
    assert info.value.sent is True
    assert f"GET {server.url}/slow" in str(info.value)


async def test_stream_read_timeout(make_transport: TransportFactory, server: Server) -> None:
    transport = make_transport()
    async with transport.stream(Request("GET", f"{server.url}/slow-body", timeout=0.2)) as resp:
        with pytest.raises(RequestTimeout) as info:
            await resp.aread()
    assert info.value.sent is True


async def test_total_timeout_on_send_body(make_transport: TransportFactory, server: Server) -> None:
    # Headers arrive at once, the body stalls: send() enforces the timeout on the body too.
    with pytest.raises(RequestTimeout):
        await make_transport().send(Request("GET", f"{server.url}/slow-body", timeout=0.2))


async def test_connection_refused(make_transport: TransportFactory, closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/tracks"
    with pytest.raises(TransportError) as info:
        await make_transport().send(Request("POST", url, headers={"access-token": SECRET}))
    assert info.value.sent is False
    assert not isinstance(info.value, RequestTimeout)
    assert f"POST {url}" in str(info.value)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


async def test_connection_refused_in_stream(
    make_transport: TransportFactory, closed_port: int
) -> None:
    with pytest.raises(TransportError) as info:
        async with make_transport().stream(Request("GET", f"http://127.0.0.1:{closed_port}/")):
            pass  # pragma: no cover
    assert info.value.sent is False


async def test_server_hangs_up_before_answering(
    make_transport: TransportFactory, server: Server
) -> None:
    with pytest.raises(TransportError) as info:
        await make_transport().send(
            Request("POST", f"{server.raw_url}/tracks", headers={"access-token": SECRET})
        )
    assert info.value.sent is True
    assert not isinstance(info.value, RequestTimeout)
    assert SECRET not in str(info.value)


async def test_server_hangs_up_mid_body(make_transport: TransportFactory, server: Server) -> None:
    with pytest.raises(TransportError) as info:
        await make_transport().send(Request("GET", f"{server.raw_url}/partial"))
    assert info.value.sent is True


async def test_server_hangs_up_mid_stream(make_transport: TransportFactory, server: Server) -> None:
    received: list[bytes] = []

    async def consume(resp: StreamResponse) -> None:
        async for chunk in resp.aiter_bytes(100):
            received.append(chunk)

    async with make_transport().stream(Request("GET", f"{server.raw_url}/partial")) as resp:
        assert resp.status == 200
        with pytest.raises(TransportError) as info:
            await consume(resp)
    assert info.value.sent is True
    assert b"".join(received) == b"y" * 1000


@pytest.mark.parametrize("query", ["", "?chunked=1", "?gzip=1"])
async def test_max_response_size(
    make_transport: TransportFactory, server: Server, query: str
) -> None:
    transport = make_transport(max_response_size=10_000)
    ok = await transport.send(Request("GET", f"{server.url}/bytes/10000{query}"))
    assert ok.content == pattern(10_000)
    with pytest.raises(TransportError) as info:
        await transport.send(Request("GET", f"{server.url}/bytes/10001{query}"))
    assert "max_response_size" in str(info.value)
    assert info.value.sent is True
    # The connection was dropped, not drained; the transport is still usable.
    assert (await transport.send(Request("GET", f"{server.url}/empty"))).status == 204


async def test_aclose_is_idempotent_and_final(
    make_transport: TransportFactory, server: Server
) -> None:
    transport = make_transport()
    assert (await transport.send(Request("GET", f"{server.url}/empty"))).status == 204
    await transport.aclose()
    await transport.aclose()
    with pytest.raises(TransportError, match="transport is closed") as info:
        await transport.send(Request("GET", f"{server.url}/empty"))
    assert info.value.sent is False
    with pytest.raises(TransportError) as info:
        async with transport.stream(Request("GET", f"{server.url}/empty")):
            pass  # pragma: no cover
    assert info.value.sent is False


async def test_aclose_before_any_request(make_transport: TransportFactory) -> None:
    transport = make_transport()
    await transport.aclose()
    with pytest.raises(TransportError):
        await transport.send(Request("GET", "http://127.0.0.1:1/"))


async def test_async_with(make_transport: TransportFactory, server: Server) -> None:
    async with make_transport() as transport:  # type: ignore[attr-defined]
        assert (await transport.send(Request("GET", f"{server.url}/empty"))).status == 204
    with pytest.raises(TransportError):
        await transport.send(Request("GET", f"{server.url}/empty"))


async def test_user_session_is_not_closed(transport_kind: str, server: Server) -> None:
    from mubert_async.transport import AiohttpTransport, HttpxTransport

    user: aiohttp.ClientSession | httpx.AsyncClient
    if transport_kind == "aiohttp":
        user = aiohttp.ClientSession()
        transport: Transport = AiohttpTransport(user)
    else:
        user = httpx.AsyncClient()
        transport = HttpxTransport(user)
    try:
        assert (await transport.send(Request("GET", f"{server.url}/empty"))).status == 204
        await transport.aclose()
        closed = user.closed if isinstance(user, aiohttp.ClientSession) else user.is_closed
        assert not closed
        with pytest.raises(TransportError):
            await transport.send(Request("GET", f"{server.url}/empty"))
    finally:
        if isinstance(user, aiohttp.ClientSession):
            await user.close()
        else:
            await user.aclose()


async def test_closed_user_session(transport_kind: str, server: Server) -> None:
    from mubert_async.transport import AiohttpTransport, HttpxTransport

    transport: Transport
    if transport_kind == "aiohttp":
        session = aiohttp.ClientSession()
        await session.close()
        transport = AiohttpTransport(session)
    else:
        client = httpx.AsyncClient()
        await client.aclose()
        transport = HttpxTransport(client)
    with pytest.raises(TransportError, match="closed") as info:
        await transport.send(Request("GET", f"{server.url}/empty"))
    assert info.value.sent is False
    with pytest.raises(TransportError, match="closed") as info:
        async with transport.stream(Request("GET", f"{server.url}/empty")):
            pass  # pragma: no cover
    assert info.value.sent is False


async def test_concurrent_requests_share_the_pool(
    make_transport: TransportFactory, server: Server
) -> None:
    transport = make_transport()
    responses = await asyncio.gather(
        *(
            transport.send(Request("GET", f"{server.url}/echo", params={"i": str(i)}))
            for i in range(50)
        )
    )
    assert [decode(r.content)["query"]["i"] for r in responses] == [str(i) for i in range(50)]


async def test_invalid_url_is_not_sent(make_transport: TransportFactory) -> None:
    with pytest.raises(TransportError) as info:
        await make_transport().send(Request("GET", "ftp://example.invalid/x"))
    assert info.value.sent is False


async def test_head_with_large_content_length(
    make_transport: TransportFactory, server: Server
) -> None:
    transport = make_transport(max_response_size=10)
    response = await transport.send(Request("HEAD", f"{server.url}/bytes/100000"))
    assert (response.status, response.content) == (200, b"")
    assert response.headers["content-length"] == "100000"


@pytest.mark.parametrize("decompress", [True, False])
async def test_stream_decompress_flag(
    make_transport: TransportFactory, server: Server, decompress: bool
) -> None:
    """``decompress=False`` passes a gzip body on as sent (downloads never inflate audio)."""
    size = 50_000
    request = Request(
        "GET", f"{server.url}/bytes/{size}?gzip=1", decompress=decompress, follow_redirects=False
    )
    async with make_transport().stream(request) as resp:
        assert resp.headers["content-encoding"] == "gzip"
        body = b"".join([chunk async for chunk in resp.aiter_bytes(4096)])
    if decompress:
        assert body == pattern(size)
    else:
        assert body[:2] == b"\x1f\x8b" and len(body) < size  # the gzip stream itself
        assert gzip.decompress(body) == pattern(size)


async def test_malformed_answer_chains_no_request_headers(
    make_transport: TransportFactory, server: Server
) -> None:
    """Neither ``__cause__`` nor ``__context__`` holds an exception quoting the headers."""
    transport = make_transport()
    request = Request("GET", f"{server.raw_url}/malformed", headers={"access-token": SECRET})
    with pytest.raises(TransportError) as info:
        await transport.send(request)
    links: list[BaseException] = []
    link: BaseException | None = info.value
    while link is not None and len(links) < 10:
        links.append(link)
        link = link.__cause__ or link.__context__
    for link in links:
        assert SECRET not in repr(link) and SECRET not in str(link)
