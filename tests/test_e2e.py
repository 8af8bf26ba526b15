"""End to end over real HTTP: FakeMubert behind aiohttp.web on 127.0.0.1, driven by the SDK."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator, Callable
from io import BytesIO

import pytest

from mubert_async import (
    AuthenticationError,
    ConcurrencyLimitError,
    GenerationStatus,
    MubertClient,
    MubertServiceClient,
    NotFoundError,
    ValidationError,
)
from mubert_async.sim import serve
from mubert_async.testing import FakeMubert, ManualClock
from mubert_async.transport import AiohttpTransport, HttpxTransport, Request, Transport

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64 * 1024)
TRANSPORTS: dict[str, Callable[[], Transport]] = {
    "aiohttp": AiohttpTransport,
    "httpx": HttpxTransport,
}


@pytest.fixture
async def served(clock: ManualClock) -> AsyncIterator[FakeMubert]:
    fake = FakeMubert(clock=clock, generation_time=5.0)
    runner, base_url = await serve(fake)
    assert base_url.startswith("http://127.0.0.1:")
    yield fake
    await runner.cleanup()


@pytest.mark.parametrize("transport_name", sorted(TRANSPORTS))
async def test_provision_generate_and_fetch_over_http(
    served: FakeMubert, clock: ManualClock, transport_name: str, sleeps: list[float]
) -> None:
    transport = TRANSPORTS[transport_name]()
    async with MubertServiceClient(
        served.company_id, served.license_token, base_url=served.base_url, transport=transport
    ) as service:
        license = (await service.licenses.list())[0]
        await service.licenses.update(
            license.id, webhook_url="https://example.com/hook", webhook_enabled=True
        )
        customer = await service.customers.create("e2e-user")
        assert [c.id async for c in service.customers.iter(page_size=1)] == [customer.id]

        client = service.customer_client(customer)
        playlist = (await client.playlists.list())[0]
        track = await client.tracks.create(
            playlist_index=playlist.playlist_index, duration=6, format="wav"
        )
        by_image = await client.tracks.create(duration=6, image=PNG)
        assert track.status == GenerationStatus.PROCESSING
        clock.advance(6)
        done = await client.tracks.get(track.id)
        assert done.status == GenerationStatus.DONE and done.url is not None
        assert (await client.tracks.get_by_session(by_image.session_id or "")).id == by_image.id
        assert {t.id async for t in client.tracks.iter(page_size=1)} == {track.id, by_image.id}
        assert "playlist=" in await client.streaming.get_link(playlist.playlist_index)
        await client.streaming.set_intensity("low")

        # The generated file downloads over the same transport and is a real WAV.
        async with transport.stream(Request("GET", done.url, timeout=10)) as response:
            assert response.status == 200
            body = b"".join([chunk async for chunk in response.aiter_bytes(4096)])
        with wave.open(BytesIO(body)) as audio:
            assert round(audio.getnframes() / audio.getframerate()) == 6
        assert served.webhooks and served.webhooks[0][0] == "https://example.com/hook"

        with pytest.raises(NotFoundError):
            await client.tracks.get("123e4567-e89b-12d3-a456-426614174000")
        with pytest.raises(ValidationError):
            await service.customers.create("e2e-user")
        served.set_license_limits(max_concurrent_track_generations=1)
        await client.tracks.create(duration=6, prompt="one")
        with pytest.raises(ConcurrencyLimitError) as info:
            await client.tracks.create(duration=6, prompt="two")
        assert info.value.limit == 1
        await service.customers.delete(customer.id)


async def test_bad_credentials_over_http(served: FakeMubert, sleeps: list[float]) -> None:
    async with MubertClient("nobody", "nothing", base_url=served.base_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.playlists.list()
    assert info.value.status == 401 and info.value.code == "Unauthenticated"
