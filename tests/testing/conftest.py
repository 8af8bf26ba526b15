"""Fixtures for driving FakeMubert with raw requests: a manual clock, a fake, an ``api`` helper."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from mubert_async.testing import FakeCustomer, FakeMubert, ManualClock
from mubert_async.transport import Multipart, Request, Response

BASE = "https://music-api.mubert.com/api/v3"


@dataclass
class Reply:
    """A response with its JSON decoded (None for an empty or non-JSON body)."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def body(self) -> Any:
        try:
            return msgspec.json.decode(self.content) if self.content else None
        except msgspec.DecodeError:
            return None

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def code(self) -> str | None:
        body = self.body
        return body.get("code") if isinstance(body, dict) else None


def reply(response: Response) -> Reply:
    return Reply(response.status, response.headers, response.content)


class Api:
    """Sends raw requests straight to ``fake.handle`` with the right credentials."""

    def __init__(self, fake: FakeMubert) -> None:
        self.fake = fake
        self._customer: FakeCustomer | None = None

    @property
    def customer(self) -> FakeCustomer:
        if self._customer is None:
            self._customer = self.fake.add_customer("default-user")
        return self._customer

    def public_headers(self, customer: FakeCustomer | None = None) -> dict[str, str]:
        who = customer or self.customer
        return {"customer-id": who.id, "access-token": who.access_token}

    def service_headers(self) -> dict[str, str]:
        return {"company-id": self.fake.company_id, "license-token": self.fake.license_token}

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        form: Multipart | None = None,
    ) -> Request:
        return Request(
            method,
            BASE + path,
            dict(headers),
            params={k: str(v) for k, v in params.items()} if params else None,
            content=None if json is None else msgspec.json.encode(json),
            form=form,
        )

    async def public(
        self, method: str, path: str, *, customer: FakeCustomer | None = None, **kw: Any
    ) -> Reply:
        request = self.request(method, path, self.public_headers(customer), **kw)
        return reply(await self.fake.handle(request))

    async def service(self, method: str, path: str, **kw: Any) -> Reply:
        return reply(
            await self.fake.handle(self.request(method, path, self.service_headers(), **kw))
        )

    async def create(self, customer: FakeCustomer | None = None, **fields: Any) -> Reply:
        body = {"playlist_index": "1.0.0", "duration": 30, **fields}
        return await self.public("POST", "/public/tracks", customer=customer, json=body)

    async def get(self, url: str) -> Reply:
        return reply(await self.fake.handle(Request("GET", url)))


@pytest.fixture
def clock() -> ManualClock:
    """Midnight UTC, 2026-01-01: the day and month boundary tests count from it."""
    return ManualClock(start=1_767_225_600.0)


@pytest.fixture
def api(fake: FakeMubert) -> Api:
    return Api(fake)


@pytest.fixture
def api_for() -> type[Api]:
    """The helper class, for tests that build their own fake."""
    return Api


@pytest.fixture
def as_reply() -> Any:
    """Turn a raw ``Response`` into a ``Reply``."""
    return reply
