"""Routing of FakeMubert (any host, 404/405) and its convenience clients."""

from __future__ import annotations

import time

import pytest

from mubert_async.testing import FakeMubert, ManualClock
from mubert_async.transport import Request


async def test_any_host_is_served(api, fake: FakeMubert) -> None:
    for base in ("http://127.0.0.1:8080/api/v3", "https://proxy.example/mubert/api/v3"):
        request = Request("GET", base + "/public/playlists?x=1", api.public_headers())
        assert (await fake.handle(request)).status == 200


async def test_unknown_path_and_wrong_method(api, fake: FakeMubert, as_reply) -> None:
    for url in ("https://music-api.mubert.com/api/v3/public/nothing", "https://elsewhere.example/"):
        reply = as_reply(await fake.handle(Request("GET", url, api.public_headers())))
        assert reply.status == 404 and reply.body == {"message": "Not found"}
    wrong = await api.public("DELETE", "/public/tracks")
    assert wrong.status == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert "Supported methods: GET, POST." in wrong.body["message"]
    # A literal segment under another method falls through to the {track} route, as in Laravel.
    record = await api.public("GET", "/public/tracks/record")
    assert record.status == 404 and record.code == "TrackNotFound"


async def test_percent_encoded_path_parameters(api) -> None:
    created = await api.service("POST", "/service/customers", json={"custom_id": "a@b.c"})
    assert created.status == 200
    found = await api.service("GET", "/service/customers/custom-id/a%40b.c")
    assert found.body["id"] == created.body["id"]


def test_reprs_hide_tokens(fake: FakeMubert) -> None:
    customer = fake.add_customer("someone")
    for text in (repr(customer), repr(fake), repr(fake.transport())):
        assert customer.access_token not in text and fake.license_token not in text
    assert "someone" in repr(customer)


def test_manual_clock() -> None:
    assert abs(ManualClock()() - time.time()) < 2  # starts now by default
    clock = ManualClock(start=1_767_225_600.0)
    assert clock() == 1_767_225_600.0
    assert clock.advance(1.5) == clock() == 1_767_225_601.5
    assert "2026-01-01T00:00:01" in repr(clock)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(-1)


async def test_client_helpers(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, generation_time=5)
    async with fake.client() as client:
        track = await client.tracks.create(playlist_index="1.0.0", duration=30)
        clock.advance(5)
        done = await client.tracks.get(track.id)
        assert done.url is not None
    async with fake.service_client() as service:
        customer = await service.customers.create("second")
        licenses = await service.licenses.list()
    assert customer.custom_id == "second" and licenses[0].id == fake.license_id
    other = fake.add_customer("third")
    async with fake.client(other) as client:
        assert (await client.tracks.list()).data == []
