"""The clients over the default aiohttp transport, with aiohttp's edge cases mocked."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from mubert_async import MubertClient, RequestTimeout, ServerError, TransportError
from mubert_async.transport import AiohttpTransport

BASE = "https://music-api.mubert.com/api/v3"
GET_URL = f"{BASE}/public/tracks/t1"
POST_URL = f"{BASE}/public/tracks"
TRACK = {"data": {"id": "t1", "generations": [{"status": "processing"}]}}


def refused() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(None, ConnectionRefusedError(111, "Connection refused"))  # type: ignore[arg-type]


def calls(mock: aioresponses, method: str, url: str) -> int:
    return len(mock.requests.get((method, URL(url)), []))


async def test_get_retries_resets_timeouts_and_5xx(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        mock.get(GET_URL, exception=aiohttp.ServerDisconnectedError())
        mock.get(GET_URL, exception=asyncio.TimeoutError())
        mock.get(GET_URL, status=502)
        mock.get(GET_URL, payload=TRACK)
        async with MubertClient("c", "t", max_retries=3) as client:
            assert (await client.tracks.get("t1")).id == "t1"
        assert calls(mock, "GET", GET_URL) == 4
    assert len(sleeps) == 3


async def test_retry_count_is_bounded(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        for _ in range(5):
            mock.get(GET_URL, status=503)
        async with MubertClient("c", "t", max_retries=2) as client:
            with pytest.raises(ServerError):
                await client.tracks.get("t1")
        assert calls(mock, "GET", GET_URL) == 3


async def test_retry_after_header_is_honoured(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        mock.get(
            GET_URL, status=429, headers={"Retry-After": "4"}, payload={"message": "slow down"}
        )
        mock.get(GET_URL, payload=TRACK)
        async with MubertClient("c", "t") as client:
            await client.tracks.get("t1")
    assert sleeps == [4.0]


@pytest.mark.parametrize(
    ("exception", "error"),
    [
        (aiohttp.ServerDisconnectedError(), TransportError),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), TransportError),
        (asyncio.TimeoutError(), RequestTimeout),
    ],
    ids=["disconnected", "reset", "timeout"],
)
async def test_post_is_not_retried_after_sending(
    exception: Exception, error: type[TransportError], sleeps: list[float]
) -> None:
    with aioresponses() as mock:
        mock.post(POST_URL, exception=exception)
        mock.post(POST_URL, payload=TRACK)
        async with MubertClient("c", "t", max_retries=5) as client:
            with pytest.raises(error) as info:
                await client.tracks.create(duration=30, prompt="x")
        assert info.value.sent is True
        assert calls(mock, "POST", POST_URL) == 1
    assert sleeps == []


async def test_post_is_retried_when_the_connection_was_refused(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        mock.post(POST_URL, exception=refused())
        mock.post(POST_URL, payload=TRACK)
        async with MubertClient("c", "t") as client:
            assert (await client.tracks.create(duration=30, prompt="x")).id == "t1"
        assert calls(mock, "POST", POST_URL) == 2


async def test_post_5xx_is_not_retried(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        mock.post(POST_URL, status=500)
        mock.post(POST_URL, payload=TRACK)
        async with MubertClient("c", "t") as client:
            with pytest.raises(ServerError):
                await client.tracks.create(duration=30, prompt="x")
        assert calls(mock, "POST", POST_URL) == 1


async def test_headers_and_body_sent(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        mock.post(POST_URL, payload=TRACK)
        async with MubertClient("cust", "tok") as client:
            await client.tracks.create(duration=30, prompt="calm")
        (request,) = mock.requests[("POST", URL(POST_URL))]
        headers = request.kwargs["headers"]
        assert headers["customer-id"] == "cust" and headers["access-token"] == "tok"
        assert headers["content-type"] == "application/json"
        assert request.kwargs["data"] == b'{"duration":30,"prompt":"calm"}'
        assert request.kwargs["allow_redirects"] is False


async def test_a_user_session_is_shared_and_left_open(sleeps: list[float]) -> None:
    with aioresponses() as mock:
        mock.get(GET_URL, payload=TRACK)
        async with aiohttp.ClientSession() as session:
            async with MubertClient("c", "t", transport=AiohttpTransport(session)) as client:
                await client.tracks.get("t1")
            assert not session.closed
