"""Bad input is rejected with a typed error naming the field, before anything is sent."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from mubert_async import InvalidRequestError, MubertClient, MubertServiceClient, TrackRequest
from mubert_async.transport import MockTransport, Request, Response

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)


@pytest.fixture
def sent() -> list[Request]:
    return []


@pytest.fixture
def clients(sent: list[Request]) -> tuple[MubertClient, MubertServiceClient]:
    def handler(request: Request) -> Response:
        sent.append(request)
        return Response(500, {}, b"{}")

    transport = MockTransport(handler)
    return MubertClient("c", "t", transport=transport), MubertServiceClient(
        "c", "t", transport=transport
    )


Case = tuple[str, str, Callable[[MubertClient, MubertServiceClient], Awaitable[Any]]]
CASES: list[Case] = [
    ("duration", "integer", lambda c, s: c.tracks.create(duration="60", prompt="x")),  # type: ignore[arg-type]
    ("duration", "integer", lambda c, s: c.tracks.create(duration=60.0, prompt="x")),  # type: ignore[arg-type]
    ("duration", "integer", lambda c, s: c.tracks.create(duration=True, prompt="x")),
    ("duration", "between", lambda c, s: c.tracks.create(duration=4, prompt="x")),
    ("duration", "between", lambda c, s: c.tracks.create(duration=3601, prompt="x")),
    ("playlist_index/prompt/image", "exactly one", lambda c, s: c.tracks.create(duration=60)),
    (
        "playlist_index/prompt/image",
        "exactly one",
        lambda c, s: c.tracks.create(duration=60, prompt="x", playlist_index="1.0.0"),
    ),
    (
        "playlist_index/prompt/image",
        "exactly one",
        lambda c, s: c.tracks.create(duration=60, prompt="x", image=PNG),
    ),
    (
        "bpm",
        "only allowed together with playlist_index",
        lambda c, s: c.tracks.create(duration=60, prompt="x", bpm=100),
    ),
    (
        "key",
        "only allowed together with playlist_index",
        lambda c, s: c.tracks.create(duration=60, image=PNG, key="C"),
    ),
    ("bpm", "between", lambda c, s: c.tracks.create(duration=60, playlist_index="1.0.0", bpm=501)),
    ("bpm", "between", lambda c, s: c.tracks.create(duration=60, playlist_index="1.0.0", bpm=0)),
    ("key", "one of", lambda c, s: c.tracks.create(duration=60, playlist_index="1.0.0", key="H")),
    ("bitrate", "one of", lambda c, s: c.tracks.create(duration=60, prompt="x", bitrate=100)),
    ("bitrate", "one of", lambda c, s: c.tracks.create(duration=60, prompt="x", bitrate="128")),  # type: ignore[arg-type]
    ("format", "one of", lambda c, s: c.tracks.create(duration=60, prompt="x", format="flac")),
    (
        "intensity",
        "one of",
        lambda c, s: c.tracks.create(duration=60, prompt="x", intensity="extreme"),
    ),
    ("mode", "one of", lambda c, s: c.tracks.create(duration=60, prompt="x", mode="remix")),
    (
        "playlist_index",
        "category.group.channel",
        lambda c, s: c.tracks.create(duration=60, playlist_index="abc"),
    ),
    (
        "playlist_index",
        "category.group.channel",
        lambda c, s: c.tracks.create(duration=60, playlist_index="1.0.0.0"),
    ),
    (
        "playlist_index",
        "category.group.channel",
        lambda c, s: c.tracks.create(duration=60, playlist_index="12345.6789.0"),
    ),
    ("prompt", "characters long", lambda c, s: c.tracks.create(duration=60, prompt="")),
    ("prompt", "characters long", lambda c, s: c.tracks.create(duration=60, prompt="x" * 256)),
    ("prompt", "control", lambda c, s: c.tracks.create(duration=60, prompt="a\x00b")),
    (
        "image",
        "PNG, JPEG, WEBP or BMP",
        lambda c, s: c.tracks.create(duration=60, image=b"GIF89a" + bytes(60 * 1024)),
    ),
    (
        "image",
        "between 50 KB and 10 MB",
        lambda c, s: c.tracks.create(duration=60, image=PNG[:1000]),
    ),
    (
        "image",
        "between 50 KB and 10 MB",
        lambda c, s: c.tracks.create(duration=60, image=PNG + bytes(10 * 1024 * 1024)),
    ),
    ("image", "cannot read", lambda c, s: c.tracks.create(duration=60, image="/no/such/image.png")),
    ("image", "bytes, a path", lambda c, s: c.tracks.create(duration=60, image=12345)),  # type: ignore[arg-type]
    ("image", "binary mode", lambda c, s: c.tracks.create(duration=60, image=io.StringIO("text"))),  # type: ignore[arg-type]
    ("playlist_index/stream_id", "exactly one", lambda c, s: c.tracks.stored(duration=60)),
    (
        "playlist_index/stream_id",
        "exactly one",
        lambda c, s: c.tracks.stored(duration=60, playlist_index="1.0.0", stream_id=3),
    ),
    ("stream_id", ">= 1", lambda c, s: c.tracks.stored(duration=60, stream_id=0)),
    ("edit", "at least one", lambda c, s: c.tracks.edit("t")),
    ("replace_stems", "one of", lambda c, s: c.tracks.edit("t", replace_stems=["HATS"])),
    (
        "delete_instruments",
        "one of",
        lambda c, s: c.tracks.edit("t", delete_instruments=["GUITAR"]),
    ),
    ("delete_stems", "must be a list", lambda c, s: c.tracks.edit("t", delete_stems="DRUMS")),  # type: ignore[arg-type]
    ("delete_stems", "must not be empty", lambda c, s: c.tracks.edit("t", delete_stems=[])),
    ("delete_stems", "repeat", lambda c, s: c.tracks.edit("t", delete_stems=["FX", "FX"])),
    ("duration", "between", lambda c, s: c.tracks.similar("t", duration=2)),
    ("mode", "one of", lambda c, s: c.tracks.similar("t", duration=60, mode="album")),
    ("offset", ">= 0", lambda c, s: c.tracks.list(offset=-1)),
    ("limit", ">= 1", lambda c, s: c.tracks.list(limit=0)),
    ("order", "one of", lambda c, s: c.tracks.list(order="up")),
    ("playlist_index", "category.group.channel", lambda c, s: c.streaming.get_link("")),
    ("type", "one of", lambda c, s: c.streaming.get_link("1.0.0", type="rtmp")),
    ("on", "True or False", lambda c, s: c.streaming.set_loop("on")),  # type: ignore[arg-type]
    ("time", ">= 0", lambda c, s: c.streaming.set_loop(True, time=-1)),
    ("intensity", "one of", lambda c, s: c.streaming.set_intensity("loud")),
    ("genre", "not a library filter", lambda c, s: c.library.params(genre="Rock")),
    ("bpm", "between", lambda c, s: c.library.tracks(bpm=1000)),
    ("duration", ">= 5", lambda c, s: c.library.tracks(duration=1)),
    ("custom_id", "letters, digits", lambda c, s: s.customers.create("bad id")),
    ("custom_id", "letters, digits", lambda c, s: s.customers.create("x" * 256)),
    ("custom_id", "letters, digits", lambda c, s: s.customers.create("")),
    ("custom_id", "letters, digits", lambda c, s: s.customers.create("a/b")),
    ("custom_id", "letters, digits", lambda c, s: s.customers.update("id", custom_id="ü")),
    ("update", "webhook_url and/or", lambda c, s: s.licenses.update("l")),
    ("webhook_url", "http(s) URL", lambda c, s: s.licenses.update("l", webhook_url="ftp://x")),
    ("webhook_enabled", "True or False", lambda c, s: s.licenses.update("l", webhook_enabled=1)),  # type: ignore[arg-type]
    ("limit", ">= 1", lambda c, s: s.customers.list(limit=0)),
]


@pytest.mark.parametrize(
    ("field", "rule", "call"), CASES, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(CASES)]
)
async def test_rejected_before_sending(
    field: str,
    rule: str,
    call: Callable[..., Awaitable[Any]],
    clients: tuple[MubertClient, MubertServiceClient],
    sent: list[Request],
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await call(*clients)
    assert info.value.field == field
    assert rule in info.value.rule
    assert isinstance(info.value, ValueError)
    assert sent == []


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: MubertClient("c", "t", timeout=0), "timeout"),
        (lambda: MubertClient("c", "t", timeout=-1.0), "timeout"),
        (lambda: MubertClient("c", "t", max_retries=-1), "max_retries"),
        (
            lambda: MubertClient("c", "t", max_concurrent_generations=0),
            "max_concurrent_generations",
        ),
    ],
)
def test_bad_client_options(make: Callable[[], Any], field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        make()
    assert info.value.field == field


def test_iterators_validate_eagerly(clients: tuple[MubertClient, MubertServiceClient]) -> None:
    client, service = clients
    with pytest.raises(InvalidRequestError):
        client.tracks.iter(page_size=0)
    with pytest.raises(InvalidRequestError):
        client.library.iter_tracks(colour="red")
    with pytest.raises(InvalidRequestError):
        service.customers.iter(page_size=-5)


def test_track_request_is_validated_when_made() -> None:
    with pytest.raises(InvalidRequestError):
        TrackRequest(60)
    request = TrackRequest(60, playlist_index="1.0", bpm=120, key="Am", intensity="low")
    assert request.fields() == {
        "duration": 60,
        "playlist_index": "1.0",
        "bpm": 120,
        "key": "Am",
        "intensity": "low",
    }
    assert "image" not in repr(TrackRequest(60, image=PNG)).replace("image=<image>", "")


async def test_image_from_path_and_file_object(
    tmp_path: Path, clients: tuple[MubertClient, MubertServiceClient], sent: list[Request]
) -> None:
    client, _ = clients
    jpeg = b"\xff\xd8\xff\xe0" + bytes(80 * 1024)
    path = tmp_path / "cover.jpeg"
    path.write_bytes(jpeg)
    for image in (path, str(path), io.BytesIO(jpeg)):
        with pytest.raises(Exception, match="HTTP 500"):
            await client.with_options(max_retries=0).tracks.create(
                duration=30, image=image, bitrate=320
            )
    assert len(sent) == 3
    for request in sent:
        assert request.form is not None and request.content is None
        upload = request.form.files["image"]
        assert upload.content == jpeg and upload.content_type == "image/jpeg"
        assert upload.filename.endswith(".jpg")
        assert request.form.fields == {"duration": "30", "bitrate": "320"}
