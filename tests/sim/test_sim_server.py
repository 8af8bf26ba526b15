"""The simulator over real HTTP: create_app/serve on 127.0.0.1 and the command line."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from mubert_async import MubertClient
from mubert_async.sim import serve
from mubert_async.sim.__main__ import _parser, _run, main
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
            assert len(await response.read()) == 44 + 6 * 8000
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


def test_command_line_refuses_other_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "192.0.2.1", "--port", "0"]) == 2
    assert "loopback" in capsys.readouterr().err


async def test_command_line_prints_credentials_and_serves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _parser().parse_args(["--port", "0", "--generation-time", "2", "--seed", "5"])
    assert isinstance(args, argparse.Namespace) and args.generation_time == 2.0
    task = asyncio.create_task(_run(args))
    out = ""
    for _ in range(200):
        await asyncio.sleep(0.01)
        out += capsys.readouterr().out
        if "Ctrl-C" in out:
            break
    base_url = out.split("MUBERT_BASE_URL=")[1].split()[0]
    customer_id = out.split("MUBERT_CUSTOMER_ID=")[1].split()[0]
    token = out.split("MUBERT_ACCESS_TOKEN=")[1].split()[0]
    assert "MUBERT_COMPANY_ID=" in out and "MUBERT_LICENSE_TOKEN=" in out
    headers = {"customer-id": customer_id, "access-token": token}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url}/public/playlists", headers=headers) as response,
    ):
        assert response.status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
