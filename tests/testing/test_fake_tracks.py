"""Public tracks of FakeMubert: create/record/stored/get/list/similar/edit and their validation."""

from __future__ import annotations

from typing import Any

import pytest

from mubert_async.testing import FakeMubert, ManualClock
from mubert_async.transport import Multipart, UploadFile

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)
TRACK_KEYS = {
    *("id", "session_id", "parent_session_id", "playlist_index", "prompt", "duration"),
    *("intensity", "mode", "key", "bpm", "created_at", "generations"),
}
GENERATION_KEYS = {"session_id", "format", "bitrate", "status", "generated_at", "expired_at"}
GENERATION_KEYS |= {"created_at"}


async def test_create_returns_a_processing_track_with_defaults(api) -> None:
    reply = await api.create(duration=60)
    assert reply.status == 200
    track = reply.data
    assert set(track) == TRACK_KEYS
    assert track["playlist_index"] == "1.0.0" and track["prompt"] is None
    assert (track["duration"], track["intensity"], track["mode"]) == (60, "high", "track")
    assert track["created_at"] == "2026-01-01T00:00:00.000000Z"
    assert len(track["session_id"]) == 32 and track["parent_session_id"] is None
    (generation,) = track["generations"]
    assert set(generation) == GENERATION_KEYS | {"url"}
    assert generation == {
        "session_id": generation["session_id"],
        "format": "mp3",
        "bitrate": 128,
        "status": "processing",
        "generated_at": None,
        "expired_at": None,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "url": None,
    }


async def test_create_with_every_option(api) -> None:
    reply = await api.create(
        playlist_index="6.1.4",
        bitrate=320,
        format="wav",
        intensity="low",
        mode="loop",
        bpm=112,
        key="D",
    )
    track = reply.data
    assert (track["bpm"], track["key"], track["mode"], track["intensity"]) == (
        112,
        "D",
        "loop",
        "low",
    )
    assert track["generations"][0]["format"] == "wav"
    assert track["generations"][0]["bitrate"] == 320


async def test_create_from_prompt_and_numeric_strings(api) -> None:
    reply = await api.public(
        "POST", "/public/tracks", json={"prompt": "calm piano", "duration": "45", "bitrate": "96"}
    )
    assert reply.status == 200
    assert reply.data["prompt"] == "calm piano" and reply.data["duration"] == 45
    assert reply.data["generations"][0]["bitrate"] == 96


async def test_create_from_image_multipart(api) -> None:
    form = Multipart(
        fields={"duration": "60", "bitrate": "128", "mode": "track", "format": "mp3"},
        files={"image": UploadFile("cover.png", PNG, "image/png")},
    )
    reply = await api.public("POST", "/public/tracks", form=form)
    assert reply.status == 200
    assert reply.data["playlist_index"] is None and reply.data["prompt"] is None


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"GIF89a" + bytes(60 * 1024), "must be a file of type: png, jpg, jpeg, webp, bmp"),
        (b"\x89PNG\r\n\x1a\n" + bytes(10), "must be between 50 and 10240 kilobytes"),
        (b"\xff\xd8\xff" + bytes(10 * 1024 * 1024 + 1), "must be between 50 and 10240 kilobytes"),
    ],
)
async def test_image_type_and_size(api, image: bytes, message: str) -> None:
    form = Multipart(fields={"duration": "60"}, files={"image": UploadFile("x", image)})
    reply = await api.public("POST", "/public/tracks", form=form)
    assert reply.status == 422
    assert message in reply.body["errors"]["image"][0]


@pytest.mark.parametrize("image", [b"RIFF\x00\x00\x00\x00WEBP", b"BM", b"\xff\xd8\xff"])
async def test_image_types_accepted(api, image: bytes) -> None:
    form = Multipart(fields={"duration": "60"}, files={"image": UploadFile("x", image + PNG)})
    assert (await api.public("POST", "/public/tracks", form=form)).status == 200


