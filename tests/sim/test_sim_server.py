"""The simulator over real HTTP: create_app/serve on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from mubert_async import MubertClient
from mubert_async.sim import serve
from mubert_async.testing import FakeCustomer, FakeMubert, ManualClock

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def served(clock: ManualClock) -> AsyncIterator[tuple[FakeMubert, FakeCustomer, str]]:
    fake = FakeMubert(clock=clock, generation_time=3)
    customer = fake.add_customer("http-user")
    runner, base_url = await serve(fake)
    try:
        yield fake, customer, base_url
    finally:
        await runner.cleanup()


async def test_serve_points_the_fake_at_its_address(served) -> None:
    fake, _, base_url = served
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v3")
    assert fake.base_url == base_url
    assert fake.files_base_url == base_url.removesuffix("/api/v3") + "/files"


async def test_json_multipart_and_files_over_http(served, clock: ManualClock) -> None:
    fake, customer, base_url = served
    headers = {"Customer-Id": customer.id, "Access-Token": customer.access_token}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(
            f"{base_url}/public/tracks", json={"prompt": "rain", "duration": 6, "format": "wav"}
        ) as response:
            assert response.status == 200
            track = (await response.json())["data"]
        form = aiohttp.FormData()
        form.add_field("duration", "10")
        form.add_field("image", PNG, filename="cover.png", content_type="image/png")
        async with http.post(f"{base_url}/public/tracks", data=form) as response:
            assert response.status == 200, await response.text()
        async with http.get(f"{base_url}/public/tracks", params={"limit": "1"}) as response:
            listing = await response.json()
            assert listing["meta"] == {"total": 2, "limit": 1, "offset": 0}
        clock.advance(3)
        async with http.get(f"{base_url}/public/tracks/{track['id']}") as response:
            url = (await response.json())["data"]["generations"][0]["url"]
        assert url.startswith(fake.files_base_url)
        async with http.get(url) as response:
            assert response.status == 200 and response.content_type == "audio/wav"
            assert len(await response.read()) == 44 + 6 * 22050 * 2  # 16-bit mono
        async with http.delete(f"{base_url}/public/streaming/restart") as response:
            assert response.status == 405
        async with http.get(f"{base_url}/service/licenses") as response:
            assert response.status == 401
            assert (await response.json())["code"] == "Unauthenticated"
    assert fake.stats.requests == 7


async def test_the_sdk_talks_to_the_simulator(served) -> None:
    _, customer, base_url = served
    async with MubertClient(customer.id, customer.access_token, base_url=base_url) as client:
        playlists = await client.playlists.list()
    assert playlists


async def test_serve_is_loopback_only(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="loopback"):
        await serve(FakeMubert(clock=clock), host="0.0.0.0")
