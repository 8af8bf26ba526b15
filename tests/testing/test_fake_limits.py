"""Account states, license permissions, quotas and concurrency limits of FakeMubert."""

from __future__ import annotations

from typing import Any

import pytest

from mubert_async.testing import FakeMubert, ManualClock
from mubert_async.transport import Multipart, UploadFile

DAY = 86400


async def test_public_auth_401(api, fake: FakeMubert, as_reply) -> None:
    customer = api.customer
    for headers in (
        {},
        {"customer-id": customer.id},
        {"customer-id": customer.id, "access-token": "wrong"},
        {"customer-id": "nobody", "access-token": customer.access_token},
    ):
        reply = as_reply(await fake.handle(api.request("GET", "/public/playlists", headers)))
        assert reply.status == 401
        assert reply.body == {
            "message": "Unauthenticated",
            "description": None,
            "code": "Unauthenticated",
        }


async def test_expired_access_token(api, fake: FakeMubert, clock: ManualClock) -> None:
    fake.set_customer(api.customer, access_expired_at=clock() + 60)
    assert (await api.public("GET", "/public/playlists")).status == 200
    clock.advance(60)
    reply = await api.public("GET", "/public/playlists")
    assert reply.status == 403
    assert reply.body == {
        "message": "Access token is expired",
        "expired_at": "2026-01-01T00:01:00.000000Z",
        "code": "AccessTokenExpired",
    }


async def test_banned_customer(api, fake: FakeMubert) -> None:
    fake.set_customer(api.customer.id, status="banned")
    reply = await api.public("GET", "/public/playlists")
    assert reply.status == 403
    assert reply.body == {
        "message": "Customer is not active",
        "description": None,
        "code": "CustomerIsNotActive",
    }
    with pytest.raises(ValueError, match="status"):
        fake.set_customer(api.customer.id, status="frozen")


async def test_inactive_and_expired_license(api, fake: FakeMubert, clock: ManualClock) -> None:
    fake.set_license(status="inactive")
    reply = await api.public("GET", "/public/playlists")
    assert reply.status == 403 and reply.code == "LicenseIsNotActive"
    created = await api.service("POST", "/service/customers", json={"custom_id": "late"})
    assert created.code == "LicenseIsNotActive"
    # The company can still read its license to find out why.
    assert (await api.service("GET", "/service/licenses")).status == 200

    fake.set_license(status="active", expired_at=clock() - 1)
    reply = await api.public("GET", "/public/playlists")
    assert reply.status == 403
    assert reply.body == {
        "message": "License is expired",
        "expired_at": "2025-12-31T23:59:59.000000Z",
        "code": "LicenseExpired",
    }


def test_unknown_settings_are_type_errors(fake: FakeMubert) -> None:
    with pytest.raises(TypeError, match="colour"):
        fake.set_license(colour="red")
    with pytest.raises(TypeError, match="tracks_per_hour"):
        fake.set_license_limits(tracks_per_hour=3)
    with pytest.raises(KeyError):
        fake.set_customer_limits("nobody", daily_tracks_count_limit=1)


ONLY_TRACK = {"features": ["track"]}  # a list alone turns its allow_all_* flag off
FORBIDDEN = [
    # (license settings, request fields, error code)
    ({"allow_all_features": False, "features": ["ttm"]}, {}, "LicenseForbiddenFeature"),
    (ONLY_TRACK, {"playlist_index": None, "prompt": "x"}, "LicenseForbiddenFeature"),
    ({"bitrates": [128]}, {"bitrate": 320}, "LicenseForbiddenBitrate"),
    ({"track_formats": ["mp3"]}, {"format": "wav"}, "LicenseForbiddenFormat"),
    ({"intensities": ["high"]}, {"intensity": "low"}, "LicenseForbiddenIntensity"),
    ({"track_modes": ["track"]}, {"mode": "mix"}, "LicenseForbiddenMode"),
]


@pytest.mark.parametrize(("license", "request_fields", "code"), FORBIDDEN)
async def test_license_forbids(
    api, fake: FakeMubert, license: dict[str, Any], request_fields: dict[str, Any], code: str
) -> None:
    fake.set_license(**license)
    body = {"playlist_index": "1.0.0", "duration": 30, **request_fields}
    reply = await api.public("POST", "/public/tracks", json={k: v for k, v in body.items() if v})
    assert reply.status == 403
    assert reply.code == code
    assert set(reply.body) == {"message", "description", "code"}
    assert reply.body["message"].startswith("The license does not provide for the use of")


async def test_image_needs_the_itm_feature(api, fake: FakeMubert) -> None:
    fake.set_license(**ONLY_TRACK)
    image = UploadFile("cover.png", b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024))
    form = Multipart(fields={"duration": "30"}, files={"image": image})
    reply = await api.public("POST", "/public/tracks", form=form)
    assert reply.status == 403 and reply.code == "LicenseForbiddenFeature"
    assert reply.body["description"] == "The license does not include the itm feature"


async def test_allowed_values_and_defaults_pass(api, fake: FakeMubert) -> None:
    fake.set_license(bitrates=[320])
    assert (await api.create(bitrate=320)).status == 200
    assert (await api.create()).status == 200  # the default is not checked
    fake.set_license(bitrates=[128], allow_all_bitrates=True)  # an explicit flag wins
    assert (await api.create(bitrate=320)).status == 200


