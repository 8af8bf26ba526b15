"""Malformed requests over real HTTP get the API's JSON answers (found by Schemathesis, issue 15)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from mubert_async.sim import serve
from mubert_async.testing import FakeCustomer, FakeMubert, ManualClock


@dataclass
class Served:
    fake: FakeMubert
    customer: FakeCustomer
    base_url: str
    track_id: str

    def headers(self, path: str) -> dict[str, str]:
        """The credentials ``path``'s directory takes."""
        if path.startswith("/service/"):
            return {"company-id": self.fake.company_id, "license-token": self.fake.license_token}
        return {"customer-id": self.customer.id, "access-token": self.customer.access_token}


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    fake = FakeMubert(clock=ManualClock(), seed=3)
    customer = fake.add_customer("bad-requests")
    runner, base_url = await serve(fake)
    try:
        async with fake.client(customer) as client:
            track = await client.tracks.create(playlist_index="1.0.0", duration=30)
        yield Served(fake, customer, base_url, track.id)
    finally:
        await runner.cleanup()


# The 12 operations that take a body ({track}, {customer}, {license} filled in per test).
BODY_OPERATIONS = [
    ("POST", "/public/tracks"),
    ("POST", "/public/tracks/record"),
    ("POST", "/public/tracks/stored"),
    ("POST", "/public/tracks/{track}/similar"),
    ("POST", "/public/tracks/{track}/edit"),
    ("POST", "/public/streaming/restart"),
    ("POST", "/public/streaming/set-intensity"),
    ("POST", "/public/streaming/set-loop-state"),
    ("POST", "/service/customers"),
    ("PUT", "/service/customers/{customer}"),
    ("DELETE", "/service/customers/{customer}"),
    ("PUT", "/service/licenses/{license}"),
]


def fill(served: Served, template: str) -> str:
    return template.format(
        track=served.track_id, customer=served.customer.id, license=served.fake.license_id
    )


async def send(
    served: Served, method: str, path: str, *, data: bytes | None = None, content_type: str = ""
) -> tuple[int, str, object]:
    """Send a raw request; the status, content type and decoded JSON body (None if not JSON)."""
    headers = served.headers(path)
    if content_type:
        headers["content-type"] = content_type
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, served.base_url + path, data=data, headers=headers) as response,
    ):
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, response.content_type, body


async def count_generations(served: Served) -> int:
    _, _, body = await send(served, "GET", fill(served, "/public/tracks/{track}"))
    assert isinstance(body, dict)
    return len(body["data"]["generations"])


@pytest.mark.parametrize(("method", "template"), BODY_OPERATIONS)
async def test_multipart_without_boundary_is_a_json_4xx(
    served: Served, method: str, template: str
) -> None:
    # Before the fix: 500 (aiohttp's "ValueError: boundary missed" escaped the handler).
    path = fill(served, template)
    status, content_type, body = await send(
        served, method, path, data=b"--x\r\n", content_type="multipart/form-data"
    )
    assert 400 <= status < 500 or status == 204, status
    if status != 204:
        assert content_type == "application/json"
        assert isinstance(body, dict) and "message" in body


async def test_a_multipart_body_without_boundary_reads_as_no_input(served: Served) -> None:
    # As PHP does: the form is dropped, so create's required duration is missing.
    status, _, body = await send(
        served, "POST", "/public/tracks", data=b"--x\r\n", content_type="multipart/form-data"
    )
    assert status == 422
    assert isinstance(body, dict) and "duration" in body["errors"]


@pytest.mark.parametrize(
    "path", ["/public/tracks/a%0Ab", "/public/tracks/%0A", "/service/customers/x%0D%0Ay"]
)
async def test_a_path_with_an_encoded_newline_gets_the_api_json_404(
    served: Served, path: str
) -> None:
    # Before the fix: aiohttp's own text/plain "404: Not Found" (its route never matched "\n").
    status, content_type, body = await send(served, "GET", path)
    assert status == 404
    assert content_type == "application/json"
    assert isinstance(body, dict) and body["code"] in ("TrackNotFound", "CustomerNotFound")


async def test_edit_without_a_body_is_a_422_and_starts_nothing(served: Served) -> None:
    # Before the fix: 200 and a new generation.
    path = fill(served, "/public/tracks/{track}/edit")
    generations = await count_generations(served)
    for data, content_type in ((None, ""), (b"--x\r\n", "multipart/form-data")):
        status, _, body = await send(served, "POST", path, data=data, content_type=content_type)
        assert status == 422
        assert isinstance(body, dict) and body["errors"] == {
            "body": ["The request body is required."]
        }
    assert await count_generations(served) == generations


async def test_license_update_without_a_body_is_a_422(served: Served) -> None:
    # Before the fix: 200 (nothing changed).
    path = fill(served, "/service/licenses/{license}")
    status, _, body = await send(served, "PUT", path)
    assert status == 422
    assert isinstance(body, dict) and body["message"] and body["errors"]
    status, _, _ = await send(served, "PUT", path, data=b"{}", content_type="application/json")
    assert status == 200  # an empty JSON object is a valid (empty) update


@pytest.mark.parametrize(
    ("method", "template"),
    [("POST", "/public/streaming/restart"), ("DELETE", "/service/customers/{customer}")],
)
@pytest.mark.parametrize("data", [b"[]", b"[1, 2]", b'"x"', b"3", b"null", b"{not json"])
async def test_a_body_that_is_not_a_json_object_is_a_422(
    served: Served, method: str, template: str, data: bytes
) -> None:
    # Before the fix: ignored (204, and the customer was deleted).
    path = fill(served, template)
    status, _, body = await send(served, method, path, data=data, content_type="application/json")
    assert status == 422
    assert isinstance(body, dict) and body["message"] and body["errors"]
    customer = await send(served, "GET", fill(served, "/service/customers/{customer}"))
    assert customer[0] == 200


@pytest.mark.parametrize(
    ("method", "template"),
    [("POST", "/public/streaming/restart"), ("DELETE", "/service/customers/{customer}")],
)
async def test_no_body_or_an_empty_object_is_still_fine(
    served: Served, method: str, template: str
) -> None:
    path = fill(served, template)
    status, _, _ = await send(served, method, path, data=b"{}", content_type="application/json")
    assert status == 204
    if method == "POST":
        status, _, _ = await send(served, method, path)
        assert status == 204
