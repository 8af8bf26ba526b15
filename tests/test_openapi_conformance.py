"""Every operation the SDK implements sends exactly what the official OpenAPI document says.

The SDK is driven through its public surface against a recording transport; each
request is matched to its operation in ``mubert-openapi-v3.json`` and checked for
method, path, required headers, query-vs-body placement, required fields, and the
schema of every value sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from openapi import CUSTOMER, LICENSE, OPERATIONS, TRACK, check_request, respond

from mubert_async import MubertClient, MubertServiceClient
from mubert_async.transport import MockTransport, Request, Response

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)
TID = TRACK["id"]
Call = Callable[[MubertClient, MubertServiceClient], Awaitable[Any]]

CALLS: list[tuple[str, Call]] = [
    ("playlists", lambda c, s: c.playlists.list()),
    (
        "get-link",
        lambda c, s: c.streaming.get_link("1.0.0", bitrate=320, intensity="low", type="webrtc"),
    ),
    ("set-loop", lambda c, s: c.streaming.set_loop(True, time=12)),
    ("set-intensity", lambda c, s: c.streaming.set_intensity("medium")),
    ("restart", lambda c, s: c.streaming.restart()),
    (
        "create-playlist",
        lambda c, s: c.tracks.create(
            duration=60,
            playlist_index="1.0.0",
            bitrate=128,
            format="wav",
            intensity="high",
            mode="loop",
            bpm=120,
            key="C#m",
        ),
    ),
    ("create-prompt", lambda c, s: c.tracks.create(duration=30, prompt="calm piano")),
    ("create-image", lambda c, s: c.tracks.create(duration=30, image=PNG, mode="track")),
    ("record", lambda c, s: c.tracks.record(duration=30, prompt="rain")),
    ("stored", lambda c, s: c.tracks.stored(duration=60, playlist_index="1.0.0", format="mp3")),
    ("stored-stream", lambda c, s: c.tracks.stored(duration=60, stream_id=7)),
    ("get", lambda c, s: c.tracks.get(TID)),
    ("get-by-session", lambda c, s: c.tracks.get_by_session("4b19470aec7446d0a8e3c05d06b23ce2")),
    ("list", lambda c, s: c.tracks.list(offset=5, limit=10, order="desc", order_by="created_at")),
    (
        "similar",
        lambda c, s: c.tracks.similar(
            TID, duration=90, bitrate=192, intensity="high", mode="track"
        ),
    ),
    (
        "edit",
        lambda c, s: c.tracks.edit(
            TID,
            duration=90,
            bitrate=256,
            format="mp3",
            intensity="low",
            replace_stems=["DRUMS"],
            delete_stems=["FX"],
            replace_instruments=["HATS"],
            delete_instruments=["PADS", "PERCS"],
        ),
    ),
    (
        "library-params",
        lambda c, s: c.library.params(bpm=120, genres="Nu Disco", key="Am", mode="loop"),
    ),
    (
        "library-tracks",
        lambda c, s: c.library.tracks(offset=0, limit=5, duration=180, moods="Happy", order="asc"),
    ),
    ("licenses", lambda c, s: s.licenses.list()),
    ("license", lambda c, s: s.licenses.get(LICENSE["id"])),
    (
        "license-update",
        lambda c, s: s.licenses.update(
            LICENSE["id"], webhook_url="https://example.com/hook", webhook_enabled=True
        ),
    ),
    ("license-clear-webhook", lambda c, s: s.licenses.update(LICENSE["id"], webhook_url=None)),
    ("customer-create", lambda c, s: s.customers.create("user.1@example-co")),
    ("customers", lambda c, s: s.customers.list(offset=0, limit=50)),
    ("customer", lambda c, s: s.customers.get(CUSTOMER["id"])),
    ("customer-by-custom-id", lambda c, s: s.customers.get_by_custom_id("user-1")),
    ("customer-update", lambda c, s: s.customers.update(CUSTOMER["id"], custom_id="user-2")),
    ("customer-delete", lambda c, s: s.customers.delete(CUSTOMER["id"])),
]


@pytest.fixture
def recorded() -> list[Request]:
    return []


@pytest.fixture
def clients(recorded: list[Request]) -> tuple[MubertClient, MubertServiceClient]:
    def handler(request: Request) -> Response:
        recorded.append(request)
        return respond(request)

    transport = MockTransport(handler)
    return (
        MubertClient("cust", "tok", transport=transport),
        MubertServiceClient("comp", "lic", transport=transport),
    )


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
async def test_request_conforms(
    name: str,
    call: Call,
    clients: tuple[MubertClient, MubertServiceClient],
    recorded: list[Request],
) -> None:
    await call(*clients)
    assert len(recorded) == 1, f"{name} sent {len(recorded)} requests"
    check_request(recorded[0])


async def test_every_operation_is_implemented(
    clients: tuple[MubertClient, MubertServiceClient], recorded: list[Request]
) -> None:
    for _, call in CALLS:
        await call(*clients)
    covered = {check_request(r) for r in recorded}
    assert covered == set(OPERATIONS), sorted(set(OPERATIONS) - covered)


async def test_path_segments_are_encoded(
    clients: tuple[MubertClient, MubertServiceClient], recorded: list[Request]
) -> None:
    client, service = clients
    await service.customers.get_by_custom_id("a@b.c")
    await client.tracks.get("id:with@odd+chars")  # harmless characters stay in one segment
    paths = [urlsplit(r.url).path for r in recorded]
    assert unquote(paths[0].rsplit("/", 1)[1]) == "a@b.c"
    assert unquote(paths[1].rsplit("/", 1)[1]) == "id:with@odd+chars"
