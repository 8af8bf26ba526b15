"""Error responses become the right exception class with every field the body carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mubert_async import (
    APIError,
    AuthenticationError,
    ConcurrencyLimitError,
    LicenseForbiddenError,
    MubertError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from mubert_async.errors import _error_from_response, _parse_retry_after

SPEC = json.loads((Path(__file__).parent / "data" / "mubert-openapi-v3.json").read_text())
SCHEMAS = SPEC["components"]["schemas"]

EXPECTED: dict[str, type[APIError]] = {
    "Unauthenticated": AuthenticationError,
    "Forbidden": PermissionDeniedError,
    "AccessTokenExpired": PermissionDeniedError,
    "CompanyIsNotActive": PermissionDeniedError,
    "CustomerIsNotActive": PermissionDeniedError,
    "LicenseIsNotActive": PermissionDeniedError,
    "LicenseExpired": PermissionDeniedError,
    "UserNotFound": PermissionDeniedError,
    "LicenseForbiddenBitrate": LicenseForbiddenError,
    "LicenseForbiddenDuration": LicenseForbiddenError,
    "LicenseForbiddenFeature": LicenseForbiddenError,
    "LicenseForbiddenFormat": LicenseForbiddenError,
    "LicenseForbiddenIntensity": LicenseForbiddenError,
    "LicenseForbiddenMode": LicenseForbiddenError,
    "LicenseLimitTracksCount": QuotaExceededError,
    "LicenseLimitTracksDuration": QuotaExceededError,
    "LicenseLimitStreamingDuration": QuotaExceededError,
    "LicenseLimitUsersCount": QuotaExceededError,
    "LicenseLimitConcurrentTrackGenerationsCount": ConcurrencyLimitError,
    "CustomerNotFound": NotFoundError,
    "CompanyNotFound": NotFoundError,
    "LicenseNotFound": NotFoundError,
    "TrackNotFound": NotFoundError,
}


def _spec_codes() -> list[tuple[int, str]]:
    """Every (status, code) the OpenAPI document's 401/403/404 responses can carry."""
    codes = {(401, SCHEMAS["UnauthenticatedException"]["properties"]["code"]["example"])}
    for status, schema in ((403, "Error403Response"), (404, "Error404Response")):
        codes |= {(status, code) for code in SCHEMAS[schema]["discriminator"]["mapping"]}
    # Exceptions documented as schemas but missing from the discriminator mapping.
    codes.add(
        (403, SCHEMAS["LicenseLimitStreamingDurationException"]["properties"]["code"]["example"])
    )
    return sorted(codes)


def _example_body(code: str) -> dict[str, Any]:
    """The example body the spec documents for ``code``."""
    schema = SCHEMAS.get(f"{code}Exception", {"properties": {}})
    body = {k: v.get("example") for k, v in schema["properties"].items() if "example" in v}
    body["code"] = code
    return body


@pytest.mark.parametrize(("status", "code"), _spec_codes())
def test_every_spec_error_code_maps_to_its_class(status: int, code: str) -> None:
    body = _example_body(code)
    error = _error_from_response(status, {}, msgspec.json.encode(body))
    assert type(error) is EXPECTED[code]
    assert error.status == status
    assert error.code == code
    assert error.body == body
    assert error.message == body.get("message", f"HTTP {status}")


def test_the_table_covers_the_spec() -> None:
    assert {code for _, code in _spec_codes()} == set(EXPECTED)


def test_422_carries_field_errors() -> None:
    body = {
        "message": "The duration field is required.",
        "errors": {"duration": ["required"], "x": "y"},
    }
    error = _error_from_response(422, {}, msgspec.json.encode(body))
    assert isinstance(error, ValidationError)
    assert error.errors == {"duration": ["required"], "x": ["y"]}
    assert "duration field is required" in str(error)


def test_quota_fields() -> None:
    body = {
        "code": "LicenseLimitTracksCount",
        "message": "m",
        "type": "daily",
        "tracks_count": 5,
        "tracks_count_limit": 5,
    }
    error = _error_from_response(403, {}, msgspec.json.encode(body))
    assert isinstance(error, QuotaExceededError)
    assert (error.period, error.used, error.limit) == ("daily", 5, 5)
    body = {
        "code": "LicenseLimitTracksDuration",
        "type": "monthly",
        "tracks_duration": 100,
        "tracks_duration_limit": 120,
        "track_duration": 60,
    }
    error = _error_from_response(403, {}, msgspec.json.encode(body))
    assert isinstance(error, QuotaExceededError)
    assert (error.period, error.used, error.limit) == ("monthly", 100, 120)
    error = _error_from_response(
        403, {}, b'{"code": "LicenseLimitUsersCount", "customers_count_limit": 3}'
    )
    assert isinstance(error, QuotaExceededError)
    assert (error.period, error.used, error.limit) == (None, None, 3)


def test_concurrency_limit_and_expiry_fields() -> None:
    error = _error_from_response(
        403,
        {},
        b'{"code": "LicenseLimitConcurrentTrackGenerationsCount", "concurrent_track_generations": 4}',
    )
    assert isinstance(error, ConcurrencyLimitError)
    assert error.limit == 4
    error = _error_from_response(
        403, {}, b'{"code": "AccessTokenExpired", "expired_at": "2023-12-31T23:59:59Z"}'
    )
    assert isinstance(error, PermissionDeniedError)
    assert error.expired_at == "2023-12-31T23:59:59Z"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, APIError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (418, APIError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_without_a_known_code(status: int, cls: type[APIError]) -> None:
    error = _error_from_response(status, {}, b'{"message": "nope", "code": "SomethingNew"}')
    assert type(error) is cls
    assert error.code == "SomethingNew"


def test_code_never_moves_an_error_to_another_status_branch() -> None:
    error = _error_from_response(404, {}, b'{"code": "LicenseLimitTracksCount"}')
    assert type(error) is NotFoundError


@pytest.mark.parametrize(
    "content", [b"<html>Bad gateway</html>", b'{"message": "trunc', b"", b"[1, 2]"]
)
def test_non_json_error_bodies_keep_their_status_class(content: bytes) -> None:
    error = _error_from_response(502, {}, content)
    assert type(error) is ServerError
    assert error.status == 502
    assert isinstance(error, MubertError)


def test_retry_after() -> None:
    error = _error_from_response(429, {"retry-after": "3"}, b"{}")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 3.0
    assert _parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert _parse_retry_after("soon") is None
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("-5") == 0.0
    assert _parse_retry_after("nan") is None
