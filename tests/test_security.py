"""Credentials never appear in logs, reprs or exception texts; unsafe URLs are refused."""

from __future__ import annotations

import logging

import msgspec
import pytest

from mubert_async import (
    AuthenticationError,
    InvalidRequestError,
    MubertClient,
    MubertError,
    MubertServiceClient,
    TransportError,
)
from mubert_async._config import Credentials
from mubert_async.models import Customer
from mubert_async.transport import MockTransport, Request, Response

CUSTOMER_ID = "cid-7f3a9e51c0d2"
ACCESS_TOKEN = "tok-SECRET-5b1e0c7d9a"
COMPANY_ID = "comp-0d9c8b7a6f"
LICENSE_TOKEN = "lic-SECRET-e4d3c2b1a0"
SECRETS = (CUSTOMER_ID, ACCESS_TOKEN, COMPANY_ID, LICENSE_TOKEN)


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def _echoing_handler(request: Request) -> Response:
    """A hostile server: echoes every header back inside its error bodies."""
    echoed = {
        "message": f"denied for {dict(request.headers)}",
        "code": "Forbidden",
        "description": str(dict(request.headers)),
    }
    path = request.url
    if path.endswith("/boom"):
        raise TransportError(f"{request.method} {request.url} failed")
    status = 500 if "tracks" in path else 403
    return Response(status, {}, msgspec.json.encode(echoed))


async def test_no_credential_in_debug_logs_reprs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="mubert_async")
    transport = MockTransport(_echoing_handler)
    client = MubertClient(CUSTOMER_ID, ACCESS_TOKEN, transport=transport, max_retries=1)
    service = MubertServiceClient(COMPANY_ID, LICENSE_TOKEN, transport=transport, max_retries=1)
    client_retry_sleep_free = client.with_options(max_retries=0)
    texts = [repr(client), str(client), repr(service), repr(client_retry_sleep_free)]
    errors: list[MubertError] = []
    for call in (
        lambda: client_retry_sleep_free.tracks.get("t1"),
        lambda: client.playlists.list(),
        lambda: service.customers.get("c1"),
        lambda: service.licenses.list(),
    ):
        with pytest.raises(MubertError) as info:
            await call()
        errors.append(info.value)
    for error in errors:
        texts += [
            str(error),
            repr(error),
            repr(error.args),
            repr(getattr(error, "body", None)),
            repr(getattr(error, "description", None)),
            repr(getattr(error, "message", None)),
        ]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert any("request GET" in record.getMessage() for record in caplog.records)
    assert any("[REDACTED]" in record.getMessage() for record in caplog.records)
    for text in texts:
        _assert_clean(text)


def test_customer_access_token_is_not_in_repr() -> None:
    customer = msgspec.json.decode(
        msgspec.json.encode(
            {"id": "c", "access": {"token": ACCESS_TOKEN, "customer_id": CUSTOMER_ID}}
        ),
        type=Customer,
    )
    _assert_clean(repr(customer).replace(CUSTOMER_ID, ""))
    assert ACCESS_TOKEN not in str(customer)
    assert ACCESS_TOKEN not in repr(list(customer.access.__rich_repr__()))  # type: ignore[union-attr]
    assert customer.access is not None and customer.access.token == ACCESS_TOKEN


def test_credentials_repr() -> None:
    credentials = Credentials("customer-id", CUSTOMER_ID, "access-token", ACCESS_TOKEN)
    _assert_clean(repr(credentials))


def test_missing_credentials_name_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MUBERT_CUSTOMER_ID",
        "MUBERT_ACCESS_TOKEN",
        "MUBERT_COMPANY_ID",
        "MUBERT_LICENSE_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AuthenticationError, match="MUBERT_CUSTOMER_ID and MUBERT_ACCESS_TOKEN"):
        MubertClient()
    with pytest.raises(AuthenticationError, match="MUBERT_LICENSE_TOKEN"):
        MubertServiceClient("company")
    monkeypatch.setenv("MUBERT_CUSTOMER_ID", CUSTOMER_ID)
    with pytest.raises(AuthenticationError) as info:
        MubertClient(access_token="")
    _assert_clean(str(info.value))


@pytest.mark.parametrize(
    "url",
    [
        "http://music-api.mubert.com/api/v3",
        "http://10.0.0.5:8080/api/v3",
        "http://192.168.1.2/api/v3",
        "http://example.com",
        "ftp://127.0.0.1/api/v3",
        "https://user:pass@music-api.mubert.com/api/v3",
        "https:///api/v3",
        "music-api.mubert.com/api/v3",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="base_url"):
        MubertClient("c", "t", base_url=url, transport=MockTransport(_echoing_handler))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/v3",
        "http://127.9.9.9/api/v3",
        "http://[::1]:9/api/v3",
        "http://localhost:1234/api/v3",
        "https://music-api.mubert.com/api/v3/",
    ],
)
def test_loopback_http_and_https_are_accepted(url: str) -> None:
    client = MubertClient("c", "t", base_url=url, transport=MockTransport(_echoing_handler))
    assert client.base_url == url.rstrip("/")


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUBERT_BASE_URL", "http://127.0.0.1:9/api/v3")
    assert (
        MubertClient("c", "t", transport=MockTransport(_echoing_handler)).base_url
        == "http://127.0.0.1:9/api/v3"
    )
    monkeypatch.setenv("MUBERT_BASE_URL", "http://evil.example/api/v3")
    with pytest.raises(InvalidRequestError):
        MubertClient("c", "t", transport=MockTransport(_echoing_handler))


@pytest.mark.parametrize("bad", ["tok\r\nx-evil: 1", "tok\nx", "tok\x00"])
def test_header_injection_through_credentials_is_refused(bad: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        MubertClient("c", bad, transport=MockTransport(_echoing_handler))
    assert bad not in str(info.value)


async def test_requests_never_follow_redirects() -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(302, {"location": "https://evil.example/steal"}, b"")

    client = MubertClient(CUSTOMER_ID, ACCESS_TOKEN, transport=MockTransport(handler))
    with pytest.raises(MubertError):
        await client.playlists.list()
    assert len(seen) == 1 and seen[0].follow_redirects is False


@pytest.mark.parametrize(
    "bad_id",
    ["", "..", ".", "a/b", "../customers", "a\\b", "a?b=1", "a#x", "%2e%2e", "a b", "a\x00", "a\n"],
)
async def test_path_injection_is_refused_before_sending(bad_id: str) -> None:
    seen: list[Request] = []
    transport = MockTransport(lambda r: seen.append(r) or Response(200, {}, b"{}"))  # type: ignore[func-returns-value]
    client = MubertClient("c", "t", transport=transport)
    service = MubertServiceClient("c", "t", transport=transport)
    for call in (
        lambda: client.tracks.get(bad_id),
        lambda: client.tracks.get_by_session(bad_id),
        lambda: client.tracks.similar(bad_id, duration=30),
        lambda: client.tracks.edit(bad_id, duration=30),
        lambda: service.customers.get(bad_id),
        lambda: service.customers.update(bad_id, custom_id="x"),
        lambda: service.customers.delete(bad_id),
        lambda: service.customers.get_by_custom_id(bad_id),
        lambda: service.licenses.get(bad_id),
        lambda: service.licenses.update(bad_id, webhook_enabled=True),
    ):
        with pytest.raises(InvalidRequestError):
            await call()
    assert seen == []
