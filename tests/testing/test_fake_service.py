"""The service directory of FakeMubert: licenses, customers, auth, pagination, validation."""

from __future__ import annotations

import pytest

from mubert_async.testing import FakeMubert, ManualClock
from mubert_async.testing._limits import CUSTOMER_FIELDS, LICENSE_FIELDS

UNAUTHENTICATED = {"message": "Unauthenticated", "description": None, "code": "Unauthenticated"}
LICENSE_KEYS = {
    *("id", "company_id", "type", "status", "webhook_url", "webhook_enabled"),
    *("track_expiration_time", "allow_all_features", "features", "allow_all_bitrates"),
    *("default_bitrate", "bitrates", "allow_all_intensities", "default_intensity"),
    *("intensities", "allow_all_formats", "default_format", "track_formats"),
    *("allow_all_modes", "default_mode", "track_modes", "expired_at", "license_limits"),
}


async def test_license_list_and_show_every_field(api, fake: FakeMubert) -> None:
    listing = await api.service("GET", "/service/licenses")
    assert listing.status == 200
    assert listing.body["meta"] == {"total": 1, "limit": 25, "offset": 0}
    (lic,) = listing.data
    assert set(lic) == LICENSE_KEYS
    assert lic["id"] == fake.license_id and lic["company_id"] == fake.company_id
    assert lic["allow_all_features"] is True
    assert lic["bitrates"] == [32, 96, 128, 192, 256, 320]
    limits = lic["license_limits"]
    assert set(limits) == {
        "id",
        "license_id",
        "daily_reset_at",
        "monthly_reset_at",
        *LICENSE_FIELDS,
    }
    assert limits["max_concurrent_track_generations"] == -1
    assert limits["daily_reset_at"] == "2026-01-01T00:00:00.000000Z"

    shown = await api.service("GET", f"/service/licenses/{fake.license_id}")
    assert shown.status == 200 and shown.body == lic  # bare, like the OpenAPI document


async def test_service_envelope_wraps_single_objects(clock: ManualClock, api_for) -> None:
    fake = FakeMubert(clock=clock, service_envelope=True)
    api = api_for(fake)
    shown = await api.service("GET", f"/service/licenses/{fake.license_id}")
    assert shown.data["id"] == fake.license_id
    created = await api.service("POST", "/service/customers", json={"custom_id": "wrapped"})
    assert created.data["custom_id"] == "wrapped"


async def test_license_update_webhook(api, fake: FakeMubert) -> None:
    path = f"/service/licenses/{fake.license_id}"
    updated = await api.service(
        "PUT", path, json={"webhook_url": "https://hooks.example/x", "webhook_enabled": True}
    )
    assert updated.status == 200
    assert updated.body["webhook_url"] == "https://hooks.example/x"
    assert updated.body["webhook_enabled"] is True
    cleared = await api.service("PUT", path, json={"webhook_url": None})
    assert cleared.body["webhook_url"] is None and cleared.body["webhook_enabled"] is True
    bad = await api.service("PUT", path, json={"webhook_enabled": "yes", "webhook_url": "x" * 256})
    assert bad.status == 422
    assert set(bad.body["errors"]) == {"webhook_enabled", "webhook_url"}


async def test_unknown_license_is_404(api) -> None:
    reply = await api.service("GET", "/service/licenses/nope")
    assert reply.status == 404
    assert reply.body == {
        "message": "License not found",
        "description": None,
        "code": "LicenseNotFound",
    }


async def test_customer_lifecycle(api, fake: FakeMubert) -> None:
    created = await api.service("POST", "/service/customers", json={"custom_id": "user.1@x-y_z"})
    assert created.status == 200
    customer = created.body
    assert customer["custom_id"] == "user.1@x-y_z" and customer["status"] == "active"
    assert customer["company_id"] == fake.company_id
    access = customer["access"]
    assert access["customer_id"] == customer["id"] and access["license_id"] == fake.license_id
    assert access["token"] and access["expired_at"].endswith("Z")
    assert set(access["customer_limits"]) == {
        *("id", "customer_id", "license_id", "daily_reset_at", "monthly_reset_at"),
        *CUSTOMER_FIELDS,
    }
    assert access["license"]["id"] == fake.license_id

    by_id = await api.service("GET", f"/service/customers/{customer['id']}")
    by_custom = await api.service("GET", "/service/customers/custom-id/user.1@x-y_z")
    assert by_id.body == by_custom.body == customer

    renamed = await api.service(
        "PUT", f"/service/customers/{customer['id']}", json={"custom_id": "renamed"}
    )
    assert renamed.body["custom_id"] == "renamed"
    gone = await api.service("GET", "/service/customers/custom-id/user.1@x-y_z")
    assert gone.status == 404 and gone.code == "CustomerNotFound"

    # The new customer's token works on the public directory, until it is deleted.
    headers = {"customer-id": customer["id"], "access-token": access["token"]}
    request = api.request("GET", "/public/playlists", headers)
    assert (await fake.handle(request)).status == 200
    deleted = await api.service("DELETE", f"/service/customers/{customer['id']}")
    assert deleted.status == 204 and deleted.content == b""
    assert (await fake.handle(request)).status == 401
    missing = await api.service("DELETE", f"/service/customers/{customer['id']}")
    assert missing.status == 404
    assert missing.body == {
        "message": "Customer not found",
        "description": None,
        "code": "CustomerNotFound",
    }


