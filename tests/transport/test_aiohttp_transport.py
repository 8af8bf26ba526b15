"""AiohttpTransport specifics: exception mapping (with aioresponses) and event-loop changes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import ssl
import threading
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
from transport_servers import Server
from yarl import URL

from mubert_async.errors import RequestTimeout, TransportError
from mubert_async.transport import AiohttpTransport, Request, Response

API = "https://music-api.mubert.com/api/v3/public/tracks"
SECRET = "sk-very-secret-token"
KEY: Any = SimpleNamespace(host="music-api.mubert.com", port=443, ssl=True, is_ssl=True)


def _request_info() -> aiohttp.RequestInfo:
    headers = CIMultiDictProxy(CIMultiDict({"access-token": SECRET}))
    return aiohttp.RequestInfo(URL(API), "POST", headers, URL(API))


# (exception raised by aiohttp, expected class, expected sent)
CASES: list[tuple[BaseException, type[TransportError], bool]] = [
    (
        aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "refused")),
        TransportError,
        False,
    ),
    # str() of this one fails: the mapping must not.
    (aiohttp.ClientConnectorError(None, OSError(111, "refused")), TransportError, False),  # type: ignore[arg-type]
    (aiohttp.ClientConnectorDNSError(KEY, OSError(-2, "Name unknown")), TransportError, False),
    (aiohttp.ClientProxyConnectionError(KEY, OSError(111, "refused")), TransportError, False),
    (
        aiohttp.ClientConnectorCertificateError(KEY, ssl.SSLCertVerificationError("bad cert")),
        TransportError,
        False,
    ),
    (aiohttp.ConnectionTimeoutError("Connection timeout to host"), RequestTimeout, False),
    (aiohttp.InvalidURL("not a url"), TransportError, False),
    (aiohttp.NonHttpUrlClientError("ftp://x"), TransportError, False),
    (aiohttp.ServerDisconnectedError(), TransportError, True),
    (aiohttp.ClientOSError(104, "Connection reset by peer"), TransportError, True),
    (aiohttp.ClientConnectionResetError("reset"), TransportError, True),
    (aiohttp.ClientPayloadError("Response payload is not completed"), TransportError, True),
    (aiohttp.SocketTimeoutError("Timeout on reading data from socket"), RequestTimeout, True),
    (aiohttp.ServerTimeoutError("timeout"), RequestTimeout, True),
    (asyncio.TimeoutError(), RequestTimeout, True),
    (aiohttp.ServerFingerprintMismatch(b"a", b"b", "h", 443), TransportError, True),
    (aiohttp.TooManyRedirects(_request_info(), ()), TransportError, True),
    (aiohttp.InvalidUrlRedirectClientError("/x", "bad redirect"), TransportError, True),
    (aiohttp.ClientError("something else"), TransportError, True),
    (ConnectionResetError(104, "reset"), TransportError, True),
]


def _ids(case: tuple[BaseException, type[TransportError], bool]) -> str:
    return type(case[0]).__name__


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def transport() -> Any:
    transport = AiohttpTransport()
    yield transport
    await transport.aclose()


def _check(err: TransportError, cls: type[TransportError], sent: bool) -> None:
    assert type(err) is cls
    assert err.sent is sent
    assert f"POST {API}" in str(err)
    for text in (str(err), repr(err), _safe(str, err.__cause__), _safe(repr, err.__cause__)):
        assert SECRET not in text


def _safe(render: Any, obj: object) -> str:
    try:
        return str(render(obj))
    except AttributeError:  # str() of a ClientConnectorError without a connection key
        return ""


@pytest.mark.parametrize(("exc", "cls", "sent"), CASES, ids=[_ids(c) for c in CASES])
async def test_send_maps_exceptions(
    mocked: aioresponses,
    transport: AiohttpTransport,
    exc: BaseException,
    cls: type[TransportError],
    sent: bool,
) -> None:
    mocked.post(API, exception=exc)
    with pytest.raises(TransportError) as info:
        await transport.send(Request("POST", API, headers={"access-token": SECRET}))
    _check(info.value, cls, sent)


@pytest.mark.parametrize(("exc", "cls", "sent"), CASES, ids=[_ids(c) for c in CASES])
async def test_stream_maps_exceptions(
    mocked: aioresponses,
    transport: AiohttpTransport,
    exc: BaseException,
    cls: type[TransportError],
    sent: bool,
) -> None:
    mocked.post(API, exception=exc)
    with pytest.raises(TransportError) as info:
        async with transport.stream(Request("POST", API, headers={"access-token": SECRET})):
            pass  # pragma: no cover
    _check(info.value, cls, sent)


async def test_response_error_cause_is_not_chained(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    # ClientResponseError's repr shows request_info, headers included.
    mocked.post(API, exception=aiohttp.TooManyRedirects(_request_info(), ()))
    with pytest.raises(TransportError) as info:
        await transport.send(Request("POST", API, headers={"access-token": SECRET}))
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


async def test_long_messages_are_cut(mocked: aioresponses, transport: AiohttpTransport) -> None:
    mocked.get(API, exception=aiohttp.ClientPayloadError("x" * 5000))
    with pytest.raises(TransportError) as info:
        await transport.send(Request("GET", API))
    assert len(str(info.value)) < 400
    assert str(info.value).endswith("...")


async def test_other_exceptions_propagate(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    mocked.get(API, exception=ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        await transport.send(Request("GET", API))
    mocked.get(API, exception=RuntimeError("another bug"))
    with pytest.raises(RuntimeError, match="another bug"):
        await transport.send(Request("GET", API))


async def test_request_options(mocked: aioresponses, transport: AiohttpTransport) -> None:
    mocked.post(
        f"{API}?a=1",
        status=201,
        body=b'{"id":"t1"}',
        headers={"X-Request-Id": "r1"},
    )
    response = await transport.send(
        Request(
            "POST",
            API,
            headers={"access-token": SECRET},
            params={"a": "1"},
            content=b"{}",
            timeout=7.5,
        )
    )
    assert response == Response(201, response.headers, b'{"id":"t1"}')
    assert response.headers["x-request-id"] == "r1"
    [call] = next(iter(mocked.requests.values()))
    assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=7.5)
    assert call.kwargs["allow_redirects"] is False
    assert call.kwargs["data"] == b"{}"
    assert call.kwargs["params"] == {"a": "1"}


async def test_stream_timeout_is_per_read(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    mocked.get(API, body=b"abc")
    async with transport.stream(Request("GET", API, timeout=3.0)) as resp:
        assert await resp.aread() == b"abc"
    [call] = next(iter(mocked.requests.values()))
    assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=None, connect=3.0, sock_read=3.0)


async def test_no_timeout(mocked: aioresponses, transport: AiohttpTransport) -> None:
    mocked.get(API, body=b"")
    await transport.send(Request("GET", API, timeout=None))
    [call] = next(iter(mocked.requests.values()))
    assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=None)


async def test_timeout_cache_is_bounded(mocked: aioresponses, transport: AiohttpTransport) -> None:
    mocked.get(API, body=b"", repeat=True)
    for i in range(200):
        await transport.send(Request("GET", API, timeout=1 + i / 1000))
    assert len(transport._send_timeouts) <= 64


def test_max_response_size_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_response_size"):
        AiohttpTransport(max_response_size=-1)


async def test_chunk_size_must_be_positive(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    mocked.get(API, body=b"abc")
    async with transport.stream(Request("GET", API)) as resp:
        with pytest.raises(ValueError, match="chunk_size"):
            await resp.aiter_bytes(0).__anext__()


def test_repr() -> None:
    assert repr(AiohttpTransport()) == "<AiohttpTransport open owns_session=True>"


# --- event loops ---------------------------------------------------------------------------


@contextlib.contextmanager
def no_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails if anything warns (ResourceWarning included) or asyncio logs an error."""
    with (
        caplog.at_level(logging.ERROR, logger="asyncio"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        yield
        gc.collect()
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_created_without_a_loop(caplog: pytest.LogCaptureFixture) -> None:
    with no_leaks(caplog):
        transport = AiohttpTransport()
        assert transport._pool.resource is None
        del transport


def test_used_in_two_asyncio_runs(
    threaded_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """A notebook re-running asyncio.run, keep-alive connections included."""
    transport = AiohttpTransport()
    sessions: list[aiohttp.ClientSession] = []

    async def use() -> int:
        response = await transport.send(Request("GET", f"{threaded_server.url}/echo"))
        assert transport._pool.resource is not None
        sessions.append(transport._pool.resource)
        return response.status

    with no_leaks(caplog):
        assert asyncio.run(use()) == 200
        # asyncio.run closed the session (gracefully, in its loop) before closing the loop.
        assert sessions[0].closed
        assert asyncio.run(use()) == 200
        assert sessions[1] is not sessions[0]
        asyncio.run(transport.aclose())
        del sessions[:]


def test_loop_closed_without_finalising(caplog: pytest.LogCaptureFixture) -> None:
    """A loop closed by hand (no shutdown_asyncgens): the stale session is disposed of."""
    transport = AiohttpTransport()
    with no_leaks(caplog), aioresponses() as mocked:
        mocked.get(API, body=b"one")
        mocked.get(API, body=b"two")
        loop = asyncio.new_event_loop()
        first = loop.run_until_complete(transport.send(Request("GET", API)))
        stale = transport._pool.resource
        loop.close()
        assert stale is not None and not stale.closed
        second = asyncio.run(transport.send(Request("GET", API)))
        assert (first.content, second.content) == (b"one", b"two")
        assert stale.closed
        assert transport._pool.resource is not stale
        asyncio.run(transport.aclose())
        del stale


def test_aclose_from_another_loop(caplog: pytest.LogCaptureFixture) -> None:
    transport = AiohttpTransport()
    with no_leaks(caplog), aioresponses() as mocked:
        mocked.get(API, body=b"")
        loop = asyncio.new_event_loop()
        loop.run_until_complete(transport.send(Request("GET", API)))
        session = transport._pool.resource
        loop.close()
        asyncio.run(transport.aclose())
        assert session is not None and session.closed
        del session


def test_forgotten_transport_is_closed_by_its_loop(
    threaded_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Dropped without aclose() while the loop runs: no "Unclosed client session"."""

    async def main() -> None:
        transport = AiohttpTransport()
        await transport.send(Request("GET", f"{threaded_server.url}/echo"))
        session = transport._pool.resource
        assert session is not None
        del transport
        gc.collect()
        for _ in range(20):
            if session.closed:
                break
            await asyncio.sleep(0.01)
        assert session.closed

    with no_leaks(caplog):
        asyncio.run(main())


def test_previous_loop_running_in_another_thread(
    threaded_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    transport = AiohttpTransport()
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()
    try:
        with no_leaks(caplog):
            url = f"{threaded_server.url}/echo"
            future = asyncio.run_coroutine_threadsafe(transport.send(Request("GET", url)), other)
            assert future.result(5).status == 200
            stale = transport._pool.resource
            assert asyncio.run(transport.send(Request("GET", url))).status == 200
            assert stale is not None
            for _ in range(100):
                if stale.closed:
                    break
                threading.Event().wait(0.01)
            assert stale.closed
            asyncio.run(transport.aclose())
            del stale
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(5)
        other.run_until_complete(other.shutdown_asyncgens())
        other.close()


def test_user_session_is_used_in_its_loop(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        with aioresponses() as mocked:
            mocked.get(API, body=b"x", repeat=True)
            async with aiohttp.ClientSession() as session:
                transport = AiohttpTransport(session)
                assert (await transport.send(Request("GET", API))).content == b"x"
                assert transport._pool.resource is session
                await transport.aclose()
                assert not session.closed

    with no_leaks(caplog):
        asyncio.run(main())
