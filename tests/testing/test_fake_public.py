"""Playlists, streaming and the music library of FakeMubert."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mubert_async.testing import FakeMubert


async def test_playlists(api) -> None:
    reply = await api.public("GET", "/public/playlists")
    assert reply.status == 200
    indexes = [p["playlist_index"] for p in reply.data]
    assert {"1.0.0", "3.0.0", "6.1.4", "0.6.1"} <= set(indexes)
    meditation = next(p for p in reply.data if p["playlist_index"] == "3.0.0")
    assert (meditation["category"], meditation["group"], meditation["channel"]) == (
        "Calm",
        "Ambient",
        "Meditation",
    )
    (params,) = meditation["params"]
    assert params["bpm"] == {"gt": 45, "lt": 83} and "C#m" in params["keys"]


async def test_get_link(api) -> None:
    reply = await api.public(
        "GET", "/public/streaming/get-link", params={"playlist_index": "1.0.0", "bitrate": 320}
    )
    assert reply.status == 200
    link = urlsplit(reply.data["link"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == "https://stream.mubert.com/b2b/v3"
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert query == {
        "customer_id": api.customer.id,
        "access_token": api.customer.access_token,
        "playlist": "1.0.0",
        "bitrate": "320",
        "intensity": "high",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "playlist_index"),
        ({"playlist_index": "1.0.0", "bitrate": 100}, "bitrate"),
        ({"playlist_index": "1.0.0", "intensity": "max"}, "intensity"),
        ({"playlist_index": "1.0.0", "type": "rtmp"}, "type"),
        ({"playlist_index": "12345678901"}, "playlist_index"),
    ],
)
async def test_get_link_validation(api, params: dict[str, object], field: str) -> None:
    reply = await api.public("GET", "/public/streaming/get-link", params=params)
    assert reply.status == 422 and list(reply.body["errors"]) == [field]


async def test_streaming_controls(api) -> None:
    for path, body in (
        ("/public/streaming/set-loop-state", {"loop": "on", "time": 0}),
        ("/public/streaming/set-loop-state", {"loop": "off"}),
        ("/public/streaming/set-intensity", {"intensity": "medium"}),
        ("/public/streaming/restart", None),
    ):
        reply = await api.public("POST", path, json=body)
        assert (reply.status, reply.content) == (204, b"")
    for path, body, field in (
        ("/public/streaming/set-loop-state", {"loop": "maybe"}, "loop"),
        ("/public/streaming/set-loop-state", {"loop": "on", "time": -1}, "time"),
        ("/public/streaming/set-intensity", {}, "intensity"),
    ):
        reply = await api.public("POST", path, json=body)
        assert reply.status == 422 and list(reply.body["errors"]) == [field]


async def test_streaming_needs_the_feature_and_quota(api, fake: FakeMubert) -> None:
    params = {"playlist_index": "1.0.0"}
    fake.set_customer_limits(
        api.customer, daily_streaming_duration=600, daily_streaming_duration_limit=600
    )
    reply = await api.public("GET", "/public/streaming/get-link", params=params)
    assert reply.status == 403
    assert reply.body == {
        "message": "Streaming duration limit exceeded",
        "type": "daily",
        "streaming_duration": 600,
        "streaming_duration_limit": 600,
        "code": "LicenseLimitStreamingDuration",
    }
    fake.set_license(allow_all_features=False, features=["track"])
    for method, path in (
        ("GET", "/public/streaming/get-link"),
        ("POST", "/public/streaming/restart"),
        ("POST", "/public/streaming/set-intensity"),
    ):
        reply = await api.public(method, path, params=params, json={"intensity": "low"})
        assert reply.status == 403 and reply.code == "LicenseForbiddenFeature"


async def test_library_tracks_and_filters(api) -> None:
    everything = await api.public("GET", "/public/music-library/tracks", params={"limit": 200})
    assert everything.status == 200
    total = everything.body["meta"]["total"]
    assert 100 <= total <= 200 and len(everything.data) == total
    track = everything.data[0]
    (generation,) = track["generations"]
    assert generation["status"] == "done" and generation["url"].endswith(".mp3")

    wanted = {"bpm": track["bpm"], "key": track["key"], "duration": track["duration"]}
    some = await api.public("GET", "/public/music-library/tracks", params=wanted)
    assert some.data and all(
        (t["bpm"], t["key"], t["duration"]) == tuple(wanted.values()) for t in some.data
    )
    assert some.body["meta"]["total"] < total

    again = await api.public("GET", "/public/music-library/tracks", params={"limit": 200})
    assert again.data == everything.data  # deterministic


async def test_library_params_count_the_filtered_tracks(api) -> None:
    everything = await api.public("GET", "/public/music-library/params")
    assert everything.status == 200
    params = {p["param"]: p["values"] for p in everything.body}
    assert list(params) == sorted(params)
    assert set(params) >= {"bpm", "genres", "moods", "activities", "themes", "duration", "key"}
    genre = params["genres"][0]["value"]
    only = await api.public("GET", "/public/music-library/params", params={"genres": genre.upper()})
    filtered = {p["param"]: p["values"] for p in only.body}
    assert {"value": genre, "tracks_count": params["genres"][0]["tracks_count"]} in filtered[
        "genres"
    ]
    tracks = await api.public(
        "GET", "/public/music-library/tracks", params={"genres": genre, "limit": 500}
    )
    assert sum(v["tracks_count"] for v in filtered["mode"]) == tracks.body["meta"]["total"]
    bpms = [int(v["value"]) for v in params["bpm"]]
    assert bpms == sorted(bpms)


async def test_library_validation_and_feature(api, fake: FakeMubert) -> None:
    for params in ({"bpm": 0}, {"key": "X"}, {"duration": 4}, {"mode": "solo"}, {"limit": 0}):
        reply = await api.public("GET", "/public/music-library/tracks", params=params)
        assert reply.status == 422
    fake.set_license(allow_all_features=False, features=["track"])
    reply = await api.public("GET", "/public/music-library/params")
    assert reply.status == 403 and reply.code == "LicenseForbiddenFeature"