MISSING = object()
INVALID = [
    # (change to a valid playlist-index body, field, message)
    ({"duration": MISSING}, "duration", "The duration field is required."),
    ({"duration": 4}, "duration", "The duration field must be at least 5."),
    ({"duration": 6.5}, "duration", "The duration field must be an integer."),
    ({"duration": True}, "duration", "The duration field must be an integer."),
    ({"bitrate": 100}, "bitrate", "The selected bitrate is invalid."),
    ({"bitrate": None}, "bitrate", "The selected bitrate is invalid."),
    ({"format": "ogg"}, "format", "The selected format is invalid."),
    ({"intensity": 3}, "intensity", "The selected intensity is invalid."),
    ({"mode": "remix"}, "mode", "The selected mode is invalid."),
    ({"key": "H"}, "key", "The selected key is invalid."),
    ({"bpm": 501}, "bpm", "The bpm field must not be greater than 500."),
    ({"bpm": 0}, "bpm", "The bpm field must be at least 1."),
    (
        {"playlist_index": "1.0.0.0.0.0"},
        "playlist_index",
        "The playlist index field must not be greater than 10 characters.",
    ),
    (
        {"playlist_index": MISSING, "prompt": "p" * 256},
        "prompt",
        "The prompt field must not be greater than 255 characters.",
    ),
    (
        {"playlist_index": MISSING, "prompt": "jazz", "bpm": 100},
        "bpm",
        "The bpm field is prohibited when prompt is present.",
    ),
    (
        {"playlist_index": MISSING, "prompt": "jazz", "key": "C"},
        "key",
        "The key field is prohibited when prompt is present.",
    ),
    (
        {"prompt": "jazz"},
        "playlist_index",
        "The playlist index field prohibits prompt from being present.",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), INVALID)
async def test_create_validation(api, change: dict[str, Any], field: str, message: str) -> None:
    body = {"playlist_index": "1.0.0", "duration": 60, **change}
    body = {k: v for k, v in body.items() if v is not MISSING}
    reply = await api.public("POST", "/public/tracks", json=body)
    assert reply.status == 422
    assert reply.body == {"message": message, "errors": {field: [message]}}


async def test_image_in_json_is_not_a_file(api) -> None:
    body = {"prompt": "jazz", "duration": 60, "image": "cover.png"}
    reply = await api.public("POST", "/public/tracks", json=body)
    assert reply.body["errors"] == {
        "image": ["The image field must be a file."],
        "prompt": ["The prompt field prohibits image from being present."],
    }
    assert reply.body["message"] == "The image field must be a file. (and 1 more error)"


async def test_none_of_playlist_prompt_image(api) -> None:
    reply = await api.public("POST", "/public/tracks", json={"duration": 60})
    assert reply.status == 422
    assert reply.body == {
        "message": "The playlist index field is required when none of prompt / image are present."
        " (and 2 more errors)",
        "errors": {
            "playlist_index": [
                "The playlist index field is required when none of prompt / image are present."
            ],
            "prompt": [
                "The prompt field is required when none of playlist index / image are present."
            ],
            "image": [
                "The image field is required when none of playlist index / prompt are present."
            ],
        },
    }


async def test_record_is_like_create(api, fake: FakeMubert) -> None:
    reply = await api.public(
        "POST", "/public/tracks/record", json={"prompt": "lofi", "duration": 20}
    )
    assert reply.status == 200 and reply.data["generations"][0]["status"] == "processing"
    assert fake.stats.creates == 1 and fake.in_flight == 1


async def test_stored_is_done_at_once(api, fake: FakeMubert) -> None:
    reply = await api.public("POST", "/public/tracks/stored", json={"duration": 30, "stream_id": 7})
    assert reply.status == 200
    (generation,) = reply.data["generations"]
    assert generation["status"] == "done" and generation["url"].endswith(".mp3")
    assert fake.in_flight == 0 and fake.stats.creates == 1
    neither = await api.public("POST", "/public/tracks/stored", json={"duration": 30})
    assert neither.body["errors"] == {
        "playlist_index": ["The playlist index field is required when stream id is not present."],
        "stream_id": ["The stream id field is required when playlist index is not present."],
    }
    both = {"duration": 30, "stream_id": 1, "playlist_index": "1.0.0"}
    both_reply = await api.public("POST", "/public/tracks/stored", json=both)
    assert both_reply.body["errors"] == {
        "playlist_index": ["The playlist index field prohibits stream id from being present."]
    }
    fake.track_store_enabled = False
    off = await api.public(
        "POST", "/public/tracks/stored", json={"duration": 30, "playlist_index": "1"}
    )
    assert off.status == 403 and off.code == "LicenseForbiddenFeature"