async def test_max_track_duration(api, fake: FakeMubert) -> None:
    fake.set_license_limits(max_track_duration=600)
    assert (await api.create(duration=600)).status == 200
    reply = await api.create(duration=601)
    assert reply.status == 403 and reply.code == "LicenseForbiddenDuration"


async def test_daily_track_count_resets_at_midnight_utc(
    api, fake: FakeMubert, clock: ManualClock
) -> None:
    fake.set_license_limits(daily_tracks_count_limit=2)
    clock.advance(DAY - 100)  # 23:58:20
    assert (await api.create()).status == 200
    assert (await api.create()).status == 200
    reply = await api.create()
    assert reply.status == 403
    assert reply.body == {
        "message": "The limit of the number of tracks has been exceeded",
        "type": "daily",
        "tracks_count": 2,
        "tracks_count_limit": 2,
        "code": "LicenseLimitTracksCount",
    }
    clock.advance(100)  # next day
    assert (await api.create()).status == 200
    lic = (await api.service("GET", f"/service/licenses/{fake.license_id}")).body["license_limits"]
    assert (lic["daily_tracks_count"], lic["monthly_tracks_count"], lic["total_tracks_count"]) == (
        1,
        3,
        3,
    )
    assert lic["daily_reset_at"] == "2026-01-02T00:00:00.000000Z"


async def test_monthly_counters_reset_with_the_month(
    api, fake: FakeMubert, clock: ManualClock
) -> None:
    fake.set_license_limits(monthly_tracks_duration_limit=100)
    assert (await api.create(duration=60)).status == 200
    reply = await api.create(duration=41)
    assert reply.status == 403
    assert reply.body == {
        "message": "Track duration limit exceeded",
        "type": "monthly",
        "tracks_duration": 60,
        "tracks_duration_limit": 100,
        "track_duration": 41,
        "code": "LicenseLimitTracksDuration",
    }
    clock.advance(31 * DAY)  # February
    assert (await api.create(duration=41)).status == 200


async def test_total_limit_and_customer_limits(api, fake: FakeMubert) -> None:
    fake.set_license_limits(total_tracks_count_limit=3)
    fake.set_customer_limits(api.customer, daily_tracks_count_limit=1)
    assert (await api.create()).status == 200
    own = await api.create()
    assert own.code == "LicenseLimitTracksCount" and own.body["type"] == "daily"
    other = fake.add_customer("other")
    assert (await api.create(customer=other)).status == 200
    assert (await api.create(customer=other)).status == 200
    total = await api.create(customer=other)
    assert total.body["type"] == "total" and total.body["tracks_count_limit"] == 3
    shown = await api.service("GET", f"/service/customers/{other.id}")
    limits = shown.body["access"]["customer_limits"]
    assert (limits["total_tracks_count"], limits["total_tracks_duration"]) == (2, 60)


async def test_customer_limits_start_from_license_defaults(api, fake: FakeMubert) -> None:
    fake.set_license_limits(
        customer_daily_tracks_count_limit=5, customer_max_concurrent_track_generations=2
    )
    customer = await api.service("POST", "/service/customers", json={"custom_id": "fresh"})
    limits = customer.body["access"]["customer_limits"]
    assert limits["daily_tracks_count_limit"] == 5
    assert limits["max_concurrent_track_generations"] == 2


async def test_concurrency_limit_of_the_customer(api, fake: FakeMubert, clock: ManualClock) -> None:
    fake.set_license_limits(customer_max_concurrent_track_generations=2)
    assert (await api.create()).status == 200
    assert (await api.create()).status == 200
    reply = await api.create()
    assert reply.status == 403
    assert reply.body == {
        "message": "The limit of concurrent track generations has been exceeded",
        "concurrent_track_generations": 2,
        "code": "LicenseLimitConcurrentTrackGenerationsCount",
    }
    assert fake.stats.concurrency_rejections == 1
    # Another customer has its own allowance; and the slot frees when a generation ends.
    assert (await api.create(customer=fake.add_customer("b"))).status == 200
    clock.advance(10)
    assert (await api.create()).status == 200
    assert fake.peak_in_flight == 3


async def test_concurrency_limit_of_the_license_counts_edits(
    api, fake: FakeMubert, clock: ManualClock
) -> None:
    fake.set_license_limits(max_concurrent_track_generations=2)
    track = (await api.create()).data
    await api.create(customer=fake.add_customer("b"))
    edit = await api.public("POST", f"/public/tracks/{track['id']}/edit", json={})
    assert edit.status == 403
    assert edit.body["concurrent_track_generations"] == 2
    assert fake.in_flight == 2
    clock.advance(10)
    assert fake.in_flight == 0
    assert (await api.public("POST", f"/public/tracks/{track['id']}/edit", json={})).status == 200


async def test_thousand_concurrent_generations(clock: ManualClock, api_for) -> None:
    fake = FakeMubert(clock=clock, generation_time=lambda fields: fields["duration"] / 10)
    api = api_for(fake)
    for i in range(1000):
        assert (await api.create(duration=5 + i % 100)).status == 200
    assert fake.in_flight == fake.peak_in_flight == 1000
    clock.advance(5)
    assert fake.in_flight == 1000 - 10 * len(range(5, 51))  # durations up to 50 are done
    clock.advance(100)
    assert fake.in_flight == 0 and fake.peak_in_flight == 1000
    listing = await api.public("GET", "/public/tracks", params={"limit": 1000})
    assert len(listing.data) == 1000
    assert {g["status"] for t in listing.data for g in t["generations"]} == {"done"}