async def test_customers_are_paginated(api) -> None:
    for i in range(7):
        await api.service("POST", "/service/customers", json={"custom_id": f"u{i}"})
    page = await api.service("GET", "/service/customers", params={"offset": 2, "limit": 3})
    assert page.body["meta"] == {"total": 7, "limit": 3, "offset": 2}
    assert [c["custom_id"] for c in page.data] == ["u2", "u3", "u4"]
    tail = await api.service("GET", "/service/customers", params={"offset": 6})
    assert [c["custom_id"] for c in tail.data] == ["u6"]
    for params, field in (
        ({"offset": -1}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": "x"}, "limit"),
    ):
        bad = await api.service("GET", "/service/customers", params=params)
        assert bad.status == 422 and list(bad.body["errors"]) == [field]


@pytest.mark.parametrize(
    ("custom_id", "message"),
    [
        (None, "The custom id field is required."),
        ("", "The custom id field is required."),
        ("has space", "The custom id field format is invalid."),
        ("a" * 256, "The custom id field must not be greater than 255 characters."),
        (12, "The custom id field must be a string."),
    ],
)
async def test_custom_id_validation(api, custom_id: object, message: str) -> None:
    body = {} if custom_id is None else {"custom_id": custom_id}
    reply = await api.service("POST", "/service/customers", json=body)
    assert reply.status == 422
    assert reply.body == {"message": message, "errors": {"custom_id": [message]}}


async def test_duplicate_custom_id_is_422(api) -> None:
    await api.service("POST", "/service/customers", json={"custom_id": "taken"})
    other = await api.service("POST", "/service/customers", json={"custom_id": "other"})
    for reply in (
        await api.service("POST", "/service/customers", json={"custom_id": "taken"}),
        await api.service(
            "PUT", f"/service/customers/{other.body['id']}", json={"custom_id": "taken"}
        ),
    ):
        assert reply.status == 422
        assert reply.body["errors"] == {"custom_id": ["The custom id has already been taken."]}
    # Keeping one's own custom id is not a conflict.
    same = await api.service(
        "PUT", f"/service/customers/{other.body['id']}", json={"custom_id": "other"}
    )
    assert same.status == 200


async def test_customer_count_limit(api, fake: FakeMubert) -> None:
    fake.set_license_limits(customers_count_limit=2)
    assert (await api.service("POST", "/service/customers", json={"custom_id": "a"})).status == 200
    assert (await api.service("POST", "/service/customers", json={"custom_id": "b"})).status == 200
    third = await api.service("POST", "/service/customers", json={"custom_id": "c"})
    assert third.status == 403
    assert third.body == {
        "message": "The limit of the number of users has been exceeded",
        "customers_count_limit": 2,
        "code": "LicenseLimitUsersCount",
    }
    lic = await api.service("GET", f"/service/licenses/{fake.license_id}")
    assert lic.body["license_limits"]["customers_count"] == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"company-id": "wrong", "license-token": "wrong"},
        {"company-id": "RIGHT", "license-token": "wrong"},
    ],
)
async def test_service_auth_401(api, fake: FakeMubert, as_reply, headers: dict[str, str]) -> None:
    headers = {k: fake.company_id if v == "RIGHT" else v for k, v in headers.items()}
    reply = await fake.handle(api.request("GET", "/service/licenses", headers))
    assert reply.status == 401
    assert as_reply(reply).body == UNAUTHENTICATED


async def test_header_names_are_case_insensitive(api, fake: FakeMubert) -> None:
    headers = {"Company-Id": fake.company_id, "LICENSE-TOKEN": fake.license_token}
    assert (await fake.handle(api.request("GET", "/service/licenses", headers))).status == 200
    customer = api.customer
    headers = {"Customer-ID": customer.id, "Access-Token": customer.access_token}
    assert (await fake.handle(api.request("GET", "/public/playlists", headers))).status == 200


async def test_customer_credentials_do_not_open_the_service_directory(
    api, fake: FakeMubert
) -> None:
    reply = await fake.handle(api.request("GET", "/service/licenses", api.public_headers()))
    assert reply.status == 401
    reply = await fake.handle(api.request("GET", "/public/playlists", api.service_headers()))
    assert reply.status == 401