async def test_get_by_id_and_session_and_other_customers_404(api, fake: FakeMubert) -> None:
    track = (await api.create()).data
    by_id = await api.public("GET", f"/public/tracks/{track['id']}")
    by_session = await api.public("GET", f"/public/tracks/session/{track['session_id']}")
    assert by_id.data == by_session.data == track
    assert fake.stats.polls == 1

    stranger = fake.add_customer("stranger")
    hidden = await api.public("GET", f"/public/tracks/{track['id']}", customer=stranger)
    assert hidden.status == 404
    assert hidden.body == {
        "message": f"Track {track['id']} not found",
        "session_id": track["id"],
        "code": "TrackNotFound",
    }
    missing = await api.public("GET", "/public/tracks/session/nope")
    assert missing.status == 404 and missing.body["session_id"] == "nope"


async def test_list_pagination_order_and_no_urls(api, clock: ManualClock) -> None:
    ids = []
    for duration in (30, 10, 20):
        ids.append((await api.create(duration=duration)).data["id"])
        clock.advance(1)
    newest_first = await api.public("GET", "/public/tracks")
    assert [t["id"] for t in newest_first.data] == ids[::-1]
    assert newest_first.body["meta"] == {"total": 3, "limit": 25, "offset": 0}
    assert all("url" not in g for t in newest_first.data for g in t["generations"])

    asc = await api.public(
        "GET", "/public/tracks", params={"order": "asc", "limit": 2, "offset": 1}
    )
    assert [t["id"] for t in asc.data] == ids[1:]
    by_duration = await api.public(
        "GET", "/public/tracks", params={"order_by": "duration", "order": "asc"}
    )
    assert [t["duration"] for t in by_duration.data] == [10, 20, 30]
    for params in ({"order": "up"}, {"order_by": "color"}, {"limit": 0}, {"offset": -1}):
        assert (await api.public("GET", "/public/tracks", params=params)).status == 422


async def test_similar_makes_a_child_track(api, fake: FakeMubert) -> None:
    parent = (await api.create(bpm=90, key="Am", format="wav", bitrate=256, intensity="low")).data
    reply = await api.public(
        "POST", f"/public/tracks/{parent['id']}/similar", json={"duration": 90}
    )
    assert reply.status == 200
    child = reply.data
    assert child["id"] != parent["id"] and child["parent_session_id"] == parent["session_id"]
    assert (child["bpm"], child["key"], child["intensity"], child["duration"]) == (
        90,
        "Am",
        "low",
        90,
    )
    assert child["generations"][0]["format"] == "wav" and child["generations"][0]["bitrate"] == 256
    assert fake.stats.creates == 2
    bad = await api.public("POST", f"/public/tracks/{parent['id']}/similar", json={})
    assert bad.status == 422 and list(bad.body["errors"]) == ["duration"]
    missing = await api.public("POST", "/public/tracks/nope/similar", json={"duration": 60})
    assert missing.status == 404 and missing.code == "TrackNotFound"


async def test_edit_appends_a_generation(api, clock: ManualClock, fake: FakeMubert) -> None:
    track = (await api.create(duration=60)).data
    clock.advance(10)
    reply = await api.public(
        "POST",
        f"/public/tracks/{track['id']}/edit",
        json={"duration": 90, "intensity": "medium", "bitrate": 256, "replace_stems": ["DRUMS"]},
    )
    assert reply.status == 200
    edited = reply.data
    assert edited["id"] == track["id"] and edited["session_id"] == track["session_id"]
    assert (edited["duration"], edited["intensity"]) == (90, "medium")
    first, newest = edited["generations"]
    assert first["status"] == "done" and newest["status"] == "processing"
    assert newest["bitrate"] == 256 and newest["format"] == "mp3"
    assert fake.stats.creates == 1 and fake.stats.generations == 2
    bad = await api.public(
        "POST", f"/public/tracks/{track['id']}/edit", json={"delete_instruments": ["HATS", "BONGO"]}
    )
    assert bad.status == 422
    assert bad.body["errors"] == {
        "delete_instruments.1": ["The selected delete_instruments.1 is invalid."]
    }
    bad = await api.public(
        "POST", f"/public/tracks/{track['id']}/edit", json={"replace_stems": "DRUMS"}
    )
    assert bad.body["errors"] == {"replace_stems": ["The replace stems field must be an array."]}


async def test_intensity_as_int(clock: ManualClock, api_for) -> None:
    api = api_for(FakeMubert(clock=clock, intensity_as_int=True))
    assert (await api.create(intensity="medium")).data["intensity"] == 2
    assert (await api.create()).data["intensity"] == 3


async def test_get_link_style_json_body_on_get_is_accepted(api) -> None:
    # The guide sends get-link parameters as a JSON body on a GET; Laravel merges both.
    reply = await api.public("GET", "/public/streaming/get-link", json={"playlist_index": "1.0.0"})
    assert reply.status == 200
